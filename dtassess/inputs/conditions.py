"""Skip-logic conditions: parsed once, evaluated over every respondent at once.

A questionnaire question may carry a `when` condition such as
``strategy.has_plan == 'yes' and investment.budget >= 2``. Conditions are written by
questionnaire authors, not programmers, and they arrive in files we do not control, so they are
read by a small tokenizer and recursive-descent parser of our own: nothing here hands the text
to ``eval``, ``exec``, ``compile`` or the ``ast`` module, and a condition can name only question
ids, literal values and the one function ``answered``. Every syntax problem becomes a
`ConditionError` carrying a plain-language message and the 1-based column it refers to, so the
questionnaire checker can point at it.

Scoring may cover a million respondents, so `Condition.evaluate` works on whole answer columns
with numpy operations. Multi-choice answers (tuples of options) have no vectorised form: their
options are laid end to end and tested as one flat column, and only a question-against-question
`in` visits them one by one. `Condition.evaluate_one` follows the same rules for a single
respondent and is written independently, so the tests can check the two against each other.

The rules, in one place:

* A comparison (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``in``, ``not in``) with an
  unanswered operand (None, NaN, a missing column or key) or a not-applicable one (`NA`) is false.
  ``not in`` is therefore not simply the negation of ``in``; ``not (...)`` is.
* Numbers compare numerically (3 == 3.0); text compares exactly and orders like Python strings;
  a number and a text are never equal and never ordered. ``true`` and ``false`` are the texts
  'yes' and 'no', because boolean answers are stored that way.
* ``x in y`` is true when x and y share a value; a single answer counts as a set of one, a
  multi-choice answer (tuple or list) as the set of its options, a list literal as its items. So
  ``'erp' in it.tools`` and ``it.tools in ['erp', 'crm']`` both work on multi-choice answers,
  and on a single answer they mean equality.
* A multi-choice answer is never ``==`` to anything (use ``in``), and never ordered.
* Values of any other type (Python bools among them) count as answered but equal nothing.
"""

from __future__ import annotations

import operator
import string
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import numpy as np
else:

    class _Numpy:
        """numpy, imported when a column is first evaluated: the survey checks skip logic one
        respondent at a time (`evaluate_one`, plain Python), and importing numpy was a fifth of
        its start-up."""

        def __getattr__(self, name: str) -> Any:
            import numpy

            globals()["np"] = numpy
            return getattr(numpy, name)

    np = _Numpy()

__all__ = ["NA", "Condition", "ConditionError", "parse"]

NA: Final = "na"
"""Not applicable. Such a question has no value to test, so every comparison with it is false."""


class ConditionError(ValueError):
    """A condition that cannot be parsed, said in terms a questionnaire author understands.

    `column` is 1-based into the condition text so the caller can add the condition's own place
    in the questionnaire file and draw a caret under the problem.
    """

    message: str
    column: int

    def __init__(self, message: str, column: int) -> None:
        # Both go to args so that the exception pickles (multiprocessing, caches) intact.
        super().__init__(message, column)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}"


# ---------------------------------------------------------------------------------------------
# Kinds of answer values. The order matters: everything >= _NUM counts as answered.

_MISSING: Final = 0  # None, NaN, absent column or key
_NA: Final = 1  # the not-applicable sentinel
_NUM: Final = 2  # int or float (numpy's too), not bool
_STR: Final = 3  # text other than NA
_MULTI: Final = 4  # tuple/list/set of options
_OTHER: Final = 5  # anything else: answered, but equal to nothing


def _kind_of_type(t: type) -> int:
    if t is type(None):
        return _MISSING
    if issubclass(t, str):
        return _STR
    if issubclass(t, bool):
        return _OTHER  # True == 1 in Python; a stray bool must not pass for a number
    if issubclass(t, int | float):
        return _NUM
    if issubclass(t, tuple | list | set | frozenset):
        return _MULTI
    numpy = sys.modules.get("numpy")  # a numpy scalar exists only once numpy is imported
    if numpy is not None:
        if issubclass(t, numpy.bool_):
            return _OTHER
        if issubclass(t, numpy.integer | numpy.floating):
            return _NUM
    return _OTHER


class _KindByType(dict[type, int]):
    """type -> kind, filled on first sight so that classifying a column is one C-level pass."""

    def __missing__(self, t: type) -> int:
        kind = _kind_of_type(t)
        self[t] = kind
        return kind


_KIND_BY_TYPE: Final = _KindByType()


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:  # an int beyond float range still orders correctly against any float
        return float("inf") if value > 0 else float("-inf")


def _kind(value: object) -> int:
    kind = _KIND_BY_TYPE[type(value)]
    if kind == _STR and value == NA:
        return _NA
    if kind == _NUM and value != value:  # NaN is how float columns say "unanswered"
        return _MISSING
    return kind


def _equal(a: object, ka: int, b: object, kb: int) -> bool:
    if ka == _NUM and kb == _NUM:
        return _to_float(a) == _to_float(b)
    if ka == _STR and kb == _STR:
        return bool(a == b)
    return False


def _members(value: Any, kind: int) -> list[tuple[object, int]]:
    if kind == _MULTI:
        return [(item, _kind(item)) for item in value]
    return [(value, kind)]


def _shares(a: object, b: object) -> bool:
    """`a in b` for one respondent: do a and b have a value in common?"""
    ka, kb = _kind(a), _kind(b)
    if ka < _NUM or kb < _NUM:
        return False
    right = _members(b, kb)
    return any(_equal(x, kx, y, ky) for x, kx in _members(a, ka) for y, ky in right)


_ORDER: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "==": operator.eq,
    "!=": operator.ne,
    **_ORDER,
}
_FLIPPED: Final = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _compare_values(op: str, a: object, b: object) -> bool:
    """The whole comparison semantics for one respondent (see the module docstring)."""
    ka, kb = _kind(a), _kind(b)
    if ka < _NUM or kb < _NUM:
        return False
    if op == "in":
        return _shares(a, b)
    if op == "not in":
        return not _shares(a, b)
    if op == "==":
        return _equal(a, ka, b, kb)
    if op == "!=":
        return not _equal(a, ka, b, kb)
    if ka == _NUM and kb == _NUM:
        return bool(_ORDER[op](_to_float(a), _to_float(b)))
    if ka == _STR and kb == _STR:
        return bool(_ORDER[op](a, b))
    return False


# ---------------------------------------------------------------------------------------------
# Columns, prepared lazily: a condition that only tests `q == 'yes'` never pays for classifying q.


class _View:
    """One answer column as the evaluator needs it: kind codes, numbers, original objects."""

    def __init__(self, raw: np.ndarray | None, n: int) -> None:
        self.n = n
        self.raw = raw
        self._codes: np.ndarray | None = None
        self._num: np.ndarray | None = None
        self._multi: np.ndarray | None = None
        # Only object arrays can hold text or multi answers; numeric arrays are numbers or NaN.
        self.obj = raw if raw is not None and raw.dtype == object else None

    def _classify(self) -> None:
        n, raw = self.n, self.raw
        if raw is None:
            self._codes = np.zeros(n, dtype=np.int8)
            self._num = np.full(n, np.nan)
        elif self.obj is None:
            num = raw.astype(np.float64)
            self._num = num
            self._codes = np.where(np.isnan(num), _MISSING, _NUM).astype(np.int8)
        else:
            # One C-level pass: type -> kind through a per-type cache; a bytearray is the
            # cheapest writable buffer numpy can view as int8.
            kinds = bytearray(map(_KIND_BY_TYPE.__getitem__, map(type, raw.tolist())))
            codes = np.frombuffer(kinds, dtype=np.int8)
            texts = np.flatnonzero(codes == _STR)
            if texts.size:
                codes[texts[np.asarray(raw[texts] == NA, dtype=bool)]] = _NA
            num = np.full(n, np.nan)
            numbers = np.flatnonzero(codes == _NUM)
            if numbers.size:
                values = _floats(raw[numbers])
                num[numbers] = values
                codes[numbers[np.isnan(values)]] = _MISSING
            self._codes, self._num = codes, num

    @property
    def codes(self) -> np.ndarray:
        if self._codes is None:
            self._classify()
        assert self._codes is not None
        return self._codes

    @property
    def num(self) -> np.ndarray:
        """Float value of every numeric answer, NaN elsewhere (so numeric tests fail there)."""
        if self._num is None:
            self._classify()
        assert self._num is not None
        return self._num

    def answered(self) -> np.ndarray:
        return self.codes >= _NUM

    def multi(self) -> np.ndarray:
        if self._multi is None:
            self._multi = (
                np.flatnonzero(self.codes == _MULTI)
                if self.obj is not None
                else np.empty(0, dtype=np.intp)
            )
        return self._multi

    def cell(self, i: int) -> object:
        return None if self.raw is None else self.raw[i]

    def compare_literal(self, op: str, value: int | float | str) -> np.ndarray:
        if op == "!=":
            return self.answered() & ~self.compare_literal("==", value)
        if isinstance(value, str):
            if op == "==":
                # Only str objects equal a str, and the literal is never NA, so a plain
                # elementwise == already leaves out unanswered, NA, numbers and tuples.
                if self.obj is None:
                    return np.zeros(self.n, dtype=bool)
                return np.asarray(self.obj == value, dtype=bool)
            result = np.zeros(self.n, dtype=bool)
            texts = self.codes == _STR
            if texts.any():
                assert self.obj is not None  # text answers live only in object arrays
                result[texts] = np.asarray(_ORDER[op](self.obj[texts], value), dtype=np.bool_)
            return result
        return _COMPARE[op](self.num, _to_float(value))  # NaN makes every comparison false

    def compare_column(self, op: str, other: _View) -> np.ndarray:
        if op == "!=":
            both = self.answered() & other.answered()
            return both & ~self.compare_column("==", other)
        compare = _COMPARE[op]
        result = compare(self.num, other.num)
        texts = (self.codes == _STR) & (other.codes == _STR)
        if texts.any():
            assert self.obj is not None and other.obj is not None  # as in compare_literal
            result[texts] = np.asarray(compare(self.obj[texts], other.obj[texts]), dtype=np.bool_)
        return result

    def equals_any(self, items: tuple[int | float | str, ...]) -> np.ndarray:
        """Where a single (not multi-choice) answer equals one of the literal items."""
        numbers = [_to_float(v) for v in items if not isinstance(v, str)]
        result = np.isin(self.num, numbers) if numbers else np.zeros(self.n, dtype=bool)
        for text in dict.fromkeys(v for v in items if isinstance(v, str)):
            result |= self.compare_literal("==", text)
        return result

    def shares_items(self, items: tuple[int | float | str, ...]) -> np.ndarray:
        result = self.equals_any(items)
        multi = self.multi()
        if multi.size:
            assert self.raw is not None  # multi answers come from a column
            # Lay every option of every multi answer end to end, test them all at once as if
            # they were single answers, then ask per answer whether any of its options hit.
            cells = self.raw[multi].tolist()
            lengths = np.fromiter(map(len, cells), dtype=np.intp, count=len(cells))
            total = int(lengths.sum())
            # fromiter, not assignment: a nested tuple must stay one (never matching) cell.
            options = np.fromiter(chain.from_iterable(cells), dtype=object, count=total)
            hits = _View(options, total).equals_any(items)
            ends = np.cumsum(lengths)
            before = np.concatenate(([0], np.cumsum(hits)))
            result[multi] = before[ends] > before[ends - lengths]
        return result

    def shares_column(self, other: _View) -> np.ndarray:
        result = self.compare_column("==", other)
        for i in np.union1d(self.multi(), other.multi()):
            result[i] = _shares(self.cell(i), other.cell(i))
        return result


def _floats(values: np.ndarray) -> np.ndarray:
    try:
        return values.astype(np.float64)
    except (OverflowError, TypeError, ValueError):
        return np.fromiter(map(_to_float, values.tolist()), dtype=np.float64, count=len(values))


def _as_column(raw: object, n: int, name: str) -> np.ndarray | None:
    if raw is None:
        return None
    if isinstance(raw, np.ndarray):
        array = raw
    elif hasattr(raw, "__array__"):  # pandas Series and friends, without importing pandas
        array = np.asarray(raw)
    else:
        # np.asarray would turn a list of tuples into a 2-D array; keep tuples as cells.
        cells = list(raw)  # type: ignore[call-overload]
        array = np.empty(len(cells), dtype=object)
        for i, cell in enumerate(cells):
            array[i] = cell
    if array.ndim != 1 or array.shape[0] != n:
        raise ValueError(f"column {name!r} has shape {array.shape}, expected ({n},)")
    if array.dtype == object or array.dtype.kind in "iuf":
        return array
    return array.astype(object)  # text, bool, dates...: classified like any other objects


class _Env:
    """The columns one evaluation needs, each prepared (and classified) at most once."""

    def __init__(self, columns: Mapping[str, Any], n: int, names: tuple[str, ...]) -> None:
        self.n = n
        # Checked up front, so a bad column fails whatever the answers in the other columns
        # (and/or stop evaluating once the result is settled).
        self._views = {name: _View(_as_column(columns.get(name), n, name), n) for name in names}

    def view(self, name: str) -> _View:
        return self._views[name]


# ---------------------------------------------------------------------------------------------
# Syntax tree. Value nodes (_Name, _Literal, _List) only ever appear as comparison operands; the
# parser guarantees the root and every operand of not/and/or is a condition node.


@dataclass(frozen=True, slots=True)
class _Name:
    name: str
    column: int


@dataclass(frozen=True, slots=True)
class _Literal:
    value: int | float | str
    column: int


@dataclass(frozen=True, slots=True)
class _List:
    items: tuple[int | float | str, ...]
    column: int


_Value = _Name | _Literal | _List


@dataclass(frozen=True, slots=True)
class _Constant:
    """A comparison of two literals, folded at parse time."""

    value: bool
    column: int

    def vector(self, env: _Env) -> np.ndarray:
        return np.full(env.n, self.value, dtype=bool)

    def scalar(self, answers: Mapping[str, object]) -> bool:
        return self.value


@dataclass(frozen=True, slots=True)
class _Answered:
    name: str
    column: int

    def vector(self, env: _Env) -> np.ndarray:
        return env.view(self.name).answered()

    def scalar(self, answers: Mapping[str, object]) -> bool:
        return _kind(answers.get(self.name)) >= _NUM


@dataclass(frozen=True, slots=True)
class _Compare:
    op: str
    left: _Name | _Literal  # a _Literal only when op is in / not in and right is a _Name
    right: _Name | _Literal | _List
    column: int

    def vector(self, env: _Env) -> np.ndarray:
        left, right, op = self.left, self.right, self.op
        if op in ("in", "not in"):
            # Sharing a value is symmetric, so 'opt' in q is q sharing ('opt',).
            if isinstance(left, _Literal):
                assert isinstance(right, _Name)
                views = [env.view(right.name)]
                hit = views[0].shares_items((left.value,))
            elif isinstance(right, _List):
                views = [env.view(left.name)]
                hit = views[0].shares_items(right.items)
            else:
                assert isinstance(right, _Name)
                views = [env.view(left.name), env.view(right.name)]
                hit = views[0].shares_column(views[1])
            if op == "in":
                return hit
            for view in views:  # not in: still false where an operand has no answer
                hit = hit | ~view.answered()
            return ~hit
        assert isinstance(left, _Name)
        view = env.view(left.name)
        if isinstance(right, _Name):
            return view.compare_column(op, env.view(right.name))
        assert isinstance(right, _Literal)
        return view.compare_literal(op, right.value)

    def scalar(self, answers: Mapping[str, object]) -> bool:
        return _compare_values(
            self.op, _value_of(self.left, answers), _value_of(self.right, answers)
        )


def _value_of(node: _Value, answers: Mapping[str, object]) -> object:
    if isinstance(node, _Name):
        return answers.get(node.name)
    if isinstance(node, _List):
        return node.items  # a tuple, so it shares values the way a multi answer does
    return node.value


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Bool
    column: int

    def vector(self, env: _Env) -> np.ndarray:
        return ~self.operand.vector(env)

    def scalar(self, answers: Mapping[str, object]) -> bool:
        return not self.operand.scalar(answers)


@dataclass(frozen=True, slots=True)
class _And:
    operands: tuple[_Bool, ...]
    column: int

    def vector(self, env: _Env) -> np.ndarray:
        result = self.operands[0].vector(env)
        for operand in self.operands[1:]:
            if not result.any():
                break  # nothing left to keep; skip the remaining columns entirely
            result = result & operand.vector(env)  # not &=: result may be a cached mask
        return result

    def scalar(self, answers: Mapping[str, object]) -> bool:
        return all(operand.scalar(answers) for operand in self.operands)


@dataclass(frozen=True, slots=True)
class _Or:
    operands: tuple[_Bool, ...]
    column: int

    def vector(self, env: _Env) -> np.ndarray:
        result = self.operands[0].vector(env)
        for operand in self.operands[1:]:
            if result.all():
                break
            result = result | operand.vector(env)
        return result

    def scalar(self, answers: Mapping[str, object]) -> bool:
        return any(operand.scalar(answers) for operand in self.operands)


_Bool = _Constant | _Answered | _Compare | _Not | _And | _Or
_BOOL_NODES: Final = (_Constant, _Answered, _Compare, _Not, _And, _Or)


# ---------------------------------------------------------------------------------------------
# Tokenizer


@dataclass(frozen=True, slots=True)
class _Token:
    # kind: "num", "str", "name", "kw", "op", "(", ")", "[", "]", ",", "end", or "error"
    kind: str
    text: str  # as written, for messages
    value: object
    column: int


_KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false"})
_NULL_WORDS: Final = frozenset({"None", "none", "null", "NULL", "Null", "nil"})
_DIGITS: Final = frozenset(string.digits)
_ID_START: Final = frozenset(string.ascii_letters + "_")
_ID_CHARS: Final = _ID_START | _DIGITS
_PUNCT: Final = frozenset("()[],")
_CURLY_QUOTES: Final = frozenset("‘’‚‛“”„‟«»")
_MATH_SIGNS: Final = {"≤": "<=", "≥": ">=", "≠": "!=", "＝": "=="}
_MAX_DEPTH: Final = 100
_NA_MESSAGE: Final = (
    f"'{NA}' marks a question as not applicable and never equals anything; use answered(q) to "
    "tell answered questions from unanswered or not applicable ones"
)


def _tokens(text: str) -> Iterator[_Token]:
    """Yield tokens; a lexical error becomes an "error" token so it is raised only when the
    parser reaches it, and problems are reported in the order they appear in the text."""
    try:
        yield from _scan(text)
    except ConditionError as error:
        yield _Token("error", "", error, error.column)
        return
    yield _Token("end", "", None, len(text) + 1)


def _scan(text: str) -> Iterator[_Token]:
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        column = i + 1
        nxt = text[i + 1] if i + 1 < n else ""
        if c.isspace():
            i += 1
        elif c in "'\"":
            token, i = _scan_string(text, i)
            yield token
        elif c in _DIGITS or (c == "-" and nxt and nxt in _DIGITS):
            token, i = _scan_number(text, i)
            yield token
        elif c in _ID_START:
            token, i = _scan_name(text, i)
            yield token
        elif c in "<>!=":
            if nxt == "=":
                yield _Token("op", c + "=", c + "=", column)
                i += 2
            elif c in "<>":
                if c == "<" and nxt == ">":
                    raise ConditionError(
                        "'<>' is not an operator; use '!=' for 'not equal'", column
                    )
                yield _Token("op", c, c, column)
                i += 1
            elif c == "=":
                hint = f" ('={nxt}' is written '{nxt}=')" if nxt in ("<", ">") else ""
                raise ConditionError(
                    f"use '==' to compare; a single '=' is not an operator{hint}", column
                )
            else:
                raise ConditionError(
                    "'!' on its own is not an operator; use 'not' to negate a condition, "
                    "or '!=' for 'not equal'",
                    column,
                )
        elif c in _PUNCT:
            yield _Token(c, c, c, column)
            i += 1
        else:
            raise ConditionError(_unexpected_character(c, nxt), column)


def _unexpected_character(c: str, nxt: str) -> str:
    if c == "&":
        return "use 'and' instead of '&' to require both conditions"
    if c == "|":
        return "use 'or' instead of '|' to accept either condition"
    if c == "-":
        return "'-' may only stand right before a number, as in -1"
    if c in _MATH_SIGNS:
        return f"write '{_MATH_SIGNS[c]}' instead of '{c}'"
    if c in _CURLY_QUOTES:
        return f"typographic quote {c!r}; write text between straight quotes ' or \""
    if c == "." and nxt in _DIGITS and nxt:
        return "write numbers with a digit before the decimal point, as in 0.5"
    return (
        f"unexpected character {c!r}; expected a question id, a value, an operator such as "
        "'==', or a parenthesis"
    )


def _scan_string(text: str, start: int) -> tuple[_Token, int]:
    quote = text[start]
    chars: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            escaped = text[i + 1]
            if escaped not in ("\\", "'", '"'):
                raise ConditionError(
                    f"unknown escape '\\{escaped}' in text; a backslash may only come before "
                    "a quote or another backslash",
                    i + 1,
                )
            chars.append(escaped)
            i += 2
        elif c == quote:
            return _Token("str", text[start : i + 1], "".join(chars), start + 1), i + 1
        else:
            chars.append(c)
            i += 1
    raise ConditionError(f"this text is never closed; add a matching {quote} at its end", start + 1)


def _scan_number(text: str, start: int) -> tuple[_Token, int]:
    i, n = start + 1, len(text)  # text[start] is a digit or '-'
    while i < n and (text[i] in _ID_CHARS or text[i] == "."):
        i += 1
    word = text[start:i]
    body = word.removeprefix("-")
    whole, dot, fraction = body.partition(".")
    if whole.isdigit() and (not dot or fraction.isdigit()):  # only ASCII reaches here
        value: int | float = _to_float(body) if dot else int(body)
        return _Token("num", word, -value if word.startswith("-") else value, start + 1), i
    if all(ch in _DIGITS or ch == "." for ch in body):
        message = f"'{word}' is not a number; write numbers like 3, -1 or 2.5"
    else:
        message = (
            f"'{word}' is neither a number nor a question id; question ids start with a letter "
            "or '_' (only later parts, after a '.', may start with a digit)"
        )
    raise ConditionError(message, start + 1)


def _id_chars_end(text: str, i: int) -> int:
    """Where a run of id characters from `i` ends; a hyphen belongs to an id between two of
    them (G-SM-1-A): conditions have no subtraction, and `q >= -1` keeps its space."""
    n = len(text)
    while i < n and (
        text[i] in _ID_CHARS or (text[i] == "-" and i + 1 < n and text[i + 1] in _ID_CHARS)
    ):
        i += 1
    return i


def _scan_name(text: str, start: int) -> tuple[_Token, int]:
    i, n = _id_chars_end(text, start + 1), len(text)
    while i < n and text[i] == ".":
        if i + 1 >= n or text[i + 1] not in _ID_CHARS:
            raise ConditionError(
                "a question id cannot end with '.'; expected the rest of the id after it", i + 1
            )
        i = _id_chars_end(text, i + 2)
    word = text[start:i]
    column = start + 1
    first = word.split(".", 1)[0]
    if "." not in word:
        if word in _KEYWORDS:
            return _Token("kw", word, word, column), i
        if word.lower() in _KEYWORDS:
            raise ConditionError(
                f"write '{word.lower()}' in lower case; '{word}' is not a keyword", column
            )
        if word == NA:
            raise ConditionError(_NA_MESSAGE, column)
        if word in _NULL_WORDS:
            raise ConditionError(
                f"there is no '{word}' value; to test whether q has an answer write answered(q) "
                "or not answered(q)",
                column,
            )
    elif first in _KEYWORDS:
        raise ConditionError(
            f"'{first}' is a reserved word, so a question id cannot start with it", column
        )
    return _Token("name", word, word, column), i


# ---------------------------------------------------------------------------------------------
# Parser. Grammar, loosest first:
#   condition  := conjunction ('or' conjunction)*
#   conjunction:= negation ('and' negation)*
#   negation   := 'not' negation | comparison
#   comparison := operand [ ('=='|'!='|'<'|'<='|'>'|'>=') operand
#                         | ('in' | 'not' 'in') (list | operand) ]
#   operand    := NUMBER | STRING | 'true' | 'false' | NAME | 'answered' '(' NAME ')'
#               | '(' condition ')'
#   list       := '[' literal (',' literal)* [','] ']'


def _is_literal(token: _Token) -> bool:
    return token.kind in ("num", "str") or (token.kind == "kw" and token.text in ("true", "false"))


def _describe(token: _Token) -> str:
    if token.kind == "end":
        return "the end of the condition"
    if token.kind == "str":
        return f"the text {token.text}"
    return f"'{token.text}'"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.stream = _tokens(text)
        self.buffer: list[_Token] = []
        self.names: dict[str, int] = {}  # question id -> column of first appearance, in order
        self.depth = 0
        self.open_parens = 0

    # -- token access ---------------------------------------------------------------------

    def peek(self, ahead: int = 0) -> _Token:
        """The token `ahead` places on; the current one raises if it is a lexical error, a
        look-ahead one does not (the parser may stop before reaching it)."""
        while len(self.buffer) <= ahead:
            token = next(self.stream, None)
            if token is None:
                token = self.buffer[-1]  # "end" or "error" repeats
            self.buffer.append(token)
        token = self.buffer[ahead]
        if ahead == 0 and token.kind == "error":
            assert isinstance(token.value, ConditionError)
            raise token.value
        return token

    def advance(self) -> _Token:
        token = self.peek()
        if token.kind != "end":
            self.buffer.pop(0)
        return token

    def at(self, word: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "kw" and token.text == word

    def nest(self, token: _Token) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ConditionError("the condition is nested too deeply; simplify it", token.column)

    # -- grammar ------------------------------------------------------------------------------

    def parse(self) -> _Bool:
        if self.peek().kind == "end":
            raise ConditionError(
                "the condition is empty; expected a test such as q == 'yes' or answered(q)", 1
            )
        node = self.condition(None)
        self.require_condition(node)
        token = self.peek()
        if token.kind == ")":
            raise ConditionError("this ')' has no matching '('", token.column)
        if token.kind != "end":
            raise ConditionError(
                f"unexpected {_describe(token)} after a complete condition; join conditions "
                "with 'and' or 'or'",
                token.column,
            )
        assert isinstance(node, _BOOL_NODES)
        return node

    def condition(self, after: _Token | None) -> _Bool | _Value:
        first = self.conjunction(after)
        if not self.at("or"):
            return first
        operands = [self.require_condition(first)]
        while self.at("or"):
            keyword = self.advance()
            operands.append(self.require_condition(self.conjunction(keyword)))
        return _Or(tuple(operands), first.column)

    def conjunction(self, after: _Token | None) -> _Bool | _Value:
        first = self.negation(after)
        if not self.at("and"):
            return first
        operands = [self.require_condition(first)]
        while self.at("and"):
            keyword = self.advance()
            operands.append(self.require_condition(self.negation(keyword)))
        return _And(tuple(operands), first.column)

    def negation(self, after: _Token | None) -> _Bool | _Value:
        if not self.at("not"):
            return self.comparison(after)
        keyword = self.advance()
        self.nest(keyword)
        operand = self.require_condition(self.negation(keyword))
        self.depth -= 1
        return _Not(operand, keyword.column)

    def comparison(self, after: _Token | None) -> _Bool | _Value:
        left = self.operand(after, "a condition")
        token = self.peek()
        if token.kind == "op":
            self.advance()
            right = self.operand(token, "a value or a question id")
            node = self.make_comparison(token, left, right)
        elif self.at("in") or (self.at("not") and self.at("in", 1)):
            self.advance()
            if token.text == "not":
                self.advance()
                token = _Token("kw", "not in", "not in", token.column)
            right = self.operand(
                token, "a list such as ['a', 'b'] or a question id", list_allowed=True
            )
            node = self.make_membership(token, token.text, left, right)
        elif self.at("not") and not isinstance(left, _BOOL_NODES):
            raise ConditionError(
                "expected 'in' after 'not' here, as in q not in ['a', 'b']; to negate a "
                "comparison, put 'not' in front of it",
                token.column,
            )
        else:
            return left
        following = self.peek()
        if following.kind == "op" or self.at("in") or (self.at("not") and self.at("in", 1)):
            raise ConditionError(
                "comparisons cannot be chained; join them with 'and', as in a < b and b < c",
                following.column,
            )
        return node

    def operand(
        self, after: _Token | None, expected: str, *, list_allowed: bool = False
    ) -> _Bool | _Value:
        token = self.peek()
        kind = token.kind
        if _is_literal(token):
            self.advance()
            return self.literal(token)
        if kind == "name":
            self.advance()
            if self.peek(0).kind == "(":
                return self.call(token)
            self.names.setdefault(token.text, token.column)
            return _Name(token.text, token.column)
        if kind == "(":
            self.advance()
            self.nest(token)
            self.open_parens += 1
            inner = self.condition(token)
            closing = self.peek()
            if closing.kind == "end":
                raise ConditionError("this '(' is never closed; add a matching ')'", token.column)
            if closing.kind != ")":
                raise ConditionError(
                    f"expected 'and', 'or' or the ')' closing the '(' at column {token.column}, "
                    f"found {_describe(closing)}",
                    closing.column,
                )
            self.advance()
            self.open_parens -= 1
            self.depth -= 1
            return inner
        if kind == "[":
            if not list_allowed:
                raise ConditionError(
                    "a list is only allowed after 'in' or 'not in', as in q in ['a', 'b']",
                    token.column,
                )
            return self.list_literal()
        if kind == ")" and self.open_parens == 0:
            raise ConditionError("this ')' has no matching '('", token.column)
        where = f" after '{after.text}'" if after is not None else ""
        example = " such as q == 'yes'" if after is None else ""
        if kind == "end":
            raise ConditionError(
                f"expected {expected}{where}{example}, but the condition ended", token.column
            )
        raise ConditionError(
            f"expected {expected}{where}{example}, found {_describe(token)}", token.column
        )

    def literal(self, token: _Token) -> _Literal:
        if token.kind == "kw":
            value: int | float | str = "yes" if token.text == "true" else "no"
        else:
            assert isinstance(token.value, int | float | str)
            value = token.value
        if value == NA and isinstance(value, str):
            raise ConditionError(_NA_MESSAGE, token.column)
        return _Literal(value, token.column)

    def list_literal(self) -> _List:
        opening = self.advance()
        items: list[int | float | str] = []
        while True:
            token = self.peek()
            if token.kind == "]":
                if not items:
                    raise ConditionError(
                        "the list is empty; put at least one value in it, as in ['a', 'b']",
                        opening.column,
                    )
                self.advance()
                return _List(tuple(items), opening.column)
            if token.kind == "end":
                raise ConditionError("this '[' is never closed; add a matching ']'", opening.column)
            if _is_literal(token):
                self.advance()
                items.append(self.literal(token).value)
            elif token.kind == "name":
                raise ConditionError(
                    "a list can only hold values such as 'a' or 3, not question ids", token.column
                )
            elif token.kind == "[":
                raise ConditionError("a list cannot contain another list", token.column)
            else:
                raise ConditionError(
                    f"expected a value such as 'a' or 3 in the list, found {_describe(token)}",
                    token.column,
                )
            separator = self.peek()
            if separator.kind == ",":
                self.advance()
            elif separator.kind == "end":
                raise ConditionError("this '[' is never closed; add a matching ']'", opening.column)
            elif separator.kind != "]":
                raise ConditionError(
                    f"expected ',' or ']' in the list, found {_describe(separator)}",
                    separator.column,
                )

    def call(self, name: _Token) -> _Answered:
        if name.text != "answered":
            raise ConditionError(
                f"unknown function '{name.text}'; the only function is answered(q), which is "
                "true where question q has an answer",
                name.column,
            )
        opening = self.advance()
        argument = self.peek()
        if argument.kind != "name" or self.peek(1).kind == "(":
            column = argument.column
            raise ConditionError(
                "answered() takes one question id, as in answered(strategy.has_plan)", column
            )
        self.advance()
        closing = self.peek()
        if closing.kind == ",":
            raise ConditionError("answered() takes exactly one question id", closing.column)
        if closing.kind == "end":
            raise ConditionError("this '(' is never closed; add a matching ')'", opening.column)
        if closing.kind != ")":
            raise ConditionError(
                f"expected ')' after the question id, found {_describe(closing)}", closing.column
            )
        self.advance()
        self.names.setdefault(argument.text, argument.column)
        return _Answered(argument.text, name.column)

    # -- checks -------------------------------------------------------------------------------

    def require_condition(self, node: _Bool | _Value) -> _Bool:
        if isinstance(node, _BOOL_NODES):
            return node
        if isinstance(node, _Name):
            raise ConditionError(
                f"'{node.name}' on its own is not a condition; write answered({node.name}) to "
                f"test that it has an answer, or compare it, as in {node.name} == 'yes'",
                node.column,
            )
        raise ConditionError(
            "a value on its own is not a condition; compare a question with it, as in q == 'yes'",
            node.column,
        )

    def require_value(self, token: _Token, node: _Bool | _Value, side: str) -> _Name | _Literal:
        if isinstance(node, _Name | _Literal):
            return node
        raise ConditionError(
            f"'{token.text}' compares values, but its {side} side is already a condition; "
            "combine conditions with 'and' or 'or' instead",
            token.column,
        )

    def make_comparison(
        self, token: _Token, left: _Bool | _Value, right: _Bool | _Value
    ) -> _Compare | _Constant:
        op = token.text
        a = self.require_value(token, left, "left")
        b = self.require_value(token, right, "right")
        if isinstance(a, _Literal) and isinstance(b, _Literal):
            return _Constant(_compare_values(op, a.value, b.value), a.column)
        if isinstance(a, _Literal):  # keep the question on the left: 2 <= q is q >= 2
            a, b, op = b, a, _FLIPPED[op]
        return _Compare(op, a, b, token.column)

    def make_membership(
        self, token: _Token, op: str, left: _Bool | _Value, right: _Bool | _Value
    ) -> _Compare | _Constant:
        a = self.require_value(token, left, "left")
        if isinstance(right, _Literal):
            raise ConditionError(
                f"expected a list such as ['a', 'b'] or a question id after '{op}', found a "
                "single value; write a list even for one value, as in q in ['a']",
                right.column,
            )
        if not isinstance(right, _Name | _List):
            raise ConditionError(
                f"expected a list such as ['a', 'b'] or a question id after '{op}', found a "
                "condition",
                token.column,
            )
        if isinstance(a, _Literal) and isinstance(right, _List):
            return _Constant(_compare_values(op, a.value, right.items), a.column)
        return _Compare(op, a, right, token.column)


# ---------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class Condition:
    """A parsed skip-logic condition, kept so the text is parsed once and evaluated many times.

    `names` (first-appearance order, no repeats) and `name_columns` (1-based, where each name
    first appears) let the questionnaire checker report unknown or later questions at the
    place they are written without parsing again. Frozen and compared by text, so conditions
    can be cached and deduplicated.
    """

    source: str
    names: tuple[str, ...]
    name_columns: tuple[int, ...]
    _root: _Bool | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A Condition built by hand (not through parse) must still be safe to evaluate.
        if self._root is None:
            parsed = parse(self.source)
            if (parsed.names, parsed.name_columns) != (self.names, self.name_columns):
                raise ValueError("names and name_columns do not match the condition's source")
            object.__setattr__(self, "_root", parsed._root)

    def evaluate(self, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """Whole columns at once, because scoring covers up to a million respondents.

        Returns a bool array of shape (n,). A column is an object array (None = unanswered,
        `NA`, text, numbers, tuples of options) or a float array (NaN = unanswered); `n` is
        passed separately because a question missing from `columns` is unanswered by everyone
        and there may be no column to take the length from. Raises ValueError for a referenced
        column whose length is not n.
        """
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"n must not be negative, got {n}")
        assert self._root is not None
        result = self._root.vector(_Env(columns, n, self.names))
        return np.array(result, dtype=bool, copy=True)  # never a cached mask the caller could edit

    def evaluate_one(self, answers: Mapping[str, object]) -> bool:
        """The same rules for one respondent (an absent key is unanswered), for checking a
        single response file, where building columns would cost more than it saves."""
        assert self._root is not None
        return bool(self._root.scalar(answers))

    def tree(self) -> tuple:
        """The parsed condition as plain tuples, for writers that translate it into another
        language (a form tool's relevance expression, a sentence on paper):

        ("and", [t, ...]), ("or", [t, ...]), ("not", t), ("answered", name), ("constant", bool),
        ("compare", op, left, right) with operands ("name", id), ("literal", value) or
        ("list", (value, ...)).
        """
        assert self._root is not None
        return _plain(self._root)


def _plain(node: _Bool | _Value) -> tuple:
    if isinstance(node, _And | _Or):
        return ("and" if isinstance(node, _And) else "or", [_plain(n) for n in node.operands])
    if isinstance(node, _Not):
        return ("not", _plain(node.operand))
    if isinstance(node, _Answered):
        return ("answered", node.name)
    if isinstance(node, _Constant):
        return ("constant", node.value)
    if isinstance(node, _Compare):
        return ("compare", node.op, _plain(node.left), _plain(node.right))
    if isinstance(node, _Name):
        return ("name", node.name)
    if isinstance(node, _List):
        return ("list", node.items)
    return ("literal", node.value)


def parse(text: str) -> Condition:
    """Read a `when` condition with our own parser, because the text comes from questionnaire
    files and must never be able to run code; raises ConditionError naming what was expected
    and the column where it was not found."""
    if not isinstance(text, str):
        raise TypeError(f"a condition must be a str, not {type(text).__name__}")
    parser = _Parser(text)
    root = parser.parse()
    return Condition(
        source=text,
        names=tuple(parser.names),
        name_columns=tuple(parser.names.values()),
        _root=root,
    )
