"""Grading helpers the week modules share: reading an answer, and listing wrong ones.

One copy of each: :func:`as_text`, :func:`as_date`, :func:`as_number`, :func:`as_pair` turn
what a learner handed in into a value, or raise :class:`Incorrect` with a reason that names
the expected kind; :func:`expect_count` grades a whole number; :func:`distinct` keeps the
plausible wrong answers that really differ from the right one on the data at hand; and
:func:`memo` keeps an expensive expected answer for the very same bound objects.

Examples
--------
>>> distinct(0.25, [0.25, 0.3, 0.3, 25.0])
[0.3, 25.0]
>>> as_date("2025-03-14", "the first day")
datetime.date(2025, 3, 14)
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from lendlab.course.exercises.checks import Incorrect, expect_number

__all__ = [
    "as_date",
    "as_number",
    "as_pair",
    "as_text",
    "distinct",
    "expect_count",
    "expect_number_or_slip",
    "is_number",
    "memo",
]

T = TypeVar("T")


def _kind(answer: Any) -> str:
    return "None" if answer is None else type(answer).__name__


def is_number(value: Any) -> bool:
    """True for a real number that is not a boolean (``True`` is not an answer of ``1``).

    Examples
    --------
    >>> is_number(0.3), is_number(np.int64(3)), is_number(True), is_number("0.3")
    (True, True, False, False)
    """
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def as_number(answer: Any, what: str) -> float:
    """``answer`` as a finite float, or :class:`Incorrect` naming the expected kind.

    Examples
    --------
    >>> as_number(np.float32(0.5), "the cutoff")
    0.5
    >>> try:
    ...     as_number("0.5", "the cutoff")
    ... except Incorrect as exc:
    ...     print(exc)
    expected the cutoff as a number (float), got str
    """
    if not is_number(answer):
        raise Incorrect(f"expected {what} as a number (float), got {_kind(answer)}")
    value = float(answer)
    if not math.isfinite(value):
        raise Incorrect(f"{what} is not a finite number: look for a division by zero")
    return value


def as_text(answer: Any, what: str) -> str:
    """``answer`` stripped, when it is text; otherwise :class:`Incorrect`.

    Examples
    --------
    >>> as_text("  fico ", "a column name")
    'fico'
    >>> try:
    ...     as_text(None, "a column name")
    ... except Incorrect as exc:
    ...     print(exc)
    expected a column name as text (str), got None
    """
    if not isinstance(answer, str):
        raise Incorrect(f"expected {what} as text (str), got {_kind(answer)}")
    return answer.strip()


def as_date(answer: Any, what: str, *, example: str = "2025-03-14") -> dt.date:
    """The calendar day (UTC) of a date-like ``answer``; otherwise :class:`Incorrect`.

    Text (``"2025-03-14"``), :class:`datetime.date`, numpy and pandas timestamps are read;
    an aware timestamp is converted to UTC first.

    Examples
    --------
    >>> as_date(pd.Timestamp("2025-03-14 23:30", tz="UTC"), "the day")
    datetime.date(2025, 3, 14)
    >>> try:
    ...     as_date("next Tuesday", "the first day")
    ... except Incorrect as exc:
    ...     print(exc)
    the first day is not a date; write it like '2025-03-14'
    """
    if isinstance(answer, (str, dt.date, np.datetime64, pd.Timestamp)):
        try:
            ts = pd.Timestamp(answer)
        except (ValueError, TypeError):
            raise Incorrect(f"{what} is not a date; write it like {example!r}") from None
        if pd.isna(ts):
            raise Incorrect(f"{what} is not a date; write it like {example!r}")
        if ts.tzinfo is not None:
            ts = ts.tz_convert("UTC")
        return ts.date()
    raise Incorrect(f"{what} should be a date such as {example!r}, got {_kind(answer)}")


def as_pair(answer: Any, names: tuple[str, str], *, kind: str = "numbers") -> tuple[Any, Any]:
    """Unpack a two-value answer ``(names[0], names[1])`` or say what shape it should have.

    Examples
    --------
    >>> as_pair([0.1, 0.2], ("precision", "recall"))
    (0.1, 0.2)
    >>> try:
    ...     as_pair(0.1, ("precision", "recall"))
    ... except Incorrect as exc:
    ...     print(exc)
    expected two numbers (precision, recall) as a tuple, got float
    """
    if isinstance(answer, (str, bytes, dict)) or not isinstance(
        answer, (tuple, list, np.ndarray, pd.Series)
    ):
        raise Incorrect(
            f"expected two {kind} ({names[0]}, {names[1]}) as a tuple, got {_kind(answer)}"
        )
    values = list(answer)
    if len(values) != 2:
        got = f"{len(values)} value{'s' * (len(values) != 1)}"
        raise Incorrect(f"expected two {kind} ({names[0]}, {names[1]}), got {got}")
    return values[0], values[1]


def expect_count(answer: Any, expected: int, *, what: str) -> None:
    """Grade a whole number: "too high" / "too low", without expect_number's unit guesses.

    A float with no fractional part (``12.0``) counts as the whole number.

    Examples
    --------
    >>> expect_count(12.0, 12, what="the count")
    >>> try:
    ...     expect_count(13, 12, what="the count")
    ... except Incorrect as exc:
    ...     print(exc)
    the count is too high
    """
    if isinstance(answer, (float, np.floating)) and float(answer).is_integer():
        answer = int(answer)
    if not isinstance(answer, (int, np.integer)) or isinstance(answer, (bool, np.bool_)):
        expect_number(answer, expected, rtol=0, atol=0.5, what=what)  # explains the type
        raise Incorrect(f"{what} should be a whole number")
    if answer != expected:
        raise Incorrect(f"{what} is too {'high' if answer > expected else 'low'}")


def _same(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y, tol) for x, y in zip(a, b, strict=True))
    if is_number(a) and is_number(b):
        return abs(float(a) - float(b)) <= tol
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().lower() == b.strip().lower()
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared are different
        return False


def _finite(value: Any) -> bool:
    if is_number(value):
        return math.isfinite(float(value))
    if isinstance(value, tuple):
        return all(_finite(v) for v in value)
    return True


def distinct(expected: Any, candidates: Sequence[Any], *, tol: float = 0.0) -> list:
    """The candidate wrong answers that really differ from ``expected`` and from each other.

    A slip can happen to equal the right answer on one seed's data: the common exercise test
    feeds every wrong answer and expects Incorrect, so those are dropped here. Numbers (also
    inside tuples) are the same within ``tol``; text compares case-insensitively; non-finite
    numbers are dropped.

    Examples
    --------
    >>> distinct("fico", ["FICO", "dti", "dti"])
    ['dti']
    >>> distinct((0.1, 0.2), [(0.1, 0.2004), (0.2, 0.1)], tol=5e-4)
    [(0.2, 0.1)]
    """
    out: list = []
    for c in candidates:
        if not _finite(c) or _same(c, expected, tol) or any(_same(c, o, tol) for o in out):
            continue
        out.append(c)
    return out


# Tests and drift tables over a year of data take a moment, and a learner may check an answer
# many times: keep the last result per name for the very same bound objects (held here, so
# their ids cannot be reused while cached).
_MEMO: dict[str, tuple[tuple, Any]] = {}


def memo(name: str, objects: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, or its last result when called with the very same ``objects``.

    Examples
    --------
    >>> calls = []
    >>> frame = pd.DataFrame({"x": [1, 2]})
    >>> def total():
    ...     calls.append(1)
    ...     return int(frame["x"].sum())
    >>> memo("demo-total", (frame,), total), memo("demo-total", (frame,), total), len(calls)
    (3, 3, 1)
    """
    held = _MEMO.get(name)
    if (
        held is None
        or len(held[0]) != len(objects)
        or any(a is not b for a, b in zip(held[0], objects, strict=True))
    ):
        held = (tuple(objects), compute())
        _MEMO[name] = held
    return held[1]


def expect_number_or_slip(
    answer: Any,
    expected: float,
    *,
    what: str,
    rtol: float = 0.0,
    atol: float = 1e-9,
    slips: Sequence[tuple[float, str]] | Callable[[], Sequence[tuple[float, str]]] = (),
) -> None:
    """:func:`expect_number`, but an answer equal to a known slip gets that slip's reason.

    ``slips`` pairs a plausible wrong value with why it is wrong (or is a callable returning the
    pairs, so they are only computed for a wrong answer). The right answer is checked first, so a
    slip that happens to equal it on this data is never reported.

    Examples
    --------
    >>> expect_number_or_slip(0.2, 0.2, what="the bad rate", atol=5e-4)
    >>> expect_number_or_slip(20.0, 0.2, what="the bad rate", atol=5e-4,
    ...                       slips=[(20.0, "that is a percentage; give a share")])
    Traceback (most recent call last):
    ...
    lendlab.course.exercises.checks.Incorrect: that is a percentage; give a share
    """
    try:
        expect_number(answer, expected, rtol=rtol, atol=atol, what=what)
    except Incorrect:
        if is_number(answer):
            for value, reason in slips() if callable(slips) else slips:
                if (
                    is_number(value)
                    and math.isfinite(float(value))
                    and math.isclose(float(answer), float(value), rel_tol=rtol, abs_tol=atol)
                ):
                    raise Incorrect(reason) from None
        raise
