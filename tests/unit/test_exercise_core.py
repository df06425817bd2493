"""The check/hint/solution core, tested with questions defined here (no week module needed)."""

from __future__ import annotations

import copy
import json
import pickle

import nbformat
import numpy as np
import pandas as pd
import pytest

from lendlab.course.exercises import ____
from lendlab.course.exercises.checks import (
    CHECK_MIMETYPE,
    Blank,
    CheckFailed,
    CheckResult,
    Incorrect,
    Question,
    Week,
    expect_array,
    expect_bool,
    expect_choice,
    expect_equal,
    expect_frame,
    expect_number,
    expect_set,
    is_blank,
    strict_mode,
)
from lendlab.course.runner import check_results, checks_in


class BadRate(Question):
    title = "bad rate of the book"
    hints = ("Defaults are a 0/1 column.", "Take the mean of book['defaulted'].")
    solution_code = "bad_rate = book['defaulted'].mean()"
    requires = ("book",)

    def expected(self, ctx):
        return float(ctx["book"]["defaulted"].mean())

    def compare(self, answer, expected, ctx):
        expect_number(answer, expected, what="the bad rate")

    def wrong_answers(self, ctx):
        return [100 * self.expected(ctx)]


class Action(Question):
    title = "what to do with the canary"
    hints = ("Look at the guardrail.", "It breached: do not promote.")
    solution_code = "action = 'rollback'"

    def expected(self, ctx):
        return "rollback" if ctx["breached"] else "promote"

    def compare(self, answer, expected, ctx):
        expect_choice(answer, expected, choices=["promote", "hold", "rollback"])

    def wrong_answers(self, ctx):
        return ["promote"]


class NeedsScores(Question):
    title = "needs scores"
    hints = ("a", "b")
    solution_code = "x = 1"
    requires = ("scores",)

    def expected(self, ctx):
        return 1.0

    def wrong_answers(self, ctx):
        return [2.0]


class BrokenExpected(Question):
    title = "broken expectation"
    hints = ("a", "b")
    solution_code = "x = 1"

    def expected(self, ctx):
        return ctx["book"]["no_such_column"].mean()

    def wrong_answers(self, ctx):
        return [0]


class BrokenCompare(Question):
    title = "broken comparison"
    hints = ("a", "b")
    solution_code = "x = 1"

    def expected(self, ctx):
        return 0.5

    def compare(self, answer, expected, ctx):
        if answer > expected:  # a str answer raises TypeError here: the core must catch it
            raise Incorrect("too high")

    def wrong_answers(self, ctx):
        return [0.9]


BOOK = pd.DataFrame({"defaulted": [0, 1, 0, 0, 1, 0, 0, 0]})  # bad rate 0.25


@pytest.fixture
def week():
    w = Week(
        "weekXX",
        [BadRate(), Action(), NeedsScores(), BrokenExpected(), BrokenCompare()],
        build_context=lambda *, seed, n: {"book": BOOK, "breached": True},
    )
    w.bind(book=BOOK, breached=True)
    return w


pytestmark = pytest.mark.usefixtures("not_strict")


def lines(capsys) -> list[str]:
    return capsys.readouterr().out.splitlines()


# ---------------------------------------------------------------- the blank


def test_blank_is_a_singleton_that_survives_copy_and_pickle():
    assert Blank() is ____
    assert repr(____) == "____" and str(____) == "____"
    assert copy.copy(____) is ____ and copy.deepcopy([____])[0] is ____
    assert pickle.loads(pickle.dumps(____)) is ____


def test_arithmetic_on_the_blank_stays_blank():
    assert (____ * 12) is ____ and (1 - ____) is ____ and (-____) is ____ and (____ / 100) is ____


@pytest.mark.parametrize(
    "value",
    [
        ____,
        (0.5, ____),
        [1, [2, [____]]],
        {"cutoff": ____},
        {____: 1},
        {1, ____},
        np.array([1, ____], dtype=object),
    ],
)
def test_blank_anywhere_inside_means_not_attempted(value):
    assert is_blank(value)


@pytest.mark.parametrize("value", [0.5, "____", None, (1, 2), {"a": [1]}, BOOK, np.arange(3)])
def test_values_without_the_blank_are_attempts(value):
    assert not is_blank(value)


def test_self_referencing_list_does_not_recurse_forever():
    loop = [1]
    loop.append(loop)
    assert not is_blank(loop)


# ---------------------------------------------------------------- check lines


def test_check_prints_exactly_one_line_per_verdict(week, capsys):
    q1, q2 = week.questions[:2]
    assert q1.check(0.25) is None  # no Out[] line in a notebook
    q1.check(0.5)
    q1.check(____)
    q1.check()
    q2.check("ROLLBACK ")
    assert lines(capsys) == [
        "Q1 (bad rate of the book): Correct",
        "Q1 (bad rate of the book): Incorrect: the bad rate is too high. Try ex.q1.hint()",
        "Q1 (bad rate of the book): Not attempted. Replace ____ with your answer; "
        "ex.q1.hint() helps.",
        "Q1 (bad rate of the book): Not attempted. Replace ____ with your answer; "
        "ex.q1.hint() helps.",
        "Q2 (what to do with the canary): Correct",
    ]


def test_nested_blank_in_a_tuple_answer_is_not_attempted(week):
    assert week.questions[0].evaluate((0.25, ____)).status == "not_attempted"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("abc", "expected a number (float), got str 'abc'"),
        (None, "expected a number (float), got None"),
        (True, "expected a number (float), got bool True"),
        (pd.Series([0.25]), "pick the single value"),
        (float("nan"), "the bad rate is NaN"),
        (25.0, "a percent where a fraction is asked"),
        (0.0025, "a fraction where a percent is asked"),
        (3.0, "off by a factor of twelve"),
        (-0.25, "wrong sign"),
        (0.75, "complement"),
        (0.1, "too low"),
    ],
)
def test_wrong_answers_get_a_reason_and_no_traceback(week, capsys, answer, reason):
    week.questions[0].check(answer)
    (line,) = lines(capsys)
    assert line.startswith("Q1 (bad rate of the book): Incorrect: ")
    assert reason in line
    assert "0.25" not in line  # never the expected value


def test_check_before_bind_says_to_run_the_setup_cell(capsys):
    w = Week("weekYY", [BadRate()])
    w.questions[0].check(0.25)
    assert lines(capsys) == [
        "Q1 (bad rate of the book): Not ready: run the setup cell first "
        "(the one calling ex.bind(...))."
    ]


def test_missing_required_context_names_the_key(week, capsys):
    week.questions[2].check(1.0)
    (line,) = lines(capsys)
    assert "Not ready" in line and "scores" in line
    week.bind(scores=[0.1])  # binds merge
    week.questions[2].check(1.0)
    assert lines(capsys) == ["Q3 (needs scores): Correct"]


def test_exception_in_expected_is_reported_not_raised(week, capsys):
    week.questions[3].check(0.5)
    (line,) = lines(capsys)
    assert line.startswith("Q4 (broken expectation): Could not check: ")
    assert "KeyError" in line and "\n" not in line


def test_exception_in_compare_is_reported_not_raised(week, capsys):
    week.questions[4].check("abc")
    (line,) = lines(capsys)
    assert line.startswith("Q5 (broken comparison): Could not check your answer (TypeError")


# ---------------------------------------------------------------- strict mode


def test_strict_mode_raises_after_printing_on_wrong_and_blank(week, capsys, monkeypatch):
    q1 = week.questions[0]
    monkeypatch.setenv("LENDLAB_STRICT", "1")  # read at check time, not import time
    assert strict_mode()
    q1.check(0.25)
    with pytest.raises(CheckFailed, match="Incorrect"):
        q1.check(0.5)
    with pytest.raises(CheckFailed, match="Not attempted"):
        q1.check(____)
    assert len(lines(capsys)) == 3


def test_strict_mode_chains_the_original_exception(week, monkeypatch):
    monkeypatch.setenv("LENDLAB_STRICT", "1")
    with pytest.raises(CheckFailed) as info:
        week.questions[3].check(0.5)
    assert isinstance(info.value.__cause__, KeyError)
    with pytest.raises(CheckFailed) as info:
        week.questions[4].check("abc")
    assert isinstance(info.value.__cause__, TypeError)


@pytest.mark.parametrize("value", ["0", "", "false"])
def test_strict_mode_off_values(monkeypatch, value):
    monkeypatch.setenv("LENDLAB_STRICT", value)
    assert not strict_mode()


# ---------------------------------------------------------------- hints and solutions


def test_hints_and_solution(week, capsys):
    q1 = week.questions[0]
    q1.hint()
    q1.hint(2)
    q1.hint(3)
    q1.solution()
    assert lines(capsys) == [
        "Q1 hint 1/2: Defaults are a 0/1 column. (More: ex.q1.hint(2))",
        "Q1 hint 2/2: Take the mean of book['defaulted'].",
        "Q1 has two hints: ex.q1.hint(1) and ex.q1.hint(2) (got 3).",
        "Q1 solution:",
        "bad_rate = book['defaulted'].mean()",
    ]


# ---------------------------------------------------------------- structured results


def _executed_notebook(results) -> nbformat.NotebookNode:
    """A notebook whose one cell holds the display outputs a kernel stores for ``results``."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("checks")
    cell.outputs = [nbformat.v4.new_output("display_data", data=res.bundle()) for res in results]
    nb.cells = [cell]
    return nb


def test_every_status_is_read_back_by_the_notebook_runner(week):
    q1, q2, q3, q4 = week.questions[:4]
    results = [
        q1.evaluate(0.25),
        q1.evaluate(0.5),
        q1.evaluate(____),
        q3.evaluate(1.0),
        q4.evaluate(1.0),
        q2.evaluate("promote"),
    ]
    nb = nbformat.reads(nbformat.writes(_executed_notebook(results)), as_version=4)  # via JSON
    assert checks_in(nb) == [
        ("Q1", "correct"),
        ("Q1", "incorrect"),
        ("Q1", "not_attempted"),
        ("Q3", "not_ready"),
        ("Q4", "error"),
        ("Q2", "incorrect"),
    ]
    assert [r["message"] for r in check_results(nb)] == [r.message for r in results]


def test_a_printed_line_that_looks_like_a_check_is_not_a_check():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('Q1 (t): Correct')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Q1 (t): Correct\n")]
    nb.cells = [cell]
    assert checks_in(nb) == []


def test_result_line_is_text_plain_and_json_is_the_same_result(week):
    res = week.questions[0].evaluate(0.5)
    bundle = res.bundle()
    assert bundle["text/plain"] == res.line
    assert res.line == "Q1 (bad rate of the book): " + res.message
    assert bundle[CHECK_MIMETYPE] == {
        "question": "Q1",
        "week": "weekXX",
        "title": "bad rate of the book",
        "status": "incorrect",
        "message": res.message,
    }
    assert json.loads(json.dumps(bundle)) == bundle


def test_bad_status_is_refused():
    with pytest.raises(ValueError, match="not one of"):
        CheckResult("Q1", "passed", "Correct")


class _FakeKernelShell:
    kernel = object()


def test_in_a_kernel_check_displays_the_bundle_instead_of_printing(week, monkeypatch, capsys):
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: _FakeKernelShell())
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    week.questions[0].check(0.25)
    assert capsys.readouterr().out == ""
    assert shown == [(week.questions[0].evaluate(0.25).bundle(), True)]


def test_outside_a_kernel_check_prints_the_line(week, capsys):
    week.questions[0].check(0.25)
    assert capsys.readouterr().out == "Q1 (bad rate of the book): Correct\n"


# ---------------------------------------------------------------- Week


def test_week_numbers_questions_and_exposes_them():
    w = Week("weekZZ", [BadRate(), Action()])
    assert [q.label for q in w.questions] == ["Q1", "Q2"]
    assert [q.name for q in w.questions] == ["q1", "q2"]
    assert not w.is_bound and "weekZZ" in repr(w)


def test_week_rejects_bad_definitions():
    with pytest.raises(ValueError, match="questions is empty"):
        Week("w", [])
    with pytest.raises(TypeError, match="question 1 is type"):
        Week("w", [BadRate])
    q = BadRate()
    Week("w1", [q])
    with pytest.raises(ValueError, match="already belongs to w1"):
        Week("w2", [q])

    class NoHints(BadRate):
        hints = ("only one",)

    with pytest.raises(TypeError, match="hints must be a tuple of two"):
        Week("w", [NoHints()])

    class NoTitle(BadRate):
        title = ""

    with pytest.raises(TypeError, match="title is empty"):
        Week("w", [NoTitle()])


def test_bind_needs_data_and_context_is_read_only(week):
    with pytest.raises(TypeError, match="bind\\(\\) needs the lab's data"):
        week.bind()
    with pytest.raises(TypeError):
        week.context["book"] = None
    week.unbind()
    assert not week.is_bound


# ---------------------------------------------------------------- comparison helpers


def reason(fn, *args, **kwargs) -> str:
    with pytest.raises(Incorrect) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_expect_number_accepts_numpy_and_close_values():
    expect_number(np.float64(0.25), 0.25)
    expect_number(np.int64(3), 3)
    expect_number(3.0, 3)
    assert reason(expect_number, "3", 3) == "expected a number (int), got str '3'"


def test_expect_choice():
    opts = ["promote", "hold", "rollback"]
    expect_choice("Hold", "hold", choices=opts)
    assert "not one of the options: 'promote', 'hold', 'rollback'" in reason(
        expect_choice, "wait", "hold", choices=opts
    )
    assert "not the best option" in reason(expect_choice, "promote", "hold", choices=opts)
    assert "as text (str), got int 3" in reason(expect_choice, 3, "hold", choices=opts)
    with pytest.raises(ValueError, match="not in choices"):
        expect_choice("hold", "freeze", choices=opts)


def test_expect_set():
    expect_set(("DTI", "fico", "fico"), {"fico", "dti"})
    assert reason(expect_set, ["fico"], {"fico", "dti"}) == "your answer is missing 1 item"
    msg = reason(expect_set, ["fico", "grade", "dti"], {"fico", "dti"})
    assert "'grade'" in msg and "not belong" in msg
    assert "got str 'fico'" in reason(expect_set, "fico", {"fico"})


def test_expect_bool():
    expect_bool(np.bool_(True), True)
    assert "got int 1" in reason(expect_bool, 1, True)
    assert "not right" in reason(expect_bool, False, True)


def test_expect_array():
    expect_array(pd.Series([0.1, np.nan]), np.array([0.1, np.nan]))
    assert reason(expect_array, [1, 2], [1, 2, 3]) == "your array has 2 values, expected 3"
    assert "shape (2, 1)" in reason(expect_array, [[1], [2]], [1, 2])
    assert "first at position 1" in reason(expect_array, [1, 5, 3], [1, 2, 3])
    assert "NaN where a number" in reason(expect_array, [1, np.nan], [1, 2])
    assert "not numbers" in reason(expect_array, ["a", "b"], [1, 2])
    assert "got str" in reason(expect_array, "12", [1, 2])


def test_expect_frame_says_where_without_the_answer():
    want = pd.DataFrame(
        {"segment": ["prime", "near_prime", "thin_file"], "bad_rate": [0.05, 0.14, 0.21]}
    )
    expect_frame(want.assign(extra=1), want)
    shuffled = want.iloc[[2, 0, 1]]
    assert "column 'segment' differs" in reason(expect_frame, shuffled, want)
    expect_frame(shuffled, want, check_order=False)
    msg = reason(expect_frame, want.assign(bad_rate=[0.05, 0.14, 0.99]), want)
    assert msg == "your table: column 'bad_rate' differs in 1 of 3 rows (first at row 2, index 2)"
    assert "0.21" not in msg
    assert "missing column 'bad_rate'" in reason(expect_frame, want[["segment"]], want)
    assert "has 2 rows, expected 3" in reason(expect_frame, want.head(2), want)
    assert "not numeric" in reason(expect_frame, want.assign(bad_rate="x"), want)
    assert ".reset_index()" in reason(expect_frame, want["bad_rate"], want)


def test_expect_equal_dispatches_on_the_expected_type():
    expect_equal((0.2, "Hold", {"a": 1.0}), (0.2, "hold", {"a": 1}))
    assert reason(expect_equal, (0.2,), (0.2, 1)) == "expected 2 values, got 1"
    assert reason(expect_equal, {"b": 1}, {"a": 1}) == "your answer is missing key 'a'"
    assert reason(expect_equal, {"a": 2}, {"a": 1}) == "the value for 'a' is too high"
    assert "expected text (str)" in reason(expect_equal, 1, "hold")
    assert "expected None" in reason(expect_equal, 0, None)


# ---------------------------------------------------------------- nothing escapes into the lab


@pytest.mark.parametrize("level", [2.0, np.int64(2), 2])
def test_hint_two_as_a_whole_number_of_any_type(week, capsys, level):
    week.questions[0].hint(level)
    assert lines(capsys) == ["Q1 hint 2/2: Take the mean of book['defaulted']."]


@pytest.mark.parametrize(
    "level", [3, 0, -1, 1.5, "2", None, True, float("nan"), float("inf"), [1], object()]
)
def test_hint_with_an_odd_level_explains_instead_of_raising(week, capsys, level):
    week.questions[0].hint(level)
    (line,) = lines(capsys)
    assert line.startswith("Q1 has two hints: ex.q1.hint(1) and ex.q1.hint(2) (got ")


class _Weird:
    """An answer that breaks everything it can: comparison, truth, repr, len."""

    def __eq__(self, other):
        raise RuntimeError("eq")

    def __bool__(self):
        raise RuntimeError("bool")

    def __repr__(self):
        raise RuntimeError("repr")

    def __len__(self):
        raise RuntimeError("len")

    __hash__ = None


ODD_ANSWERS = [None, "abc", b"x", [], {}, (), {1, 2}, float("nan"), np.array([1, 2]), _Weird()]


@pytest.mark.parametrize("answer", ODD_ANSWERS, ids=lambda a: type(a).__name__)
def test_check_with_odd_types_shows_one_line_and_never_raises(week, capsys, answer):
    for q in week.questions:
        q.check(answer)
    out = lines(capsys)
    assert len(out) == len(week.questions)
    assert all(" (" in line and "): " in line for line in out)


def test_solution_twice_prints_the_same(week, capsys):
    q1 = week.questions[0]
    q1.solution()
    first = capsys.readouterr().out
    q1.solution()
    assert capsys.readouterr().out == first


def test_check_before_bind_and_bind_missing_keys_say_not_ready(capsys):
    w = Week("weekYY", [BadRate(), NeedsScores()])
    q1, q2 = w.questions
    q1.check(0.25)
    w.bind(book=BOOK)  # scores never bound
    q2.check(1.0)
    assert q1.evaluate(0.25).status == "correct"  # once bound, the same answer passes
    out = lines(capsys)
    assert "Not ready: run the setup cell first" in out[0]
    assert "Not ready: run the cell that calls ex.bind(...) with" in out[1]


def test_bind_with_nothing_names_the_fix():
    with pytest.raises(TypeError, match=r"bind\(\) needs the lab's data"):
        Week("weekZZ", [BadRate()]).bind()
