"""Skip-logic conditions translated for form tools: XPath for XLSForm's `relevant`, LimeSurvey's
ExpressionScript for its relevance equations, and words for paper and 问卷星.

The translations keep dtassess's rules (dtassess/inputs/conditions.py): a comparison with an
unanswered or not-applicable question is false, so `!=`, `not in` and orderings are guarded by
"answered" where the tool's own rule differs (in XPath an empty answer is `!= 'yes'`). What a
tool cannot say — a text ordered against a text, one question's options against another's — is
None, and the writer shows the question always, with a warning (X001).
"""

from __future__ import annotations

from typing import Any

from ..inputs.conditions import NA, Condition
from ..inputs.formnames import NA_CHOICE, NA_CODE, FormNames, subquestion_code
from ..inputs.questionnaire import Question, Questionnaire
from ..labels import labels

ORDERING = ("<", "<=", ">", ">=")
_NUMERIC = (int, float)


class Untranslatable(Exception):
    """A condition the target language cannot express."""


def _literal_xpath(value: Any) -> str:
    if isinstance(value, _NUMERIC):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise Untranslatable


def _literal_ls(value: Any) -> str:
    if isinstance(value, _NUMERIC):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if "'" in text or "\\" in text:
        raise Untranslatable
    return f"'{text}'"


class _Translator:
    """The tree of a condition (Condition.tree) walked into one target language."""

    def __init__(self, q: Questionnaire, names: FormNames) -> None:
        self.q, self.names = q, names

    def question(self, name: str) -> Question:
        return self.q.question(name)

    def walk(self, node: tuple) -> str:
        kind = node[0]
        if kind in ("and", "or"):
            return "(" + f" {kind} ".join(self.walk(n) for n in node[1]) + ")"
        if kind == "not":
            return self.negate(self.walk(node[1]))
        if kind == "constant":
            return self.constant(node[1])
        if kind == "answered":
            return self.answered(self.question(node[1]))
        _, op, left, right = node
        if op in ("in", "not in"):
            hit = self.membership(left, right)
            if op == "in":
                return hit
            guards = [self.answered(self.question(n[1])) for n in (left, right) if n[0] == "name"]
            return "(" + " and ".join([*guards, self.negate(hit)]) + ")"
        if right[0] != "literal":
            raise Untranslatable  # a question against a question: names differ per tool
        return self.compare(self.question(left[1]), op, right[1])

    def membership(self, left: tuple, right: tuple) -> str:
        if left[0] == "literal" and right[0] == "name":
            return self.contains(self.question(right[1]), [left[1]])
        if left[0] == "name" and right[0] == "list":
            return self.contains(self.question(left[1]), list(right[1]))
        raise Untranslatable

    def contains(self, question: Question, values: list[Any]) -> str:
        """The answer to `question` shares a value with `values`."""
        if question.type == "multi":
            hits = [self.selected(question, v) for v in values if question.option(v) is not None]
        else:
            hits = [self.compare(question, "==", v) for v in values]
            hits = [h for h in hits if h != self.constant(False)]
        if not hits:
            return self.constant(False)
        return hits[0] if len(hits) == 1 else "(" + " or ".join(hits) + ")"

    def compare(self, question: Question, op: str, value: Any) -> str:
        if question.type == "multi":
            return self.constant(False)  # a multi answer is never == anything, never ordered
        if value == NA:
            return self.constant(False)
        if question.options:
            option = question.match(value)
            if op in ORDERING:
                if not all(isinstance(o.value, _NUMERIC) for o in question.options):
                    raise Untranslatable
                if not isinstance(value, _NUMERIC):
                    raise Untranslatable
                return self.ordered(question, op, value)
            if option is None:
                return self.constant(False) if op == "==" else self.answered(question)
            return self.equal(question, op, option.value)
        if op in ORDERING and not isinstance(value, _NUMERIC):
            raise Untranslatable
        if op in ORDERING:
            return self.ordered(question, op, value)
        return self.equal(question, op, value)

    # the target language's words: overridden below
    def constant(self, value: bool) -> str:
        raise NotImplementedError

    def negate(self, text: str) -> str:
        raise NotImplementedError

    def answered(self, question: Question) -> str:
        raise NotImplementedError

    def selected(self, question: Question, value: Any) -> str:
        raise NotImplementedError

    def equal(self, question: Question, op: str, value: Any) -> str:
        raise NotImplementedError

    def ordered(self, question: Question, op: str, value: Any) -> str:
        raise NotImplementedError


class _XPath(_Translator):
    def ref(self, question: Question) -> str:
        return "${" + self.names.questions[question.id] + "}"

    def value(self, question: Question, value: Any) -> str:
        if question.options:
            return _literal_xpath(self.names.choices[question.id][value])
        return _literal_xpath(value)

    def constant(self, value: bool) -> str:
        return "true()" if value else "false()"

    def negate(self, text: str) -> str:
        return f"not({text})"

    def answered(self, question: Question) -> str:
        ref = self.ref(question)
        if question.type == "multi":
            return f"count-selected({ref}) > 0"
        if question.allow_na and question.options:
            return f"({ref} != '' and {ref} != '{NA_CHOICE}')"
        return f"{ref} != ''"

    def selected(self, question: Question, value: Any) -> str:
        return f"selected({self.ref(question)}, {self.value(question, value)})"

    def equal(self, question: Question, op: str, value: Any) -> str:
        if op == "==":
            return f"{self.ref(question)} = {self.value(question, value)}"
        return (
            f"({self.answered(question)} and {self.ref(question)} != {self.value(question, value)})"
        )

    def ordered(self, question: Question, op: str, value: Any) -> str:
        return f"({self.answered(question)} and {self.ref(question)} {op} {_literal_xpath(value)})"


class _LimeSurvey(_Translator):
    def ref(self, question: Question, sub: str | None = None) -> str:
        code = self.names.codes[question.id]
        return f"{code}_{sub}.NAOK" if sub else f"{code}.NAOK"

    def value(self, question: Question, value: Any) -> str:
        if question.options:
            return _literal_ls(self.names.answers[question.id][value])
        return _literal_ls(value)

    def constant(self, value: bool) -> str:
        return "1" if value else "0"

    def negate(self, text: str) -> str:
        return f"!({text})"

    def answered(self, question: Question) -> str:
        if question.type == "multi":
            subs = ", ".join(
                self.ref(question, subquestion_code(i)) for i in range(1, len(question.options) + 1)
            )
            return f"count({subs}) > 0"
        ref = self.ref(question)
        if question.allow_na:
            return f"(!is_empty({ref}) and {ref} != '{NA_CODE}')"
        return f"!is_empty({ref})"

    def selected(self, question: Question, value: Any) -> str:
        index = [o.value for o in question.options].index(value)
        return f"{self.ref(question, subquestion_code(index + 1))} == 'Y'"

    def equal(self, question: Question, op: str, value: Any) -> str:
        if op == "==":
            return f"{self.ref(question)} == {self.value(question, value)}"
        return (
            f"({self.answered(question)} and {self.ref(question)} != {self.value(question, value)})"
        )

    def ordered(self, question: Question, op: str, value: Any) -> str:
        return f"({self.answered(question)} and {self.ref(question)} {op} {_literal_ls(value)})"


def xpath(q: Questionnaire, names: FormNames, condition: Condition) -> str | None:
    """XLSForm's `relevant` for a `when` condition; None when XPath cannot say it."""
    try:
        return _XPath(q, names).walk(condition.tree())
    except Untranslatable:
        return None


def limesurvey(q: Questionnaire, names: FormNames, condition: Condition) -> str | None:
    """A LimeSurvey relevance equation for a `when` condition; None when it cannot say it."""
    try:
        return _LimeSurvey(q, names).walk(condition.tree())
    except Untranslatable:
        return None


# --------------------------------------------------------------------------- in words


def text(value: dict[str, str] | None, langs: tuple[str, ...]) -> str:
    """A questionnaire text in the form's languages: one, or each in turn joined by ` / `."""
    if not value:
        return ""
    found = [value.get(lang) or next(iter(value.values())) for lang in langs]
    return " / ".join(dict.fromkeys(found))


def words(q: Questionnaire, names: FormNames, condition: Condition, langs: tuple[str, ...]) -> str:
    """A condition said in words, questions by their number (`第1题为“是”`), for forms
    without skip logic of their own; in several languages joined by ` / `."""
    return " / ".join(_words(q, names, condition.tree(), lang) for lang in langs)


def _words(q: Questionnaire, names: FormNames, node: tuple, lang: str) -> str:
    w = labels("forms", lang)
    kind = node[0]
    if kind in ("and", "or"):
        glue = f" {w[kind]} " if lang != "zh" else w[kind]
        return glue.join(_words(q, names, n, lang) for n in node[1])
    if kind == "not":
        return w["not"].format(x=_words(q, names, node[1], lang))
    if kind == "constant":
        return w["always"] if node[1] else w["never"]

    def ref(qid: str) -> str:
        return w["question"].format(n=names.numbers[qid])

    def said(qid: str | None, value: Any) -> str:
        if qid is not None:
            option = q.question(qid).match(value)
            if option is not None and option.label:
                return text(option.label, (lang,))
        return str(value)

    if kind == "answered":
        return w["answered"].format(q=ref(node[1]))
    _, op, left, right = node
    if op in ("in", "not in"):
        if left[0] == "literal" and right[0] == "name":
            key = "includes" if op == "in" else "excludes"
            return w[key].format(q=ref(right[1]), v=said(right[1], left[1]))
        if left[0] == "name" and right[0] == "list":
            listing = "、".join(f"“{said(left[1], v)}”" for v in right[1])
            key = "one_of" if op == "in" else "none_of"
            return w[key].format(q=ref(left[1]), v=listing)
        key = "includes" if op == "in" else "excludes"
        return w[key].format(q=ref(right[1]), v=ref(left[1]))
    keys = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
    if right[0] == "name":
        return w[keys[op]].format(q=ref(left[1]), v=ref(right[1]))
    value = right[1]
    shown = said(left[1], value) if op in ("==", "!=") else str(value)
    return w[keys[op]].format(q=ref(left[1]), v=shown)
