"""Write the three-year sample of the fictional 青山县 (questionnaires/samples-annual/).

Five units answer gov-dt in 2024, 2025 and 2026. The story, which the annual report should let a
reader see: the health bureau (县卫生健康局) climbs after appointing a chief data officer and
joining the county data-sharing platform in 2025; the finance bureau (县财政局) slips after its
IT budget was cut and its security lead left; the data bureau stays ahead; education stays
flat; market regulation has only two respondents in 2026, too few to be shown on its own.

The answers are drawn from each unit's maturity per area with a fixed seed, so running this
script again writes the same files:

    .venv/bin/python scripts/annual_sample.py
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dtassess.inputs.questionnaire import Question, load_questionnaire  # noqa: E402

OUT = ROOT / "questionnaires" / "samples-annual"
YEARS = ("2024", "2025", "2026")
AREAS = ("strategy", "culture", "investment", "security")

# unit id -> (name, slug, respondents per year, maturity level 1-5 per year and area)
UNITS = {
    "shuju": ("县政务服务和数据管理局", (4, 4, 4), {
        "2024": (3.0, 2.8, 3.0, 2.9), "2025": (3.3, 3.1, 3.3, 3.2), "2026": (3.8, 3.5, 3.7, 3.7)}),
    "weijian": ("县卫生健康局", (3, 4, 4), {
        "2024": (1.7, 1.6, 1.9, 1.8), "2025": (2.6, 2.4, 2.3, 2.3), "2026": (3.4, 3.1, 2.8, 3.0)}),
    "caizheng": ("县财政局", (3, 3, 3), {
        "2024": (3.0, 2.7, 3.2, 3.1), "2025": (2.8, 2.6, 2.6, 2.6), "2026": (2.6, 2.4, 2.0, 2.0)}),
    "jiaoyu": ("县教育局", (3, 3, 4), {
        "2024": (2.1, 2.0, 2.2, 2.0), "2025": (2.2, 2.1, 2.3, 2.1), "2026": (2.3, 2.1, 2.4, 2.2)}),
    "shijian": ("县市场监督管理局", (3, 3, 2), {
        "2024": (2.4, 2.2, 2.5, 2.6), "2025": (2.5, 2.3, 2.6, 2.7), "2026": (2.6, 2.4, 2.7, 2.8)}),
}  # fmt: skip
ROLES = ("分管副局长", "信息化负责人", "办公室主任", "业务科科长", "科员")

# Facts of a unit in a year (the same for all its respondents).
FACTS = {
    "strategy.vision.has_plan": lambda unit, year, level: "yes" if level[0] >= 2.2 else "no",
    "strategy.leadership.cdo": lambda unit, year, level: (
        "cdo" if level[0] >= 3.2 else "office" if level[0] >= 2.5 else
        "parttime" if level[0] >= 2.0 else "none"
    ),
    "culture.collaboration.has_services": lambda unit, year, level: "yes",
    "investment.partnership.uses_vendors": lambda unit, year, level: "yes",
    "security.compliance.highest_grade": lambda unit, year, level: (
        "level3" if unit in ("shuju", "weijian", "caizheng") else "level2"
    ),
    "security.privacy.handles_personal_data": lambda unit, year, level: "yes",
}  # fmt: skip

NOTES = {
    ("weijian", "2025", "strategy.leadership.cdo"): (
        "2025年3月局党组会议决定设立首席数据官，由分管副局长兼任，牵头全民健康信息平台建设",
        ["县卫健局党组会议纪要（2025年第6次）.pdf"],
    ),
    ("weijian", "2026", "culture.collaboration.sharing"): (
        "全民健康信息平台已接入县人民医院、县中医院和12个乡镇卫生院，检查检验结果互认",
        ["县全民健康信息平台接入清单.xlsx"],
    ),
    ("caizheng", "2025", "investment.funding.budget_share"): (
        "2025年起信息化运维经费压减约30%，新建项目全部暂缓",
        ["青山县2025年部门预算批复（县财政局）.pdf"],
    ),
    ("caizheng", "2026", "security.incident.plan_drill"): (
        "原网络安全负责人2025年调离，2025年度应急演练未开展，应急预案仍为2022年版本",
        [],
    ),
    ("shuju", "2026", "strategy.monitoring.targets"): (
        "三年行动方案的量化指标每季度通报，2026年一季度通报已印发",
        ["2026年一季度数字政府建设指标通报.pdf"],
    ),
}


def level_index(question: Question, target: float) -> int:
    """The option nearest a 0-1 target by score."""
    scores = np.array([o.score for o in question.options])
    return int(np.argmin(np.abs(scores - target)))


def answer(question: Question, target: float, rng: np.random.Generator):
    """One answer for a 0-1 target."""
    if question.type == "level":
        return question.options[level_index(question, target)].value
    if question.type in ("single", "likert"):
        return question.options[level_index(question, target)].value
    if question.type == "multi":
        chosen = [o.value for o in question.options if not o.exclusive and rng.random() < target]
        return (
            chosen
            or [o.value for o in question.options if o.exclusive][:1]
            or [question.options[0].value]
        )
    if question.type == "number":
        bands = question.bands
        k = int(np.argmin(np.abs(np.array([b.score for b in bands]) - target)))
        low = bands[k].min
        high = bands[k + 1].min if k + 1 < len(bands) else low * 1.5 + 1
        value = round(float(rng.uniform(low, high)), 1)
        if question.max is not None:
            value = min(value, question.max)
        return int(value) if value.is_integer() else value
    if question.type == "boolean":
        return "yes" if target >= 0.4 else "no"
    return None


def main() -> int:
    q = load_questionnaire("gov-dt")
    area_of = {x.id: AREAS.index(x.id.split(".")[0]) for x in q.questions}
    for year in YEARS:  # the year folders only: the README beside them stays
        if (OUT / year).exists():
            shutil.rmtree(OUT / year)
    rng = np.random.default_rng(2026)
    written = 0
    for year_index, year in enumerate(YEARS):
        folder = OUT / year
        folder.mkdir(parents=True, exist_ok=True)
        for unit, (name, sizes, levels) in UNITS.items():
            level = levels[year]
            for k in range(sizes[year_index]):
                lean = rng.normal(0, 0.25)  # a respondent's own optimism
                answers: dict[str, object] = {}
                plain: dict[str, object] = {}  # the values alone, for skip logic
                for question in q.questions:
                    if question.when is not None and not question.when.evaluate_one(plain):
                        continue
                    if question.type == "text":
                        continue
                    if question.id in FACTS:
                        value = FACTS[question.id](unit, year, level)
                    else:
                        mean = level[area_of[question.id]] + lean + rng.normal(0, 0.45)
                        value = answer(question, float(np.clip((mean - 1) / 4, 0, 1)), rng)
                    plain[question.id] = value
                    note = NOTES.get((unit, year, question.id)) if k == 0 else None
                    if note:
                        text, evidence = note
                        value = {"value": value, "note": text}
                        if evidence:
                            value["evidence"] = evidence
                    answers[question.id] = value
                assert all(
                    x.when is None or x.when.evaluate_one(plain)
                    for x in q.questions
                    if x.id in plain
                )
                document = {
                    "questionnaire": q.ref,
                    "questionnaire_hash": q.hash,
                    "organization": {"id": "qingshan", "name": "青山县人民政府"},
                    "unit": name,
                    "period": year,
                    "respondent": {"id": f"{unit}-{year}-{k + 1}", "role": ROLES[k % len(ROLES)]},
                    "answers": answers,
                }
                header = "# 示例数据：虚构的青山县，由 scripts/annual_sample.py 生成\n"
                text = header + yaml.safe_dump(
                    document, allow_unicode=True, sort_keys=False, width=100
                )
                (folder / f"{unit}-{k + 1}.yaml").write_text(text, encoding="utf-8")
                written += 1
    print(f"wrote {written} response files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
