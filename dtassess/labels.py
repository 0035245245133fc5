"""Every label dtassess prints or lays out, one catalogue per language.

`ZH` and `EN` hold the same keys, grouped by where they appear (tests/test_labels.py checks
both, and that every key the code asks for is here). A language without a catalogue gets
English, as every report and table did before the catalogues were gathered here. Plain Python
dicts, not a data file: nothing to parse at start-up (each is built once, when the module is
first imported), and nothing for the wheel to leave behind.

The areas: `report` (an organisation's report; its templates read them as `report.labels`),
`formulas` (the report's method section, a list of paragraphs), `annual` (the annual report),
`tables` and `roadmap` (`dtassess score` and `dtassess roadmap` in the terminal), `survey`
(`dtassess survey`), `questionnaire` (texts a questionnaire does not write itself: the overall
node, the options of a yes/no question), `cli` (what the command says besides problems: files
written, summaries, notices of withheld groups, hints; English today, see docs/cli.md). Problem
messages stay in English beside their codes (dtassess/errors.py, docs/errors.md). The
templates' own `_words.j2` keeps its few column headers, since agency templates copy it
(docs/report.md, Labels).
"""

from __future__ import annotations

from typing import Any

ZH: dict[str, Any] = {
    # the organisation's report (reporting/report.py; templates read it as report.labels)
    "report": {
        "report": "数字化转型成熟度评估报告",
        "contents": "目录",
        "summary": "执行摘要",
        "overall": "总体",
        "score": "得分",
        "level": "成熟度等级",
        "target": "目标等级",
        "coverage": "覆盖率",
        "respondents": "受访者",
        "strengths": "主要优势",
        "gaps": "主要差距",
        "first_phase": "第一阶段行动",
        "radar": "各维度得分与目标",
        "current": "现状",
        "dimension": "维度",
        "subdimension": "子维度",
        "question": "题目",
        "answer": "典型回答",
        "spread": "分歧",
        "notes": "备注与佐证",
        "evidence": "佐证材料",
        "roadmap": "改进路线图",
        "phase": "阶段",
        "months": "个月",
        "action": "行动",
        "effort": "投入",
        "impact": "成效",
        "lifts": "提升",
        "to_level": "达到",
        "projection": "阶段完成后预计达到",
        "timeline": "路线图时间轴",
        "methodology": "评估方法",
        "scale": "成熟度等级划分",
        "weights": "维度权重",
        "formulas": "计算方法",
        "by_unit": "按单位统计的受访者",
        "by_role": "按岗位统计的受访者",
        "small_units": "{count} 个单位受访者少于 {k} 人，不单独列出。",
        "small_roles": "{count} 个岗位受访者少于 {k} 人，不单独列出。",
        "unit": "单位",
        "role": "岗位",
        "provenance": "数据来源",
        "file": "文件",
        "files_unnamed": (
            "文件名可能指明填写人的单位或岗位，故只列出其 SHA-256 摘要；原文件可按摘要核对。"
        ),
        "tool": "工具版本",
        "questionnaire": "问卷",
        "date": "报告日期",
        "period": "评估期间",
        "weakest": "最薄弱的高权重题目",
        "chosen": "受访者选择",
        "next_level": "上一等级的要求",
        "disagreements": "受访者意见分歧较大的题目",
        "none": "无",
        "low": "低",
        "medium": "中",
        "high": "高",
        "page": "第 {} 页，共 {} 页",
        "answers_note": (
            "典型回答：受访者回答的中位数（人数为偶数时取较低的一个），多选题列出各选项的人数。"
            "分歧：受访者在该题得分的最低值–最高值，各人得分相同时只列一个数。"
        ),
        "hash_prefix": "SHA-256 前 16 位",
        "no_actions": "各维度均已达到目标等级，本期无需新增行动。",
        "min_note": "该维度取各子项的最低分（短板原则）。",
        "weight_share": "占总体权重",
        "sd": "标准差",
        "phase_1": "近期（0–6个月）",
        "phase_2": "中期（6–18个月）",
        "phase_3": "远期（18–36个月）",
        # key messages, initiatives, outcomes, heat map, peers (reporting/summary.py)
        "key_messages": "关键结论",
        "list_sep": "、",
        "km_weakest": "最薄弱的领域是{area}，得分 {score}（{level}）",
        "km_weakest_why": "，主要因为：{questions}。",
        "km_disagreement": "受访者分歧最大的是“{question}”，标准差 {sd}",
        "km_disagreement_range": "，回答从“{lowest}”到“{highest}”。",
        "km_quick_win": "最快见效的是“{action}”（{dimension}），第 {month} 个月即可启动。",
        "km_risk_low": "风险最大的是{node}，得分仅 {score}（{level}）。",
        "km_plan": (
            "第 {number} 阶段完成后（第 {month} 个月），总体得分由 {before}（{before_level}）升至 "
            "{after}（{after_level}）。"
        ),
        "km_plan_flat": (
            "第 {number} 阶段完成后（第 {month} 个月），总体得分仍为 {before}（{before_level}）。"
        ),
        "outcomes": "目标能否达成",
        "outcome_reached": "{node}在第 {number} 阶段（第 {month} 个月前）达到{target}。",
        "outcome_missed": "{node}在 36 个月内达不到{target}（止于{final}）：{why}。",
        "reason_no_actions": "行动库中没有这一等级的行动",
        "reason_capacity": "所需行动超出每阶段的投入能力，留待以后",
        "reason_no_moves": "计划中的行动未说明会改变哪些回答，无法测算",
        "reason_not_far_enough": "计划中的行动提升幅度不够",
        "not_projected": "行动库未说明各行动会改变哪些回答，各阶段得分无法重新测算，保持现状。",
        "later": "留待以后（36 个月内投入能力不足）",
        "quick_win": "速赢",
        "initiatives": "重点任务",
        "owner": "牵头",
        "kpi": "考核指标",
        "kpi_reaches": "{node}达到{target}",
        "kpi_sep": "；",
        "quoted": "“{}”",
        "milestones": "里程碑",
        "starts": "第 {month} 个月启动",
        "dependencies": "依赖",
        "person_months": "投入",
        "pm_unit": "人月",
        "effort_pm": "投入（人月）",
        "over_months": "历时 {n} 个月",
        "typical": "典型回答",
        "initiative_evidence": "依据",
        "evidence_more_notes": "该题另有 {n} 条备注，见维度章节。",
        "evidence_more_questions": "另有 {n} 道题的依据见各维度章节。",
        "initiative_actions": "行动明细",
        "heatmap": "各单位分领域得分",
        "heatmap_hidden": "{count} 个单位受访者少于 {k} 人，不单独列出（保护填写人）。",
        "peers": "与同期其他机构比较",
        "peer_rank": "排名",
        "percentile": "百分位",
        "peers_note": (
            "共 {count} 个机构（每个不少于 {k} 名受访者）；"
            "排名 1 为最高；百分位为得分低于本机构的机构所占比例。"
        ),
        "peers_sources": "{count} 个机构：{given} 个来自输入，{archived} 个来自归档。",
        "peers_interval_note": (
            "括号内为得分的 {level}% 区间和排名范围：对各机构的受访者分别有放回重抽样并浮动权重，"
            "重复 {resamples} 次（随机种子 {seed}），每次将所有机构一并重新排名；排名范围为这些"
            "排名的中间 {level}%（最好至最差）。范围跨越多个名次时，相邻名次之间的差别不宜解读。"
        ),
        # reliability beside the scores, gaps without a catalogue (reporting/reliability.py)
        "reliability": "得分与可靠性",
        "interval": "{level}% 区间",
        "answered": "作答人数",
        "caveats": "说明",
        "interval_note": (
            "区间：对受访者有放回重抽样并将各权重在 ±{spread}% 内随机浮动，重复 {resamples} 次"
            "（随机种子 {seed}）所得得分的中间 {level}%。受访者少于 10 人时区间偏窄，应视为不确"
            "定性的下限。"
        ),
        "thresholds": (
            "可靠性标记：作答人数少于受访者的 {answered:.0%}、覆盖率低于 {coverage:.0%}、"
            "受访者一致度 rWG 低于 {agreement:.2f}（意见分歧较大）或题目内部一致性 Cronbach's α "
            "低于 {consistency:.2f} 时，在得分旁加注标记并在表下说明。"
        ),
        "no_catalogue": (
            "本问卷未附行动目录，报告无法提出具体行动，也无法预测得分变化。"
            "下表列出各维度与目标等级的差距，最薄弱的题目列在其后。"
        ),
        "unprojected": "目录中的行动未说明会改变哪些回答，预计得分未计入这些行动。",
        "no_matching_actions": (
            "行动目录中没有能缩小这些差距的行动。下表列出各维度与目标等级的差距。"
        ),
        "gaps_to_target": "各维度与目标的差距",
        "points_to_target": "距目标（分）",
        "weakest_questions": "最薄弱的题目",
    },
    # the report's method section, one paragraph each
    "formulas": [
        (
            "每道题的回答换算为0–1的分值：等级题按所选等级 (等级−1)/(等级数−1)，选择题按选项分"
            "值，数值题按区间。"
        ),
        (
            "维度得分为其题目和子维度得分的加权平均（或按问卷规定取最低值、加权几何平均）；不"
            "适用和因跳题未显示的题目不计入分母，{unanswered}。"
        ),
        (
            "得分换算为 {low:g}–{high:g} 分，按成熟度等级的起始分确定等级；覆盖率为已作答题目占应"
            "答题目的加权比例。"
        ),
        "单位和机构的得分为其受访者得分的平均值，并给出人数和标准差。",
    ],
    # the annual report (reporting/annual.py; templates read it as report.labels)
    "annual": {
        "report": "数字化转型年度评估报告",
        "contents": "目录",
        "summary": "总体情况",
        "units": "各单位情况",
        "trend": "得分趋势",
        "movers": "进步与退步",
        "improvements": "进步最大",
        "declines": "退步最大",
        "review": "上期路线图目标对照",
        "unit_pages": "单位简况",
        "highlights": "要点",
        "hl_top": "得分最高",
        "hl_up": "进步最大",
        "hl_down": "退步最大",
        "hl_bottom": "得分最低",
        "methodology": "评估方法",
        "agency": "全机关",
        "unit": "单位",
        "units_count": "参评单位",
        "score": "得分",
        "level": "成熟度等级",
        "change": "较上期",
        "trend_per_period": "每期趋势",
        "respondents": "受访者",
        "rank": "排名",
        "rank_uncertain": "排名与相邻单位无显著差别",
        "interval_note": (
            "括号内为 {level}% 置信区间（受访者重抽样 {resamples} 次并扰动权重 ±{spread}%）。"
        ),
        "dimension": "维度",
        "question": "题目",
        "before": "上期",
        "now": "本期",
        "radar": "本期与上期各维度得分",
        "action": "行动",
        "reach": "目标等级",
        "level_then": "上期等级",
        "level_now": "本期等级",
        "status": "等级对照",
        "reached": "已达到目标等级",
        "progress": "等级提升，未达目标",
        "not_yet": "等级未提升",
        "held": "上期已在该等级",
        "score_now": "本期得分",
        "review_note": (
            "本表只对照各行动所属维度的等级和得分：问卷答案能说明目标等级是否达到、得分变化"
            "多少，不能说明行动是否已经实施。"
        ),
        "next_steps": "下一步工作建议",
        "next_steps_intro": (
            "等级下降或得分下降超过 {threshold:g} 分的单位，按其最弱的下滑维度列出单位路线图的"
            "前 {count} 项行动。"
        ),
        "next_steps_none": "没有单位等级下降或得分下降超过 {threshold:g} 分。",
        "next_steps_small": (
            "{count} 个单位受访者少于 {k} 人，不单独列示，也不提出单位层面的行动建议。"
        ),
        "next_steps_unit_small": "该单位受访者少于 {k} 人，不提出单位层面的行动建议。",
        "next_steps_no_actions": "单位路线图未对该维度提出行动。",
        "slipped": "下滑",
        "focus": "重点维度",
        "when": "阶段 {phase} · 第 {start}–{finish} 个月",
        "when_later": "36 个月内排不下",
        "quick_win": "速赢",
        "no_previous": "只有一期数据，暂无变化和趋势。",
        "no_roadmap": "没有上期数据，无法对照上期路线图。",
        "small_units": "{count} 个单位受访者少于 {k} 人，只计入全机关合计，不单独列示。",
        "small_periods": "全机关受访者少于 {k} 人的期间不列示：{periods}。",
        "periods": "评估期间",
        "left_out": "比较时未纳入的题目",
        "strongest": "最强子维度",
        "subdimensions": "各子维度得分",
        "history": "历年总体得分",
        "weakest": "最弱子维度",
        "notes": "受访者备注",
        "none": "无",
        "page": "第 {} 页，共 {} 页",
        "next_level": "下一等级",
        "hash_prefix": "SHA-256 前 16 位",
        "generated": "生成工具",
        "date": "报告日期",
        "all_respondents": "各期受访者合计",
        "method_text": (
            "每名受访者按问卷的计分规则得出各维度得分；单位得分为其受访者得分的平均值，全机关"
            "得分为全部受访者得分的平均值。较上期为本期得分减去该单位最近一个更早期间的得分；"
            "每期趋势为各期得分对期间序号的最小二乘斜率。"
        ),
    },
    # `dtassess score` tables in the terminal (reporting/output.py)
    "tables": {
        "node": "维度",
        "score": "得分",
        "level": "成熟度等级",
        "coverage": "覆盖率",
        "n": "人数",
        "sd": "标准差",
        "respondents": "名受访者",
        "respondent": "名受访者",
        "period": "期间",
        "change": "较上期",
        "flag": "! 受访者意见分歧（rWG < 0.70）或题目内部一致性低（α < 0.70）",
    },
    # `dtassess roadmap` tables in the terminal (reporting/output.py)
    "roadmap": {
        "phase": "阶段",
        "months": "个月",
        "action": "行动",
        "dimension": "维度",
        "reach": "达到等级",
        "effort": "投入",
        "impact": "成效",
        "after": "阶段完成后总体",
        "low": "低",
        "medium": "中",
        "high": "高",
        "none": "各维度均已达到目标，无需新增行动。",
        "unprojected": "行动目录未说明各行动改变哪些答案（moves），以下得分预测不计入这些行动。",
        "later": "按每阶段 {capacity:g} 人月的能力，36 个月内排不下的行动：{count} 项",
        "quick_win": "速赢",
        "no_catalogue": (
            "问卷未附行动目录，无法提出具体行动。各维度与目标的差距和最薄弱的题目如下："
        ),
        "no_actions": "行动目录中没有能缩小以下差距的行动：",
        "gaps": "与目标的差距",
        "score": "得分",
        "level": "等级",
        "target": "目标",
        "to_target": "距目标（分）",
        "weakest": "最薄弱的题目（得分，题目）",
    },
    # `dtassess survey` prompts and messages (survey.py)
    "survey": {
        "keys": (
            "按键：? 帮助  b 上一题  s 跳过  n 不适用（是非题上 n 为“否”，na 为不适用）  c 为上一"
            "个回答添加备注或佐证  q 保存并退出  回车 保留已有答案"
        ),
        "organization": "机构编号（如 qingshan）",
        "organization_name": "机构名称（可留空）",
        "unit": "单位（可留空）",
        "respondent": "受访者编号",
        "role": "岗位（可留空）",
        "period": "评估期间（如 2026）",
        "choose": "请输入编号",
        "choose_many": "请输入一个或多个编号，用逗号或空格分隔",
        "number": "请输入数字",
        "text": "请输入文字",
        "bad_choice": "没有这个选项：{}。",
        "bad_number": "“{}”不是可接受的数字。请输入数字",
        "exclusive": "“{}”只能单独选择。",
        "not_na": "这道题不能选“不适用”。",
        "saved": "已保存到 {}。",
        "resume": "{} 已存在（已答 {} 题）。继续上次的进度吗？[Y/n] ",
        "resume_how": "继续：dtassess survey -o {} --resume",
        "removed": "“{}”现已不适用，已删除其答案。",
        "removed_note": "“{}”现已不适用，已删除其答案及备注。",
        "unchanged": "没有需要保存的内容；{} 未改动。",
        "nothing_saved": "没有需要保存的内容。",
        "discard": ("重新开始将丢弃 {} 中的 {} 个回答（原文件另存为 {}）。确定吗？[y/N] "),
        "discard_unread": "重新开始将替换 {}（原文件另存为 {}）。确定吗？[y/N] ",
        "kept": "保留已有回答，继续上次的进度。",
        "backup": "重新开始；保存第一个回答前，原文件另存为 {}。",
        "review_keys": (
            "按键：输入题号 打开该题  b 打开最后一题  c 为上一个回答添加备注或佐证  q 保存并退"
            "出  回车 完成"
        ),
        "note": "备注（回车结束）",
        "evidence": "佐证材料，多个用分号分隔（可留空）",
        "no_last": "还没有可以添加备注的回答。",
        "first": "已经是第一题。",
        "review": "答案汇总",
        "change": "输入题号修改答案，直接回车完成",
        "done": "问卷已完成。",
        "next": "下一步：",
        "required": "这道题必须作答。",
        "required_mark": "*必答",
        "skipped": "（跳过）",
        "na": "不适用",
        "help": "说明",
        "question": "题目",
        "answer": "回答",
        "range": "范围",
    },
    # the full-screen survey (survey_app.py, survey_question.py, survey_screens.py)
    "survey_app": {
        "progress": "第 {} 题，共 {} 题",
        "answered_of": "已答 {}/{}",
        "area_progress": "本领域 {}/{}",
        "preview": "得分≈{} {}",
        "required_mark": "*必答",
        "na": "不适用",
        "na_typed": "输入 x 表示不适用",
        "type_number": "输入数字后回车（85% 或 ８５ 亦可）",
        "type_text": "输入文字后回车",
        "answer_label": "回答",
        "none": "（未作答）",
        "note_mark": "✎ 有备注",
        "evidence_mark": "佐证 {} 份",
        "flag_mark": "⚑ 已标记",
        "confirm_hide": (
            "这个回答会使 {} 道已作答的题目不再适用，它们的答案、备注和佐证将被删除：\n{}\n"
            "确定修改吗？（之后可按 u 撤销）"
        ),
        "removed": "已删除 {} 道不再适用题目的答案（按 u 撤销）。",
        "kept_old": "保留原来的回答。",
        "nothing_undo": "没有可以撤销的修改。",
        "undone": "已撤销上一次修改。",
        "all_answered": "所有题目都已作答。",
        "note_field": "备注",
        "evidence_field": "佐证材料（多个用 ; 或 ；分隔）",
        "notes_title": "访谈记录（与答案一同保存；Esc 保存并关闭）",
        "goto_prompt": "跳到第几题（1-{}）",
        "search_prompt": "搜索题目、说明和选项",
        "no_match": "没有匹配的题目。",
        "index_title": "目录：领域与子维度（已答/题数）",
        "summary": "访谈小结",
        "answered": "已作答",
        "skipped": "未作答（跳过）",
        "na_count": "不适用",
        "flagged": "已标记待核实",
        "required_open": "未作答的必答题",
        "elapsed": "各领域用时",
        "help_text": (
            "选择题：数字键 1-9 选择选项；是非题：y 是、n 否；x 不适用（仅限允许的题目）；"
            "s 跳过；回车 保留答案并进入下一题。\n"
            "多选题：数字键勾选或取消，回车保存。\n"
            "数字题和文字题：在输入框中编辑（←→ Home End 退格），回车保存；"
            "数字题输入 x 表示不适用；空白回车 保留答案或跳过。\n"
            "移动：→ 或 PgDn 下一题，← 或 PgUp 上一题，g/F4 按题号跳转，/ 或 F5 搜索，"
            "i/F2 目录，a 第一道未答题，l 最后一道未答题，↑↓ 滚动题目。\n"
            "r/F3 答案汇总（回车修改，Esc 保留，u 撤销），e/F6 备注与佐证，f/F7 标记待核实，"
            "m/F8 访谈记录，u 撤销上一次修改，?/F1 本帮助，q 或 Ctrl-C 保存并退出。\n"
            "输入框中请用 F 键。每个回答都会立即保存。"
        ),
        "yes": "是",
        "no": "否",
        "tick": "勾选",
        "save": "保存",
        "answer": "作答",
        "next": "下一题",
        "skip": "跳过",
        "move": "上/下一题",
        "index": "目录",
        "review": "汇总",
        "goto": "跳转",
        "search": "搜索",
        "note": "备注",
        "flag": "标记",
        "notes": "访谈记录",
        "keys": "帮助",
        "quit": "退出",
        "keep": "保留原答案",
        "field": "下一栏",
        "cancel": "取消",
        "open": "打开",
        "results": "结果",
        "close": "关闭",
        "first_unanswered": "第一道未答题",
        "last_unanswered": "最后一道未答题",
        "back": "返回",
        "edit": "修改",
        "undo": "撤销",
        "finish": "完成",
    },
    # words a questionnaire does not write itself: the overall node, a yes/no question's options
    "questionnaire": {"overall": "总体", "yes": "是", "no": "否"},
    # the forms `dtassess form` writes (dtassess/forms/): profile questions, skip logic in words
    "forms": {
        "profile": "基本信息",
        "organization": "所在单位名称",
        "unit": "所在部门（科室）",
        "role": "您的职务",
        "na": "不适用",
        "question": "第{n}题",
        "shown_when": "仅当{condition}时回答",
        "eq": "{q}为“{v}”",
        "ne": "{q}不为“{v}”",
        "lt": "{q}小于{v}",
        "le": "{q}不大于{v}",
        "gt": "{q}大于{v}",
        "ge": "{q}不小于{v}",
        "includes": "{q}包含“{v}”",
        "excludes": "{q}不包含“{v}”",
        "one_of": "{q}为{v}之一",
        "none_of": "{q}不为{v}中任何一项",
        "answered": "{q}已作答",
        "and": "且",
        "or": "或",
        "not": "并非（{x}）",
        "always": "总是",
        "never": "从不",
        "choose_many": "可多选",
        "number": "请填写数字",
        "range": "{min} 至 {max}",
        "at_least": "不小于 {min}",
        "at_most": "不大于 {max}",
        "notes": "备注与佐证",
        "respondent": "填写人",
        "date": "日期",
        "intro": "请在所选项前的方框内打“✓”；不适用的题目可选“不适用”。",
    },
    # a score's caveats in plain words (reporting/reliability.py); the policy of unanswered
    # questions as the method section states it
    "reliability": {
        "few_answers": "作答较少：{of} 名受访者中 {n} 人作答",
        "low_coverage": "覆盖率低：只回答了 {share:.0%} 的适用题目",
        "low_agreement": "受访者意见分歧较大（rWG {rwg:.2f}）",
        "low_consistency": "题目之间一致性低（α {alpha:.2f}）",
        "unanswered_exclude": "未作答的题目不计入分母",
        "unanswered_zero": "未作答的题目按 0 分计入",
    },
    # `dtassess` 在标准错误上的提示（问题信息除外）；命令行目前以英文输出（docs/cli.md）
    # the Word report's words that the PDF template keeps in _words.j2 (reporting/word.py)
    "document": {
        "findings": "主要发现",
        "answers": "各题回答情况",
        "action_count": "行动数",
        "input_files": "输入文件",
        "description": "说明",
        "weight": "权重",
        "aggregate": "汇总方式",
        "mean": "加权平均",
        "min": "取最低值",
        "geomean": "加权几何平均",
        "lowest": "最低回答",
        "highest": "最高回答",
        "version": "版本",
        "hash": "SHA-256",
        "toc_update": "目录在 Word 打开时生成；如未显示，请右键单击此处并选择“更新域”。",
    },
    "cli": {
        "wrote": "已写入 {path}",
        "wrote_unit": "已写入 {path}（{unit}）",
        "interrupted": "已中断",
        "internal": (
            "内部错误：{kind}：{error}\n这是 dtassess 的缺陷；请加 --debug 重新运行以查看回溯，"
            "并报告此问题。"
        ),
        "progress_reading": "读取中",
        "progress_dask": "在 Dask 上计分",
        "progress_rendering": "生成中",
        "checked": "已检查 {files} 个文件：{errors} 个错误，{warnings} 个警告",
        "below_bar": "低于门槛：{bar}",
        "nothing_checked": (
            "没有任何分组按门槛检查：全部 {count} 个分组的受访者少于 {k} 人"
            "（--min-group-size 1 可检查它们；--by organization 可合并更多受访者）"
        ),
        "bars_met": "全部 {count} 个门槛均已达到",
        "dropped": "降幅超限：{drop}",
        "removed_stale": "已删除 {path}：本次运行失败，不能让上次运行的结果冒充本次结果",
        "nothing_compared": (
            "--fail-on-drop 没有比较任何分组：没有分组在更早的时期有得分（给出上一时期的答卷，"
            "或确认分组的 organization 和 unit 在各时期一致）"
        ),
        "withheld": (
            "已隐去 {count} 个受访者少于 {k} 人的分组：其结果可能识别出个别受访者"
            "（--min-group-size 1 可显示）"
        ),
        "left_out": "变化与趋势未包含两个问卷版本问法不同的 {count} 道题：{listing}",
        "template_next": (
            "请编辑 {folder}/brand.yaml，然后运行：dtassess report ... --template {folder}"
        ),
        "survey_next": "dtassess report {output} -o report.pdf --lang {lang} --min-group-size 1",
        "imported": (
            "从 {exports} 个导出文件读取 {rows} 行，向 {output} 写入 {files} 个答卷文件，"
            "拒绝 {rejected} 个单元格，{unknown} 个未知列"
        ),
        "imported_headerless": "，{count} 个无表头的列未导入",
        "imported_skipped": "，{count} 行缺少机构而被跳过",
        "imported_personal": "，{count} 个含个人信息的列（IP、昵称等）未导入",
        "imported_renamed": "，{count} 个文件名加了批次标记，未覆盖已有答卷",
        "archived": "新增 {added} 份答卷，{already} 份已在归档中",
        "archived_replaced": "，替换 {count} 份",
        "archived_periods": "；期次：{periods}；归档 {archive}",
        "no_period_changed": "无变化",
        "archive_empty": "{archive} 尚无任何期次",
        "config_file": "设置文件：{file}",
        "config_no_file": "无（当前目录及其上级目录中没有 dtassess.toml）",
    },
}


EN: dict[str, Any] = {
    # the organisation's report (reporting/report.py; templates read it as report.labels)
    "report": {
        "report": "Digital Transformation Maturity Assessment",
        "contents": "Contents",
        "summary": "Executive summary",
        "overall": "Overall",
        "score": "Score",
        "level": "Maturity level",
        "target": "Target level",
        "coverage": "Coverage",
        "respondents": "Respondents",
        "strengths": "Strengths",
        "gaps": "Gaps",
        "first_phase": "First-phase actions",
        "radar": "Dimension scores against targets",
        "current": "Current",
        "dimension": "Dimension",
        "subdimension": "Sub-dimension",
        "question": "Question",
        "answer": "Typical answer",
        "spread": "Spread",
        "notes": "Notes and evidence",
        "evidence": "Evidence",
        "roadmap": "Improvement roadmap",
        "phase": "Phase",
        "months": "months",
        "action": "Action",
        "effort": "Effort",
        "impact": "Impact",
        "lifts": "Lifts",
        "to_level": "to",
        "projection": "Expected once the phase is done",
        "timeline": "Roadmap timeline",
        "methodology": "Methodology",
        "scale": "Maturity scale",
        "weights": "Dimension weights",
        "formulas": "How scores are computed",
        "by_unit": "Respondents by unit",
        "by_role": "Respondents by role",
        "small_units": "{count} unit(s) with fewer than {k} respondents are not listed.",
        "small_roles": "{count} role(s) with fewer than {k} respondents are not listed.",
        "unit": "Unit",
        "role": "Role",
        "provenance": "Provenance",
        "file": "File",
        "files_unnamed": (
            "File names can tell who answered (a unit, a role), so the files are listed by "
            "their SHA-256 digest only; each can be checked against it."
        ),
        "tool": "Tool version",
        "questionnaire": "Questionnaire",
        "date": "Report date",
        "period": "Period",
        "weakest": "Weakest high-weight questions",
        "chosen": "Respondents chose",
        "next_level": "The next level asks for",
        "disagreements": "Questions where respondents disagree",
        "none": "None",
        "low": "low",
        "medium": "medium",
        "high": "high",
        "page": "Page {} of {}",
        "answers_note": (
            "Typical answer: the respondents' median answer (the lower middle one for an even "
            "count); for multiple choice, each option with how many chose it. Spread: the lowest "
            "and highest score respondents' answers earn on the question; one number when all "
            "answers score the same."
        ),
        "hash_prefix": "first 16 hex digits of SHA-256",
        "no_actions": ("Every dimension has reached its target level; no new actions this period."),
        "min_note": "This dimension takes its weakest part's score (weakest link).",
        "weight_share": "Share of overall",
        "sd": "SD",
        "phase_1": "Near term (0-6 months)",
        "phase_2": "Medium term (6-18 months)",
        "phase_3": "Long term (18-36 months)",
        # key messages, initiatives, outcomes, heat map, peers (reporting/summary.py)
        "key_messages": "Key messages",
        "list_sep": ", ",
        "km_weakest": "The weakest area is {area} at {score} ({level})",
        "km_weakest_why": ", held down most by: {questions}.",
        "km_disagreement": "Respondents disagree most on “{question}”, standard deviation {sd}",
        "km_disagreement_range": ", with answers from “{lowest}” to “{highest}”.",
        "km_quick_win": (
            "The quickest win is “{action}” ({dimension}), which can start in month {month}."
        ),
        "km_risk_low": "The largest risk is {node}, at only {score} ({level}).",
        "km_plan": (
            "After phase {number} (month {month}) the overall score rises from {before} "
            "({before_level}) to {after} ({after_level})."
        ),
        "km_plan_flat": (
            "After phase {number} (month {month}) the overall score stays at {before} "
            "({before_level})."
        ),
        "outcomes": "Will the targets be reached?",
        "outcome_reached": "{node} reaches {target} in phase {number} (by month {month}).",
        "outcome_missed": (
            "{node} does not reach {target} within 36 months (ends at {final}): {why}."
        ),
        "reason_no_actions": "the catalogue has no action for these levels",
        "reason_capacity": (
            "the actions it needs do not fit the capacity per phase and are left for later"
        ),
        "reason_no_moves": (
            "the planned actions do not say which answers they change, so they cannot be projected"
        ),
        "reason_not_far_enough": "the planned actions do not lift the answers far enough",
        "not_projected": (
            "The catalogue does not say which answers its actions change: the scores cannot be "
            "re-scored per phase and stay as they are."
        ),
        "later": "Later (does not fit in 36 months at this capacity)",
        "quick_win": "Quick win",
        "initiatives": "Initiatives",
        "owner": "Owner",
        "kpi": "KPI",
        "kpi_reaches": "{node} reaches {target}",
        "kpi_sep": "; ",
        "quoted": "“{}”",
        "milestones": "Milestones",
        "starts": "starts in month {month}",
        "dependencies": "Depends on",
        "person_months": "Effort",
        "pm_unit": "person-months",
        "effort_pm": "Person-months",
        "over_months": "over {n} months",
        "typical": "Typical answer",
        "initiative_evidence": "Evidence",
        "evidence_more_notes": "More notes on this question: {n}, in its dimension's chapter.",
        "evidence_more_questions": "More questions these actions move: {n}, in their chapters.",
        "initiative_actions": "Actions in detail",
        "heatmap": "Units by area",
        "heatmap_hidden": (
            "{count} unit(s) with fewer than {k} respondents are not shown (to protect who "
            "answered)."
        ),
        "peers": "Among the other organisations of the period",
        "peer_rank": "Rank",
        "percentile": "Percentile",
        "peers_note": (
            "{count} organisations (each of {k} respondents or more); rank 1 is the highest; the "
            "percentile is the share of organisations scoring below this one."
        ),
        "peers_sources": (
            "{count} organisations: {given} from the input, {archived} from the archive."
        ),
        "peers_interval_note": (
            "In brackets, the score's {level}% interval and the rank range: {resamples} "
            "replicates (seed {seed}) resample each organisation's respondents and vary the "
            "weights, and rank all the organisations again each time; the range is the middle "
            "{level}% of those ranks (best to worst). Where it spans several ranks, the order of "
            "neighbouring ranks should not be read into."
        ),
        # reliability beside the scores, gaps without a catalogue (reporting/reliability.py)
        "reliability": "Scores and reliability",
        "interval": "{level}% interval",
        "answered": "Answered",
        "caveats": "Notes",
        "interval_note": (
            "Interval: the middle {level}% of the scores of {resamples} replicates that resample "
            "the respondents with replacement and vary every weight within ±{spread}% (seed "
            "{seed}). With fewer than 10 respondents read it as a lower bound on the uncertainty."
        ),
        "thresholds": (
            "Reliability marks: a score is marked and explained below its table when fewer than "
            "{answered:.0%} of the respondents answered, coverage is below {coverage:.0%}, "
            "agreement among respondents (rWG) is below {agreement:.2f}, or the consistency of its "
            "questions (Cronbach's alpha) is below {consistency:.2f}."
        ),
        "no_catalogue": (
            "This questionnaire has no catalogue of actions: the report cannot propose actions "
            "or project scores. The table gives each dimension's gap to its target level; the "
            "weakest questions follow."
        ),
        "unprojected": (
            "The catalogue's actions do not say which answers they change: the projected scores "
            "do not count them."
        ),
        "no_matching_actions": (
            "The catalogue has no action for these gaps. The table gives each dimension's gap "
            "to its target level."
        ),
        "gaps_to_target": "Gaps to target by dimension",
        "points_to_target": "Points to target",
        "weakest_questions": "Weakest questions",
    },
    # the report's method section, one paragraph each
    "formulas": [
        (
            "Each answer becomes a 0-1 score: a level question scores (level-1)/(levels-1), "
            "a choice its option's score, a number its band's score."
        ),
        (
            "A dimension's score is the weighted mean of its questions and sub-dimensions "
            "(or, where the questionnaire says so, their minimum or weighted geometric "
            "mean); not-applicable and skipped questions leave the denominator, {unanswered}."
        ),
        (
            "Scores are reported on {low:g}-{high:g} and a level is where the score falls on the "
            "scale; "
            "coverage is the weighted share of applicable questions that were answered."
        ),
        (
            "A unit's or organisation's score is the mean of its respondents' scores, with n "
            "and the standard deviation."
        ),
    ],
    # the annual report (reporting/annual.py; templates read it as report.labels)
    "annual": {
        "report": "Annual digital transformation assessment",
        "contents": "Contents",
        "summary": "The agency at a glance",
        "units": "Units",
        "trend": "Scores over time",
        "movers": "Improvements and declines",
        "improvements": "Largest improvements",
        "declines": "Largest declines",
        "review": "Last period's roadmap: targets and levels",
        "unit_pages": "Unit profiles",
        "highlights": "Highlights",
        "hl_top": "Highest score",
        "hl_up": "Most improved",
        "hl_down": "Largest decline",
        "hl_bottom": "Lowest score",
        "methodology": "Method",
        "agency": "Agency",
        "unit": "Unit",
        "units_count": "Units assessed",
        "score": "Score",
        "level": "Maturity level",
        "change": "Change",
        "trend_per_period": "Trend / period",
        "respondents": "Respondents",
        "rank": "Rank",
        "rank_uncertain": "rank not distinguishable from a neighbour's",
        "interval_note": (
            "In brackets: {level}% interval (respondents resampled {resamples} times, "
            "weights perturbed by ±{spread}%)."
        ),
        "dimension": "Dimension",
        "question": "Question",
        "before": "Before",
        "now": "Now",
        "radar": "Dimensions this period and last",
        "action": "Action",
        "reach": "Target level",
        "level_then": "Level then",
        "level_now": "Level now",
        "status": "Levels compared",
        "reached": "target level reached",
        "progress": "level up, target not reached",
        "not_yet": "level not raised",
        "held": "level already held",
        "score_now": "Score now",
        "review_note": (
            "This table compares the level and score of each action's dimension only: the "
            "answers show whether a target level was reached and how far scores moved, not "
            "whether an action was carried out."
        ),
        "next_steps": "Next steps",
        "next_steps_intro": (
            "For each unit whose level fell or whose score fell by more than {threshold:g} "
            "points: the first {count} actions of the unit's roadmap for its weakest slipped "
            "dimension."
        ),
        "next_steps_none": (
            "No unit's level fell and no score fell by more than {threshold:g} points."
        ),
        "next_steps_small": (
            "{count} unit(s) with fewer than {k} respondents are not shown on their own and get "
            "no unit-level actions."
        ),
        "next_steps_unit_small": (
            "Fewer than {k} respondents in this unit: no unit-level actions are proposed."
        ),
        "next_steps_no_actions": "The unit's roadmap proposes no action for this dimension.",
        "slipped": "Slipped",
        "focus": "Focus",
        "when": "phase {phase} · months {start}–{finish}",
        "when_later": "does not fit in 36 months",
        "quick_win": "quick win",
        "no_previous": "One period only: no changes or trends yet.",
        "no_roadmap": "No earlier period: no roadmap to review.",
        "small_units": (
            "{count} unit(s) with fewer than {k} respondents count in the agency's totals "
            "only and are not shown on their own."
        ),
        "small_periods": (
            "Periods with fewer than {k} respondents in the agency are not shown: {periods}."
        ),
        "periods": "Periods",
        "left_out": "Questions left out of comparisons",
        "strongest": "Strongest sub-dimension",
        "subdimensions": "Sub-dimensions",
        "history": "Overall score by period",
        "weakest": "Weakest sub-dimension",
        "notes": "Respondents' notes",
        "none": "none",
        "page": "Page {} of {}",
        "next_level": "Next level",
        "hash_prefix": "first 16 hex digits of SHA-256",
        "generated": "Generated by",
        "date": "Date",
        "all_respondents": "Respondents, all periods",
        "method_text": (
            "Each respondent is scored by the questionnaire's rules; a unit's score is the "
            "mean of its respondents' scores and the agency's the mean of all respondents'. "
            "A change is this period's score minus the unit's score in its latest earlier "
            "period; the trend is the least-squares slope of its scores against the period's "
            "position."
        ),
    },
    # `dtassess score` tables in the terminal (reporting/output.py)
    "tables": {
        "node": "Dimension",
        "score": "Score",
        "level": "Maturity level",
        "coverage": "Coverage",
        "n": "n",
        "sd": "SD",
        "respondents": "respondents",
        "respondent": "respondent",
        "period": "period",
        "change": "Change",
        "flag": (
            "! low agreement among respondents (rWG < 0.70) or low consistency (alpha < 0.70)"
        ),
    },
    # `dtassess roadmap` tables in the terminal (reporting/output.py)
    "roadmap": {
        "phase": "Phase",
        "months": "months",
        "action": "Action",
        "dimension": "Dimension",
        "reach": "Reaches",
        "effort": "Effort",
        "impact": "Impact",
        "after": "Overall after",
        "low": "low",
        "medium": "medium",
        "high": "high",
        "none": "Every dimension is at its target; no new actions.",
        "unprojected": "The catalogue does not say which answers its actions change (moves): "
        "the projected scores below do not count them.",
        "later": "Actions that do not fit in 36 months at {capacity:g} person-months a phase: "
        "{count}",
        "quick_win": "quick win",
        "no_catalogue": "The questionnaire has no catalogue of actions: no actions can be "
        "proposed. The gaps to target and the weakest questions:",
        "no_actions": "The catalogue has no action for these gaps:",
        "gaps": "Gaps to target",
        "score": "Score",
        "level": "Level",
        "target": "Target",
        "to_target": "Points to target",
        "weakest": "Weakest questions (score, question)",
    },
    # `dtassess survey` prompts and messages (survey.py)
    "survey": {
        "keys": (
            "Keys: ? help  b back  s skip  n not applicable (on a yes/no question n is no, na "
            "not applicable)  c note or evidence for the last answer  q save and quit  Enter "
            "keep the answer shown"
        ),
        "organization": "Organization id (e.g. qingshan)",
        "organization_name": "Organization name (may be empty)",
        "unit": "Unit (may be empty)",
        "respondent": "Respondent id",
        "role": "Role (may be empty)",
        "period": "Period (e.g. 2026)",
        "choose": "Type a number",
        "choose_many": "Type one or more numbers, separated by commas or spaces",
        "number": "Type a number",
        "text": "Type the answer",
        "bad_choice": "There is no option {}.",
        "bad_number": "{} is not an accepted number. Type a number",
        "exclusive": "'{}' can only be chosen alone.",
        "not_na": "This question cannot be answered 'not applicable'.",
        "saved": "Saved to {}.",
        "resume": "{} exists ({} answers). Resume where it stopped? [Y/n] ",
        "resume_how": "To resume: dtassess survey -o {} --resume",
        "removed": "'{}' no longer applies; its answer was removed.",
        "removed_note": "'{}' no longer applies; its answer and its note were removed.",
        "unchanged": "Nothing to save; {} was not changed.",
        "nothing_saved": "Nothing to save.",
        "discard": (
            "Starting again discards the {1} answers in {0} (the file is kept as {2}). Start "
            "again? [y/N] "
        ),
        "discard_unread": (
            "Starting again replaces {} (the file is kept as {}). Start again? [y/N] "
        ),
        "kept": "The answers are kept; resuming where it stopped.",
        "backup": (
            "Starting again; the previous file is kept as {} when the first answer is saved."
        ),
        "review_keys": (
            "Keys: a number opens that question  b the last question  c note or evidence for "
            "the last answer  q save and quit  Enter finish"
        ),
        "note": "Note (Enter to finish)",
        "evidence": "Evidence, several separated by ';' (may be empty)",
        "no_last": "There is no answer yet to add a note to.",
        "first": "This is the first question.",
        "review": "Your answers",
        "change": "Type a question number to change its answer, or Enter to finish",
        "done": "The survey is complete.",
        "next": "Next:",
        "required": "This question must be answered.",
        "required_mark": "*required",
        "skipped": "(skipped)",
        "na": "not applicable",
        "help": "Help",
        "question": "Question",
        "answer": "Answer",
        "range": "range",
    },
    # the full-screen survey (survey_app.py, survey_question.py, survey_screens.py)
    "survey_app": {
        "progress": "Question {} of {}",
        "answered_of": "{}/{} answered",
        "area_progress": "area {}/{}",
        "preview": "score≈{} {}",
        "required_mark": "*required",
        "na": "not applicable",
        "na_typed": "type x for not applicable",
        "type_number": "a number, then Enter (85% and ８５ work too)",
        "type_text": "the answer, then Enter",
        "answer_label": "Answer",
        "none": "(not answered)",
        "note_mark": "✎ note",
        "evidence_mark": "evidence: {}",
        "flag_mark": "⚑ flagged",
        "confirm_hide": (
            "This answer makes {} answered questions no longer apply; their answers, notes and "
            "evidence are removed:\n{}\nChange the answer? (u undoes it later)"
        ),
        "removed": "The answers of {} questions that no longer apply were removed (u undoes).",
        "kept_old": "The previous answer is kept.",
        "nothing_undo": "There is nothing to undo.",
        "undone": "The last change was undone.",
        "all_answered": "Every question is answered.",
        "note_field": "Note",
        "evidence_field": "Evidence (several separated by ; or ；)",
        "notes_title": "Interview notes (saved with the answers; Esc saves and closes)",
        "goto_prompt": "Go to question number (1-{})",
        "search_prompt": "Search the questions, their help and options",
        "no_match": "No question matches.",
        "index_title": "Index: areas and sub-dimensions (answered/questions)",
        "summary": "Interview summary",
        "answered": "Answered",
        "skipped": "Not answered (skipped)",
        "na_count": "Not applicable",
        "flagged": "Flagged to check",
        "required_open": "Required questions not answered",
        "elapsed": "Time per area",
        "help_text": (
            "Choices: 1-9 choose an option; yes/no questions: y yes, n no; x not applicable "
            "(where the question allows it); s skip; Enter keeps the answer and goes on.\n"
            "Several choices: the numbers tick and untick, Enter saves.\n"
            "Numbers and text: edit in the field (← → Home End Backspace), Enter saves; x on a "
            "number question is not applicable; Enter on an empty field keeps the answer or "
            "skips.\n"
            "Moving: → or PgDn next, ← or PgUp previous, g/F4 go to a number, / or F5 search, "
            "i/F2 index, a first unanswered, l last unanswered, ↑↓ scroll the question.\n"
            "r/F3 review (Enter changes, Esc keeps, u undoes), e/F6 note and evidence, f/F7 "
            "flag to check, m/F8 interview notes, u undo the last change, ?/F1 this help, q or "
            "Ctrl-C save and quit.\n"
            "In a typing field use the F keys. Every answer is saved at once."
        ),
        "yes": "yes",
        "no": "no",
        "tick": "tick",
        "save": "save",
        "answer": "answer",
        "next": "next",
        "skip": "skip",
        "move": "move",
        "index": "index",
        "review": "review",
        "goto": "go to",
        "search": "search",
        "note": "note",
        "flag": "flag",
        "notes": "notes",
        "keys": "keys",
        "quit": "quit",
        "keep": "keep the answer",
        "field": "next field",
        "cancel": "cancel",
        "open": "open",
        "results": "results",
        "close": "close",
        "first_unanswered": "first unanswered",
        "last_unanswered": "last unanswered",
        "back": "back",
        "edit": "change",
        "undo": "undo",
        "finish": "finish",
    },
    # words a questionnaire does not write itself: the overall node, a yes/no question's options
    "questionnaire": {"overall": "Overall", "yes": "Yes", "no": "No"},
    # the forms `dtassess form` writes (dtassess/forms/): profile questions, skip logic in words
    "forms": {
        "profile": "About you",
        "organization": "Organization name",
        "unit": "Department",
        "role": "Your position",
        "na": "Not applicable",
        "question": "Q{n}",
        "shown_when": "Answer only if {condition}",
        "eq": "{q} is “{v}”",
        "ne": "{q} is not “{v}”",
        "lt": "{q} is below {v}",
        "le": "{q} is at most {v}",
        "gt": "{q} is above {v}",
        "ge": "{q} is at least {v}",
        "includes": "{q} includes “{v}”",
        "excludes": "{q} does not include “{v}”",
        "one_of": "{q} is one of {v}",
        "none_of": "{q} is none of {v}",
        "answered": "{q} is answered",
        "and": "and",
        "or": "or",
        "not": "not ({x})",
        "always": "always",
        "never": "never",
        "choose_many": "choose all that apply",
        "number": "write a number",
        "range": "{min} to {max}",
        "at_least": "at least {min}",
        "at_most": "at most {max}",
        "notes": "Notes and evidence",
        "respondent": "Respondent",
        "date": "Date",
        "intro": (
            "Tick the box of the answer you choose; where a question does not apply, tick "
            "“Not applicable”."
        ),
    },
    # a score's caveats in plain words (reporting/reliability.py); the policy of unanswered
    # questions as the method section states it
    "reliability": {
        "few_answers": "few answers: {n} of {of} respondents answered",
        "low_coverage": "low coverage: {share:.0%} of the applicable questions answered",
        "low_agreement": "respondents disagree (rWG {rwg:.2f})",
        "low_consistency": "its questions do not hang together (alpha {alpha:.2f})",
        "unanswered_exclude": "unanswered questions leave the denominator",
        "unanswered_zero": "unanswered questions count as zero",
    },
    # what `dtassess` says on stderr besides problems (cli.py, pipeline.py's notices); the CLI
    # speaks English whatever --lang gives the reports (docs/cli.md), this is the one source
    # the Word report's words that the PDF template keeps in _words.j2 (reporting/word.py)
    "document": {
        "findings": "Key findings",
        "answers": "Answers by question",
        "action_count": "Actions",
        "input_files": "Input files",
        "description": "Description",
        "weight": "Weight",
        "aggregate": "Aggregation",
        "mean": "weighted mean",
        "min": "minimum",
        "geomean": "weighted geometric mean",
        "lowest": "Lowest answer",
        "highest": "Highest answer",
        "version": "version",
        "hash": "SHA-256",
        "toc_update": (
            "Word fills in the contents when it opens the file; if they are missing, "
            "right-click here and choose Update Field."
        ),
    },
    "cli": {
        "wrote": "wrote {path}",
        "wrote_unit": "wrote {path} ({unit})",
        "interrupted": "interrupted",
        "internal": (
            "internal error: {kind}: {error}\nThis is a bug in dtassess; run again with --debug "
            "for the traceback and report it."
        ),
        "progress_reading": "reading",
        "progress_dask": "scoring on Dask",
        "progress_rendering": "rendering",
        "checked": "{files} file(s) checked: {errors} error(s), {warnings} warning(s)",
        "below_bar": "below the bar: {bar}",
        "nothing_checked": (
            "no group was checked against the bars: all {count} group(s) have fewer than {k} "
            "respondents (--min-group-size 1 checks them; --by organization groups more "
            "respondents)"
        ),
        "bars_met": "all {count} bar(s) met",
        "dropped": "dropped too far: {drop}",
        "removed_stale": "removed {path}: this run failed, and an earlier run's results must not "
        "pass for its own",
        "nothing_compared": (
            "--fail-on-drop compared no group: none has a score in an earlier period (give the "
            "previous period's responses, or check that each group's organization and unit are "
            "the same in every period)"
        ),
        "withheld": (
            "withheld {count} group(s) with fewer than {k} respondents: their results could "
            "identify individual respondents (--min-group-size 1 shows them)"
        ),
        "left_out": (
            "changes and trends leave out {count} question(s) that the two questionnaire "
            "versions do not ask the same way: {listing}"
        ),
        "template_next": "edit {folder}/brand.yaml, then: dtassess report ... --template {folder}",
        "survey_next": "dtassess report {output} -o report.pdf --lang {lang} --min-group-size 1",
        "imported": (
            "{rows} row(s) read from {exports} export(s), {files} response file(s) written to "
            "{output}, {rejected} cell(s) rejected, {unknown} unknown column(s)"
        ),
        "imported_headerless": ", {count} column(s) without a header not imported",
        "imported_skipped": ", {count} row(s) without an organization skipped",
        "imported_personal": ", {count} column(s) of personal data (IP, nickname ...) not imported",
        "imported_renamed": ", {count} file name(s) marked with their batch, no answers replaced",
        "archived": "{added} response(s) added, {already} already archived",
        "archived_replaced": ", {count} replaced",
        "archived_periods": "; period(s): {periods}; archive {archive}",
        "no_period_changed": "none changed",
        "archive_empty": "{archive} holds no period yet",
        "config_file": "settings file: {file}",
        "config_no_file": "none (no dtassess.toml in this folder or above)",
    },
}


CATALOGUES: dict[str, dict[str, Any]] = {"zh": ZH, "en": EN}


def labels(area: str, lang: str) -> Any:
    """One area's labels in `lang`; English for a language without a catalogue."""
    return CATALOGUES.get(lang, EN)[area]


def by_language(area: str) -> dict[str, Any]:
    """One area's labels keyed by language, the shape the modules' old tables had."""
    return {lang: catalogue[area] for lang, catalogue in CATALOGUES.items()}


def translations(area: str, key: str) -> dict[str, str]:
    """One label in every language, as a questionnaire writes a text (`{"zh": ..., "en": ...}`)."""
    return {lang: catalogue[area][key] for lang, catalogue in CATALOGUES.items()}
