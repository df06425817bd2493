"""Check / hint / solution machinery behind every lab (after Kaggle's learntools).

A week module defines one :class:`Question` subclass per exercise and groups them in a
:class:`Week`. In the lab::

    from lendlab.course.exercises import ____
    from lendlab.course.exercises import week01 as ex
    ex.bind(book=book)              # the learner's own data; expectations come from it
    threshold = ____                # the learner replaces the blank
    ex.q3.check(threshold)          # prints one line, never raises (unless LENDLAB_STRICT=1)
    ex.q3.hint(); ex.q3.hint(2); ex.q3.solution()

Every check prints exactly one deterministic line (nbval compares it) and never reveals the
expected answer: the comparison helpers (``expect_*``) raise :class:`Incorrect` with a reason
a learner can act on ("too high", "looks like a percent, not a fraction", "column 'bad_rate'
differs at row 2") but never the value itself.
"""

from __future__ import annotations

import math
import numbers
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "____",
    "Blank",
    "Incorrect",
    "CheckFailed",
    "CheckResult",
    "CHECK_MIMETYPE",
    "STATUSES",
    "show",
    "Question",
    "Week",
    "is_blank",
    "strict_mode",
    "expect_equal",
    "expect_number",
    "expect_choice",
    "expect_set",
    "expect_bool",
    "expect_array",
    "expect_frame",
]

#: Module alias the labs use (``from lendlab.course.exercises import week01 as ex``); named in
#: messages.
ALIAS = "ex"


# --------------------------------------------------------------------------- the blank


class Blank:
    """The "fill me in" sentinel; its one instance is ``____``.

    Arithmetic on the blank gives the blank back, so ``monthly = ____ / 12`` still reads
    as "not attempted" instead of raising in an untouched lab.

    Examples
    --------
    >>> ____
    ____
    >>> (____ * 12) is ____
    True
    """

    _instance: Blank | None = None

    def __new__(cls) -> Blank:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return (Blank, ())

    def __copy__(self) -> Blank:
        return self

    def __deepcopy__(self, memo: dict) -> Blank:
        return self

    def _stay_blank(self, *args: Any) -> Blank:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = _stay_blank
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _stay_blank
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _stay_blank
    __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = _stay_blank


____ = Blank()


def is_blank(value: Any, *, _depth: int = 0) -> bool:
    """True when ``value`` is the blank or a plain container holding it anywhere.

    Examples
    --------
    >>> is_blank(____), is_blank((0.5, ____)), is_blank({"cutoff": [1, ____]}), is_blank(0.5)
    (True, True, True, False)
    """
    if value is ____:
        return True
    if _depth > 20:  # a self-referencing list must not recurse forever
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(is_blank(v, _depth=_depth + 1) for v in value)
    if isinstance(value, dict):
        return any(
            is_blank(k, _depth=_depth + 1) or is_blank(v, _depth=_depth + 1)
            for k, v in value.items()
        )
    if isinstance(value, np.ndarray) and value.dtype == object:
        return any(v is ____ for v in value.ravel())
    return False


# --------------------------------------------------------------------------- errors


class Incorrect(Exception):
    """Raised inside :meth:`Question.compare` with a learner-facing reason (no answer in it)."""


class CheckFailed(AssertionError):
    """Raised by :meth:`Question.check` in strict mode (``LENDLAB_STRICT=1``) on anything
    but Correct, so CI fails on a broken solution or a check that cannot be passed."""


def strict_mode() -> bool:
    """Whether ``LENDLAB_STRICT`` asks checks to raise (read at every check).

    Examples
    --------
    >>> import os
    >>> os.environ.pop("LENDLAB_STRICT", None) and None
    >>> strict_mode()
    False
    """
    return os.environ.get("LENDLAB_STRICT", "").strip().lower() in {"1", "true", "yes", "on"}


# --------------------------------------------------------------------------- describing answers


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    text = " ".join(text.split())  # one line, whatever the repr
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: Any) -> str:
    """``str 'abc'``, ``None``, ``DataFrame with 3 rows``: what the learner handed in."""
    if value is None:
        return "None"
    if isinstance(value, pd.DataFrame):
        return f"DataFrame with {len(value)} rows"
    if isinstance(value, (pd.Series, pd.Index)):
        return f"{type(value).__name__} of {len(value)} values"
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return f"{type(value).__name__} {_short(value)}"


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


# --------------------------------------------------------------------------- comparison helpers


def expect_number(
    answer: Any,
    expected: float,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    what: str = "your answer",
) -> None:
    """Raise :class:`Incorrect` unless ``answer`` is a real number close to ``expected``.

    The reason names common slips (percent vs fraction, monthly vs annual, the complement,
    the sign) and otherwise says "too high" / "too low"; it never shows ``expected``, and
    its stock phrases hold no digits, so any number in a message is the learner's own.

    Parameters
    ----------
    answer : Any
        What the learner handed in.
    expected : float
        The value computed from the learner's data.
    rtol, atol : float
        Relative and absolute tolerance (as in :func:`math.isclose`).
    what : str
        How the message names the quantity, e.g. ``"the bad rate"``.

    Examples
    --------
    >>> expect_number(0.1200000001, 0.12)
    >>> try:
    ...     expect_number(12.0, 0.12, what="the bad rate")
    ... except Incorrect as exc:
    ...     print(exc)
    the bad rate looks like a percent where a fraction is asked (a hundred times too big)
    """
    kind = "int" if isinstance(expected, numbers.Integral) else "float"
    if isinstance(answer, (pd.Series, pd.DataFrame, pd.Index, np.ndarray)):
        raise Incorrect(
            f"expected a number ({kind}), got {_describe(answer)}; "
            "pick the single value, e.g. with .item() or float(...)"
        )
    if not _is_real(answer):
        raise Incorrect(f"expected a number ({kind}), got {_describe(answer)}")
    x, e = float(answer), float(expected)
    if math.isnan(x):
        raise Incorrect(
            f"{what} is NaN: look for a division by zero, an empty group or missing values"
        )
    if math.isinf(x):
        raise Incorrect(f"{what} is infinite: look for a division by zero")

    def close(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)

    if close(x, e):
        return
    if e != 0 and close(x, e * 100):
        raise Incorrect(
            f"{what} looks like a percent where a fraction is asked (a hundred times too big)"
        )
    if e != 0 and close(x, e / 100):
        raise Incorrect(
            f"{what} looks like a fraction where a percent is asked (a hundred times too small)"
        )
    if e != 0 and (close(x, e * 12) or close(x, e / 12)):
        raise Incorrect(f"{what} is off by a factor of twelve: monthly vs annual?")
    if e != 0 and close(x, -e):
        raise Incorrect(f"{what} has the wrong sign")
    if 0 < e < 1 and close(x, 1 - e):
        raise Incorrect(
            f"{what} looks like the complement (one minus it): approval vs decline, good vs bad?"
        )
    raise Incorrect(f"{what} is too {'high' if x > e else 'low'}")


def _option_list(choices: Iterable[str]) -> str:
    return ", ".join(repr(c) for c in choices)


def expect_choice(
    answer: Any,
    expected: str,
    *,
    choices: Sequence[str],
    what: str = "your answer",
) -> None:
    """Raise :class:`Incorrect` unless ``answer`` names the ``expected`` option (any case).

    An answer that is not one of ``choices`` gets the list of valid options.

    Examples
    --------
    >>> expect_choice(" Hold", "hold", choices=["promote", "hold", "rollback"])
    >>> try:
    ...     expect_choice("wait", "hold", choices=["promote", "hold", "rollback"])
    ... except Incorrect as exc:
    ...     print(exc)
    'wait' is not one of the options: 'promote', 'hold', 'rollback'
    """
    options = [str(c).strip().lower() for c in choices]
    if not options:
        raise ValueError("choices is empty: pass the options the learner picks from")
    if str(expected).strip().lower() not in options:
        raise ValueError(f"expected {expected!r} is not in choices ({_option_list(choices)})")
    if not isinstance(answer, str):
        raise Incorrect(
            f"expected one of the options as text (str), got {_describe(answer)}; "
            f"options: {_option_list(choices)}"
        )
    given = answer.strip().lower()
    if given not in options:
        raise Incorrect(f"{_short(answer)} is not one of the options: {_option_list(choices)}")
    if given != str(expected).strip().lower():
        raise Incorrect(f"{what} ({_short(answer)}) is not the best option here")


def _normalise_item(item: Any) -> Any:
    return item.strip().lower() if isinstance(item, str) else item


def expect_set(answer: Any, expected: Iterable[Any], *, what: str = "your answer") -> None:
    """Raise :class:`Incorrect` unless ``answer`` holds the same items as ``expected``.

    Order and duplicates do not matter; text items compare case-insensitively. The message
    names the learner's items that do not belong and counts the missing ones.

    Examples
    --------
    >>> expect_set(["FICO", "dti"], {"dti", "fico"})
    >>> expect_set({"fico", "dti"}, ["dti", "fico"])
    >>> try:
    ...     expect_set(["fico", "grade"], {"fico", "dti"})
    ... except Incorrect as exc:
    ...     print(exc)
    your answer includes 'grade', which does not belong; it is missing 1 item
    """
    if isinstance(answer, (str, bytes)) or not isinstance(
        answer, (set, frozenset, list, tuple, pd.Index, pd.Series, np.ndarray)
    ):
        raise Incorrect(f"expected a collection (set or list), got {_describe(answer)}")
    try:
        # np.asarray(set) wraps the whole set as one item: make it a list first.
        items = list(answer) if isinstance(answer, (set, frozenset)) else answer
        given = {_normalise_item(a) for a in np.asarray(items, dtype=object).ravel().tolist()}
    except TypeError:
        raise Incorrect(
            f"{what} holds items that cannot be compared (lists inside a list?)"
        ) from None
    wanted = {_normalise_item(e) for e in expected}
    extra = sorted(repr(a) for a in given - wanted)
    missing = len(wanted - given)
    if not extra and not missing:
        return
    parts = []
    if extra:
        shown = ", ".join(extra[:3]) + (f" and {len(extra) - 3} more" if len(extra) > 3 else "")
        verb = "does" if len(extra) == 1 else "do"
        parts.append(f"{what} includes {shown}, which {verb} not belong")
    if missing:
        parts.append(f"{'it' if extra else what} is missing {missing} item{'s' * (missing > 1)}")
    raise Incorrect("; ".join(parts))


def expect_bool(answer: Any, expected: bool, *, what: str = "your answer") -> None:
    """Raise :class:`Incorrect` unless ``answer`` is the boolean ``expected``.

    Examples
    --------
    >>> expect_bool(True, True)
    >>> try:
    ...     expect_bool("yes", True)
    ... except Incorrect as exc:
    ...     print(exc)
    expected True or False (bool), got str 'yes'
    """
    if not isinstance(answer, (bool, np.bool_)):
        raise Incorrect(f"expected True or False (bool), got {_describe(answer)}")
    if bool(answer) != bool(expected):
        raise Incorrect(f"{what} is not right: reread the question and the data")


def _as_numeric_array(answer: Any, what: str) -> np.ndarray:
    if isinstance(answer, (str, bytes)) or not isinstance(
        answer, (list, tuple, np.ndarray, pd.Series, pd.Index)
    ):
        raise Incorrect(f"expected an array (numpy array, list or Series), got {_describe(answer)}")
    try:
        values = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        raise Incorrect(f"{what} holds values that are not numbers") from None
    return values


def expect_array(
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    what: str = "your array",
) -> None:
    """Raise :class:`Incorrect` unless ``answer`` has ``expected``'s shape and close values.

    NaN matches NaN. The message gives the shape or the count and first position of the
    values that differ, never the values.

    Examples
    --------
    >>> expect_array([0.1, 0.2], [0.1, 0.2])
    >>> try:
    ...     expect_array([0.1, 0.3, 0.5], [0.1, 0.2, 0.5])
    ... except Incorrect as exc:
    ...     print(exc)
    your array differs in 1 of 3 values (first at position 1)
    """
    given = _as_numeric_array(answer, what)
    wanted = np.asarray(expected, dtype=float)
    if given.shape != wanted.shape:
        if given.ndim == wanted.ndim == 1:
            raise Incorrect(f"{what} has {given.size} values, expected {wanted.size}")
        raise Incorrect(f"{what} has shape {given.shape}, expected shape {wanted.shape}")
    ok = np.isclose(given, wanted, rtol=rtol, atol=atol, equal_nan=True)
    if ok.all():
        return
    bad = np.argwhere(~ok)
    first = tuple(int(i) for i in bad[0])
    where = first[0] if len(first) == 1 else first
    if np.isnan(given[tuple(bad[0])]):
        raise Incorrect(f"{what} has NaN where a number is expected (first at position {where})")
    raise Incorrect(
        f"{what} differs in {len(bad)} of {given.size} values (first at position {where})"
    )


def expect_frame(
    answer: Any,
    expected: pd.DataFrame,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    check_order: bool = True,
    what: str = "your table",
) -> None:
    """Raise :class:`Incorrect` unless ``answer`` has ``expected``'s columns, rows and values.

    Extra columns in the answer are allowed. Numeric columns compare with tolerance (NaN
    matches NaN), others as text. The message names the missing column, or the column and
    row (position and the answer's own index label) that differ, never the expected value.

    Parameters
    ----------
    check_order : bool
        If False, rows are sorted by the expected columns before comparing.

    Examples
    --------
    >>> want = pd.DataFrame({"segment": ["prime", "thin_file"], "bad_rate": [0.05, 0.21]})
    >>> expect_frame(want.copy(), want)
    >>> got = want.assign(bad_rate=[0.05, 0.30])
    >>> try:
    ...     expect_frame(got, want)
    ... except Incorrect as exc:
    ...     print(exc)
    your table: column 'bad_rate' differs in 1 of 2 rows (first at row 1, index 1)
    """
    if isinstance(answer, pd.Series):
        raise Incorrect(
            f"expected a DataFrame, got {_describe(answer)}; try .reset_index() or .to_frame()"
        )
    if not isinstance(answer, pd.DataFrame):
        raise Incorrect(f"expected a DataFrame, got {_describe(answer)}")
    missing = [c for c in expected.columns if c not in answer.columns]
    if missing:
        names = ", ".join(repr(c) for c in missing)
        raise Incorrect(f"{what} is missing column{'s' * (len(missing) > 1)} {names}")
    if len(answer) != len(expected):
        raise Incorrect(f"{what} has {len(answer)} rows, expected {len(expected)}")
    cols = list(expected.columns)
    got, want = answer[cols], expected
    if not check_order:
        try:
            got = got.sort_values(cols, kind="stable")
            want = want.sort_values(cols, kind="stable")
        except TypeError:
            raise Incorrect(f"{what} has columns whose values cannot be sorted") from None
    labels = got.index
    for col in cols:
        g, w = got[col], want[col]
        if pd.api.types.is_numeric_dtype(w) and not pd.api.types.is_bool_dtype(w):
            if not pd.api.types.is_numeric_dtype(g):
                raise Incorrect(f"{what}: column {col!r} is not numeric (dtype {g.dtype})")
            ok = np.isclose(
                g.to_numpy(dtype=float, na_value=np.nan),
                w.to_numpy(dtype=float, na_value=np.nan),
                rtol=rtol,
                atol=atol,
                equal_nan=True,
            )
        else:
            g_na, w_na = g.isna().to_numpy(), w.isna().to_numpy()
            same = g.astype(str).to_numpy() == w.astype(str).to_numpy()
            ok = (g_na & w_na) | (~g_na & ~w_na & same)
        if not ok.all():
            pos = int(np.flatnonzero(~ok)[0])
            n_bad = int((~ok).sum())
            raise Incorrect(
                f"{what}: column {col!r} differs in {n_bad} of {len(ok)} rows "
                f"(first at row {pos}, index {_short(labels[pos], 30)})"
            )


def expect_equal(
    answer: Any,
    expected: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    what: str = "your answer",
) -> None:
    """Compare by the type of ``expected``: the default :meth:`Question.compare`.

    bool -> :func:`expect_bool`; number -> :func:`expect_number`; text -> case-insensitive
    equality; set -> :func:`expect_set`; DataFrame -> :func:`expect_frame`; array or numeric
    Series -> :func:`expect_array`; tuple/list -> same length, item by item; dict -> same
    keys, value by value.

    Examples
    --------
    >>> expect_equal((0.2, "hold"), (0.2, "HOLD"))
    >>> try:
    ...     expect_equal((0.2, 7), (0.2, 5))
    ... except Incorrect as exc:
    ...     print(exc)
    item 2 of 2 is too high
    """
    tol = {"rtol": rtol, "atol": atol}
    if isinstance(expected, (bool, np.bool_)):
        expect_bool(answer, bool(expected), what=what)
    elif _is_real(expected):
        expect_number(answer, expected, what=what, **tol)
    elif isinstance(expected, str):
        if not isinstance(answer, str):
            raise Incorrect(f"expected text (str), got {_describe(answer)}")
        if answer.strip().lower() != expected.strip().lower():
            raise Incorrect(f"{what} ({_short(answer)}) is not right")
    elif isinstance(expected, (set, frozenset)):
        expect_set(answer, expected, what=what)
    elif isinstance(expected, pd.DataFrame):
        expect_frame(answer, expected, what=what, **tol)
    elif isinstance(expected, np.ndarray) or (
        isinstance(expected, pd.Series) and pd.api.types.is_numeric_dtype(expected)
    ):
        expect_array(answer, expected, what=what, **tol)
    elif isinstance(expected, (tuple, list, pd.Series)):
        wanted = list(expected)
        if isinstance(answer, (str, bytes)) or not isinstance(
            answer, (tuple, list, pd.Series, np.ndarray)
        ):
            raise Incorrect(
                f"expected {len(wanted)} values (a tuple or list), got {_describe(answer)}"
            )
        given = list(answer)
        if len(given) != len(wanted):
            raise Incorrect(f"expected {len(wanted)} values, got {len(given)}")
        for i, (a, e) in enumerate(zip(given, wanted, strict=True)):
            expect_equal(a, e, what=f"item {i + 1} of {len(wanted)}", **tol)
    elif isinstance(expected, Mapping):
        if not isinstance(answer, Mapping):
            raise Incorrect(f"expected a dict, got {_describe(answer)}")
        missing = [k for k in expected if k not in answer]
        if missing:
            raise Incorrect(
                f"{what} is missing key{'s' * (len(missing) > 1)} {_option_list(missing)}"
            )
        for k in expected:
            expect_equal(answer[k], expected[k], what=f"the value for {k!r}", **tol)
    elif expected is None:
        if answer is not None:
            raise Incorrect(f"expected None, got {_describe(answer)}")
    else:
        try:
            same = bool(answer == expected)
        except Exception:  # noqa: BLE001 - any failure to compare means "not equal"
            same = False
        if not same:
            raise Incorrect(f"{what} is not right")


# --------------------------------------------------------------------------- questions

Status = Literal["correct", "incorrect", "not_attempted", "not_ready", "error"]

#: Statuses a check reports, in the order summaries list them.
STATUSES: tuple[str, ...] = ("correct", "incorrect", "not_attempted", "not_ready", "error")
#: The MIME type of a check result in a notebook's outputs (the runner reads it, not the text).
CHECK_MIMETYPE = "application/vnd.lendlab.check+json"


@dataclass(frozen=True)
class CheckResult:
    """What one check found, as data: ``question``, ``status`` and the learner's ``message``.

    ``line`` is what the learner reads (``"Q3 (a cutoff): Incorrect: too high. Try
    ex.q3.hint()"``); :meth:`bundle` is the notebook display of it: that same line as
    ``text/plain`` plus :meth:`to_json` under :data:`CHECK_MIMETYPE`, which
    :mod:`lendlab.course.runner` reads back. ``error`` holds the unexpected exception behind an
    ``"error"`` status (for chaining; never displayed).

    Examples
    --------
    >>> res = CheckResult("Q3", "incorrect", "Incorrect: too high", title="a cutoff")
    >>> res.line
    'Q3 (a cutoff): Incorrect: too high'
    >>> res.to_json()["status"], sorted(res.bundle())
    ('incorrect', ['application/vnd.lendlab.check+json', 'text/plain'])
    """

    question: str
    status: Status
    message: str
    title: str = ""
    week: str = ""
    error: BaseException | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def line(self) -> str:
        """The one line a learner reads."""
        label = f"{self.question} ({self.title})" if self.title else self.question
        return f"{label}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """The result as plain JSON data (what a notebook output stores)."""
        return {
            "question": self.question,
            "week": self.week,
            "title": self.title,
            "status": self.status,
            "message": self.message,
        }

    def bundle(self) -> dict[str, Any]:
        """The rich display: ``text/plain`` (the line) and the JSON under CHECK_MIMETYPE."""
        return {"text/plain": self.line, CHECK_MIMETYPE: self.to_json()}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return self.bundle()


def _in_kernel() -> bool:
    """True inside a Jupyter kernel (where a display output is stored in the notebook)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - an odd IPython state means "print"
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def show(result: CheckResult) -> None:
    """Show a check result: a rich display in a notebook, the plain line elsewhere.

    Examples
    --------
    >>> show(CheckResult("Q1", "correct", "Correct", title="bad rate"))
    Q1 (bad rate): Correct
    """
    if _in_kernel():
        from IPython.display import display

        display(result.bundle(), raw=True)
    else:
        print(result.line)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    text = text.rstrip(".")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Question:
    """One graded exercise. Subclass it per question in a week module.

    Class attributes: ``title`` (short, shown on every line), ``hints`` (two levels, the
    second more specific), ``solution_code`` (shown by :meth:`solution`) and optional
    ``requires`` (context keys :meth:`expected` reads). Override :meth:`expected` (computed
    from the bound data, never a constant), :meth:`wrong_answers`, and :meth:`compare`
    when the default (:func:`expect_equal`) is not right for the question.

    Examples
    --------
    >>> class BadRate(Question):
    ...     title = "bad rate of the book"
    ...     hints = ("Mean of a 0/1 column.", "book['defaulted'].mean()")
    ...     solution_code = "bad_rate = book['defaulted'].mean()"
    ...     requires = ("book",)
    ...     def expected(self, ctx):
    ...         return float(ctx["book"]["defaulted"].mean())
    ...     def compare(self, answer, expected, ctx):
    ...         expect_number(answer, expected, what="the bad rate")
    ...     def wrong_answers(self, ctx):
    ...         return [100 * self.expected(ctx)]
    >>> week = Week("demo", [BadRate()])
    >>> week.bind(book=pd.DataFrame({"defaulted": [0, 1, 0, 0]}))
    >>> week.questions[0].check(0.25)
    Q1 (bad rate of the book): Correct
    >>> week.questions[0].check(0.5)
    Q1 (bad rate of the book): Incorrect: the bad rate is too high. Try ex.q1.hint()
    """

    title: str = ""
    hints: tuple[str, str] = ("", "")
    solution_code: str = ""
    requires: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.number: int | None = None
        self.week: Week | None = None

    # -- to override ---------------------------------------------------------
    def expected(self, ctx: Mapping[str, Any]) -> Any:
        """The right answer, computed from the bound context (the learner's data)."""
        raise NotImplementedError(f"{type(self).__name__}.expected(ctx) is not written")

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        """Raise :class:`Incorrect` with a reason when ``answer`` is wrong."""
        expect_equal(answer, expected)

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        """Plausible wrong answers (at least one); the common test expects each to fail."""
        raise NotImplementedError(f"{type(self).__name__}.wrong_answers(ctx) is not written")

    # -- names -----------------------------------------------------------------
    @property
    def label(self) -> str:
        """``"Q3"``."""
        return f"Q{self.number}" if self.number else type(self).__name__

    @property
    def name(self) -> str:
        """``"q3"``: the attribute of the week module."""
        return f"q{self.number}" if self.number else type(self).__name__.lower()

    def __repr__(self) -> str:
        return f"<{self.label}: {self.title}>"

    # -- checking ----------------------------------------------------------------
    def evaluate(self, answer: Any = ____) -> CheckResult:
        """Judge ``answer`` without printing or raising; :meth:`check` prints the line.

        Examples
        --------
        >>> class Yes(Question):
        ...     title = "is it true"
        ...     hints = ("Think.", "It is.")
        ...     solution_code = "answer = True"
        ...     def expected(self, ctx):
        ...         return True
        ...     def wrong_answers(self, ctx):
        ...         return [False]
        >>> week = Week("demo", [Yes()]); week.bind(x=1)
        >>> week.questions[0].evaluate(____).status
        'not_attempted'
        """

        def result(status: Status, message: str, error: BaseException | None = None) -> CheckResult:
            week_name = self.week.name if self.week is not None else ""
            return CheckResult(self.label, status, message, self.title, week_name, error)

        week = self.week
        if week is None or not week.is_bound:
            return result(
                "not_ready",
                (f"Not ready: run the setup cell first (the one calling {ALIAS}.bind(...))."),
            )
        ctx = week.context
        missing = [k for k in self.requires if k not in ctx]
        if missing:
            return result(
                "not_ready",
                (
                    f"Not ready: run the cell that calls {ALIAS}.bind(...) with "
                    f"{', '.join(missing)} first."
                ),
            )
        if is_blank(answer):
            return result(
                "not_attempted",
                (
                    "Not attempted. Replace ____ with your answer; "
                    f"{ALIAS}.{self.name}.hint() helps."
                ),
            )
        try:
            expected = self.expected(ctx)
        except Exception as exc:  # noqa: BLE001 - a check must report, not crash the lab
            return result(
                "error",
                (
                    "Could not check: computing the expected answer failed "
                    f"({type(exc).__name__}: {_one_line(exc, 120)}). Re-run the setup cell "
                    f"(the one calling {ALIAS}.bind) and try again."
                ),
                exc,
            )
        try:
            self.compare(answer, expected, ctx)
        except Incorrect as exc:
            return result(
                "incorrect",
                (f"Incorrect: {_one_line(exc)}. Try {ALIAS}.{self.name}.hint()"),
            )
        except Exception as exc:  # noqa: BLE001
            return result(
                "error",
                (
                    f"Could not check your answer ({type(exc).__name__} while comparing a "
                    f"{type(answer).__name__}). Is it the kind of value the question asks "
                    f"for? {ALIAS}.{self.name}.hint() helps."
                ),
                exc,
            )
        return result("correct", ("Correct"))

    def check(self, answer: Any = ____) -> None:
        """Show one line: Correct, Incorrect (why), Not attempted, or what to run first.

        In a notebook the line is a rich display (text plus the :class:`CheckResult` as JSON,
        which the notebook runner reads); elsewhere it is printed. Never raises, except in
        strict mode (``LENDLAB_STRICT=1``) where anything but Correct raises
        :class:`CheckFailed` after showing the line. Returns None so a notebook shows no
        extra ``Out[]``.
        """
        try:
            res = self.evaluate(answer)
        except Exception as exc:  # noqa: BLE001 - evaluate is defensive; this is the last net
            week_name = self.week.name if self.week is not None else ""
            res = CheckResult(
                self.label,
                "error",
                f"Could not check ({type(exc).__name__}); please report this.",
                self.title,
                week_name,
                exc,
            )
        show(res)
        if not res.correct and strict_mode():
            raise CheckFailed(res.line) from res.error
        return None

    def hint(self, level: Any = 1) -> None:
        """Print hint 1 (a nudge) or 2 (more specific); any other level gets the two calls.

        ``level`` may be ``1``, ``2`` or a whole float such as ``2.0``; anything else
        (``3``, ``"2"``, ``None``) prints how to ask for a hint instead of raising.

        Examples
        --------
        >>> class Q(Question):
        ...     title = "t"
        ...     hints = ("First.", "Second.")
        ...     solution_code = "x = 1"
        >>> q = Q(); q.number = 1
        >>> q.hint(2.0)
        Q1 hint 2/2: Second.
        >>> q.hint("2")
        Q1 has two hints: ex.q1.hint(1) and ex.q1.hint(2) (got '2').
        """
        call = f"{ALIAS}.{self.name}.hint"
        number = _hint_level(level)
        if number is None:
            print(f"{self.label} has two hints: {call}(1) and {call}(2) (got {_short(level)}).")
            return None
        more = f" (More: {call}(2))" if number == 1 else ""
        print(f"{self.label} hint {number}/2: {self.hints[number - 1].strip()}{more}")
        return None

    def solution(self) -> None:
        """Print the solution code (the same code as the worked solution notebook)."""
        print(f"{self.label} solution:\n{self.solution_code.strip()}")
        return None


def _hint_level(level: Any) -> int | None:
    """1 or 2 for ``1``, ``2``, ``2.0``, ``np.int64(1)``; None for anything else."""
    if isinstance(level, (bool, np.bool_)) or not isinstance(level, numbers.Real):
        return None
    try:
        value = float(level)
    except (TypeError, ValueError, OverflowError):
        return None
    if value in (1.0, 2.0):
        return int(value)
    return None


class Week:
    """A week's questions and the data they check against.

    Numbers the questions Q1..QN in order, shares one context (set by :meth:`bind`) between
    them, and keeps the week's ``build_context(*, seed, n)`` for the tests.

    Examples
    --------
    >>> class Cutoff(Question):
    ...     title = "a cutoff"
    ...     hints = ("A number.", "It is ctx['cut'].")
    ...     solution_code = "cutoff = cut"
    ...     def expected(self, ctx):
    ...         return ctx["cut"]
    ...     def wrong_answers(self, ctx):
    ...         return [ctx["cut"] + 1]
    >>> week = Week("demo", [Cutoff()], build_context=lambda *, seed, n: {"cut": seed})
    >>> q1, = week.questions
    >>> q1.check(3)
    Q1 (a cutoff): Not ready: run the setup cell first (the one calling ex.bind(...)).
    >>> week.bind(**week.build_context(seed=3, n=10))
    >>> q1.check(3)
    Q1 (a cutoff): Correct
    """

    def __init__(
        self,
        name: str,
        questions: Sequence[Question],
        *,
        build_context: Callable[..., dict] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty string like 'week01', got {name!r}")
        questions = list(questions)
        if not questions:
            raise ValueError(f"{name}: questions is empty; pass the week's Question instances")
        for i, q in enumerate(questions, start=1):
            if not isinstance(q, Question):
                raise TypeError(
                    f"{name}: question {i} is {_describe(q)}; pass Question instances, e.g. Q1()"
                )
            if q.week is not None:
                raise ValueError(f"{name}: {type(q).__name__} already belongs to {q.week.name}")
            _validate_question(q, name)
            q.number, q.week = i, self
        self.name = name
        self.questions: tuple[Question, ...] = tuple(questions)
        self.build_context = build_context
        self._context: dict[str, Any] = {}
        self._bound = False

    def bind(self, **context: Any) -> None:
        """Give the checks the learner's data (merged into what earlier binds gave)."""
        if not context:
            raise TypeError(f"bind() needs the lab's data, e.g. {ALIAS}.bind(book=book)")
        self._context.update(context)
        self._bound = True

    def unbind(self) -> None:
        """Forget the bound data (tests use it to start clean)."""
        self._context.clear()
        self._bound = False

    @property
    def context(self) -> Mapping[str, Any]:
        """The bound data, read-only."""
        return MappingProxyType(self._context)

    @property
    def is_bound(self) -> bool:
        return self._bound

    def __repr__(self) -> str:
        return f"<Week {self.name}: {len(self.questions)} questions>"


def _validate_question(q: Question, week: str) -> None:
    cls = type(q).__name__
    if not isinstance(q.title, str) or not q.title.strip():
        raise TypeError(f"{week}: {cls}.title is empty; give the question a short title")
    hints = q.hints
    if (
        not isinstance(hints, tuple)
        or len(hints) != 2
        or not all(isinstance(h, str) and h.strip() for h in hints)
    ):
        raise TypeError(
            f"{week}: {cls}.hints must be a tuple of two non-empty strings, got {hints!r}"
        )
    if not isinstance(q.solution_code, str) or not q.solution_code.strip():
        raise TypeError(f"{week}: {cls}.solution_code is empty; show the solution as code")
    if not isinstance(q.requires, tuple) or not all(isinstance(k, str) for k in q.requires):
        raise TypeError(
            f"{week}: {cls}.requires must be a tuple of context keys, got {q.requires!r}"
        )
