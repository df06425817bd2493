"""Invariants every question of every week must keep (after scikit-learn's test_common).

For each ``lendlab.course.exercises.weekNN`` module the context is rebuilt with a seed the lab does
not use and a small size, then every question must: accept its own expected answer; reject
each of its ``wrong_answers`` (a check that cannot fail is a defect); call the blank "Not
attempted"; reject a wrong type ("abc", None) without raising; never print the expected
number; and raise CheckFailed in strict mode on a wrong or blank answer.
"""

from __future__ import annotations

import importlib
import inspect
import numbers
import pkgutil
import re
from types import ModuleType

import numpy as np
import pytest

import lendlab.course.exercises
from lendlab.course.exercises.checks import CheckFailed, Question, Week, ____

#: Size used for the checks' data here: small, so the suite stays fast.
SMALL_N = 3_000


def week_modules() -> list[str]:
    names = (m.name for m in pkgutil.iter_modules(lendlab.course.exercises.__path__))
    return sorted(f"lendlab.course.exercises.{n}" for n in names if re.fullmatch(r"week\d\d", n))


def questions() -> list[tuple[str, int]]:
    found = []
    for name in week_modules():
        week = _week_of(importlib.import_module(name))
        found.extend((name, i) for i in range(len(week.questions)))
    return found


def scenario_of(module_name: str) -> ModuleType:
    """``lendlab.course.scenarios.weekNN`` for ``lendlab.course.exercises.weekNN``."""
    return importlib.import_module(f"lendlab.course.scenarios.{module_name.rsplit('.', 1)[-1]}")


def _week_of(module: ModuleType) -> Week:
    weeks = [v for v in vars(module).values() if isinstance(v, Week)]
    assert len(weeks) == 1, f"{module.__name__} must define exactly one Week (found {len(weeks)})"
    return weeks[0]


def _other_seed_and_size(build_context) -> dict:
    """A seed the lab does not use by default, and a small n."""
    params = inspect.signature(build_context).parameters
    assert "seed" in params and "n" in params, "build_context must take keyword seed and n"
    default_seed = params["seed"].default
    seed = default_seed + 101 if isinstance(default_seed, int) else 2027
    default_n = params["n"].default
    n = min(default_n, SMALL_N) if isinstance(default_n, int) else SMALL_N
    return {"seed": seed, "n": n}


_CONTEXTS: dict[str, dict] = {}


@pytest.fixture
def bound(request):
    """(week, question, ctx) with the week bound to freshly built small data."""
    module_name, index = request.param
    week = _week_of(importlib.import_module(module_name))
    if module_name not in _CONTEXTS:  # built once per module per worker
        build_context = scenario_of(module_name).build_context
        _CONTEXTS[module_name] = build_context(**_other_seed_and_size(build_context))
    ctx = _CONTEXTS[module_name]
    week.unbind()
    week.bind(**ctx)
    yield week, week.questions[index], week.context
    week.unbind()


def _ids(param) -> str:
    module_name, index = param
    return f"{module_name.rsplit('.', 1)[-1]}-q{index + 1}"


QUESTIONS = questions()
parametrize_questions = pytest.mark.parametrize("bound", QUESTIONS, ids=_ids, indirect=True)


def test_week_modules_expose_bind_and_questions_and_have_a_scenario():
    for name in week_modules():
        module = importlib.import_module(name)
        week = _week_of(module)
        assert callable(getattr(module, "bind", None)), f"{name}: no module-level bind"
        for q in week.questions:
            assert getattr(module, q.name, None) is q, f"{name}: {q.name} is not a module attribute"
        scenario = scenario_of(name)
        assert callable(getattr(scenario, "build_context", None)), (
            f"{scenario.__name__}: no build_context"
        )
        assert isinstance(scenario.__doc__, str) and "learner's world" in scenario.__doc__


def test_exercise_modules_hold_questions_only():
    """Scenario code (data, incidents, settings) lives in lendlab.course.scenarios, not here."""
    for name in week_modules():
        module = importlib.import_module(name)
        leaked = [
            attr
            for attr, value in vars(module).items()
            if not attr.startswith("_")
            and attr != "scenario"
            and (
                attr == "SETTINGS"
                or attr == "build_context"
                or (inspect.isfunction(value) and value.__module__ == module.__name__)
            )
        ]
        assert not leaked, f"{name}: public scenario code {leaked}; move it to scenarios/"


pytestmark = pytest.mark.usefixtures("not_strict")


def _forbidden_numbers(expected) -> list[str]:
    """The expected value as a learner would read it, when it is a number."""
    if isinstance(expected, numbers.Real) and not isinstance(expected, (bool, np.bool_)):
        return [f"{float(expected):.4g}"]
    return []


def _contains_number(text: str, number: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(number)}(?!\d)", text) is not None


def _check(q, answer, capsys) -> tuple[str, str]:
    """Run the learner-facing check once; return (status, printed output)."""
    q.check(answer)
    out = capsys.readouterr().out
    assert out.count("\n") == 1, f"{q.label}: a check prints exactly one line, got {out!r}"
    result = q.evaluate(answer)
    assert out == result.line + "\n", f"{q.label}: printed {out!r}, evaluated {result.line!r}"
    return result.status, out


@parametrize_questions
def test_expected_answer_is_correct(bound, capsys):
    _, q, ctx = bound
    status, out = _check(q, q.expected(ctx), capsys)
    assert status == "correct", out


@parametrize_questions
def test_every_wrong_answer_is_incorrect_and_hides_the_answer(bound, capsys):
    _, q, ctx = bound
    wrong = q.wrong_answers(ctx)
    assert isinstance(wrong, list) and wrong, f"{q.label}: wrong_answers must list at least one"
    forbidden = _forbidden_numbers(q.expected(ctx))
    for answer in wrong:
        status, out = _check(q, answer, capsys)
        assert status == "incorrect", f"{q.label}: {answer!r} gave {out!r}"
        for number in forbidden:
            assert not _contains_number(out, number), f"{q.label} reveals the answer: {out!r}"


@parametrize_questions
def test_blank_is_not_attempted(bound):
    _, q, _ = bound
    assert q.evaluate(____).status == "not_attempted"
    assert q.evaluate((____,)).status == "not_attempted"


@pytest.mark.parametrize("answer", ["abc", None], ids=["str", "None"])
@parametrize_questions
def test_wrong_type_is_incorrect_without_raising(bound, answer, capsys):
    _, q, ctx = bound
    status, out = _check(q, answer, capsys)
    assert status == "incorrect", f"{q.label}: {answer!r} gave {out!r}"
    for number in _forbidden_numbers(q.expected(ctx)):
        assert not _contains_number(out, number), f"{q.label} reveals the answer: {out!r}"


@parametrize_questions
def test_strict_mode_raises_on_wrong_and_blank(bound, monkeypatch, capsys):
    _, q, ctx = bound
    monkeypatch.setenv("LENDLAB_STRICT", "1")
    q.check(q.expected(ctx))
    with pytest.raises(CheckFailed):
        q.check(q.wrong_answers(ctx)[0])
    with pytest.raises(CheckFailed):
        q.check(____)


@parametrize_questions
def test_question_text_is_complete(bound):
    _, q, _ = bound
    assert isinstance(q, Question)
    assert q.title and all(h.strip() for h in q.hints) and q.solution_code.strip()
    assert q.hints[0].strip() != q.hints[1].strip(), f"{q.label}: hint 2 must add something"
