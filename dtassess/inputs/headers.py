"""Headers that forms write in their own words: profile questions as a form asks them (您所在的部门
（科室）, 您的职务, 所在单位名称, "Your department") recognised as the unit, role and organization;
and the columns services add that hold personal data (昵称, 用户ID, 地理位置, IP addresses),
recognised so that they are dropped with a note and never copied into a response file.

The import (`exports.match_columns`) asks `profile_field` after the fields' own names, and
`personal_column` before it skips the services' other columns. docs/import.md lists both.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from .mapping import normalize
from .questionnaire import Question
from .tables import Table

# What a form puts around a field's name when it asks for it: 您所在的部门（科室）, 请填写您的职务,
# "What is your job title?". Removed (after the trailing hint in brackets) before the name is
# looked up among the fields' names; the longest first.
_PROFILE_PREFIXES_ZH = (
    "请填写您所在的", "请填写你所在的", "请选择您所在的", "请选择你所在的", "请填写您的",
    "请填写你的", "请选择您的", "请选择你的", "请填写", "请选择", "您所在的", "你所在的", "您所在",
    "你所在", "您的", "你的", "本人", "所在的", "所在",
)  # fmt: skip
_PROFILE_SUFFIXES_ZH = ("是什么", "是", "为", "名称全称", "全称")
_PROFILE_PREFIXES_EN = (
    "please enter your", "please select your", "please give your", "what is your",
    "which is your", "which", "your", "the",
)  # fmt: skip
# English names a form uses beyond the fields' own (exports._meta_aliases), normalised.
_PROFILE_EXTRA = {
    "departmentyouworkin": "unit", "departmentdoyouworkin": "unit",
    "departmentorunit": "unit", "departmentunit": "unit", "division": "unit",
    "workunit": "unit", "jobtitleorposition": "role", "positiontitle": "role",
    "rank": "role", "jobrole": "role", "organizationname": "organization_name",
    "organisation": "organization", "organisationname": "organization_name",
    "agency": "organization", "agencyname": "organization_name",
    "organizationyouworkfor": "organization_name", "employer": "organization_name",
    "nameofyourorganization": "organization_name", "nameofyourorganisation": "organization_name",
    "whatisthenameofyourorganization": "organization_name", "nameofyouragency": "organization_name",
    "单位全称": "organization_name", "工作单位": "organization_name",
    "部门科室": "unit", "科室部门": "unit", "处室科室": "unit", "职务职级": "role",
    "职务职称": "role", "岗位职务": "role", "职级": "role",
}  # fmt: skip

# Columns the services add that hold personal data: never imported, and named in a note (I016).
PERSONAL_COLUMNS = (
    "昵称", "微信昵称", "用户昵称", "用户ID", "用户id", "用户编号", "openid", "微信openid",
    "地理位置", "所在地区", "IP", "IP地址", "IP属地", "来自IP", "填写者IP", "来源详情",
    "来源渠道详情",
    "手机号", "手机号码", "联系电话", "电话", "邮箱", "电子邮箱", "微信号", "QQ", "身份证号",
    "email", "email address", "e-mail", "ip address", "user id", "nickname", "location",
    "geolocation", "phone", "phone number", "referrer", "source details",
)  # fmt: skip
# A header that names an IP address or a location however a service words it (来自IP(省市),
# IP地址（城市）, "Respondent IP").
_PERSONAL_RE = re.compile(r"(?:^|[^a-z])ip(?:$|[^a-z])|ip地址|ip属地|地理位置|经纬度|openid", re.I)


def _stripped(text: str, prefixes: tuple[str, ...], suffixes: tuple[str, ...] = ()) -> str:
    for prefix in prefixes:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            break
    for suffix in suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return text


def profile_field(
    header: str, aliases: dict[str, tuple[str, int]], hintless: str
) -> tuple[str, int] | None:
    """The field (and its priority) a profile question names, as a form asks it: the header
    without its trailing hint (`hintless`: 您所在的部门（科室） -> 您所在的部门), then without
    the words around a field's name (您所在的, 请填写, "What is your"), looked up among the
    fields' names (`aliases`, normalised) and a few more a form uses. The hint names the field
    too where the rest does not (部门（科室） is a unit either way)."""
    for text in (hintless, header):
        key = normalize(text)
        words = unicodedata.normalize("NFKC", text).strip().casefold()
        english = re.sub(r"[\W_]+", " ", words).strip()
        candidates = (
            key,
            normalize(_stripped(key, _PROFILE_PREFIXES_ZH, _PROFILE_SUFFIXES_ZH)),
            normalize(_stripped(english, _PROFILE_PREFIXES_EN)),
        )
        for candidate in candidates:
            if candidate in aliases:
                return aliases[candidate]
            if candidate in _PROFILE_EXTRA:
                return _PROFILE_EXTRA[candidate], 0
    return None


_PERSONAL = {normalize(name) for name in PERSONAL_COLUMNS}


def personal_column(header: str, hintless: str) -> bool:
    """Whether a column the services add holds personal data (a nickname, a user id, an IP
    address, a location, a phone number, an e-mail address)."""
    key = normalize(header)
    if key in _PERSONAL or normalize(hintless) in _PERSONAL:
        return True
    if normalize(_stripped(key, _PROFILE_PREFIXES_ZH)) in _PERSONAL:
        return True  # 您的手机号
    # short headers only: a question may well mention an IP whitelist
    return len(key) <= 12 and bool(_PERSONAL_RE.search(unicodedata.normalize("NFKC", header)))


# --------------------------------------------------------------------------- near labels

# Parts of a multi-choice cell, as `exports.cell_value` splits them.
_PARTS_RE = re.compile(r"\s*[┋,，;；、|]\s*")


def nearest_label(question: Question, raw: object) -> str:
    """' (did you mean 'label'?)' for a cell whose text (or, for a multi question, a part of
    it) is not an option but differs from one option's label by a character or two: a label
    reworded on the form, a typo. '' when no label is that close, or two are."""
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    parts = _PARTS_RE.split(text) if question.type == "multi" else [text]
    labels: dict[str, str] = {}
    for option in question.options:
        for label in option.label.values():
            labels.setdefault(normalize(label), label)
    for part in parts:
        key = normalize(part)
        if not key or key in labels:
            continue
        scored = sorted(
            ((difflib.SequenceMatcher(None, key, k).ratio(), k) for k in labels), reverse=True
        )
        if not scored:
            return ""
        best, runner = scored[0], scored[1] if len(scored) > 1 else (0.0, "")
        close = best[0] >= 0.75 or (len(key) >= 3 and _edits(key, best[1]) <= 1)
        if close and best[0] > runner[0]:
            return f" (did you mean '{labels[best[1]]}'?)"
    return ""


def _edits(a: str, b: str) -> int:
    """Levenshtein distance, cut short above 2 (only 'a character or two' matters)."""
    if abs(len(a) - len(b)) > 2:
        return 3
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


# --------------------------------------------------------------------------- 按序号 exports

_DIGITS_RE = re.compile(r"^\d{1,3}(?:┋\d{1,3})*$")


def _words_answer(question: Question, text: str) -> bool:
    """Whether a cell names an option as text: its value or a label (any locale)."""
    if question.match(text) is not None:
        return True
    key = normalize(text)
    return any(normalize(label) == key for o in question.options for label in o.label.values())


def option_numbers(table: Table, columns: dict[int, Question]) -> tuple[int, int]:
    """How the export writes its choice answers, judged on the columns of questions whose
    options are not numbers (single, multi, likert with words for values, yes/no): the columns
    whose cells are option numbers (问卷星's 按序号导出: `2`, `1┋3`), and those whose cells
    name options as text. A yes/no column of 1 and 0 is text (true/false), one with a 2 is
    numbers (1 = 是, 2 = 否); other numbers only where they fit the options."""
    numbered = worded = 0
    for col, question in columns.items():
        if question.type not in ("single", "multi", "likert", "boolean"):
            continue
        if all(str(o.value).isdigit() for o in question.options):
            continue  # 1 and "1" are the same answer either way
        texts = [
            unicodedata.normalize("NFKC", str(v)).strip()
            for v in table.values(col)[:200]
            if v is not None and str(v).strip()
        ]
        texts = [t.removesuffix(".0") for t in texts]
        numbers = [t for t in texts if _DIGITS_RE.match(t) and not _words_answer(question, t)]
        fit = all(1 <= int(n) <= len(question.options) for t in numbers for n in t.split("┋"))
        words = [t for t in texts if t not in numbers and _words_answer(question, t)]
        if question.type == "boolean":
            words += [t for t in texts if t == "0"]
            numbers = [t for t in numbers if t != "1"] if not words else []
        if numbers and fit and not words:
            numbered += 1
        elif words:
            worded += 1
    return numbered, worded


def without_hints(text: str) -> str:
    """The text without trailing bracketed hints such as 【多选题】 or （可多选）.

    A hint is an opening bracket, then no closing one up to the closing bracket that ends the
    text, of any of the bracket kinds; then the sentence marks before it go too, and the next
    hint. Found by indices in a pass, not by a regular expression: on a header of thousands of
    brackets a backtracking search took seconds to minutes. Export headers and form titles are
    both cut by it, so that they meet."""
    end = _trimmed(text, len(text))
    while end and text[end - 1] in _CLOSERS:
        last = max(text.rfind(closer, 0, end - 1) for closer in _CLOSERS)
        start = next((i for i in range(last + 1, end - 1) if text[i] in _OPENERS), -1)
        if start < 0:
            break
        end = _trimmed(text, start)
    return text[:end]


_OPENERS, _CLOSERS = frozenset("【[［(（"), "】]］)）"
_TRAILING = frozenset("?？。.．!！:：")


def _trimmed(text: str, end: int) -> int:
    """Where `text[:end]` ends without its trailing blanks and sentence marks."""
    while end and (text[end - 1].isspace() or text[end - 1] in _TRAILING):
        end -= 1
    return end
