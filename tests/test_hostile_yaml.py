"""Hostile YAML and JSON: every file dtassess reads as YAML is bounded (docs/errors.md, "Limits of
YAML and JSON files"). Each hostile file, generated here, gets its format's own code at its place
and exit 1 or 2 - never a traceback, never exit 3, never minutes of work."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import yaml
from conftest import MINI, cli, dedent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dtassess.errors import DtassessError
from dtassess.inputs.mapping import load_mapping
from dtassess.inputs.questionnaire import check_questionnaire, load_questionnaire
from dtassess.inputs.responses import check_response_file
from dtassess.inputs.versions import load_version_map
from dtassess.inputs.yamlsource import MAX_VALUES
from dtassess.reporting.templating import load_brand
from dtassess.roadmap import load_targets
from dtassess.survey import load_survey

GOOD = dedent(
    """
    questionnaire: mini@1.0
    organization: {id: qingshan}
    period: "2026"
    answers:
      strategy.plan.exists: yes
      strategy.plan.quality: 3
      security.budget: 12
    """
)


def billion_laughs() -> str:
    """Ten lines, 377 bytes; expanded, a billion values."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# name -> (text, line, column, words of the message). The places are where the limit is broken:
# the billion laughs at line 6, whose aliases push the expansion past 100,000 values (a to e
# stay below); nesting at the 100th opening bracket.
YAML_PAYLOADS = {
    "alias bomb": (billion_laughs(), 6, 4, "aliases (*name) here would repeat"),
    "alias inside itself": ("a: &a [1, *a]\n", 1, 4, "which would never end"),
    "deep flow nesting": ("x: " + "[" * 150 + "]" * 150 + "\n", 1, 103, "nested more than 100"),
    # libyaml scans a flow collection ahead of its events and stops at 1,000 levels itself.
    "1 MB of brackets": ("x: " + "[" * 499_998 + "]" * 499_998 + "\n", 1, 1003, "nested more than"),
    "deep block nesting": ("x:\n" + "- " * 150 + "1\n", 2, 199, "nested more than 100"),
    "huge whole number": ("x: " + "9" * 5000 + "\n", 1, 4, "more than 300 digits"),
    "huge hex number": ("x: 0x" + "f" * 300 + "\n", 1, 4, "more than 300 digits"),
    "explicit tag without a value": ("x: !!int\n", 1, 4, "cannot be read as a whole number"),
    "NUL character": ('x: "a\0b"\n', 1, 6, "a NUL character"),
    "control character": ('x: "a\x07b"\n', 1, 6, "control character U+0007"),
    "too many values": ("x: [" + "0," * 60_000 + "0]\n", 1, 5 + 2 * (MAX_VALUES - 3), "values"),
    # 1 MB of one key given again and again: refused at the 50,001st value, in a blink.
    "1 MB of duplicate keys": ("a: 1\n" * 200_000, MAX_VALUES // 2, 4, "values"),
}

JSON_PAYLOADS = {
    "deep JSON": ('{"a": ' + "[" * 150 + "]" * 150 + "}", 1, 106, "nested more than 100"),
    "huge JSON number": ('{"a": ' + "9" * 5000 + "}", 1, 7, "more than 300 digits"),
    "NUL in JSON": ('{"a": "x\0"}', 1, 9, "a NUL character"),
    "too many JSON values": (
        '{"a": [' + "0," * 60_000 + "0]}",
        1,
        8 + 2 * (MAX_VALUES - 3),
        "values",
    ),
}


def command(kind: str, path: Path, tmp: Path) -> tuple[list, int]:
    """The command that reads a file of `kind`, and the exit status a bad one gets."""
    good = tmp / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    export = tmp / "export.csv"
    export.write_text("org,security.budget\nqingshan,3\n", encoding="utf-8")
    return {
        "questionnaire": (["validate", path, "--format", "json"], 1),
        "responses": (["validate", "--responses", path, "-q", MINI, "--format", "json"], 1),
        "score": (["score", path, "-q", MINI], 2),
        "mapping": (["import", export, "-q", MINI, "--mapping", path, "-o", tmp / "out"], 2),
        "version map": (["score", good, "-q", MINI, "--version-map", path], 2),
        "targets": (["roadmap", good, "-q", MINI, "--targets", path], 2),
    }[kind]


def api_code(kind: str, path: Path) -> str:
    """The first problem's code, through the Python API."""
    q = load_questionnaire(MINI)
    try:
        if kind == "questionnaire":
            return check_questionnaire(path)[1][0].code
        if kind in ("responses", "score"):
            return check_response_file(path, q)[1][0].code
        {"mapping": lambda: load_mapping(path, q), "version map": lambda: load_version_map(path),
         "targets": lambda: load_targets(path, q)}[kind]()  # fmt: skip
    except DtassessError as exc:
        return exc.problems[0].code
    raise AssertionError("no problem")


CODES = {
    "questionnaire": "Q001",
    "responses": "R001",
    "score": "R001",
    "mapping": "I011",
    "version map": "V001",
    "targets": "T001",
}

CASES = [
    pytest.param(kind, name, suffix, *payload, id=f"{kind}: {name}")
    for kind in CODES
    for suffix, table in ((".yaml", YAML_PAYLOADS), (".json", JSON_PAYLOADS))
    for name, payload in table.items()
    if suffix == ".yaml" or kind in ("questionnaire", "responses", "score")
]


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "name", "suffix", "text", "line", "col", "words"), CASES)
def test_a_hostile_file_gets_its_code_at_its_place(
    tmp_path, kind, name, suffix, text, line, col, words
):
    path = tmp_path / f"hostile{suffix}"
    path.write_text(text, encoding="utf-8")
    args, status = command(kind, path, tmp_path)
    result = cli(*args)
    out = result.stdout + result.stderr
    assert result.exit_code == status, out[-2000:]
    assert "Traceback" not in out and "internal error" not in out
    if "--format" in args:
        [problem] = json.loads(result.stdout)
        assert (problem["code"], problem["line"], problem["column"]) == (CODES[kind], line, col)
        assert words in problem["message"]
    else:
        assert f"{path}:{line}:{col}: " in out, out[-2000:]
        assert words in out
    assert api_code(kind, path) == CODES[kind]


# ---------------------------------------------------------------- keys given twice, sizes


@pytest.mark.parametrize(
    ("name", "text", "line", "col"),
    [
        ("a.yaml", GOOD + "  security.budget: 15\n", 8, 3),
        ("b.yaml", GOOD.replace("period:", "unit: a\nunit: b\nperiod:"), 4, 1),
        (
            "c.json",
            '{"questionnaire": "mini@1.0", "organization": {"id": "o"},\n'
            ' "answers": {"security.budget": 1,\n  "security.budget": 2}}',
            3,
            3,
        ),
    ],
)
def test_a_key_given_twice_in_a_response_is_an_error(tmp_path, name, text, line, col):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = cli("validate", "--responses", path, "-q", MINI, "--format", "json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)
    assert (problem["code"], problem["line"], problem["column"]) == ("R017", line, col)
    assert "given twice" in problem["message"]
    result = cli("score", path, "-q", MINI)
    assert result.exit_code == 2 and f"{path}:{line}:{col}: " in result.stderr


@pytest.mark.parametrize("value", [".inf", "-.inf", "1e999", "'inf'"])
def test_a_number_answer_is_finite(tmp_path, value):
    """Without a max, .inf reached the scores as the top band."""
    q = tmp_path / "q.yaml"
    q.write_text(MINI.read_text("utf-8").replace("        max: 100\n", ""), encoding="utf-8")
    path = tmp_path / "a.yaml"
    path.write_text(GOOD.replace("security.budget: 12", f"security.budget: {value}"), "utf-8")
    result = cli("validate", "--responses", path, "-q", q, "--format", "json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)
    assert (problem["code"], problem["line"], problem["column"]) == ("R006", 7, 20)


def test_a_key_given_twice_in_a_version_map_is_an_error(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("from: mini@1.0\nfrom: mini@2.0\n", encoding="utf-8")
    with pytest.raises(DtassessError) as caught:
        load_version_map(path)
    assert [(p.code, p.line, p.column) for p in caught.value.problems] == [("V001", 2, 1)]


@pytest.mark.parametrize(
    ("args", "size", "status"),
    [
        (("validate", "{path}"), 2 * 1024 * 1024 + 1, 2),
        (("validate", "--responses", "{path}", "-q", str(MINI)), 1024 * 1024 + 1, 1),
        (("score", "{path}", "-q", str(MINI)), 1024 * 1024 + 1, 2),
    ],
)
def test_a_file_past_its_size_limit_is_refused_unread(tmp_path, args, size, status):
    path = tmp_path / "big.yaml"
    path.write_text("#" * (size - 1) + "\n", encoding="utf-8")
    result = cli(*(a.format(path=path) for a in args))
    out = result.stdout + result.stderr
    assert result.exit_code == status, out
    assert f"{path}: the file is {size:,} bytes" in out


def test_brand_yaml_is_bounded(tmp_path):
    (tmp_path / "brand.yaml").write_text(billion_laughs(), encoding="utf-8")
    with pytest.raises(DtassessError) as caught:
        load_brand(tmp_path)
    assert [(p.code, p.line, p.column) for p in caught.value.problems] == [("F005", 6, 4)]


def test_a_resumed_survey_file_is_bounded(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text(GOOD + billion_laughs().replace("a: &a", "x: &a", 1), encoding="utf-8")
    with pytest.raises(DtassessError) as caught:
        load_survey(load_questionnaire(MINI), path)
    assert [(p.code, p.line) for p in caught.value.problems] == [("R001", 13)]


def test_aliases_within_the_limit_still_work(tmp_path):
    """A questionnaire may name an option list once and repeat it."""
    text = MINI.read_text("utf-8")
    text = text.replace(
        "        options:\n          - {value: mfa",
        "        options: &measures\n          - {value: mfa",
    )
    text += (
        "      - {id: security.more, type: multi, text: {zh: 另, en: More}, options: *measures}\n"
    )
    assert "*measures" in text and "&measures" in text
    path = tmp_path / "aliases.yaml"
    path.write_text(text, encoding="utf-8")
    model, problems = check_questionnaire(path)
    assert model is not None, problems
    assert model.question("security.more").options == model.question("security.tools").options


# ---------------------------------------------------------------- questionnaire rules


def mini_with(old: str, new: str) -> tuple[str, int]:
    """mini.yaml with one change, and the line of the change."""
    text = MINI.read_text("utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new), text[: text.index(old)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "code", "words"),
    [
        ("  - id: security\n", "  - id: overall\n", "Q021", "reserved"),
        ("      - id: security.budget\n", "      - id: overall\n", "Q021", "reserved"),
        ("    weight: 1\n", "    weight: .inf\n", "Q006", "finite"),
        ("            weight: 2\n", "            weight: .nan\n", "Q006", "finite"),
        ("score_range: [0, 100] ", "score_range: [-.inf, .inf] ", "Q002", "finite"),
        ("Managed}, min: 20}", "Managed}, min: .nan}", "Q002", "finite"),
        ("        max: 100\n", "        max: .inf\n", "Q002", "finite"),
        ("{min: 5, score: 0.5}", "{min: .inf, score: 0.5}", "Q002", "finite"),
        ("{value: backup,", "{value: .nan,", "Q002", "finite"),
    ],
)
def test_questionnaire_numbers_are_finite_and_overall_is_reserved(tmp_path, old, new, code, words):
    text, line = mini_with(old, new)
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("validate", path, "--format", "json")
    assert result.exit_code == 1, result.stdout
    found = [(p["code"], p["line"]) for p in json.loads(result.stdout)]
    # A broken scale also breaks the level questions that follow it; the first problem is the cause.
    assert found[0] == (code, line) and all(c in (code, "Q016") for c, _ in found)
    assert words in json.loads(result.stdout)[0]["message"]


# ---------------------------------------------------------------- property tests

# Pieces that make YAML and JSON interesting, and a few that are not.
TOKENS = [
    *"&*[]{}:,-?!|>'\"#%@`\\ \n\t0129.eEx_+ab\x00\x07é中",
    "<<",
    ": ",
    "- ",
    "&a ",
    "*a",
    *("!!int ", "!!float ", "!!bool ", "!!binary ", "!!timestamp ", "!!set ", "!!omap "),
]
YAML_TEXT = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**320), max_value=10**320)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["na", "yes", "no", "mfa", "none", "mini@1.0", "overall"])
)
STRUCTURES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["value", "note"]), children, max_size=4
        )
    ),
    max_leaves=12,
)
QUESTION_IDS = st.sampled_from(
    ["strategy.plan.exists", "strategy.plan.quality", "security.budget", "security.tools", "x"]
)
RESPONSES = st.fixed_dictionaries(
    {
        "questionnaire": st.just("mini@1.0") | SCALARS,
        "organization": st.just({"id": "o"}) | STRUCTURES,
        "answers": st.dictionaries(QUESTION_IDS, STRUCTURES, max_size=5) | STRUCTURES,
    },
    optional={"period": STRUCTURES, "unit": STRUCTURES, "respondent": STRUCTURES},
)
HYPOTHESIS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def never_a_bug(*args) -> int:
    """The command answers with 0, 1 or 2, and never with a traceback."""
    result = cli(*args)
    out = result.stdout + result.stderr
    assert result.exit_code in (0, 1, 2), (args, out)
    assert "Traceback" not in out and "internal error" not in out, (args, out)
    return result.exit_code


def read_everywhere(text: str, suffix: str = ".yaml") -> None:
    """validate (as a questionnaire and as responses) and score."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_text(text, encoding="utf-8")
        never_a_bug("validate", path)
        if never_a_bug("validate", "--responses", path, "-q", MINI) == 0:
            never_a_bug("score", path, "-q", MINI, "--min-group-size", "1")


@pytest.mark.slow
@HYPOTHESIS
@given(YAML_TEXT)
def test_random_yaml_text_is_never_a_bug(text):
    read_everywhere(text)


@pytest.mark.slow
@HYPOTHESIS
@given(YAML_TEXT)
def test_random_json_text_is_never_a_bug(text):
    read_everywhere(text, ".json")


@pytest.mark.slow
@settings(HYPOTHESIS, max_examples=15)
@given(RESPONSES)
def test_random_response_structures_are_never_a_bug(data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        never_a_bug("validate", "--responses", path, "-q", MINI)
        never_a_bug("score", path, "-q", MINI, "--min-group-size", "1")


@pytest.mark.slow
@HYPOTHESIS
@given(st.data())
def test_random_changes_to_a_questionnaire_are_never_a_bug(data):
    """mini.yaml with one value anywhere in it replaced by a random structure."""
    doc = yaml.safe_load(MINI.read_text("utf-8"))
    places = []

    def walk(node, path):
        places.append(path)
        children = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, child in children:
            walk(child, (*path, key))

    walk(doc, ())
    path = data.draw(st.sampled_from(places[1:]))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = data.draw(STRUCTURES)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "q.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        if never_a_bug("validate", path) == 0:
            answers = Path(folder) / "answers.yaml"
            answers.write_text(GOOD.replace("mini@1.0", f"{doc['id']}@{doc['version']}"), "utf-8")
            never_a_bug("score", answers, "-q", path, "--min-group-size", "1")


@pytest.mark.slow
def test_a_file_of_thousands_of_wrong_keys_lists_200_and_counts_the_rest(tmp_path):
    lines = ["questionnaire: mini@1.0", "organization: {id: o}", "answers:"]
    lines += [f"  strategy.plan.exist{i}: 1" for i in range(5000)]
    path = tmp_path / "r.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    q = load_questionnaire(MINI)
    _, problems = check_response_file(path, q)
    assert [p.code for p in problems] == ["R004"] * 200 + ["R018"]
    assert (problems[0].line, problems[0].column) == (4, 3)
    assert "did you mean 'strategy.plan.exists'" in problems[0].message
    assert problems[-1].severity == "error"
    assert problems[-1].message.startswith("4800 more problem(s) in this file are not listed")


def test_a_key_given_twice_in_brand_yaml_is_an_error(tmp_path):
    assert cli("template", "init", tmp_path / "t").exit_code == 0
    brand = tmp_path / "t" / "brand.yaml"
    brand.write_text('primary: "#123456"\nprimary: "#654321"\n', encoding="utf-8")
    with pytest.raises(DtassessError) as caught:
        load_brand(tmp_path / "t")
    (problem,) = caught.value.problems
    assert (problem.code, problem.line, problem.column) == ("F005", 2, 1)
    assert "'primary' is given twice" in problem.message


@pytest.mark.parametrize(
    "number",
    ["9" * 301, "-" + "9" * 301, "0x" + "f" * 260, "1" + ":59" * 200, "!!int " + "9" * 400],
    ids=["decimal", "negative", "hex", "base-60", "explicit-tag"],
)
def test_every_way_of_writing_a_huge_whole_number_is_refused(tmp_path, number):
    path = tmp_path / "r.yaml"
    path.write_text(
        f"questionnaire: mini@1.0\norganization: {{id: o}}\nanswers:\n  x: {number}\n",
        encoding="utf-8",
    )
    _, problems = check_response_file(path, load_questionnaire(MINI))
    assert [(p.code, p.line, p.column) for p in problems] == [("R001", 4, 6)]
    assert "more than 300 digits" in problems[0].message
