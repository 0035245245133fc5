"""What a director reads first (docs/report.md, "Key messages", "Initiatives", "The heat map",
"Peers"): each key-message rule's choice and its omission, the initiatives and outcomes in
words, the heat map's small-unit rule, the peers' ranks; the PDF in both languages (slow)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import yaml
from conftest import DATA, cli
from pypdf import PdfReader

from dtassess.inputs.questionnaire import load_questionnaire
from dtassess.inputs.responses import load_responses
from dtassess.reporting import summary
from dtassess.reporting.report import build_report, charts_for
from dtassess.roadmap import build_roadmaps, parse_targets
from dtassess.scoring.scores import score

Q = load_questionnaire(DATA / "roadmap_moves.yaml")
DAY = dt.date(2026, 1, 1)

# The worked example of docs/roadmap.md: r0 and r1.
R0 = {"a.x.q": 1, "a.x.drill": "no", "a.x.covers": ("none",), "b.y.q": 2}
R1 = {"a.x.q": 2, "a.x.drill": "yes", "a.x.covers": ("backup",), "b.y.q": 2}
NOTE = {"a.x.q": {"note": "预案尚未印发", "evidence": ["draft.docx"]}}


@pytest.fixture
def model_for(tmp_path):
    """The report model of organisation "org" for responses of (organization, unit, answers),
    written as files (the report hashes them); the first respondent writes `notes`."""
    made = iter(range(1000))

    def build(people, lang="en", k=1, targets=None, notes=None, uncertainty=None):
        folder = _write_answers(tmp_path / f"answers{next(made)}", people, notes)
        responses = load_responses(sorted(folder.iterdir()), Q)
        result = score(responses)
        roadmaps = build_roadmaps(result, responses, targets, k)
        roadmap = next(r for r in roadmaps if r.group["organization"] == "org")
        return build_report(result, responses, roadmap, lang, DAY, k, uncertainty)

    return build


EXAMPLE = [("org", None, R0), ("org", None, R1)]


# --------------------------------------------------------------------------- key messages


def test_key_messages_of_the_worked_example(model_for):
    model = model_for(EXAMPLE)
    kinds = [m.kind for m in model.key_messages]
    # No quick win: the one low-effort action (a.x.r2) is below the current level.
    assert kinds == ["weakest", "disagreement", "risk", "plan"]
    text = {m.kind: m.text for m in model.key_messages}
    assert (
        text["weakest"] == "The weakest area is B at 25.0 (Two), held down most by: Sharing (25.0)."
    )
    assert text["disagreement"].startswith("Respondents disagree most on “Drill”")
    # No target is missed: the lowest sub-dimension outside the weakest area.
    assert text["risk"] == "The largest risk is A one, at only 29.2 (Two)."
    # Overall's target (level 3) is reached in phase 1: 28.1 -> 56.2 (docs/roadmap.md's table).
    assert text["plan"] == (
        "After phase 1 (month 6) the overall score rises from 28.1 (Two) to 56.2 (Three)."
    )


def test_key_messages_in_chinese_carry_the_same_numbers(model_for):
    model = model_for(EXAMPLE, lang="zh")
    text = {m.kind: m.text for m in model.key_messages}
    assert text["weakest"] == "最薄弱的领域是乙，得分 25.0（二级），主要因为：共享 (25.0)。"
    assert (
        text["plan"] == "第 1 阶段完成后（第 6 个月），总体得分由 28.1（二级）升至 56.2（三级）。"
    )


def test_a_missed_target_is_the_largest_risk(model_for):
    # Level 5 everywhere: b.y ends at 75.0 (Four) after phase 3, so b and b.y miss it.
    model = model_for(EXAMPLE, targets=parse_targets("5", Q))
    missed = [o for o in model.roadmap.outcomes if o.reached_in_phase is None]
    assert [o.node for o in missed] == ["b", "b.y"]
    risk = next(m for m in model.key_messages if m.kind == "risk")
    assert risk.text == missed[0].text
    assert risk.text == (
        "B does not reach Five within 36 months (ends at Four): the planned actions do not lift "
        "the answers far enough."
    )


def test_no_disagreement_no_message(model_for):
    model = model_for([("org", None, R0), ("org", None, R0)])
    assert model.findings.disagreements == []
    assert "disagreement" not in [m.kind for m in model.key_messages]


def _action(title, start, quick_win):
    return SimpleNamespace(title=title, dimension="D", start_month=start, quick_win=quick_win)


def test_the_quickest_win_is_the_earliest_quick_win_and_none_without_one(model_for):
    words = model_for(EXAMPLE).labels
    phases = [
        SimpleNamespace(actions=[_action("slow", 0.0, False), _action("late", 1.5, True)]),
        SimpleNamespace(actions=[_action("early", 0.5, True)]),
    ]
    win = summary._quickest_win(phases, words)
    assert win is not None and win.kind == "quick_win"
    assert win.text == "The quickest win is “early” (D), which can start in month 1."
    assert summary._quickest_win([SimpleNamespace(actions=[_action("a", 0, False)])], words) is None


def test_a_plan_without_actions_and_areas_without_scores_give_no_message(model_for):
    model = model_for(EXAMPLE)
    words = model.labels
    empty = [SimpleNamespace(actions=[], phase=p, months=[0, 6]) for p in (1, 2, 3)]
    assert summary._plan_result(empty, [], model.overall, words) is None
    unscored = [SimpleNamespace(score=None, questions=[], subdimensions=[])]
    assert summary._weakest_area(unscored, words) is None
    assert summary._largest_risk(unscored, [], words) is None


def test_a_plan_that_does_not_move_overall_does_not_say_it_rises(model_for):
    model = model_for(EXAMPLE)
    flat = SimpleNamespace(
        actions=[object()], phase=3, months=[18, 36], overall_after=model.overall
    )
    message = summary._plan_result([flat], [], model.overall, model.labels)
    assert message is not None
    assert message.text == "After phase 3 (month 36) the overall score stays at 28.1 (Two)."


# --------------------------------------------------------------------------- initiatives, outcomes


def test_initiatives_in_words_with_milestones_dependencies_and_evidence(model_for):
    model = model_for(EXAMPLE, notes=NOTE)
    blocks = {b.id: b for b in model.roadmap.initiatives}
    response = blocks["response"]
    assert response.owner == "IT centre"
    assert response.kpi == "A one reaches Three; A drill every year"
    assert [
        (m.phase, [(s.title, s.start_month) for s in m.steps]) for m in response.milestones
    ] == [
        (1, [("Hold a drill", 0.0)]),
        (3, [("Backup and network drills", 18.0)]),
    ]
    assert response.dependencies == ["Data sharing"]  # a.x.r4 requires b.y.r3
    assert response.person_months == 11.0  # 3 + 8
    plan = response.evidence[0]
    assert plan.question == "Plan" and plan.typical == "1. one"
    assert [(n.note, n.evidence) for n in plan.notes] == [("预案尚未印发", ["draft.docx"])]
    # A KPI on a question quotes its text.
    assert blocks["sharing"].kpi == "“Sharing” reaches Three; A shared catalogue"
    # The long list stays, as detail under each initiative.
    assert [a.id for a in response.actions] == ["a.x.r3", "a.x.r4"]


def _moved(qid, notes=0):
    """An evidence entry of the roadmap: a moved question and its notes."""
    return {
        "question": qid,
        "text": {"en": qid},
        "typical": None,
        "notes": [{"note": f"{qid} note {i}", "evidence": []} for i in range(notes)],
    }


def test_an_initiative_shows_the_three_questions_furthest_below_its_target(model_for):
    words = model_for(EXAMPLE).labels
    item = {
        "id": "i",
        "title": {"en": "I"},
        "owner": {"en": "IT"},
        "kpi": {"node": "a.x", "target": 3, "text": None},
        "milestones": {},
        "later": [],
        "dependencies": [],
        "person_months": 1,
        "actions": [],
        "evidence": [
            _moved("a.x.q"),
            _moved("a.x.drill"),
            _moved("a.x.covers"),
            _moved("b.y.q", 3),
        ],
    }
    typical = {"b.y.q": 0.1, "a.x.drill": 0.5, "a.x.covers": 0.5, "a.x.q": None}
    [block] = summary.initiative_blocks(
        Q, SimpleNamespace(initiatives=[item]), "en", words, str, {}, str, typical.get
    )
    # Lowest typical score first (furthest below the one target), ties in the questionnaire's
    # order, a question without a score last: a.x.q is left out and counted.
    assert [e.question for e in block.evidence] == ["b.y.q", "a.x.drill", "a.x.covers"]
    assert block.more_evidence == 1
    # At most two notes quoted per question, the rest counted.
    assert [n.note for n in block.evidence[0].notes] == ["b.y.q note 0", "b.y.q note 1"]
    assert [e.more_notes for e in block.evidence] == [1, 0, 0]


def test_outcomes_say_where_each_target_is_reached(model_for):
    model = model_for(EXAMPLE)
    texts = [o.text for o in model.roadmap.outcomes]
    assert texts[0] == "Overall reaches Three in phase 1 (by month 6)."
    assert [o.node for o in model.roadmap.outcomes if o.headline] == ["overall", "a", "b"]
    # The page never claims a level the projection does not reach.
    for o in model.roadmap.outcomes:
        if o.reached_in_phase:
            phase = model.roadmap.phases[o.reached_in_phase - 1]
            if o.node == "overall":
                assert phase.overall_after.level_name == o.target_name


def test_without_initiatives_the_phase_list_stays(answers, tmp_path):
    out = tmp_path / "mini.html"
    run = cli("report", answers, "-q", DATA / "mini.yaml", "--format", "html", "-o", out)
    assert run.exit_code == 0, run.output
    html = out.read_text("utf-8")
    assert 'class="initiative"' not in html and "Actions in detail" not in html
    assert 'class="phase-head phase-1"' in html


# --------------------------------------------------------------------------- heat map, peers


def _units(*sizes: tuple[str, int]):
    return [("org", unit, R0 if k % 2 else R1) for unit, n in sizes for k in range(n)]


def test_the_heat_map_leaves_out_small_units_and_says_how_many(model_for):
    model = model_for(_units(("U1", 3), ("U2", 3), ("U3", 1)), k=3)
    heat = model.heatmap
    assert heat is not None
    assert heat.units == ["U1", "U2"] and heat.respondents == [3, 3]
    assert heat.hidden_units == 1 and heat.min_group_size == 3
    assert heat.dimensions == ["A", "B"]
    assert len(heat.scores) == 2 and all(len(row) == 2 for row in heat.scores)
    svg = charts_for(model, (0, 100), [0, 20, 40, 60, 80])["heatmap"]
    assert 'aria-label="Units by area: U1 A' in svg
    assert "U3" not in svg


def test_the_heat_map_with_groups_of_one_shows_every_unit(model_for):
    model = model_for(_units(("U1", 3), ("U2", 3), ("U3", 1)), k=1)
    assert model.heatmap is not None and model.heatmap.units == ["U1", "U2", "U3"]
    assert model.heatmap.hidden_units == 0


@pytest.mark.parametrize(
    ("sizes", "shown", "hidden"),
    [
        ((("U1", 4),), None, None),  # one unit: no heat map
        ((("U1", 2), ("U2", 2)), [], 2),  # two units, both too small: only the note
        ((("U1", 3), ("U2", 1)), ["U1"], 1),  # one shown: no chart, the note
    ],
)
def test_the_heat_map_privacy_and_one_unit(model_for, sizes, shown, hidden):
    model = model_for(_units(*sizes), k=3)
    if shown is None:
        assert model.heatmap is None
        return
    assert model.heatmap is not None
    assert model.heatmap.units == shown and model.heatmap.hidden_units == hidden
    assert charts_for(model, (0, 100), [0, 20, 40, 60, 80])["heatmap"] == ""


def test_peers_rank_the_organisation_among_the_large_enough_ones(model_for):
    people = [("org", None, R0)] * 3 + [("p1", None, R1)] * 3 + [("p2", None, R1)] * 2
    model = model_for(people, k=3)
    peers = model.peers
    assert peers is not None and peers.organizations == 2 and peers.hidden == 1
    overall = peers.rows[0]
    assert (overall.title, overall.rank, overall.of, overall.percentile) == ("Overall", 2, 2, 0)
    assert model_for(EXAMPLE).peers is None  # one organisation: no peers
    assert peers.resamples == 0 and overall.low is None and overall.rank_low is None


# Four organisations whose respondents differ, so that the replicates move scores and ranks.
CLOSE = {**R0, "a.x.q": 2}
PEOPLE = (
    [("org", None, a) for a in (R0, R1, CLOSE)]
    + [("p1", None, a) for a in (R1, R0, R1)]
    + [("p2", None, a) for a in (R0, CLOSE, R0)]
    + [("p3", None, a) for a in (R1, R1, CLOSE)]
)


@pytest.mark.parametrize("seed", [0, 7])
def test_peer_rows_carry_the_score_interval_and_a_rank_range_around_the_rank(model_for, seed):
    options = {"resamples": 200, "seed": seed}
    model = model_for(PEOPLE, k=3, uncertainty=options)
    peers = model.peers
    assert peers is not None and peers.organizations == 4 and peers.resamples == 200
    for row in peers.rows:
        assert row.score is not None and row.rank is not None
        assert row.low is not None and row.high is not None and row.low <= row.high
        assert row.rank_low is not None and row.rank_high is not None
        assert 1 <= row.rank_low <= row.rank <= row.rank_high <= row.of
    # Someone's rank is uncertain among four close organisations: a range, not one rank.
    assert any(r.rank_low != r.rank_high for r in peers.rows)
    # One draw: the page shows one interval for the organisation's score, not two.
    assert (peers.rows[0].low, peers.rows[0].high) == (model.overall.low, model.overall.high)
    again = model_for(PEOPLE, k=3, uncertainty=options).peers
    assert again == peers  # the same seed, the same intervals


def test_no_resamples_no_peer_intervals(model_for):
    peers = model_for(PEOPLE, k=3, uncertainty={"resamples": 0}).peers
    assert peers is not None and peers.resamples == 0
    assert all(r.low is r.high is r.rank_low is r.rank_high is None for r in peers.rows)


# --------------------------------------------------------------------------- the PDF


def _write_answers(folder, people, notes=None, period="2026"):
    folder.mkdir()
    for i, (org, unit, answers) in enumerate(people):
        doc = {
            "questionnaire": Q.ref,
            "organization": {"id": org, "name": "青山县"},
            "period": period,
            "respondent": {"id": f"r{i}"},
            "answers": {k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()},
        }
        if unit:
            doc["unit"] = unit
        if i == 0 and notes:
            for qid, note in notes.items():
                doc["answers"][qid] = {"value": answers[qid], **note}
        (folder / f"r{i}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return folder


ZH_PDF = ["关键结论", "最薄弱的领域是乙", "重点任务", "应急响应", "考核指标", "甲一达到三级",
          "目标能否达成", "draft.docx"]  # fmt: skip
EN_PDF = ["Key messages", "The weakest area is B", "Initiatives", "Incident response", "KPI",
          "A one reaches Three", "Will the targets be reached?", "draft.docx"]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "expected"), [("zh", ZH_PDF), ("en", EN_PDF)])
def test_the_pdf_prints_key_messages_and_initiatives(tmp_path, lang, expected):
    folder = _write_answers(tmp_path / "answers", EXAMPLE, NOTE)
    out = tmp_path / f"report-{lang}.pdf"
    run = cli("report", str(folder), "-q", str(DATA / "roadmap_moves.yaml"), "--lang", lang,
              "--min-group-size", "1", "--date", "2026-01-01", "-o", str(out))  # fmt: skip
    assert run.exit_code == 0, run.output
    text = "".join("\n".join(p.extract_text() or "" for p in PdfReader(out).pages).split())
    for phrase in expected:
        assert "".join(phrase.split()) in text, phrase


def test_the_html_ranks_each_organisation_among_its_peers(tmp_path):
    people = [("org", None, R0)] * 3 + [("p1", None, R1)] * 3
    folder = _write_answers(tmp_path / "answers", people)
    out = tmp_path / "reports"
    run = cli("report", folder, "-q", DATA / "roadmap_moves.yaml", "--format", "html",
              "--lang", "en", "-o", out)  # fmt: skip
    assert run.exit_code == 0, run.output
    html = (out / "org-2026-en.html").read_text("utf-8")
    assert "Among the other organisations of the period" in html
    assert '<td class="num">2 / 2</td>' in html
    assert "2 organisations (each of 3 respondents or more)" in html
    assert "rank all the organisations again each time" in html  # how to read the ranges
    run = cli("report", folder, "-q", DATA / "roadmap_moves.yaml", "--format", "html",
              "--lang", "en", "-o", out, "--resamples", "0", "--force")  # fmt: skip
    assert run.exit_code == 0, run.output
    html = (out / "org-2026-en.html").read_text("utf-8")
    assert "rank all the organisations again each time" not in html


# --------------------------------------------------------------------------- peers from the archive


def _archived(tmp_path, people, period="2026"):
    """An archive made with `dtassess archive add` from `people`'s answers of `period`."""
    folder = _write_answers(tmp_path / f"archived-{period}", people, period=period)
    archive = tmp_path / "archive"
    added = cli("archive", "add", folder, "--to", archive, "-q", DATA / "roadmap_moves.yaml")
    assert added.exit_code == 0, added.output
    return archive


def _html(tmp_path, name, *options, lang="en"):
    """The HTML report of "org" (3 respondents answering R0) with `options`."""
    folder = tmp_path / "input"
    if not folder.exists():
        _write_answers(folder, [("org", None, R0)] * 3)
    out = tmp_path / f"{name}.html"
    run = cli("report", folder, "-q", DATA / "roadmap_moves.yaml", "--format", "html",
              "--lang", lang, "--date", "2026-01-01", "-o", out, *options)  # fmt: skip
    assert run.exit_code == 0, run.output
    return out.read_text("utf-8")


def _peer_row(html):
    """The peers table's overall row: the score shown and the rank of N."""
    table = html.split('<table class="compact peers">')[1].split("</table>")[0]
    cells = table.split("<tbody>")[1].split("</tr>")[0].split("<td")
    score = cells[2].split('<span class="strong">')[1].split("<")[0]
    return score, cells[3].split(">", 1)[1].split("<")[0].strip()


# The archive holds p1 (3 respondents), p2 (2) and org itself with other answers (R1).
ARCHIVED = [("p1", None, R1)] * 3 + [("p2", None, R1)] * 2 + [("org", None, R1)] * 3


@pytest.mark.parametrize(
    ("k", "rank", "note"),
    [
        ("3", "2 / 2", "the percentile is the share of organisations scoring below this one."
                       " 2 organisations: 1 from the input, 1 from the archive."),
        ("2", "3 / 3", "the percentile is the share of organisations scoring below this one."
                       " 3 organisations: 1 from the input, 2 from the archive."),
    ],
)  # fmt: skip
def test_archive_peers_rank_the_input_among_the_archived_organisations(tmp_path, k, rank, note):
    archive = _archived(tmp_path, ARCHIVED)
    alone = _html(tmp_path, "alone", "--min-group-size", k)
    assert "Among the other organisations of the period" not in alone  # no peer in the input
    html = _html(tmp_path, "ranked", "--min-group-size", k, "--archive", archive)
    score, shown = _peer_row(html)
    assert shown == rank and note in html
    # The input's answers win: org is ranked on its own three R0 answers, not the archived R1,
    # as it is when p1's answers are given as input.
    both = _write_answers(tmp_path / "both", [("org", None, R0)] * 3 + [("p1", None, R1)] * 3)
    run = cli("report", both, "-q", DATA / "roadmap_moves.yaml", "--format", "html",
              "--lang", "en", "-o", tmp_path / "both-out")  # fmt: skip
    assert run.exit_code == 0, run.output
    given = (tmp_path / "both-out" / "org-2026-en.html").read_text("utf-8")
    assert score == _peer_row(given)[0]


def test_archive_peers_note_in_chinese(tmp_path):
    archive = _archived(tmp_path, ARCHIVED)
    html = _html(tmp_path, "zh", "--min-group-size", "3", "--archive", archive, lang="zh")
    assert "与同期其他机构比较" in html
    assert "2 个机构：1 个来自输入，1 个来自归档。" in html


@pytest.mark.parametrize(
    ("people", "period"),
    [
        ([("org", None, R1)] * 3, "2026"),  # only org itself: the input's answers win
        ([("p1", None, R1)] * 3, "2025"),  # another period: no peer of 2026
        ([("p1", None, R1)] * 2, "2026"),  # a peer too small to rank
    ],
)
def test_archive_without_peers_changes_nothing(tmp_path, people, period):
    archive = _archived(tmp_path, people, period)
    alone = _html(tmp_path, "alone")
    assert _html(tmp_path, "with", "--archive", archive) == alone


def test_an_archive_without_the_inputs_period_says_so(tmp_path):
    archive = _archived(tmp_path, [("p1", None, R1)] * 3, "2025")
    folder = _write_answers(tmp_path / "input", [("org", None, R0)] * 3)
    run = cli("report", folder, "-q", DATA / "roadmap_moves.yaml", "--format", "html",
              "-o", tmp_path / "out.html", "--archive", archive)  # fmt: skip
    assert run.exit_code == 0, run.output
    assert f"{archive}: warning: the archive holds none of the responses' periods (2026; it " \
           "holds: 2025), so it adds no peers" in " ".join(run.output.split())  # fmt: skip


def test_an_archive_of_another_questionnaire_version_ranks_no_peers(tmp_path):
    # The archive's 2026 was scored with an edited copy of the questionnaire: its scores are not
    # comparable, so its organisations are left out of the ranking, with a warning.
    edited = tmp_path / "edited.yaml"
    text = (DATA / "roadmap_moves.yaml").read_text("utf-8")
    edited.write_text(text.replace('version: "1"', 'version: "2"', 1), "utf-8")
    folder = _write_answers(tmp_path / "archived", [("p1", None, R1)] * 3)
    archive = tmp_path / "archive"
    added = cli("archive", "add", folder, "--to", archive, "-q", edited)
    assert added.exit_code == 0, added.output
    alone = _html(tmp_path, "alone")
    input_folder = tmp_path / "input"
    out = tmp_path / "with.html"
    run = cli("report", input_folder, "-q", DATA / "roadmap_moves.yaml", "--format", "html",
              "--lang", "en", "--date", "2026-01-01", "-o", out, "--archive", archive)  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "scored with another version of the questionnaire than the responses" in run.output
    assert out.read_text("utf-8") == alone
