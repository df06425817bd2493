"""Call every public function with bad first arguments (after scikit-learn's
``sklearn/tests/test_public_functions.py``).

For each public callable of ``lendlab.metrics``, ``quality``, ``models``, ``monitoring`` and
``world`` (``drift`` is fuzzed in tests/unit/test_drift_guards.py), a valid call is written down
once in :data:`CASES`; the test swaps its first argument for each bad input of its kind
(``None``, a string, an empty DataFrame, a DataFrame missing the columns, numbers stored as text,
NaN values). The call must raise ``TypeError`` or ``ValueError`` (``FileNotFoundError`` for a
path that does not exist) with a non-empty message, raised by lendlab or the library it wraps:
never ``KeyError``, ``AttributeError``, ``IndexError``, ``ZeroDivisionError``, an error thrown
from inside numpy or pandas, and never a silent return.

A bad input a function handles on purpose (NaN in a column where missing data is a finding) is
listed in that case's ``handles`` with the reason. A new public name fails
``test_every_public_callable_is_fuzzed`` until it gets a case or a reason in :data:`NOT_FUZZED`.
Known failures in modules this file's owner does not own are ``xfail(strict=True)`` in
:data:`KNOWN`, so a fix shows up as XPASS and the entry must be removed.
"""

from __future__ import annotations

import importlib
import inspect
import math
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lendlab import metrics, models, monitoring, quality, world

MODULES = (
    "lendlab.metrics",
    "lendlab.quality",
    "lendlab.models",
    "lendlab.monitoring",
    "lendlab.world",
)
BAD_KINDS = ("none", "string", "empty_frame", "missing_columns", "numbers_as_text", "nan")
FORBIDDEN = (KeyError, AttributeError, IndexError, ZeroDivisionError)
INTERNAL = (f"{Path(np.__file__).parent}", f"{Path(pd.__file__).parent}")


# ---------------------------------------------------------------- shared valid inputs


@cache
def book() -> pd.DataFrame:
    return world.generate(2_000, seed=0)


@cache
def card() -> models.Scorecard:
    loans = book()[book()["approved_policy"]]
    return models.Scorecard().fit(loans, loans["defaulted"])


@cache
def challenger() -> models.Challenger:
    loans = book()[book()["approved_policy"]]
    return models.Challenger().fit(loans, loans["defaulted"])


@cache
def sources() -> quality.Sources:
    return quality.split_sources(book(), seed=0)


def y_true() -> np.ndarray:
    return book()["defaulted"].to_numpy()


def pd_values() -> np.ndarray:
    return book()["pd_true"].to_numpy()


def view() -> pd.DataFrame:
    return world.observed(book(), "2026-06-01")


def log() -> pd.DataFrame:
    return monitoring.decision_log(book(), card(), cutoff=0.2)


_ARTIFACTS: dict[str, Path] = {}


def _tmp_artifact() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp()) / "card.joblib"


def _saved_artifact() -> Path:
    if "card" not in _ARTIFACTS:
        path = _tmp_artifact()
        models.save_model(card(), path)
        _ARTIFACTS["card"] = path
    return _ARTIFACTS["card"]


# ---------------------------------------------------------------- cases


@dataclass
class Case:
    """A valid call: ``func(first(), *rest(), **kwargs())`` with a first argument of ``kind``."""

    func: Callable[..., Any]
    kind: str  # array | frame | model | path | name | count | sources
    first: Callable[[], Any]
    rest: Callable[[], tuple] = tuple
    kwargs: Callable[[], dict] = dict
    handles: dict[str, str] = field(default_factory=dict)  # bad kind -> why it is a valid input


def _y_pd(func: Callable[..., Any], **kw: Any) -> Case:
    return Case(func, "array", y_true, lambda: (pd_values(),), lambda: dict(kw))


def _pd_only(func: Callable[..., Any], **kw: Any) -> Case:
    return Case(func, "array", pd_values, kwargs=lambda: dict(kw))


MISSING_IS_DATA = "NaN in the bureau fields is a missing pull, handled as data (a finding)"
TEXT_IS_DATA = "text columns are reported (dtype violation), not raised"

CASES: dict[str, Case] = {
    # metrics
    "metrics.adverse_impact_ratio": Case(
        metrics.adverse_impact_ratio,
        "array",
        lambda: book()["approved_policy"].to_numpy(),
        lambda: (book()["protected_group"].astype(str).to_numpy(),),
    ),
    "metrics.approval_rate": _pd_only(metrics.approval_rate, cutoff=0.2),
    "metrics.approve": _pd_only(metrics.approve, cutoff=0.2),
    "metrics.bad_rate_among_approved": _y_pd(metrics.bad_rate_among_approved, cutoff=0.2),
    "metrics.brier_score": _y_pd(metrics.brier_score),
    "metrics.calibration_table": _y_pd(metrics.calibration_table),
    "metrics.decision_confusion": _y_pd(metrics.decision_confusion, cutoff=0.2),
    "metrics.decline_precision": _y_pd(metrics.decline_precision, cutoff=0.2),
    "metrics.decline_recall": _y_pd(metrics.decline_recall, cutoff=0.2),
    "metrics.expected_calibration_error": _y_pd(metrics.expected_calibration_error),
    "metrics.false_decline_rate": _y_pd(metrics.false_decline_rate, cutoff=0.2),
    "metrics.gini": _y_pd(metrics.gini),
    "metrics.ks_statistic": _y_pd(metrics.ks_statistic),
    "metrics.pr_auc": _y_pd(metrics.pr_auc),
    "metrics.roc_auc": _y_pd(metrics.roc_auc),
    "metrics.threshold_table": _y_pd(metrics.threshold_table),
    "metrics.rates_by_segment": Case(
        metrics.rates_by_segment,
        "frame",
        book,
        kwargs=lambda: {"segment": "channel", "approved": "approved_policy", "bad": "defaulted"},
        handles={"nan": "NaN outcomes are loans whose outcome is not known yet"},
    ),
    # quality
    "quality.validate": Case(
        quality.validate,
        "frame",
        lambda: sources().applications,
        lambda: (quality.CONTRACTS["applications"],),
        lambda: {
            "as_of": sources().as_of,
            "join": {
                "bureau_pulls": sources().bureau_pulls,
                "verifications": sources().verifications,
            },
        },
        handles={
            "empty_frame": "an empty table is a row_count violation",
            "missing_columns": "missing columns are 'present' violations",
            "numbers_as_text": TEXT_IS_DATA,
            "nan": "nulls are counted against the null budget",
        },
    ),
    "quality.Contract": Case(quality.Contract, "name", lambda: "applications"),
    "quality.Freshness": Case(quality.Freshness, "name", lambda: "applied_at", lambda: ("2D",)),
    "quality.Lag": Case(quality.Lag, "name", lambda: "pulled_at", lambda: ("applied_at", "1D")),
    "quality.Coverage": Case(quality.Coverage, "name", lambda: "application_id", lambda: ("b",)),
    "quality.split_sources": Case(quality.split_sources, "frame", book),
    "quality.apply_breaks": Case(
        quality.apply_breaks, "sources", sources, lambda: (["broken_join"],)
    ),
    "quality.build_features": Case(quality.build_features, "sources", sources),
    "quality.check_pipeline": Case(quality.check_pipeline, "sources", sources),
    "quality.Sources": Case(
        quality.Sources,
        "frame",
        lambda: sources().applications,
        lambda: (sources().bureau_pulls, sources().verifications, sources().as_of),
        handles={"nan": MISSING_IS_DATA, "numbers_as_text": "checked by the contracts"},
    ),
    # models
    "models.check_model": Case(models.check_model, "model", card),
    "models.decide": Case(
        models.decide, "model", card, lambda: (book().head(200),), lambda: {"cutoff": 0.2}
    ),
    "models.decide[frame]": Case(
        lambda frame, **kw: models.decide(card(), frame, **kw),
        "frame",
        lambda: book().head(200),
        kwargs=lambda: {"cutoff": 0.2},
        handles={"nan": MISSING_IS_DATA},
    ),
    "models.reason_codes": Case(models.reason_codes, "model", card, lambda: (book().head(50),)),
    "models.reason_codes[frame]": Case(
        lambda X, **kw: models.reason_codes(card(), X, **kw),
        "frame",
        lambda: book().head(50),
        handles={"nan": MISSING_IS_DATA},
    ),
    "models.rules_policy": Case(
        models.rules_policy, "frame", lambda: book().head(200), handles={"nan": MISSING_IS_DATA}
    ),
    "models.pd_to_score": _pd_only(models.pd_to_score),
    "models.score_to_pd": Case(models.score_to_pd, "array", lambda: np.linspace(300, 850, 50)),
    "models.save_model": Case(models.save_model, "model", card, lambda: (_tmp_artifact(),)),
    "models.load_model": Case(models.load_model, "path", _saved_artifact),
    "models.read_sidecar": Case(models.read_sidecar, "path", _saved_artifact),
    "models.sidecar_path": Case(
        models.sidecar_path,
        "path",
        lambda: "models/card.joblib",
        handles={"string": "any path names a sidecar; nothing is read"},
    ),
    "models.model_features": Case(models.model_features, "model", card),
    "models.model_scaling": Case(models.model_scaling, "model", card),
    "models.Scorecard.fit": Case(
        lambda X, y: models.Scorecard().fit(X, y),
        "frame",
        lambda: book()[book()["approved_policy"]],
        lambda: (book().loc[book()["approved_policy"], "defaulted"],),
        handles={"nan": MISSING_IS_DATA},
    ),
    "models.Scorecard.predict_pd": Case(
        lambda X: card().predict_pd(X),
        "frame",
        lambda: book().head(100),
        handles={"nan": MISSING_IS_DATA},
    ),
    "models.Challenger.fit": Case(
        lambda X, y: models.Challenger().fit(X, y),
        "frame",
        lambda: book()[book()["approved_policy"]],
        lambda: (book().loc[book()["approved_policy"], "defaulted"],),
        handles={"nan": "gradient boosting handles missing values natively"},
    ),
    "models.Challenger.predict_pd": Case(
        lambda X: challenger().predict_pd(X),
        "frame",
        lambda: book().head(100),
        handles={"nan": "gradient boosting handles missing values natively"},
    ),
    # monitoring
    "monitoring.bad_rate_by_vintage": Case(monitoring.bad_rate_by_vintage, "frame", view),
    "monitoring.decision_log": Case(
        monitoring.decision_log,
        "frame",
        book,
        lambda: (card(),),
        lambda: {"cutoff": 0.2},
        handles={"nan": MISSING_IS_DATA},
    ),
    "monitoring.decision_log[model]": Case(
        lambda model, **kw: monitoring.decision_log(book(), model, **kw),
        "model",
        card,
        kwargs=lambda: {"cutoff": 0.2},
    ),
    "monitoring.decision_mix": Case(
        monitoring.decision_mix,
        "frame",
        log,
        handles={"nan": "a missing PD is a rules-fallback decision: left out of mean_pd"},
    ),
    "monitoring.expected_outcomes": _pd_only(monitoring.expected_outcomes, cutoff=0.2),
    "monitoring.loan_performance": Case(
        monitoring.loan_performance,
        "frame",
        book,
        lambda: ("2026-06-01",),
        handles={"nan": "months_to_* are NaN for loans that never reach that state"},
    ),
    "monitoring.vintage_curve": Case(
        monitoring.vintage_curve,
        "frame",
        lambda: monitoring.loan_performance(book(), "2026-06-01"),
        handles={"nan": "default_month is NaN for loans that have not defaulted"},
    ),
    # world
    "world.generate": Case(world.generate, "count", lambda: 100),
    "world.observed": Case(
        world.observed,
        "frame",
        book,
        lambda: ("2026-06-01",),
        handles={"nan": "months_to_* are NaN for loans that never reach that state"},
    ),
    "world.passes_knockout": Case(
        world.passes_knockout, "frame", lambda: book().head(200), handles={"nan": MISSING_IS_DATA}
    ),
}

NOT_FUZZED = {
    "models.Scorecard": "constructor's first argument (features) is optional; fit/predict_pd are",
    "models.Challenger": "constructor's first argument (features) is optional; fit/predict_pd are",
    "models.PDModel": "a typing.Protocol, not called",
    "monitoring.PDModel": "a typing.Protocol, not called",
    "quality.Column": "every argument is optional; tested in test_quality_contracts",
    "models.points_scaling": "keyword-only arguments; tested in test_models",
}


# ---------------------------------------------------------------- bad inputs


def _numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]


# which bad inputs make sense for each kind of first argument
APPLIES = {
    "array": BAD_KINDS,
    "frame": BAD_KINDS,
    "count": ("none", "string", "empty_frame", "numbers_as_text", "nan"),
    "model": ("none", "string", "empty_frame"),
    "path": ("none", "string", "empty_frame"),
    "name": ("none", "string", "empty_frame"),
    "sources": ("none", "string", "empty_frame"),
}


def bad_first(kind: str, bad: str, good: Any) -> Any:
    """The bad first argument ``bad`` for a parameter of ``kind`` (valid value ``good``)."""
    if bad == "none":
        return None
    if bad == "string":
        return {"path": "no/such/file.joblib", "name": "", "count": "many"}.get(kind, "fico")
    if bad == "empty_frame":
        return pd.DataFrame()
    if bad == "missing_columns":
        if kind in ("array", "frame"):
            return pd.DataFrame({"unrelated": np.arange(len(good), dtype=float)})
    if kind == "array":
        values = np.asarray(good, dtype=float).copy()
        if bad == "numbers_as_text":
            return values.astype(str)
        values[: max(1, len(values) // 10)] = np.nan
        return values
    if kind == "frame":
        frame = good.copy()
        cols = _numeric_columns(frame)
        if bad == "numbers_as_text":
            return frame.astype({c: "str" for c in cols})
        frame = frame.astype({c: "float64" for c in cols})
        frame.loc[frame.index[: max(1, len(frame) // 10)], cols] = np.nan
        return frame
    if kind == "count":
        return math.nan if bad == "nan" else str(good)
    raise AssertionError(f"{bad} does not apply to a {kind}: fix APPLIES")


# ---------------------------------------------------------------- known failures (others' files)

# case id -> reason; each is xfail(strict=True) so a fix shows as XPASS (then remove the entry)
_EMPTY_FRAME_HINT = (
    "lendlab/validation.py as_1d builds its hint 'e.g. frame[<first column>]' from "
    "list(values.columns)[0]: IndexError on a DataFrame without columns"
)
KNOWN: dict[str, str] = {
    "models.score_to_pd-missing_columns": (
        "score_to_pd accepts a 2-D (one-column DataFrame) input and returns a 2-D array; "
        "pd_to_score refuses it"
    ),
}


def _params() -> list:
    out = []
    for name in CASES:
        for bad in BAD_KINDS:
            cid = f"{name}-{bad}"
            marks = []
            if bad in CASES[name].handles or bad not in APPLIES[CASES[name].kind]:
                continue
            if cid in KNOWN:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[cid]))
            out.append(pytest.param(name, bad, id=cid, marks=marks))
    return out


def _origin(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].filename if frames else ""


@pytest.mark.parametrize(("name", "bad"), _params())
def test_bad_first_argument_raises_a_clear_error(name, bad):
    case = CASES[name]
    arg = bad_first(case.kind, bad, case.first())
    rest, kwargs = case.rest(), case.kwargs()
    expected: tuple[type[BaseException], ...] = (TypeError, ValueError)
    if case.kind == "path" and bad == "string":
        expected = (FileNotFoundError,)
    try:
        result = case.func(arg, *rest, **kwargs)
    except FORBIDDEN as exc:
        pytest.fail(f"{name}({bad}) raised {type(exc).__name__}: {exc}", pytrace=False)
    except expected as exc:
        message = str(exc).strip()
        assert message, f"{name}({bad}) raised {type(exc).__name__} with an empty message"
        origin = _origin(exc)
        assert not origin.startswith(INTERNAL), (
            f"{name}({bad}) let a numpy/pandas error through ({origin}): "
            f"{type(exc).__name__}: {message[:200]}"
        )
    except Exception as exc:  # noqa: BLE001 - any other type is the finding
        pytest.fail(
            f"{name}({bad}) raised {type(exc).__name__} (want TypeError/ValueError): {exc}",
            pytrace=False,
        )
    else:
        shown = type(result).__name__
        pytest.fail(f"{name}({bad}) returned a {shown} instead of raising", pytrace=False)


@pytest.mark.parametrize("name", list(CASES))
def test_the_valid_call_of_each_case_works(name):
    """Guards the fuzz itself: the unmodified call must succeed, or every bad case passes
    for the wrong reason."""
    case = CASES[name]
    case.func(case.first(), *case.rest(), **case.kwargs())


def test_every_public_callable_is_fuzzed():
    public = set()
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        short = module_name.split(".")[-1]
        for attr in module.__all__:
            obj = getattr(module, attr)
            if callable(obj) and (inspect.isfunction(obj) or inspect.isclass(obj)):
                public.add(f"{short}.{attr}")
    functions = {n.split("[")[0] for n in CASES if n.count(".") == 1}
    classes = {n.rsplit(".", 1)[0] for n in CASES if n.count(".") == 2}  # Class.method cases
    covered = functions | classes | set(NOT_FUZZED)
    assert sorted(public - covered) == [], "add a Case (or a NOT_FUZZED reason) for these"
    assert sorted(covered - public) == [], "stale names in CASES / NOT_FUZZED"
