"""Import spreadsheets exported by online-form services (问卷星 Wenjuanxing, 腾讯问卷 Tencent
Questionnaire ...) as response files, one per row.

Columns are matched to questions by id or by question text in any locale (numbering such as
`1、` or `Q1.` removed); answers may be option values, option labels in any locale or level
numbers. A cell that cannot be used is reported with its spreadsheet reference (`C17`) and left
unanswered, so that one typo does not cost a whole row. The format is in docs/import.md.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .conditions import NA
from .errors import DtassessError, ExitCode, Problem
from .questionnaire import Question, Questionnaire, localize
from .responses import Response, check_answer_coded

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
DETECTED_ENCODINGS = ("utf-8-sig", "gb18030")

# The fixed columns the services add; not questions (序号 and 编号 give the respondent id).
SERVICE_COLUMNS = (
    "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP",  # Wenjuanxing
    "开始答题时间", "结束答题时间", "答题时长",  # Tencent
    "提交时间", "填写时间", "IP", "IP地址", "地理位置", "总分",
    "submitted at", "time taken", "source", "source details", "IP address",
)  # fmt: skip

NA_WORDS = {"na", "n/a", "不适用", "不涉及"}
SKIPPED_WORDS = {"(跳过)", "跳过", "(空)", "-", "—"}
BOOLEAN_WORDS = {
    "yes": "yes", "y": "yes", "true": "yes", "是": "yes", "对": "yes", "有": "yes", "1": "yes",
    "no": "no", "n": "no", "false": "no", "否": "no", "错": "no", "无": "no", "没有": "no",
    "0": "no",
}  # fmt: skip
MULTI_SPLIT_RE = re.compile(r"\s*[,，;；、|]\s*")
NUMBERING_RE = re.compile(
    r"^\s*(?:第\s*\d+\s*题\s*[、.:：]?|[(（]\s*\d+\s*[)）]|[Qq]?\d+(?:\.\d+)*\s*[、.．:：)）]|"
    r"[Qq]\d+\s+)\s*"
)
HINT_RE = re.compile(r"\s*[【\[(（][^】\])）]*[】\])）]\s*$")
CODES = {"R005": "I003", "R006": "I004", "R008": "I005", "R012": "I006", "R013": "I007"}


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


def normalize(text: str) -> str:
    """A header or label reduced for comparison: width, case, numbering and punctuation gone."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    text = NUMBERING_RE.sub("", text, count=1)
    return re.sub(r"[\W_]+", "", text).casefold()


def _without_hints(text: str) -> str:
    """The text without trailing bracketed hints such as 【多选题】 or （可多选）."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    text = re.sub(r"[\s?？。.!！:：]+$", "", text)
    while True:
        shorter = HINT_RE.sub("", text)
        shorter = re.sub(r"[\s?？。.!！:：]+$", "", shorter)
        if shorter == text:
            return text
        text = shorter


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Export:
    """One export read into rows: its header and (row number, cells) pairs."""

    path: str
    header: list[Any]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


# --------------------------------------------------------------------------- reading files


def read_export(path: str | Path, encoding: str | None = None) -> Export:
    """The header and rows of a CSV or XLSX export (first sheet); raises DtassessError (I001)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise DtassessError(Problem("F001", f"file not found: {path}", str(path)))
    if suffix in XLSX_SUFFIXES:
        return _read_xlsx(path)
    if suffix in CSV_SUFFIXES:
        return _read_csv(path, encoding)
    raise DtassessError(
        Problem(
            "I001",
            f"{path}: cannot import '{suffix or path.name}' files; export the answers as .xlsx "
            "or .csv (an old .xls: open it and save it as .xlsx)",
            str(path),
        )
    )


def _read_csv(path: Path, encoding: str | None) -> Export:
    raw = path.read_bytes()
    text = None
    for enc in [encoding] if encoding else DETECTED_ENCODINGS:
        try:
            text = raw.decode(enc)
            break
        except LookupError:
            raise DtassessError(
                Problem("I001", f"--encoding {enc}: unknown encoding", str(path))
            ) from None
        except UnicodeDecodeError as exc:
            if encoding:
                raise DtassessError(
                    Problem(
                        "I001",
                        f"cannot read {path} as {enc} ({exc.reason} at byte {exc.start}); "
                        "try another --encoding, or omit it to detect UTF-8 or GB18030",
                        str(path),
                    )
                ) from None
    if text is None:
        raise DtassessError(
            Problem(
                "I001",
                f"cannot read {path} as UTF-8 or GB18030 text; pass its --encoding",
                str(path),
            )
        )
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _export(str(path), records, 1)


def _read_xlsx(path: Path) -> Export:
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise DtassessError(
            Problem("I001", f"cannot read {path} as an .xlsx workbook: {exc}", str(path))
        ) from None
    try:
        sheet = book.worksheets[0]
        first_row = sheet.min_row or 1
        records = [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    return _export(str(path), records, first_row)


def _export(path: str, records: list[list[Any]], first_row: int) -> Export:
    numbered = [(first_row + i, cells) for i, cells in enumerate(records)]
    numbered = [(n, cells) for n, cells in numbered if any(not _empty(c) for c in cells)]
    if not numbered:
        raise DtassessError(Problem("I001", f"{path} is empty: no header row", path))
    (_, header), *rows = numbered
    return Export(path, list(header), rows)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --------------------------------------------------------------------------- matching columns


@dataclass
class ColumnMap:
    """What each column of one export holds: a question id, a metadata field, or nothing."""

    questions: dict[int, Question] = field(default_factory=dict)  # 0-based column -> question
    meta: dict[str, int] = field(default_factory=dict)  # field -> 0-based column


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


def match_columns(
    export: Export, q: Questionnaire, index: dict[str, Question] | None = None
) -> tuple[ColumnMap, list[Problem]]:
    index = index if index is not None else question_index(q)
    aliases = _meta_aliases()
    service = {normalize(name) for name in SERVICE_COLUMNS}
    found = ColumnMap()
    problems: list[Problem] = []
    priority: dict[str, int] = {}
    for col, raw in enumerate(export.header):
        name = "" if raw is None else str(raw).strip()
        where = f"column {column_letter(col + 1)} ('{name}')"
        if not name:
            continue
        text = unicodedata.normalize("NFKC", name)
        question = None
        for key in (  # an id as written, an id after numbering, then question texts
            text.casefold(),
            NUMBERING_RE.sub("", text, count=1).strip().casefold(),
            normalize(name),
            normalize(_without_hints(name)),
        ):
            question = index.get(key)
            if question is not None:
                break
        if question is not None:
            if question in found.questions.values():
                problems.append(_duplicate(export.path, col, where, f"question '{question.id}'"))
                continue
            found.questions[col] = question
            continue
        key = normalize(name)
        if key in aliases:
            fld, prio = aliases[key]
            if fld not in found.meta or prio < priority[fld]:
                found.meta[fld] = col
                priority[fld] = prio
            elif prio == priority[fld]:
                problems.append(_duplicate(export.path, col, where, f"the {fld}"))
            continue
        if key in service or normalize(_without_hints(name)) in service:
            continue
        problems.append(
            Problem(
                "I002",
                f"{where} matches no question of {q.ref} and no known field; it is not "
                "imported (name a column by question id or question text)",
                export.path,
                1,
                col + 1,
                severity="warning",
            )
        )
    return found, problems


def _duplicate(path: str, col: int, where: str, what: str) -> Problem:
    return Problem(
        "I009",
        f"{where} also gives {what}; the column further left is used, this one is not imported",
        path,
        1,
        col + 1,
        severity="warning",
    )


# --------------------------------------------------------------------------- reading cells


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _option_by_text(question: Question, text: str):
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


def cell_value(question: Question, raw: Any) -> Any:
    """A cell as an answer `check_answer` understands; None when the cell is empty/skipped.

    Labels become option values; text that matches nothing is passed on unchanged so that the
    check reports it.
    """
    if _empty(raw):
        return None
    if isinstance(raw, bool):
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
        if isinstance(raw, int | float):
            return raw
        return text.removesuffix("%").strip().replace(",", "")
    if kind == "boolean":
        opt = _option_by_text(question, text)
        if opt is not None:
            return opt.value
        return BOOLEAN_WORDS.get(text.casefold(), text)
    if kind == "multi":
        opt = _option_by_text(question, text)
        if opt is not None:
            return [opt.value]
        parts = text.split("┋") if "┋" in text else MULTI_SPLIT_RE.split(text)
        values = []
        for part in (p.strip() for p in parts):
            if part:
                opt = _option_by_text(question, part)
                values.append(opt.value if opt is not None else part)
        return values
    opt = _option_by_text(question, text)
    return opt.value if opt is not None else text


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


# --------------------------------------------------------------------------- rows


class _Strict(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


@dataclass
class ImportResult:
    """What an import found, for the summary."""

    rows: int = 0
    rejected_cells: int = 0
    unknown_columns: int = 0
    skipped_rows: int = 0


def import_exports(
    paths: Iterable[str | Path],
    q: Questionnaire,
    *,
    encoding: str | None = None,
    strict: bool = False,
    org: str | None = None,
    org_name: str | None = None,
    period: str | None = None,
    stats: ImportResult | None = None,
) -> tuple[list[Response], list[Problem]]:
    """Read online-form exports into responses, one per row, and every problem found.

    Bad cells are warnings and are left unanswered; with `strict=True` the first problem raises
    DtassessError (exit code 2) instead. `stats`, when given, is filled with the counts.
    """
    stats = stats if stats is not None else ImportResult()
    responses: list[Response] = []
    problems: list[Problem] = []
    index = question_index(q)

    def report(problem: Problem) -> None:
        if strict:
            raise _Strict(
                Problem(
                    problem.code,
                    problem.message,
                    problem.path,
                    problem.line,
                    problem.column,
                    "error",
                )
            )
        problems.append(problem)

    try:
        for path in paths:
            export = read_export(path, encoding)
            columns, found = match_columns(export, q, index)
            for problem in found:
                stats.unknown_columns += problem.code == "I002"
                report(problem)
            has_org = {"organization", "organization_name"} & set(columns.meta)
            if not has_org and org is None and org_name is None:
                raise DtassessError(
                    Problem(
                        "I010",
                        f"{export.path} has no organization column (机构, 机构名称, "
                        "organization ...); pass --org ID (and --org-name NAME)",
                        export.path,
                    )
                )
            for row, cells in export.rows:
                stats.rows += 1
                response = _row(q, export, columns, row, cells, report, stats, org, org_name)
                if response is not None:
                    if response.period is None and period is not None:
                        response.period = str(period)
                    responses.append(response)
    except _Strict as stop:
        raise DtassessError(stop.problem, ExitCode.BAD_INPUT) from None
    return responses, problems


def _row(q, export, columns, row, cells, report, stats, org, org_name) -> Response | None:
    def cell(col: int | None) -> Any:
        if col is None or col >= len(cells):
            return None
        return cells[col]

    def meta(name: str) -> str | None:
        value = cell(columns.meta.get(name))
        if _empty(value):
            return None
        return _text(value)

    lang = q.locales[0]
    answers: dict[str, Any] = {}
    places: dict[str, tuple[int, str]] = {}
    for col, question in columns.questions.items():
        raw = cell(col)
        ref = f"{column_letter(col + 1)}{row}"
        value = cell_value(question, raw)
        if value is None:
            continue
        canonical, code, reason = check_answer_coded(q, question, value)
        if code is not None:
            stats.rejected_cells += 1
            shown = raw if not isinstance(raw, str) else raw.strip()
            report(
                Problem(
                    CODES.get(code, "I004"),
                    f"cell {ref}: question '{question.id}': {shown!r} is not accepted "
                    f"({reason}); expected {_expected(question, lang)}"
                    + (", or N/A" if question.allow_na else "")
                    + "; left unanswered",
                    export.path,
                    row,
                    col + 1,
                    severity="warning",
                )
            )
            continue
        if canonical is not None:
            answers[question.id] = canonical
            places[question.id] = (col, ref)
    for question in q.questions:  # what skip logic hides, in survey order (as validate checks)
        if question.when is None or question.id not in answers:
            continue
        if not question.when.evaluate_one(answers):
            col, ref = places[question.id]
            stats.rejected_cells += 1
            report(
                Problem(
                    "I008",
                    f"cell {ref}: question '{question.id}' is hidden by its condition "
                    f"({question.when.source}) given the row's other answers; left unanswered",
                    export.path,
                    row,
                    col + 1,
                    severity="warning",
                )
            )
            del answers[question.id]
    organization = meta("organization") or org
    name = meta("organization_name") or org_name
    if organization is None:
        organization = name
    if organization is None:
        stats.skipped_rows += 1
        report(
            Problem(
                "I010",
                f"row {row} has no organization; the row is not imported (fill the cell or "
                "pass --org)",
                export.path,
                row,
                None,
                severity="warning",
            )
        )
        return None
    respondent = meta("respondent") or f"{_slug(Path(export.path).stem) or 'row'}-r{row}"
    return Response(
        source=f"{export.path}:{row}",
        questionnaire=q.ref,
        organization=organization,
        organization_name=name,
        unit=meta("unit"),
        period=meta("period"),
        respondent=respondent,
        role=meta("role"),
        answers=answers,
    )


# --------------------------------------------------------------------------- writing


def _slug(text: str | None) -> str:
    if not text:
        return ""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:40]


def file_names(responses: Sequence[Response]) -> list[str]:
    """ASCII-safe, unique file names: organization, unit and respondent, or the row number."""
    names: list[str] = []
    taken: set[str] = set()
    for response in responses:
        parts = [_slug(response.organization), _slug(response.unit), _slug(response.respondent)]
        row = response.source.rsplit(":", 1)[-1]
        if not parts[2]:
            parts[2] = f"r{row}"
        stem = "-".join(p for p in parts if p) or f"r{row}"
        name, n = stem, 2
        while name in taken:
            name, n = f"{stem}-{n}", n + 1
        taken.add(name)
        names.append(f"{name}.yaml")
    return names


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
    responses: Sequence[Response], q: Questionnaire, directory: str | Path, force: bool = False
) -> list[Path]:
    """Write one YAML response file per response into `directory`, atomically.

    Nothing is written when any target exists and `force` is false (F003 names each one).
    """
    import yaml

    from .files import refuse_existing, write_atomic

    folder = Path(directory)
    targets = [folder / name for name in file_names(responses)]
    refuse_existing(targets, force)
    for target, response in zip(targets, responses, strict=True):
        text = f"# imported by dtassess from {response.source}\n" + yaml.safe_dump(
            document(q, response), allow_unicode=True, sort_keys=False, default_flow_style=False
        )
        write_atomic(target, text, force=force)
    return targets
