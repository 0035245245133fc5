"""Import spreadsheets exported by online-form services (问卷星 Wenjuanxing, 腾讯问卷 Tencent
Questionnaire, Microsoft and Google Forms ...): as response files, one per row, or straight into
the frames the engine scores.

Columns are matched to questions by id or by question text in any locale (numbering such as
`1、` or `Q1.` removed), to one option of a multi question (`5.question:option`), or as a
mapping file says; answers may be option values, option labels in any locale, level numbers or
option numbers. Work is done per column and per distinct value — a column of a million answers
holds a handful of different ones — so an export of a million rows takes seconds. A cell that
cannot be used is reported with its spreadsheet reference (`C17`) and left unanswered, so that
one typo does not cost a whole row. The format is in docs/import.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import yaml

from ..errors import DtassessError, ExitCode, Problem, shorten
from ..extras import installed
from .conditions import NA
from .formtools import recognise
from .headers import nearest_label, option_numbers, personal_column, profile_field, without_hints
from .mapping import NUMBERING_RE, Mapping, Target, normalize
from .questionnaire import Option, Question, Questionnaire, localize
from .responses import Response, ResponseSet, check_answer_coded, concat_sets
from .skips import hidden_rows
from .tables import CELL_CHARS, Table, column_letter, empty, read_table

if TYPE_CHECKING:
    from .exportmaps import PerExport

# The fixed columns the services add; not questions (序号, 编号 and ID give the respondent id).
# E-mail addresses are personal data that scores do not need: they are never imported.
SERVICE_COLUMNS = (
    "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP",  # Wenjuanxing
    "开始答题时间", "结束答题时间", "答题时长",  # Tencent
    "提交时间", "填写时间", "IP", "IP地址", "地理位置", "总分", "邮箱", "电子邮箱",
    "start time", "completion time", "last modified time", "email",  # Microsoft Forms
    "timestamp", "email address", "score",  # Google Forms
    "submitted at", "time taken", "source", "source details", "IP address",
)  # fmt: skip

NA_WORDS = {"na", "n/a", "不适用", "不涉及"}
SKIPPED_WORDS = {"(跳过)", "跳过", "(空)", "-", "—"}
BOOLEAN_WORDS = {
    "yes": "yes", "y": "yes", "true": "yes", "是": "yes", "对": "yes", "有": "yes", "1": "yes",
    "no": "no", "n": "no", "false": "no", "否": "no", "错": "no", "无": "no", "没有": "no",
    "0": "no",
}  # fmt: skip
# A cell of a one-column-per-option layout: chosen or not.
CHOSEN_WORDS = {"1", "√", "✓", "✔", "x", "是", "yes", "true", "selected", "选中", "已选", "y"}
NOT_CHOSEN_WORDS = {"0", "否", "no", "false", "未选", "未选中", "-2", "-3", "n", "not selected"}
MULTI_SPLIT_RE = re.compile(r"\s*[,，;；、|]\s*")
# How services head the column of one option: "5.question:option", "5、question(option)",
# "question - option", "question [option]" (Google Forms grids).
OPTION_HEADER_RES = (
    re.compile(r"^(?P<q>.+?)\s*[:：]\s*(?P<o>[^:：]+)$"),
    re.compile(r"^(?P<q>.+?)\s*[(（\[【](?P<o>[^()（）\[\]【】]+)[)）\]】]\s*$"),
    re.compile(r"^(?P<q>.+?)\s+[-—–]\s+(?P<o>.+)$"),
    re.compile(r"^(?P<q>.+?)[_—–-](?P<o>[^_—–-]+)$"),
)
CODES = {"R005": "I003", "R006": "I004", "R008": "I005", "R012": "I006", "R013": "I007"}
# Cells reported one by one per column; more of them are summed up in one line per column.
CELLS_LISTED = 20


def _meta_aliases() -> dict[str, tuple[str, int]]:
    """Normalised header -> (field, priority); the lower priority wins when two columns give one
    field (a 姓名 column beats the services' 序号)."""
    table = (
        ("organization", 0, ["organization", "org", "organization id", "org id", "机构",
                             "机构代码", "单位代码", "机构编号"]),
        ("organization_name", 0, ["organization name", "org name", "机构名称", "单位名称"]),
        ("unit", 0, ["unit", "department", "dept", "office", "单位", "部门", "科室", "处室",
                     "所在部门", "所在单位", "所在科室"]),
        ("respondent", 0, ["respondent", "respondent id", "姓名", "name", "答题人"]),
        ("respondent", 1, ["id", "编号", "序号"]),
        ("role", 0, ["role", "position", "job title", "岗位", "职务", "职位", "角色"]),
        ("period", 0, ["period", "year", "期间", "年度", "评估年度", "评估期间", "周期"]),
    )  # fmt: skip
    return {normalize(name): (fld, prio) for fld, prio, names in table for name in names}


def _without_hints(text: str) -> str:
    """A header without its trailing hints (【多选题】, （可多选）), widths made one first."""
    return without_hints(unicodedata.normalize("NFKC", str(text)).strip())


# --------------------------------------------------------------------------- matching columns


@dataclass
class ColumnMap:
    """What the columns of one export hold: questions, options of multi questions (one column
    each), metadata fields; the rest is skipped or listed as unknown."""

    questions: dict[int, Question] = field(default_factory=dict)  # 0-based column -> question
    options: dict[str, list[tuple[int, Option]]] = field(default_factory=dict)  # id -> columns
    meta: dict[str, int] = field(default_factory=dict)  # field -> 0-based column
    # Further columns for a field, used where the first one's cell is empty (姓名, then 序号).
    spare: dict[str, list[int]] = field(default_factory=dict)
    # Columns without a header: their filled cells are reported (I012), never imported.
    headerless: list[int] = field(default_factory=list)
    # Columns of personal data the services add (IP addresses, nicknames): never imported (I016).
    personal: list[int] = field(default_factory=list)


def question_index(q: Questionnaire) -> dict[str, Question]:
    """Normalised id and texts (in every locale, with and without hints) -> question."""
    index: dict[str, Question] = {}
    for question in q.questions:
        keys = [question.id.casefold()]
        for text in question.text.values():
            keys += [normalize(text), normalize(_without_hints(text))]
        for key in keys:
            if key:
                index.setdefault(key, question)
    return index


def _find_question(name: str, index: dict[str, Question], hints: bool = True) -> Question | None:
    """The question a header names: by id as written or after numbering, then by text (with a
    trailing hint such as 【多选题】 removed when `hints`)."""
    text = unicodedata.normalize("NFKC", name)
    keys = [
        text.casefold(),
        NUMBERING_RE.sub("", text, count=1).strip().casefold(),
        normalize(name),
    ]
    if hints:
        keys.append(normalize(_without_hints(name)))
    for key in keys:
        question = index.get(key)
        if question is not None:
            return question
    return None


def _option_column(name: str, index: dict[str, Question]) -> tuple[Question, Option] | None:
    """The multi question and option a header like `5.question:option` names."""
    text = unicodedata.normalize("NFKC", name).strip()
    for pattern in OPTION_HEADER_RES:
        m = pattern.match(text)
        if m is None:
            continue
        question = _find_question(m.group("q"), index)
        if question is None or question.type != "multi":
            continue
        option = _option_by_text(question, m.group("o").strip())
        if option is not None:
            return question, option
    return None


def match_columns(
    table: Table,
    q: Questionnaire,
    index: dict[str, Question] | None = None,
    mapping: Mapping | None = None,
) -> tuple[ColumnMap, list[Problem]]:
    index = index if index is not None else question_index(q)
    aliases = _meta_aliases()
    service = {normalize(name) for name in SERVICE_COLUMNS}
    found = ColumnMap()
    problems: list[Problem] = []
    priority: dict[str, int] = {}
    chosen: set[tuple[str, Any]] = set()

    def duplicate(col: int, what: str) -> None:
        problems.append(
            Problem(
                "I009",
                f"{table.column(col)} also gives {what}; the column further left is used, "
                "this one is not imported",
                table.path,
                1,
                col + 1,
                severity="warning",
            )
        )

    def meta(col: int, fld: str, prio: int) -> None:
        if fld not in found.meta or prio < priority[fld]:
            if fld in found.meta:
                found.spare.setdefault(fld, []).insert(0, found.meta[fld])
            found.meta[fld] = col
            priority[fld] = prio
        elif prio == priority[fld]:
            duplicate(col, f"the {fld}")
        else:
            found.spare.setdefault(fld, []).append(col)

    def question(col: int, x: Question) -> None:
        if x in found.questions.values() or x.id in found.options:
            duplicate(col, f"question '{x.id}'")
        else:
            found.questions[col] = x

    def option(col: int, x: Question, opt: Option) -> None:
        if x in found.questions.values() or (x.id, opt.value) in chosen:
            duplicate(col, f"option '{opt.value}' of question '{x.id}'")
        else:
            chosen.add((x.id, opt.value))
            found.options.setdefault(x.id, []).append((col, opt))

    for col, name in enumerate(table.header):
        if col in table.unreadable:
            problems.append(
                Problem(
                    "I014",
                    f"{table.column(col)} holds {table.unreadable[col]}, which dtassess cannot "
                    "read as answers (text, numbers, true/false and dates are read); it is not "
                    "imported: write it as text",
                    table.path,
                    1,
                    col + 1,
                    severity="warning",
                )
            )
            continue
        if not name:
            if col not in table.blank:  # a blank column holds nothing to lose
                found.headerless.append(col)
            continue
        target: Target | None = mapping.target(name) if mapping is not None else None
        if target is not None:
            # each kind carries its own fields (mapping.Target)
            if target.kind == "question" and target.question is not None:
                question(col, target.question)
            elif target.kind == "option" and target.question and target.option is not None:
                option(col, target.question, target.option)
            elif target.kind == "field" and target.field is not None:
                meta(col, target.field, -1)  # a mapped column beats a recognised one
            continue
        # `question(option)` is an option's column before `question(hint)` is the question's
        x = _find_question(name, index, hints=False)
        pair = _option_column(name, index) if x is None else None
        if pair is not None:
            option(col, *pair)
            continue
        x = x or _find_question(name, index)
        if x is not None:
            question(col, x)
            continue
        key = normalize(name)
        if key in aliases:
            meta(col, *aliases[key])
            continue
        hintless = _without_hints(name)
        profile = profile_field(name, aliases, hintless)
        if profile is not None:
            meta(col, *profile)
            continue
        if personal_column(name, hintless):
            found.personal.append(col)
            continue
        if key in service or normalize(hintless) in service:
            continue
        problems.append(
            Problem(
                "I002",
                f"{table.column(col)} matches no question of {q.ref} and no known field; it is "
                "not imported (name a column by question id or question text, or map it in a "
                "--mapping file)",
                table.path,
                1,
                col + 1,
                severity="warning",
            )
        )
    if found.personal:
        problems.append(personal_columns(table, found.personal))
    return found, problems


def personal_columns(table: Table, columns: list[int]) -> Problem:
    """The note for columns of personal data that are dropped (I016), naming each."""
    names = ", ".join(table.column(col) for col in columns[:8])
    if len(columns) > 8:
        names += f" and {len(columns) - 8} more"
    return Problem(
        "I016",
        f"{names} hold personal data (IP addresses, nicknames, user ids, locations, contact "
        "details) that scores do not need; not imported, and never written to a response file",
        table.path,
        1,
        columns[0] + 1,
        severity="warning",
    )


# --------------------------------------------------------------------------- reading cells


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        value = value.date()
    return unicodedata.normalize("NFKC", str(value)).strip()


def _option_by_text(question: Question, text: str) -> Option | None:
    opt = question.match(text)
    if opt is not None:
        return opt
    key = normalize(text)
    for option in question.options:
        if any(normalize(label) == key for label in option.label.values()):
            return option
    # "A. label" or "3 - label" as some services write options
    stripped = re.sub(r"^\s*[A-Za-z]\s*[.、:：)）]\s*", "", text)
    if stripped != text:
        return _option_by_text(question, stripped)
    return None


def _by_number(question: Question, text: str) -> Any:
    """An option number (1 = the first option, as 问卷星's 按序号 export writes them)."""
    if text.isdigit() and 1 <= int(text) <= len(question.options):
        return question.options[int(text) - 1].value
    return text


def cell_value(question: Question, raw: Any, mapping: Mapping | None = None) -> Any:
    """A cell as an answer `check_answer` understands; None when the cell is empty/skipped.

    Labels become option values; text that matches nothing is passed on unchanged so that the
    check reports it.
    """
    if empty(raw):
        return None
    if isinstance(raw, bool | np.bool_):
        return "yes" if raw else "no"
    text = _text(raw)
    if text in SKIPPED_WORDS:
        return None
    if text.casefold() in NA_WORDS:
        return NA
    kind = question.type
    if kind == "text":
        return str(raw).strip()
    if kind == "number":
        if isinstance(raw, int | float | np.integer | np.floating):
            try:
                return float(raw)
            except OverflowError:  # an integer of 400 digits: refused as a number is
                return float("inf")
        return text.removesuffix("%").strip().replace(",", "")
    numbers = mapping is not None and mapping.option_numbers

    def one(part: str) -> Any:
        if mapping is not None:
            mapped = mapping.label(question, part)
            if mapped is not None:
                return mapped
        if numbers:
            return _by_number(question, part)
        opt = _option_by_text(question, part)
        if opt is not None:
            return opt.value
        return BOOLEAN_WORDS.get(part.casefold(), part) if kind == "boolean" else part

    if kind == "multi":
        whole = one(text)
        if whole != text or question.match(text) is not None:
            return [whole]
        if mapping is not None and mapping.separator:  # KoboToolbox and ODK: names, spaces
            parts = text.split(mapping.separator)
        else:
            parts = text.split("┋") if "┋" in text else MULTI_SPLIT_RE.split(text)
        return [one(part.strip()) for part in parts if part.strip()]
    return one(text)


def chosen(raw: Any, option: Option) -> bool | None:
    """A cell of a one-column-per-option layout: True (chosen), False (not), None (empty); a
    ValueError for anything else."""
    if empty(raw):
        return None
    if isinstance(raw, bool | np.bool_):
        return bool(raw)
    text = _text(raw)
    word = text.casefold()
    if word in CHOSEN_WORDS:
        return True
    if word in NOT_CHOSEN_WORDS or text in SKIPPED_WORDS:
        return False
    if any(normalize(label) == normalize(text) for label in option.label.values()):
        return True  # services that write the option's label when it is chosen
    if str(option.value) == text:
        return True
    raise ValueError(text)


def _expected(question: Question, lang: str) -> str:
    kind = question.type
    if kind == "number":
        bounds = []
        if question.min is not None:
            bounds.append(f"from {question.min:g}")
        if question.max is not None:
            bounds.append(f"up to {question.max:g}")
        return "a number" + (f" ({' '.join(bounds)})" if bounds else "")
    if kind == "boolean":
        return "是/否 or yes/no"
    listing = "; ".join(
        f"{o.value}" + (f" = {localize(o.label, lang)}" if o.label else "")
        for o in question.options
    )
    if len(listing) > 240:
        listing = ", ".join(str(o.value) for o in question.options)
    many = "one or more of" if kind == "multi" else "one of"
    return f"{many}: {listing}"


# --------------------------------------------------------------------------- columns to frames


@dataclass
class ImportResult:
    """What an import found, for the summary."""

    rows: int = 0
    rejected_cells: int = 0
    unknown_columns: int = 0
    skipped_rows: int = 0
    headerless_columns: int = 0  # columns without a header that hold values (I012)
    personal_columns: int = 0  # columns of personal data, dropped (I016)
    renamed_files: int = 0  # named apart from another export's files of the same name


class _Reporter:
    """Problems of one export: per column, the first CELLS_LISTED bad cells (in row order) one by
    one and the rest summed up in one line, so that a systematic problem in a million rows stays
    readable; the counts stay exact."""

    def __init__(self, table: Table, stats: ImportResult) -> None:
        self.table = table
        self.stats = stats
        self.found: dict[int, list[tuple[np.ndarray, str, str]]] = {}

    def cells(self, col: int, rows: np.ndarray, code: str, message: str) -> None:
        """Report the cells at positions `rows` (0-based, in the frame) of column `col`."""
        self.stats.rejected_cells += len(rows)
        self.stats.headerless_columns += code == "I012"
        if len(rows):
            self.found.setdefault(col, []).append((rows, code, message))

    def finish(self) -> list[Problem]:
        table = self.table
        problems = []
        for col, parts in self.found.items():
            if parts[0][1] == "I012":
                line = int(table.rows[parts[0][0][0]])
                count = len(parts[0][0])
                problems.append(headerless_column(table, col, count, line))
                continue
            rows = np.concatenate([part[0] for part in parts])
            which = np.repeat(np.arange(len(parts)), [len(part[0]) for part in parts])
            order = np.argsort(rows, kind="stable")
            for k in order[:CELLS_LISTED]:
                line = int(table.rows[rows[k]])
                _, code, message = parts[which[k]]
                problems.append(
                    Problem(
                        code,
                        f"{table.cell(line, col)}: {message}",
                        table.path,
                        line,
                        col + 1,
                        severity="warning",
                    )
                )
            if len(order) > CELLS_LISTED:
                k = order[CELLS_LISTED]
                line = int(table.rows[rows[k]])
                _, code, message = parts[which[k]]
                problems.append(
                    Problem(
                        code,
                        f"{table.column(col)}: {len(order) - CELLS_LISTED} more cell(s) not "
                        f"accepted from row {line} on (a column lists its first "
                        f"{CELLS_LISTED}), the first of them: {message}",
                        table.path,
                        line,
                        col + 1,
                        severity="warning",
                    )
                )
        self.found = {}
        return problems


def _quoted(raw: Any) -> str:
    """A cell as a message quotes it: text in quotes, cut to a readable length, control
    characters escaped (a cell can be 100,000 characters, or forge a line of its own)."""
    if isinstance(raw, str):
        return f"'{shorten(raw.strip())}'"
    return shorten(repr(raw))


def _rejection(
    q: Questionnaire, question: Question, raw: Any, reason: str | None, hint: str = ""
) -> str:
    return (
        f"question '{question.id}': {_quoted(raw)} is not accepted ({shorten(reason or '', 200)})"
        f"{hint}; expected "
        f"{_expected(question, q.locales[0])}"
        + (", or N/A" if question.allow_na else "")
        + "; left unanswered"
    )


def _code_type(count: int) -> type[np.signedinteger]:
    """The integer type pandas keeps the codes of a Categorical of `count` categories in:
    codes made in it become the Categorical without a copy."""
    for kind in (np.int8, np.int16, np.int32):
        if count < np.iinfo(kind).max:
            return kind
    return np.int64


class _Answers:
    """One question's answers as codes into canonical values (-1: no answer)."""

    def __init__(self, codes: np.ndarray, values: list) -> None:
        self.codes = codes
        self.values = values

    def series(self, question: Question) -> pd.Series:
        if question.type == "number" and not any(isinstance(v, str) for v in self.values):
            table = np.array([*self.values, np.nan], dtype=float)
            return pd.Series(table[self.codes])  # -1 picks the trailing NaN
        categories = pd.Index(self.values, dtype=object, tupleize_cols=False)
        dtype = pd.CategoricalDtype(categories)
        # The codes are made here, in range: no check of a million of them.
        return pd.Series(pd.Categorical.from_codes(self.codes, dtype=dtype, validate=False))


def _code_question(
    q: Questionnaire,
    question: Question,
    table: Table,
    col: int,
    mapping: Mapping | None,
    reporter: _Reporter,
) -> _Answers:
    raws = table.values(col, arrow=True)
    plain = _plain_numbers(question, raws) if question.type == "number" else None
    if not isinstance(raws, np.ndarray):
        raws = raws.to_numpy(zero_copy_only=False).astype(object)
    canon: list[Any] = []
    remap = np.full(len(raws) + 1, -1, dtype=np.int64)  # the last slot: empty cells
    bad: list[tuple[int, str, str]] = []
    position: dict[Any, int] = {}
    for k, raw in enumerate(raws):
        if isinstance(raw, str) and len(raw) > CELL_CHARS:
            bad.append((k, "I013", _too_long(question, raw)))
            continue
        canonical = None if plain is None else plain[k]
        if canonical is None:
            value = cell_value(question, raw, mapping)
            if value is None:
                continue
            canonical, code, reason = check_answer_coded(q, question, value)
            if code is not None:
                # a hint for the first distinct values only: a column of free text in a
                # choice question can hold a million
                hint = nearest_label(question, raw) if code == "R005" and len(bad) < 64 else ""
                message = _rejection(q, question, raw, reason, hint)
                bad.append((k, CODES.get(code, "I004"), message))
                continue
        key = (isinstance(canonical, str), canonical)
        if key not in position:
            position[key] = len(canon)
            canon.append(canonical)
        remap[k] = position[key]
    if bad:
        codes = table.distinct(col)[0]
        for k, code, message in bad:
            reporter.cells(col, np.flatnonzero(codes == k), code, message)
    # codes as small as the Categorical keeps them: a million cells in 1 MB, not 8
    return _Answers(table.recode(col, remap.astype(_code_type(len(canon)))), canon)


def _too_long(question: Question, raw: str) -> str:
    return f"question '{question.id}': " + _too_long_message(raw, "left unanswered")


def _too_long_message(raw: str, then: str) -> str:
    return (
        f"the cell holds {len(raw):,} characters ({_quoted(raw)}); cells of up to "
        f"{CELL_CHARS:,} are read; {then}"
    )


PLAIN_NUMBER = r"^[0-9]{1,15}(\.[0-9]{1,15})?$"


def _plain_numbers(question: Question, raws: Any) -> list[float | None] | None:
    """The answers to a number question among a column's distinct cells (an object array or
    an Arrow array) that are plainly numbers in the question's range, each as the float that
    `cell_value` and `check_answer_coded` make of it; None for any other cell, which takes
    their way (and gets their messages). A column of amounts can hold thousands of distinct
    numbers: judged together instead of one by one. None when there are too few to matter, or
    without pyarrow (a core install: one by one)."""
    if len(raws) < 64 or not installed("pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        values = raws if isinstance(raws, pa.Array) else pa.array(raws, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types (text and numbers): one by one
        return None
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        # digits and a decimal point alone: NFKC, trimming, "%" and "," change nothing
        plain = pc.fill_null(pc.match_substring_regex(values, PLAIN_NUMBER), False)
        numbers = pc.cast(pc.if_else(plain, values, None), pa.float64())
    elif pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        numbers = pc.cast(values, pa.float64())
    else:
        return None
    found = numbers.to_numpy(zero_copy_only=False)  # NaN for the others
    low = question.min
    if question.bands and (low is None or low < question.bands[0].min):
        low = question.bands[0].min
    with np.errstate(invalid="ignore"):
        keep = ~np.isnan(found)
        if low is not None:
            keep &= found >= low
        if question.max is not None:
            keep &= found <= question.max
    return [float(x) if ok else None for x, ok in zip(found.tolist(), keep.tolist(), strict=True)]


def _code_options(
    q: Questionnaire,
    question: Question,
    table: Table,
    columns: list[tuple[int, Option]],
    reporter: _Reporter,
) -> _Answers:
    """A multi question given one column per option: the chosen options of each row."""
    n = len(table)
    mask = np.zeros(n, dtype=np.int64)  # bit k: option k chosen
    seen = np.zeros(n, dtype=bool)  # some cell of the question is filled in
    ordered = sorted(columns, key=lambda c: question.options.index(c[1]))
    for bit, (col, option) in enumerate(ordered):
        codes, raws = table.distinct(col)
        state = np.zeros(len(raws) + 1, dtype=np.int8)  # 0 empty, 1 not chosen, 2 chosen, 3 bad
        for k, raw in enumerate(raws):
            try:
                flag = chosen(raw, option)
            except ValueError:
                state[k] = 3
                rows = np.flatnonzero(codes == k)
                reporter.cells(
                    col,
                    rows,
                    "I004",
                    f"question '{question.id}', option '{option.value}': {_quoted(raw)} is neither "
                    "chosen (1, √, the option's label) nor not chosen (0, empty); left "
                    "unanswered",
                )
                continue
            state[k] = 0 if flag is None else 2 if flag else 1
        cell = state[codes]
        mask |= (cell == 2).astype(np.int64) << bit
        seen |= cell == 1
        seen |= cell == 2
    combos, inverse = np.unique(mask, return_inverse=True)
    canon: list[Any] = []
    remap = np.full(len(combos), -1, dtype=np.int64)
    first = ordered[0][0]
    for k, combo in enumerate(combos):
        picked = [opt.value for bit, (_, opt) in enumerate(ordered) if combo >> bit & 1]
        if not picked:
            continue  # nothing chosen: the question was not answered
        canonical, code, reason = check_answer_coded(q, question, picked)
        if code is not None:
            rows = np.flatnonzero(inverse == k)
            message = _rejection(q, question, "┋".join(map(str, picked)), reason)
            reporter.cells(first, rows, CODES.get(code, "I004"), message)
            continue
        remap[k] = len(canon)
        canon.append(canonical)
    return _Answers(remap.astype(_code_type(len(canon)))[inverse], canon)


def _meta_column(
    table: Table, col: int | None, out: np.ndarray, name: str = "", reporter: Any = None
) -> np.ndarray:
    """A metadata column as text (None where empty), converted once per distinct value and
    written into `out`; returns where it is empty (judged per distinct value too). A cell over
    CELL_CHARS is taken as empty, and reported (I013) when a `reporter` is given."""
    if col is None:
        out[:] = None
        return np.ones(len(table), dtype=bool)
    strings = table.strings(col)  # read as plain text (ids): converted cell by cell in bulk
    if strings is not None and len(strings) > 1000 and not _has_long(strings):
        import pyarrow.compute as pc

        # ASCII: NFKC changes nothing, and Arrow trims the whitespace Python strips
        if pc.all(pc.string_is_ascii(strings)).as_py() is not False:
            texts, empty = _arrow_texts(strings, ascii=True)
            out[:] = texts
            return empty
    codes, raws = table.distinct(col, arrow=True)
    texts, empty = _texts(raws)
    if isinstance(raws, np.ndarray) or _has_long(raws):
        long = np.fromiter(
            (isinstance(t, str) and len(t) > CELL_CHARS for t in texts), bool, len(texts)
        )
        if long.any():
            for k in np.flatnonzero(long):
                if reporter is not None:
                    message = f"{name}: " + _too_long_message(texts[k], "taken as empty")
                    reporter.cells(col, np.flatnonzero(codes == k), "I013", message)
            texts, empty = texts.copy(), empty | long
            texts[long] = None
    if (codes < 0).any():  # empty cells: code -1, the None at the end
        texts, empty = np.append(texts, [None]), np.append(empty, True)
    if len(texts) == len(codes) and (codes == np.arange(len(codes))).all():
        out[:] = texts  # ids, one per row in order: the values are the column
        return empty
    np.take(texts, codes, out=out)
    return empty[codes]


def _has_long(values: Any) -> bool:
    """Whether an Arrow array of text may hold a cell over CELL_CHARS (its longest in bytes)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return False
    longest = pc.max(pc.binary_length(values)).as_py()
    return longest is not None and longest > CELL_CHARS


def _texts(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """`_text` of every value, None for empty ones, and where they are empty; in bulk when
    they are all text (a column of a million respondent ids). `values` is an object array or
    an Arrow array."""
    if not isinstance(values, np.ndarray):  # Arrow
        import pyarrow as pa

        if len(values) > 1000 and pa.types.is_string(values.type) and not values.null_count:
            return _arrow_texts(values)
        values = values.to_numpy(zero_copy_only=False).astype(object)
    kind = pd.api.types.infer_dtype(values, skipna=False) if len(values) > 1000 else ""
    if kind == "integer":  # ids in a typed column
        return values.astype(np.int64).astype(str).astype(object), np.zeros(len(values), bool)
    if kind == "string" and installed("pyarrow"):
        import pyarrow as pa

        return _arrow_texts(pa.array(values, pa.string()))
    texts = np.array([None if empty(v) else _text(v) for v in values], dtype=object)
    return texts, pd.isna(texts)


def _arrow_texts(values: Any, ascii: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """`_texts` of an Arrow array of strings: normalised (unless all `ascii`, which NFKC
    leaves as it is) and trimmed in Arrow, then made into Python strings once."""
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(values if ascii else pc.utf8_normalize(values, "NFKC"))
    out = text.to_numpy(zero_copy_only=False)  # None for a missing value
    blank = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    out[blank] = None
    return out, blank


def load_export(
    path: str | Path,
    q: Questionnaire,
    *,
    encoding: str | None = None,
    mapping: Mapping | None = None,
    org: str | None = None,
    org_name: str | None = None,
    period: str | None = None,
    stats: ImportResult | None = None,
) -> ResponseSet:
    """One export as a ResponseSet, ready to score; its problems are in `.problems`.

    Bad cells are warnings and are left unanswered; rows without an organization are left out
    (I010). Raises DtassessError when the export cannot be read or has no organization at all.
    """
    stats = stats if stats is not None else ImportResult()
    table = read_table(path, encoding)
    # an export of a form `dtassess form` wrote names its columns by the form's names
    mapping = recognise(table.header, q, mapping)
    columns, found = match_columns(table, q, mapping=mapping)
    mapping, numbered = _numbered_answers(table, columns, mapping)
    found += numbered
    for col in [columns.meta.get("respondent"), *columns.spare.get("respondent", [])]:
        if col is not None:
            table.read_plain(col)  # ids: about as many distinct values as rows
    reporter = _Reporter(table, stats)
    stats.unknown_columns += sum(p.code in ("I002", "I014") for p in found)
    stats.personal_columns += len(columns.personal)
    found += table.problems  # cells the reader could not read (I013)
    stats.rejected_cells += len(table.problems)
    try:
        require_organization(table, columns, org, org_name)
    except DtassessError as exc:  # say why a column that looks like one is not (I014)
        raise DtassessError([*found, *exc.problems], exc.exit_code) from None
    stats.rows += len(table)
    answers = coded_answers(q, table, columns, mapping, reporter)
    fields, missing, no_organization = meta_fields(
        table, columns, META_FIELDS, org, org_name, period, reporter
    )
    field = dict(zip(META_FIELDS, fields, strict=True))
    if missing["respondent"].any():
        stem = _slug(Path(table.path).stem) or "row"
        rows = table.rows[missing["respondent"]]
        field["respondent"][missing["respondent"]] = [f"{stem}-r{r}" for r in rows]
    frame = pd.DataFrame(fields.T, columns=list(META_FIELDS), dtype=object, copy=False)
    frame["source"] = _sources(table.path, table.rows)
    problems = [*found, *reporter.finish()]
    keep = ~no_organization
    if not keep.all():
        problems += [unorganized_row(table.path, int(row)) for row in table.rows[~keep]]
        stats.skipped_rows += int((~keep).sum())
        frame = frame[keep].reset_index(drop=True)
        answers = answers[keep].reset_index(drop=True)
    problems.sort(key=lambda p: (p.line or 0, p.column or 0))
    notes = pd.DataFrame(columns=["row", "question", "note", "evidence"])
    return ResponseSet(q, frame, answers, notes, problems)


META_FIELDS = ("organization", "organization_name", "unit", "period", "respondent", "role")


def _numbered_answers(
    table: Table, columns: ColumnMap, mapping: Mapping | None
) -> tuple[Mapping | None, list[Problem]]:
    """The mapping to read the export with: answers as option numbers, with a note (I018),
    when its choice columns hold option numbers and none of them options' text (问卷星's
    按序号导出, headers.option_numbers); a mapping's own `answers:` is never second-guessed."""
    if mapping is not None and (mapping.option_numbers or mapping.answers_given):
        return mapping, []
    numbered, worded = option_numbers(table, columns.questions)
    if not numbered or worded:
        return mapping, []
    if mapping is None:
        mapping = Mapping(option_numbers=True)
    else:
        mapping = dataclasses.replace(mapping, option_numbers=True)
    note = Problem(
        "I018",
        f"{table.path} writes answers as option numbers ({numbered} column(s) of choice "
        "questions hold numbers such as 2 or 1┋3 and none an option's text: 问卷星's 按序号导出): "
        "every choice answer is read as its option's place, 1 = the first (a yes/no question: "
        "1 = 是, 2 = 否). If that is wrong, give a --mapping file with `answers: as-written`",
        table.path,
        1,
        None,
        severity="warning",
    )
    return mapping, [note]


# The steps of `load_export` after the header is matched, also run by the Dask engine on each
# piece of a partition (distributed/pieces.py): one implementation of the import.


def require_organization(
    table: Table, columns: ColumnMap, org: str | None, org_name: str | None
) -> None:
    """An organization must come from somewhere: a column, or --org / --org-name (I010)."""
    has_org = {"organization", "organization_name"} & set(columns.meta)
    if not has_org and org is None and org_name is None:
        raise DtassessError(
            Problem(
                "I010",
                f"{table.path} has no organization column (机构, 机构名称, organization ...); "
                "pass --org ID (and --org-name NAME)",
                table.path,
            )
        )


def coded_answers(
    q: Questionnaire, table: Table, columns: ColumnMap, mapping: Mapping | None, reporter: Any
) -> pd.DataFrame:
    """The matched question columns as an answers frame (codes into canonical values), each
    column released once coded; bad cells and answers that skip logic hides go to `reporter`
    (`_Reporter.cells`) and are left unanswered."""
    coded: dict[str, _Answers] = {}
    places: dict[str, int] = {}
    for col in columns.headerless:
        _headerless_cells(table, col, reporter)
        table.release(col)
    for col, question in columns.questions.items():
        coded[question.id] = _code_question(q, question, table, col, mapping, reporter)
        places[question.id] = col
        table.release(col)
    for qid, option_columns in columns.options.items():
        coded[qid] = _code_options(q, q.question(qid), table, option_columns, reporter)
        places[qid] = option_columns[0][0]
        for col, _ in option_columns:
            table.release(col)
    answers = pd.DataFrame(
        {x.id: coded[x.id].series(x) for x in q.questions if x.id in coded},
        index=pd.RangeIndex(len(table)),
    )
    _drop_hidden(q, answers, coded, places, reporter)
    return answers


def _headerless_cells(table: Table, col: int, reporter: Any) -> None:
    """The filled cells of a column without a header, to the reporter (I012, one line per
    column): answers that no header names are never dropped silently."""
    codes, values = table.distinct(col)
    filled = np.array([not empty(v) for v in values] + [False], dtype=bool)
    rows = np.flatnonzero(filled[codes])
    if len(rows):
        reporter.cells(col, rows, "I012", "")


def headerless_column(table: Table, col: int, count: int, line: int) -> Problem:
    """The warning for a column without a header that holds `count` values from row `line`."""
    name = f"column {column_letter(col + 1)}" if table.spreadsheet else f"column {col + 1}"
    return Problem(
        "I012",
        f"{name} has no header but holds {count} value(s) from row {line} on; they are not "
        "imported (a blank header cell, or a header cell merged across several columns): "
        "give the column a header that names its question or field",
        table.path,
        line,
        col + 1,
        severity="warning",
    )


def meta_fields(
    table: Table,
    columns: ColumnMap,
    names: tuple[str, ...],
    org: str | None,
    org_name: str | None,
    period: str | None,
    reporter: Any = None,
) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """The metadata fields `names` (which include organization and organization_name) as
    text, None where empty: one block of objects, a row per field (a frame made of its
    transpose copies nothing); where each field is empty; and the rows without an
    organization. A field's spare columns fill its empty cells; --org and --org-name fill the
    rest; an organization's name stands in for its missing id; --period fills empty periods."""
    n = len(table)
    fields = np.empty((len(names), n), dtype=object)
    field = dict(zip(names, fields, strict=True))
    missing = {
        name: _meta_column(table, columns.meta.get(name), field[name], name, reporter)
        for name in field
    }
    for name, spare in columns.spare.items():
        if name not in field:
            continue
        for col in spare:
            more = np.empty(n, dtype=object)
            more_missing = _meta_column(table, col, more, name, reporter)
            np.copyto(field[name], more, where=missing[name])
            missing[name] &= more_missing
    organization, no_organization = field["organization"], missing["organization"]
    if org is not None:
        organization[no_organization] = org
        no_organization = np.zeros(n, dtype=bool)
    if org_name is not None:
        field["organization_name"][missing["organization_name"]] = org_name
        missing["organization_name"] = np.zeros(n, dtype=bool)
    if no_organization.any():
        np.copyto(organization, field["organization_name"], where=no_organization)
        no_organization = no_organization & missing["organization_name"]
    if period is not None and "period" in field:
        field["period"][missing["period"]] = str(period)
    return fields, missing, no_organization


def unorganized_row(path: str, row: int) -> Problem:
    """The warning for a row left out for want of an organization."""
    return Problem(
        "I010",
        f"row {row} has no organization; the row is not imported (fill the cell or pass --org)",
        path,
        row,
        None,
        severity="warning",
    )


def _sources(path: str, rows: np.ndarray) -> pd.Series:
    """`export.csv:17` for every row, built without a Python loop over a million rows, and
    kept as Arrow text (a pandas string column): the same strings to whoever reads them,
    without a million Python objects to make, hold and free (without pyarrow, a core install:
    Python strings)."""
    if not installed("pyarrow"):
        return pd.Series([f"{path}:{row}" for row in rows.tolist()], dtype=pd.StringDtype())
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pa.array(rows).cast(pa.string())
    text = pc.binary_join_element_wise(f"{path}:", numbers, "")
    return pd.Series(pd.array(text, dtype=pd.StringDtype("pyarrow")), copy=False)


def _drop_hidden(
    q: Questionnaire,
    answers: pd.DataFrame,
    coded: dict[str, _Answers],
    places: dict[str, int],
    reporter: _Reporter,
) -> None:
    """Answers that skip logic hides, given the row's other answers: reported (I008) and
    removed, as a survey would never have asked them."""
    for qid, hidden in hidden_rows(q, answers).items():
        if qid not in coded:
            continue
        wrong = hidden & (coded[qid].codes >= 0)
        if not wrong.any():
            continue
        question = q.question(qid)
        assert question.when is not None  # hidden_rows names only questions with a condition
        rows = np.flatnonzero(wrong)
        reporter.cells(
            places[qid],
            rows,
            "I008",
            f"question '{qid}' is hidden by its condition ({question.when.source}) given the "
            "row's other answers; left unanswered",
        )
        codes = np.where(wrong, -1, coded[qid].codes)
        coded[qid].codes = codes
        answers[qid] = coded[qid].series(question)


# Notes of what the import did as it should (personal data dropped): shown, never a reason for
# --strict to stop.
NOTES = ("I016", "I018")


def _strict(problems: list[Problem]) -> None:
    problems = [p for p in problems if p.code not in NOTES]
    if problems:
        first = problems[0]
        raise DtassessError(
            Problem(first.code, first.message, first.path, first.line, first.column, "error"),
            ExitCode.BAD_INPUT,
        )


def load_exports(
    paths: Iterable[str | Path],
    q: Questionnaire,
    *,
    encoding: str | None = None,
    mapping: Mapping | PerExport | None = None,
    strict: bool = False,
    org: str | None = None,
    org_name: str | None = None,
    period: str | None = None,
    stats: ImportResult | None = None,
) -> ResponseSet:
    """Exports as one ResponseSet to score (several are concatenated in order).

    With `strict=True` the first problem raises DtassessError (exit code 2) instead.
    """
    from .exportmaps import mapping_of

    stats = stats if stats is not None else ImportResult()
    sets = []
    for path in paths:
        one = load_export(
            path,
            q,
            encoding=encoding,
            mapping=mapping_of(mapping, path),
            org=org,
            org_name=org_name,
            period=period,
            stats=stats,
        )
        if strict:
            _strict(one.problems)
        sets.append(one)
    return concat_sets(q, sets)


def import_exports(
    paths: Iterable[str | Path],
    q: Questionnaire,
    *,
    encoding: str | None = None,
    mapping: Mapping | PerExport | None = None,
    strict: bool = False,
    org: str | None = None,
    org_name: str | None = None,
    period: str | None = None,
    stats: ImportResult | None = None,
) -> tuple[list[Response], list[Problem]]:
    """Read online-form exports into responses, one per row, and every problem found.

    Bad cells are warnings and are left unanswered; with `strict=True` the first problem raises
    DtassessError (exit code 2) instead. `stats`, when given, is filled with the counts.

    Deprecated as a public name, kept for one release: `load_exports` loads exports, and
    `to_responses` turns what it loads into Response objects; this is both, file by file, with
    a file given twice read once (F015). The `import` command uses it.
    """
    from .distinct import distinct_files

    responses: list[Response] = []
    distinct, problems = distinct_files(Path(p) for p in paths)
    for path in distinct:
        one = load_exports(
            [path],
            q,
            encoding=encoding,
            mapping=mapping,
            strict=strict,
            org=org,
            org_name=org_name,
            period=period,
            stats=stats,
        )
        responses += to_responses(one)
        problems += one.problems
    return responses, problems


def to_responses(responses: ResponseSet) -> list[Response]:
    """A ResponseSet's rows as Response objects (to write them as files)."""
    q = responses.questionnaire
    columns = {qid: responses.answers[qid].astype(object).to_numpy() for qid in responses.answers}
    found = []
    for i, meta in enumerate(responses.meta.itertuples(index=False)):
        answers = {}
        for qid, values in columns.items():
            value = values[i]
            if value is not None and not (isinstance(value, float) and np.isnan(value)):
                answers[qid] = value
        found.append(
            Response(
                source=meta.source,
                questionnaire=q.ref,
                organization=meta.organization,
                organization_name=meta.organization_name,
                unit=meta.unit,
                period=meta.period,
                respondent=meta.respondent,
                role=meta.role,
                answers=answers,
            )
        )
    return found


# --------------------------------------------------------------------------- writing


def _slug(text: str | None) -> str:
    if not text:
        return ""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:40]


def file_names(responses: Sequence[Response]) -> list[str]:
    """ASCII file names: organization, unit and respondent, or the row number, made safe
    (dtassess.files.safe_names). Two rows that come out with one name both get a short hash of
    their organization, unit and respondent (and row, for the same respondent twice), so a
    re-import names every row the same way."""
    from ..files import safe_names

    stems, identities = [], []
    for response in responses:
        parts = [_slug(response.organization), _slug(response.unit), _slug(response.respondent)]
        row = response.source.rsplit(":", 1)[-1]
        if not parts[2]:
            parts[2] = f"r{row}"
        stems.append("-".join(p for p in parts if p) or f"r{row}")
        identities.append(
            "\x1f".join(
                str(v or "") for v in (response.organization, response.unit, response.respondent)
            )
        )
    twice = {key for key, n in Counter(identities).items() if n > 1}
    keys = [
        f"{key}\x1f{response.source}" if key in twice else key
        for key, response in zip(identities, responses, strict=True)
    ]
    return safe_names(stems, ".yaml", keys=keys)


def document(q: Questionnaire, response: Response) -> dict[str, Any]:
    """The response file's content (docs/responses.md)."""
    organization: dict[str, Any] = {"id": response.organization}
    if response.organization_name:
        organization["name"] = response.organization_name
    doc: dict[str, Any] = {
        "questionnaire": q.ref,
        "questionnaire_hash": q.hash,
        "organization": organization,
    }
    if response.unit:
        doc["unit"] = response.unit
    if response.period:
        doc["period"] = str(response.period)
    respondent: dict[str, Any] = {"id": response.respondent}
    if response.role:
        respondent["role"] = response.role
    doc["respondent"] = respondent
    doc["answers"] = {
        question.id: _plain(response.answers[question.id])
        for question in q.questions
        if question.id in response.answers
    }
    return doc


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_responses(
    responses: Sequence[Response],
    q: Questionnaire,
    directory: str | Path,
    force: bool = False,
    stats: ImportResult | None = None,
) -> list[Path]:
    """Write one YAML response file per response into `directory`: all of them or none.

    A file imported from another export is never a target: the new file takes a name of its
    own (batches.clear_of_other_batches; counted in `stats`). Nothing is written when any
    target exists and `force` is false (F003 names each one).
    """
    from ..files import inside, refuse_existing, write_files
    from .batches import clear_of_other_batches

    folder = Path(directory)
    targets = [inside(folder, name) for name in file_names(responses)]
    targets, renamed = clear_of_other_batches(targets, [r.source for r in responses])
    if stats is not None:
        stats.renamed_files += renamed
    refuse_existing(targets, force)
    texts = [
        f"# imported by dtassess from {_one_line(response.source)}\n"
        + yaml.dump(
            document(q, response),
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
        )
        for response in responses
    ]
    return write_files(list(zip(targets, texts, strict=True)), force)


def _one_line(text: str) -> str:
    """Text for a YAML comment: a line break or any other control character shown escaped,
    so that a file name cannot end the comment and add a field."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


class _Dumper(yaml.SafeDumper):
    """Text with a line break or a control character written double-quoted with escapes:
    every line of a response file is then its own field."""


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = None if all(ch.isprintable() or ch == " " for ch in value) else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


# --------------------------------------------------------------------------- any input


@dataclass
class ExportOptions:
    """How to read exports given to `score`, `roadmap` and `report` (as for `import`)."""

    encoding: str | None = None
    # a mapping file for every export, or several: [EXPORT=]MAP.yaml each (exportmaps)
    mapping: str | Path | Sequence[str | Path] | None = None
    org: str | None = None
    org_name: str | None = None
    period: str | None = None
    strict: bool = False


# --------------------------------------------------------------------------- old names
# Kept for one release; the loaders are named load_* (load_questionnaire, load_responses,
# load_exports, load_periods, load_archive).


def read_exports(paths: Iterable[str | Path], q: Questionnaire, **options: Any) -> ResponseSet:
    """Deprecated, kept for one release: `load_exports`, under its old name."""
    return load_exports(paths, q, **options)


def read_answers(path: str | Path, q: Questionnaire, **options: Any) -> ResponseSet:
    """Deprecated, kept for one release: `load_export` (one export), under its old name."""
    return load_export(path, q, **options)
