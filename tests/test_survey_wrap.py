"""The full-screen survey breaks Chinese lines as Chinese is typeset: no line starts with a
comma, a stop or a closing bracket, none ends with an opening bracket (rich folds text without
spaces at any character)."""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from dtassess.inputs.questionnaire import load_questionnaire, localize
from dtassess.survey_wrap import NO_END, NO_START, Wrapped, line_spans

HAN = "数字化转型规划目标任务资金评估单位"
MARKS = "，。、；：？！）》”"
OPENERS = "（《“"

# Text as the questionnaires write it: Han characters, one mark at a time, an opening mark
# before a Han character, now and then a Latin word between spaces.
pieces = st.one_of(
    st.text(alphabet=HAN, min_size=1, max_size=6),
    st.tuples(st.sampled_from(HAN), st.sampled_from(MARKS)).map("".join),
    st.tuples(st.sampled_from(OPENERS), st.sampled_from(HAN)).map("".join),
    st.sampled_from([" SSL ", " 2026 ", " HIS ", " (a) ", " plan "]),
)
texts = st.lists(pieces, min_size=1, max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(texts, st.integers(min_value=10, max_value=80))
def test_lines_keep_the_rules_the_width_and_every_character(text, width):
    lines = [text[s:e] for s, e in line_spans(text, width)]
    for k, line in enumerate(lines):
        assert cell_len(line) <= width, (line, width)
        assert line == line.strip()
        if k > 0:
            assert line[:1] not in NO_START, lines
        if k < len(lines) - 1:
            assert line[-1:] not in NO_END, lines
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_english_breaks_at_spaces_only():
    text = "Adopt rules that reward innovation and tolerate honest mistakes (digital mindset)"
    lines = [text[s:e] for s, e in line_spans(text, 30)]
    assert lines == [
        "Adopt rules that reward",
        "innovation and tolerate honest",
        "mistakes (digital mindset)",
    ]


def test_a_word_wider_than_the_line_is_folded():
    assert [("x" * 25)[s:e] for s, e in line_spans("x" * 25, 10)] == ["x" * 10, "x" * 10, "x" * 5]


def render(renderable, width: int) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return out.getvalue().splitlines()


def test_the_bundled_questionnaires_options_never_start_a_line_with_a_mark():
    # The survey's grid of options (survey_question.options_grid) at every width from a phone's
    # terminal to a wide one: folded by the terminal, gov-dt's anchors put "，" at the start of
    # a line at 79 and 80 columns, among others.
    q = load_questionnaire("gov-dt")
    for width in range(40, 101, 3):
        for question in q.questions:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(justify="right", no_wrap=True)
            grid.add_column(overflow="fold")
            for k, option in enumerate(question.options, start=1):
                grid.add_row(f"  {k}", Wrapped(localize(option.label, "zh")))
            for line in render(grid, width):
                body = line[4:].lstrip()  # after the key column
                assert body[:1] not in NO_START, (question.id, width, line)
