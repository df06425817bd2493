"""Week 4: data quality and feature pipeline debugging (the questions behind the lab).

The lab ``solutions/week04_data_quality.ipynb`` builds six months of applications
(:func:`lendlab.world.generate`), splits them into the three raw feeds a lender's nightly batch
reads (:func:`lendlab.quality.split_sources`: applications, bureau pulls, income
verifications), builds the feature table (:func:`lendlab.quality.build_features`) and checks
every stage with data contracts (:mod:`lendlab.quality.contracts`). It then breaks the pipeline
on purpose (``breaks=`` and :func:`lendlab.world.faults.inject`), answers a 02:47 page about the
partner channel, and runs a game day whose incident kind and start day are drawn from the seed.

In the lab::

    from lendlab.course.exercises import week04 as ex
    ex.bind(sources=sources, features=features, broken=broken, faults=faults, ...)
    ex.q1.check(feature_contract)

Every expected answer is computed from the bound data (decisions with
:func:`lendlab.models.rules_policy`, violations with :func:`lendlab.quality.validate`) or read
from the sealed :class:`lendlab.world.faults.InjectedFault` records, so the checks hold for any
seed. The lab's world (the feeds, the breaks, tonight's replay and the game day) is
:mod:`lendlab.course.scenarios.week04`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lendlab import models, quality
from lendlab.course.exercises.answers import as_date, as_text, distinct, expect_count, memo
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
)
from lendlab.course.scenarios import week04 as scenario
from lendlab.course.scenarios.common import utc

__all__ = ["RATE_TOL", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"]

RATE_TOL = 5e-4  # admits rounding to 3 decimals; every plausible slip is further away

# --------------------------------------------------------------------------- grading helpers


def _decisions(ctx: Mapping[str, Any]) -> tuple[pd.Series, pd.Series]:
    """Tonight's decisions and the decisions on the corrected (clean) features, by application."""
    now = ctx["features_now"]
    clean = ctx["features"]
    approved_now = pd.Series(
        models.rules_policy(now)["approved"].to_numpy(), index=now["application_id"].to_numpy()
    )
    approved_clean = pd.Series(
        models.rules_policy(clean)["approved"].to_numpy(), index=clean["application_id"].to_numpy()
    )
    return approved_now, approved_clean.reindex(approved_now.index)


def _windows(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    start = utc(scenario.SETTINGS["scenario_start"])
    when = frame["applied_at"]
    window = (when >= start).to_numpy()
    baseline = (
        (when >= start - pd.Timedelta(days=scenario.SETTINGS["baseline_days"])) & (when < start)
    ).to_numpy()
    return window, baseline


def _relative_drop(
    approved: np.ndarray, mask: np.ndarray, window: np.ndarray, baseline: np.ndarray
) -> float:
    before = approved[mask & baseline].mean()
    after = approved[mask & window].mean()
    return float(1.0 - after / before)


# --------------------------------------------------------------------------- Q1: the contract

_RULE_KINDS = {
    "dtype": "a dtype on at least one column",
    "range": "a range (min/max) on at least one column",
    "allowed": "allowed categories on at least one column",
    "null_budget": "a null budget (0 < max_null < 1) on a column that may be missing",
    "unique": "a uniqueness rule (unique=[...])",
    "row_count": "an expected row count (row_count=[min, max])",
    "freshness": "a freshness or lag rule (freshness=[...])",
    "joins": "a join-coverage rule (joins=[...])",
}


def _rule_kinds(contract: quality.Contract) -> set[str]:
    cols = contract.columns.values()
    found = set()
    if any(c.dtype is not None for c in cols):
        found.add("dtype")
    if any(c.min is not None or c.max is not None for c in cols):
        found.add("range")
    if any(c.allowed for c in cols):
        found.add("allowed")
    if any(0.0 < c.max_null < 1.0 for c in cols):
        found.add("null_budget")
    for name, value in (
        ("unique", contract.unique),
        ("freshness", contract.freshness),
        ("joins", contract.joins),
    ):
        if value:
            found.add(name)
    if contract.row_count is not None:
        found.add("row_count")
    return found


def _graded_tables(ctx: Mapping[str, Any]) -> list[tuple[str, pd.DataFrame, quality.Sources]]:
    """(label, feature table, raw feeds seen) for every failure a contract must catch."""
    return [
        (f"the break {b!r}", ctx["broken"][b], quality.apply_breaks(ctx["sources"], [b]))
        for b in quality.BREAKS
    ]


#: How many days of applications the "stalled feed" bad night lacks, and how many days of
#: vendor results the "vendor gap" bad night lacks (the verification_feed_gap break's week).
_STALL_DAYS, _GAP_DAYS = 4, 7


def _bad_nights(ctx: Mapping[str, Any]) -> list[tuple[pd.DataFrame, Any, dict[str, pd.DataFrame]]]:
    """(feature table, as_of, join tables) of every bad night a live rule must be able to see.

    The five breaks, plus two nights no break covers: a feed that stalled (the last days of
    applications never arrived) and a vendor gap (every right-hand table misses the last week
    of applications, so a join rule fails whichever table it points to).
    """
    sources, features = ctx["sources"], ctx["features"]

    def build() -> list[tuple[pd.DataFrame, Any, dict[str, pd.DataFrame]]]:
        nights = [(table, src.as_of, src.tables()) for _, table, src in _graded_tables(ctx)]
        applied = features["applied_at"]
        stalled = features[applied < sources.as_of - pd.Timedelta(days=_STALL_DAYS)]
        nights.append((stalled, sources.as_of, sources.tables()))
        late = features.loc[
            applied >= sources.as_of - pd.Timedelta(days=_GAP_DAYS), "application_id"
        ]
        gap = {
            name: table[~table["application_id"].isin(late)]
            for name, table in sources.tables().items()
        }
        nights.append((features, sources.as_of, gap))
        return nights

    return memo("bad-nights", (sources, features, ctx["broken"]), build)


#: Violation rules (quality.validate's ``rule`` column) that show a rule kind at work.
_KIND_RULES = {
    "range": ("range",),
    "null_budget": ("null_budget",),
    "unique": ("unique",),
    "row_count": ("row_count",),
    "freshness": ("freshness", "lag"),
    "joins": ("coverage",),
}


def _describe_rules(contract: quality.Contract, kind: str) -> str:
    """The learner's rules of one kind, as they wrote them (for the feedback)."""
    if kind == "range":
        items = [
            f"{name!r} [{c.min}, {c.max}]"
            for name, c in contract.columns.items()
            if c.min is not None or c.max is not None
        ]
    elif kind == "null_budget":
        items = [
            f"{name!r} max_null {c.max_null:g}"
            for name, c in contract.columns.items()
            if 0.0 < c.max_null < 1.0
        ]
    elif kind == "unique":
        items = [repr(k) for k in contract.unique]
    elif kind == "row_count":
        lo, hi = contract.row_count
        items = [f"[{lo}, {hi}]"]
    elif kind == "freshness":
        items = [
            f"{r.column!r} max_age {r.max_age}"
            if isinstance(r, quality.Freshness)
            else f"{r.earlier!r} -> {r.later!r} max_lag {r.max_lag}"
            for r in contract.freshness
        ]
    else:
        items = [f"{r.key} -> {r.right}, min_share {r.min_share:g}" for r in contract.joins]
    shown = "; ".join(items[:3]) + (f"; and {len(items) - 3} more" if len(items) > 3 else "")
    return shown


_KIND_LABEL = {
    "range": "range",
    "null_budget": "null budget",
    "unique": "uniqueness",
    "row_count": "row count",
    "freshness": "freshness or lag",
    "joins": "join-coverage",
}
_WHY_LIVE = {
    "range": "a partner sending income in the wrong unit",
    "null_budget": "a renamed field arriving empty",
    "unique": "a join that fans out",
    "row_count": "a fanned-out join or a feed that stalled for days",
    "freshness": "a feed that stalled for days or a bureau snapshot months old",
    "joins": "a week of vendor results that never arrived",
}


def _dead_kinds(contract: quality.Contract, ctx: Mapping[str, Any]) -> list[str]:
    """Rule kinds none of whose rules fails on any bad night: they cannot fail on this data.

    dtype and allowed categories are never dead: a text value or an unmapped category breaks
    any of them, so they need no bad night of their own.
    """
    seen: set[str] = set()
    budget_columns = {n for n, c in contract.columns.items() if 0.0 < c.max_null < 1.0}
    for table, as_of, join in _bad_nights(ctx):
        v = _violations_at(table, contract, as_of, join)
        rules = set(v["rule"])
        budget = set(v.loc[v["rule"] == "null_budget", "column"]) & budget_columns
        for kind, names in _KIND_RULES.items():
            if kind == "null_budget":
                if budget:
                    seen.add(kind)
            elif rules.intersection(names):
                seen.add(kind)
    return [k for k in _KIND_RULES if k not in seen]


def _violations_at(
    frame: pd.DataFrame, contract: quality.Contract, as_of: Any, join: Mapping[str, pd.DataFrame]
) -> pd.DataFrame:
    try:
        return quality.validate(frame, contract, as_of=as_of, join=join)
    except (ValueError, TypeError) as exc:
        raise Incorrect(f"validate() refused your contract: {exc}") from None


def _violations(
    frame: pd.DataFrame, contract: quality.Contract, src: quality.Sources
) -> pd.DataFrame:
    return _violations_at(frame, contract, src.as_of, src.tables())


def _reference_contract(ctx: Mapping[str, Any]) -> dict[str, Any]:
    rows = len(ctx["sources"].applications)
    return {
        "name": "features",
        "columns": {
            "application_id": {"dtype": "int"},
            "applied_at": {"dtype": "datetime"},
            "channel": {"dtype": "category", "allowed": ["web", "mobile", "partner_api", "broker"]},
            "fico": {"dtype": "int", "min": 300, "max": 850, "max_mode_share": 0.05},
            "annual_income": {"dtype": "float", "min": 3_000, "max": 2_000_000},
            "dti": {"dtype": "float", "min": 0, "max": 60},
            "inquiries_6m": {"dtype": "int", "min": 0, "max": 30},
            "revol_util": {"dtype": "float", "min": 0, "max": 120},
            "emp_length_years": {"dtype": "float", "min": 0, "max": 10, "max_null": 0.10},
            "open_accounts": {"dtype": "int", "min": 1, "max": 60},
            "income_verification": {
                "dtype": "category",
                "allowed": ["verified", "source_verified", "not_verified"],
            },
            "verified_income": {"dtype": "float", "min": 0, "max_null": 0.45},
        },
        "unique": ["application_id"],
        "row_count": [rows, rows],
        "freshness": [
            {"column": "applied_at", "max_age": "2D"},
            {"earlier": "bureau_pulled_at", "later": "applied_at", "max_lag": "1D"},
        ],
        "joins": [{"key": "application_id", "right": "verifications", "min_share": 0.99}],
    }


class FeatureContract(Question):
    title = "a contract for the feature table"
    hints = (
        "Start from the clean table: every rule must hold on `features` (zero violations), "
        "each of the five tables in `broken` must fail at least one rule, and every kind of "
        "rule must be able to fail: a row count of [0, 10**9] or a join with min_share 0 "
        "passes everything and does not count. Take the budgets and bounds from the good "
        "night's profile.",
        "Build the dict kind by kind from the table in section 2 (the column rules, then "
        "unique, row_count, freshness with a max_age and a max_lag, joins), and test it "
        "yourself with quality.validate(frame, contract, as_of=..., join=...) on `features` "
        "and on each broken table, as point 3 of the question shows.",
    )
    solution_code = """\
rows = len(sources.applications)           # one feature row per application, no more, no less
feature_contract = {
    "name": "features",
    "columns": {
        "application_id": {"dtype": "int"},
        "applied_at": {"dtype": "datetime"},
        "channel": {"dtype": "category", "allowed": ["web", "mobile", "partner_api", "broker"]},
        "fico": {"dtype": "int", "min": 300, "max": 850, "max_mode_share": 0.05},
        "annual_income": {"dtype": "float", "min": 3_000, "max": 2_000_000},
        "dti": {"dtype": "float", "min": 0, "max": 60},
        "inquiries_6m": {"dtype": "int", "min": 0, "max": 30},
        "revol_util": {"dtype": "float", "min": 0, "max": 120},
        "emp_length_years": {"dtype": "float", "min": 0, "max": 10, "max_null": 0.10},
        "open_accounts": {"dtype": "int", "min": 1, "max": 60},
        "income_verification": {"dtype": "category",
                                "allowed": ["verified", "source_verified", "not_verified"]},
        "verified_income": {"dtype": "float", "min": 0, "max_null": 0.45},
    },
    "unique": ["application_id"],
    "row_count": [rows, rows],
    "freshness": [{"column": "applied_at", "max_age": "2D"},
                  {"earlier": "bureau_pulled_at", "later": "applied_at", "max_lag": "1D"}],
    "joins": [{"key": "application_id", "right": "verifications", "min_share": 0.99}],
}
good_night = quality.validate(features, feature_contract,
                              as_of=sources.as_of, join=sources.tables())
print("violations on the good night:", len(good_night))"""
    requires = ("sources", "features", "broken")

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, Any]:
        return _reference_contract(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if isinstance(answer, Mapping):
            try:
                contract = quality.Contract.from_dict(answer)
            except (ValueError, TypeError) as exc:
                raise Incorrect(f"your dict is not a valid contract: {exc}") from None
        elif isinstance(answer, quality.Contract):
            contract = answer
        else:
            kind = "None" if answer is None else type(answer).__name__
            raise Incorrect(f"expected a contract (a dict or quality.Contract), got {kind}")
        missing = [k for k in _RULE_KINDS if k not in _rule_kinds(contract)]
        if missing:
            raise Incorrect(
                f"the contract lacks {_RULE_KINDS[missing[0]]}"
                + (
                    f" (and {len(missing) - 1} more rule kind{'s' * (len(missing) > 2)})"
                    if len(missing) > 1
                    else ""
                )
            )
        clean = _violations(ctx["features"], contract, ctx["sources"])
        if len(clean):
            first = clean.iloc[0]
            raise Incorrect(
                f"your contract fails the clean feature table ({len(clean)} violation"
                f"{'s' * (len(clean) > 1)}, first: column {first['column']!r}, rule "
                f"{first['rule']!r}): a contract that pages on a good night gets muted"
            )
        for label, table, src in _graded_tables(ctx):
            if not len(_violations(table, contract, src)):
                raise Incorrect(f"your contract passes {label}: add a rule that fails on it")
        dead = _dead_kinds(contract, ctx)
        if dead:
            kind = dead[0]
            raise Incorrect(
                f"your {_KIND_LABEL[kind]} rule ({_describe_rules(contract, kind)}) cannot "
                f"fail on this data: it passes every bad night, even {_WHY_LIVE[kind]}. A rule "
                "that cannot fail does not count: bound it by what a good night looks like"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        ref = _reference_contract(ctx)
        too_strict = {
            **ref,
            "columns": {
                **ref["columns"],
                "emp_length_years": {"dtype": "float", "min": 0, "max": 10},
            },
        }
        # Ranges so wide that a monthly income (and the DTI it inflates) passes.
        blind = {
            **ref,
            "columns": {
                **ref["columns"],
                "annual_income": {"dtype": "float", "min": 0},
                "dti": {"dtype": "float", "min": 0, "max": 1_000},
            },
        }
        no_rows = {k: v for k, v in ref.items() if k != "row_count"}
        no_lag = {**ref, "freshness": [{"column": "applied_at", "max_age": "2D"}]}
        # Vacuous rules: present, but they cannot fail on this data.
        any_rows = {**ref, "row_count": [0, 10**9]}
        any_join = {**ref, "joins": [{**ref["joins"][0], "min_share": 0.0}]}
        return [
            too_strict,
            blind,
            no_rows,
            no_lag,
            any_rows,
            any_join,
            ["application_id", "fico"],
        ]


# --------------------------------------------------------------------------- Q2: stages per fault


def _fault_counts(ctx: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """Violations per fault and stage (what the lab's table shows after the check)."""
    faults = ctx["faults"]
    objects = (faults, *(x for pair in faults.values() for x in pair))
    return dict(
        memo(
            "faults",
            objects,
            lambda: {
                name: {s: len(v) for s, v in scenario.stage_report(src, feats).items()}
                for name, (src, feats) in faults.items()
            },
        )
    )


def _fault_stages(ctx: Mapping[str, Any]) -> dict[str, str]:
    return {
        name: next((s for s in scenario.STAGES[:-1] if counts[s] > 0), "none")
        for name, counts in _fault_counts(ctx).items()
    }


class FirstStagePerFault(Question):
    title = "which stage first shows each fault"
    hints = (
        "Walk the pipeline in order: raw vendor feeds, then the batch job's reconciliation, then "
        "the feature table. A fault belongs to the first stage with at least one violation, "
        "even when a later stage shows more; 'none' if no contract sees it.",
        "For each fault in fault_runs, run stage_report on its raw feeds and feature table and "
        "walk STAGES in order: the first stage whose violations frame is not empty.",
    )
    solution_code = """\
first_stage_by_fault = {}
for name, (raw, feature_table) in fault_runs.items():
    report = stage_report(raw, feature_table)
    first_stage_by_fault[name] = next((s for s in STAGES[:3] if len(report[s]) > 0), "none")"""
    requires = ("faults",)

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, str]:
        return _fault_stages(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        if not isinstance(answer, Mapping):
            kind = "None" if answer is None else type(answer).__name__
            raise Incorrect(f"expected a dict {{fault name: stage}}, got {kind}")
        missing = [k for k in expected if k not in answer]
        if missing:
            raise Incorrect(f"your dict has no entry for {missing[0]!r} ({len(missing)} missing)")
        extra = [k for k in answer if k not in expected]
        if extra:
            raise Incorrect(
                f"{extra[0]!r} is not one of the faults: {', '.join(map(repr, expected))}"
            )
        wrong = []
        for name, stage in expected.items():
            given = answer[name]
            if not isinstance(given, str) or given.strip().lower() not in scenario.STAGES:
                raise Incorrect(
                    f"the stage for {name!r} must be one of {', '.join(map(repr, scenario.STAGES))}"
                )
            if given.strip().lower() != stage:
                wrong.append(name)
        if wrong:
            verb = "has" if len(wrong) == 1 else "have"
            raise Incorrect(
                f"{len(wrong)} of {len(expected)} faults {verb} the wrong stage, e.g. "
                f"{wrong[0]!r}: which stage's table is the first with a violation for it?"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = _fault_stages(ctx)
        counts = _fault_counts(ctx)
        stages = scenario.STAGES[:-1]
        # "We validate the feature table, so that is where everything shows."
        all_features = {k: "feature_table" for k in right}
        # The fan-out is a batch-job bug, but a careless read blames the bureau feed.
        blame_vendor = {k: ("vendor_feed" if v == "batch_job" else v) for k, v in right.items()}
        # Forgetting that some faults pass every contract.
        none_caught = {k: ("feature_table" if v == "none" else v) for k, v in right.items()}
        # The loudest stage (most rules violated) instead of the first.
        loudest = {
            k: (
                max(stages, key=lambda s, c=c: (c[s], -stages.index(s)))
                if any(c.values())
                else "none"
            )
            for k, c in counts.items()
        }
        # The last stage that sees it (where the damage ends up) instead of the first.
        last = {
            k: next((s for s in reversed(stages) if c[s] > 0), "none") for k, c in counts.items()
        }
        return distinct(right, [all_features, blame_vendor, none_caught, loudest, last])


# --------------------------------------------------------------------------- Q3: stale income


def _as_time_rule(answer: Any) -> quality.Contract:
    """The learner's rule (a dict, a Freshness/Lag, or a whole contract) as a one-rule contract."""
    if isinstance(answer, quality.Contract):
        return answer
    if isinstance(answer, quality.Freshness | quality.Lag):
        return quality.Contract("features", freshness=[answer])
    if not isinstance(answer, Mapping):
        kind = "None" if answer is None else type(answer).__name__
        raise Incorrect(
            f"expected one freshness or lag rule as a dict (like the ones in your Q1 "
            f"contract), got {kind}"
        )
    try:
        if "name" in answer:  # a whole contract
            return quality.Contract.from_dict(answer)
        if not ({"column", "earlier", "later"} & set(answer)):
            raise Incorrect(
                f"{sorted(map(str, answer))} is not a time rule: a freshness rule has 'column' "
                "and 'max_age', a lag rule 'earlier', 'later' and 'max_lag'"
            )
        return quality.Contract.from_dict({"name": "features", "freshness": [dict(answer)]})
    except (ValueError, TypeError) as exc:
        raise Incorrect(f"your rule is not valid: {exc}") from None


class StaleIncomeRule(Question):
    title = "a rule that catches stale income"
    hints = (
        "The stale results have plausible values and arrive on time; what is wrong is *when* "
        "the income was verified, compared with when the applicant applied. Which kind of rule "
        "compares two timestamps of the same row, and which way round must it measure?",
        "A lag rule measures later - earlier and fails above max_lag. The default contract's "
        "lag (applied_at -> verified_at) measures how late a result came; you need how old it "
        "was at the application. Test it on `features` (must pass) and `stale_features` (must "
        "fail) with quality.validate(..., as_of=sources.as_of).",
    )
    solution_code = """\
# Policy: an income verification may be at most 30 days older than the application.
stale_income_rule = {"earlier": "verified_at", "later": "applied_at", "max_lag": "30D"}
for label, table in (("good night", features), ("stale income", stale_features)):
    found = quality.validate(table, {"name": "features", "freshness": [stale_income_rule]},
                             as_of=sources.as_of)
    print(f"{label}: {len(found)} violation(s)")"""
    requires = ("sources", "features", "stale_features")

    def expected(self, ctx: Mapping[str, Any]) -> dict[str, str]:
        return {"earlier": "verified_at", "later": "applied_at", "max_lag": "30D"}

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        contract = _as_time_rule(answer)
        if not contract.freshness:
            raise Incorrect(
                "your answer holds no freshness or lag rule: stale income has plausible values, "
                "so only a time rule can see it"
            )
        as_of = ctx["sources"].as_of
        try:
            clean = quality.validate(ctx["features"], contract, as_of=as_of)
            stale = quality.validate(ctx["stale_features"], contract, as_of=as_of)
        except (ValueError, TypeError) as exc:
            raise Incorrect(f"validate() refused your rule: {exc}") from None
        if len(clean):
            first = clean.iloc[0]
            why = (
                "a six-month table always holds old rows, so compare two timestamps of each "
                "row instead of a row with as_of"
                if first["rule"] == "freshness"
                else "a rule that fires on a good night gets muted; loosen it"
            )
            raise Incorrect(
                f"your rule fails the good night (column {first['column']!r}, rule "
                f"{first['rule']!r}): {why}"
            )
        if len(stale):
            return
        rules = contract.freshness
        lags = [r for r in rules if isinstance(r, quality.Lag)]
        if not lags:
            raise Incorrect(
                "your freshness rule passes the stale night: the newest verification is fresh, "
                "and the stale rows sit among fresh ones. Compare two timestamps of the same row "
                "(a lag rule)"
            )
        if any(r.earlier == "applied_at" and r.later == "verified_at" for r in lags):
            raise Incorrect(
                "your lag measures verified_at - applied_at: how late a result arrived. A result "
                "from months before the application makes that negative, so it never fires; "
                "swap earlier and later"
            )
        if any(r.earlier == "verified_at" and r.later == "applied_at" for r in lags):
            raise Incorrect(
                "your lag has the right direction but passes the stale night: the cached results "
                "are months old, so a max_lag that long lets them through; how old may an income "
                "verification be when the applicant applies?"
            )
        raise Incorrect(
            "your rule passes the stale night: which two timestamps of a row tell how old the "
            "income verification was when the applicant applied?"
        )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        return [
            # The default contract's direction: how late, not how old.
            {"earlier": "applied_at", "later": "verified_at", "max_lag": "7D"},
            # Feed freshness: the newest result is fresh.
            {"column": "verified_at", "max_age": "2D"},
            # Oldest row: a six-month table always fails it.
            {"column": "verified_at", "max_age": "30D", "which": "oldest"},
            # The right direction, but a bound no cached result exceeds.
            {"earlier": "verified_at", "later": "applied_at", "max_lag": "400D"},
            # A range on the value: stale incomes look normal.
            {"verified_income": {"min": 0, "max": 2_000_000}},
        ]


# --------------------------------------------------------------------------- Q4-Q7: tonight's page


def _partner_drop(ctx: Mapping[str, Any]) -> float:
    now = ctx["features_now"]
    approved, _ = _decisions(ctx)
    window, baseline = _windows(now)
    partner = (now["channel"] == "partner_api").to_numpy()
    return _relative_drop(approved.to_numpy(), partner, window, baseline)


class PartnerApprovalDrop(Question):
    title = "relative drop of the partner_api approval rate"
    hints = (
        "Use tonight's decisions (decisions_now) for partner_api only, and compare the approval "
        "rate since 28 December with the 28 days before. The drop is relative to the rate "
        "before: a fall from 0.40 to 0.30 is a drop of a quarter.",
        "Combine the channel mask with the `tonight` and `baseline` masks, take the mean of "
        "the approved column in each, and divide the change by the baseline rate.",
    )
    solution_code = """\
partner = features_now["channel"] == "partner_api"
rate_after = decisions_now["approved"][partner & tonight].mean()
rate_before = decisions_now["approved"][partner & baseline].mean()
partner_drop = 1 - rate_after / rate_before
print(f"partner_api approval rate {rate_before:.3f} -> {rate_after:.3f}")"""
    requires = ("features_now", "features")

    def expected(self, ctx: Mapping[str, Any]) -> float:
        return _partner_drop(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expect_number(answer, expected, rtol=0, atol=RATE_TOL, what="the relative drop")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        now = ctx["features_now"]
        approved, _ = _decisions(ctx)
        a = approved.to_numpy()
        window, baseline = _windows(now)
        partner = (now["channel"] == "partner_api").to_numpy()
        before, after = a[partner & baseline].mean(), a[partner & window].mean()
        everyone = np.ones(len(now), dtype=bool)
        return distinct(
            self.expected(ctx),
            [
                float(before - after),  # percentage points, not relative
                _relative_drop(a, everyone, window, baseline),  # all channels
                float(after / before),  # the ratio, not the drop
                float((before - after) / after),  # relative to the new rate, not the baseline
            ],
            tol=RATE_TOL,
        )


def _stage_of_tonight(ctx: Mapping[str, Any]) -> str:
    src, feats = ctx["sources_now"], ctx["features_now"]
    return memo(
        "tonight", (src, feats), lambda: scenario.first_stage(scenario.stage_report(src, feats))
    )


class TonightFirstStage(Question):
    title = "where tonight's failure first shows"
    hints = (
        "Run the three stage checks on tonight's raw feeds and feature table. The page came from "
        "the approval monitor, but was a contract upstream already red?",
        "Call stage_report on tonight's feeds and feature table and walk STAGES in pipeline "
        "order, as in Q2: the first stage with a non-empty violations frame.",
    )
    solution_code = """\
report_now = stage_report(sources_now, features_now)
tonight_stage = next((s for s in STAGES[:3] if len(report_now[s]) > 0), "none")
for stage, violations in report_now.items():
    print(f"{stage}: {len(violations)} rule(s) violated")"""
    requires = ("sources_now", "features_now")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _stage_of_tonight(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        given = answer.strip().lower() if isinstance(answer, str) else answer
        if given == "none" and expected != "none":
            raise Incorrect(
                "'none' would mean no contract saw it, and you heard from the approval monitor; "
                "run the stage checks on tonight's data before answering"
            )
        if isinstance(given, str) and given in scenario.STAGES and given != expected:
            raise Incorrect(
                f"{given!r} is not where it first shows: look at every stage of stage_report "
                "in pipeline order, not only the one with the most violations"
            )
        expect_choice(answer, expected, choices=scenario.STAGES, what="that stage")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        return [s for s in ("none", "feature_table", "batch_job", "vendor_feed") if s != right]


#: Columns the batch job computes (never sent by a vendor): dti from monthly_debt and income.
_DERIVED_BY_JOB = ("dti", *scenario.DERIVED)


def _root_cause(ctx: Mapping[str, Any]) -> str:
    raw = ctx["sources_now"].applications.columns
    return next(c for c in ctx["scenario"].columns if c in raw)


class RootCauseColumn(Question):
    title = "the raw field behind tonight's declines"
    hints = (
        "Go upstream: which column of the raw applications feed (sources_now.applications) "
        "changed for partner_api since 28 December? A derived feature such as dti only "
        "inherits the damage.",
        "Compare medians of each numeric raw column for partner_api in the window against the "
        "baseline (e.g. groupby on a window flag, .median()); the column whose level jumped by "
        "a round factor is the one.",
    )
    solution_code = """\
numeric_raw = partner_raw.select_dtypes("number").drop(columns=["application_id"])
ratio = numeric_raw[is_after].median() / numeric_raw[~is_after].median()
print(ratio.round(3).to_string())
root_cause_column = np.log(ratio).abs().idxmax()"""
    requires = ("sources_now", "scenario")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _root_cause(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        text = as_text(answer, "a column name").lower()
        raw = list(ctx["sources_now"].applications.columns)
        if text not in raw:
            if text in _DERIVED_BY_JOB:
                raise Incorrect(
                    f"{text!r} is computed by the batch job, not sent by the partner: which raw "
                    "input in sources_now.applications feeds it?"
                )
            if text in ctx["features_now"].columns:
                raise Incorrect(
                    f"{text!r} comes from another vendor's feed (bureau or verification), not "
                    "from the partner's application: which field of sources_now.applications "
                    "changed?"
                )
            raise Incorrect(f"{text!r} is not a column of sources_now.applications")
        if text == "channel":
            raise Incorrect(
                "the channel says where it broke (partner_api), not what: which field of the "
                "partner's applications carries the damage?"
            )
        if text != expected:
            raise Incorrect(
                f"{text!r} looks the same for partner_api before and after 28 December: "
                "compare the other raw columns"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        return distinct(
            self.expected(ctx),
            ["dti", "monthly_debt", "loan_amount", "loan_to_income", "channel", "verified_income"],
        )


def _redecide(ctx: Mapping[str, Any]) -> int:
    approved_now, approved_clean = _decisions(ctx)
    return int((~approved_now.to_numpy() & approved_clean.to_numpy().astype(bool)).sum())


class WronglyDeclined(Question):
    title = "applications to re-decide"
    hints = (
        "The partner re-sent the income in the right unit (the clean `features`). Count the "
        "applications declined tonight that pass the rules on the corrected data: only a "
        "decision that changes needs re-deciding. Applicants the rules decline anyway are "
        "not in it, and neither are approvals.",
        "Decide the corrected table with models.rules_policy, line both decisions up by "
        "application_id (set_index, reindex), and count the rows declined now and approved "
        "after the fix.",
    )
    solution_code = """\
fixed = models.rules_policy(features).set_index(features["application_id"])["approved"]
now = decisions_now.set_index(features_now["application_id"])["approved"]
wrongly_declined = int((~now & fixed.reindex(now.index)).sum())"""
    requires = ("features", "features_now", "scenario")

    def expected(self, ctx: Mapping[str, Any]) -> int:
        return _redecide(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expect_count(answer, expected, what="the number of applications")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        approved_now, approved_clean = _decisions(ctx)
        fixed = approved_clean.to_numpy().astype(bool)
        affected = approved_now.index.isin(ctx["scenario"].application_ids)
        now = ctx["features_now"]
        window, _ = _windows(now)
        partner = (now["channel"] == "partner_api").to_numpy()
        declined = ~approved_now.to_numpy()
        return distinct(
            self.expected(ctx),
            [
                int(ctx["scenario"].rows_affected),  # every affected application
                int((declined & affected).sum()),  # including those the rules decline anyway
                int((declined & partner & window).sum()),  # every partner decline tonight
                int((declined & window).sum()),  # every decline tonight, all channels
                int((approved_now.to_numpy() & ~fixed).sum()),  # the other direction
                int((approved_now.to_numpy() != fixed).sum()),  # any change, both directions
            ],
            tol=0.5,
        )


# --------------------------------------------------------------------------- Q8-Q10: game day


def _drill_columns(ctx: Mapping[str, Any]) -> list[str]:
    feats = ctx["drill_features"].columns
    return [c for c in ctx["drill"].columns if c in feats]


class DrillColumn(Question):
    title = "game day: which column"
    hints = (
        "Look at the daily PSI heatmap: which input lights up from some day on? Name a column "
        "the incident corrupted, not a ratio the batch job derives from it.",
        "Keep the days on which any column's PSI is above 0.1, average each column's PSI over "
        "those days, leave out the DERIVED ratios, and take the largest.",
    )
    solution_code = """\
alarm_days = psi_grid.index[psi_grid.max(axis=1) > 0.1]
drill_column = psi_grid.loc[alarm_days].drop(columns=DERIVED).mean().idxmax()"""
    requires = ("drill", "drill_features")

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return _drill_columns(ctx)[0]

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        text = as_text(answer, "a column name").lower()
        feats = ctx["drill_features"].columns
        if text not in feats:
            raise Incorrect(f"{text!r} is not a column of drill_features")
        if text == "channel":
            raise Incorrect(
                "'channel' is a slice, not a corrupted input: which column's PSI jumps?"
            )
        if text in scenario.DERIVED:
            raise Incorrect(
                f"{text!r} is a ratio the batch job derives: it moves with its inputs. Which "
                "input moved?"
            )
        if text not in _drill_columns(ctx):
            raise Incorrect(
                f"the incident did not touch {text!r}: look for the column whose PSI jumps"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        accepted = _drill_columns(ctx)
        return [
            c
            for c in ("loan_amount", "term_months", "loan_to_income", "verified_to_stated")
            if c not in accepted
        ]


class DrillStart(Question):
    title = "game day: which day it started"
    hints = (
        "Follow the column you named in Q8 day by day: the incident runs to the end of the "
        "window, so its PSI moves from a quiet level to a loud one and stays there. One noisy "
        "day above 0.1 is not a start.",
        "Try every day as the split of that column's daily PSI into 'before' and 'after': the "
        "split with the smallest total squared deviation from the two means is the change "
        "point. Answer a date like '2025-10-14'.",
    )
    solution_code = """\
def change_point(series):
    # The day that best splits the series into two flat levels (least squared error).
    def cost(k):
        before, after = series.iloc[:k], series.iloc[k:]
        return ((before - before.mean()) ** 2).sum() + ((after - after.mean()) ** 2).sum()
    return series.index[min(range(1, len(series)), key=cost)]

drill_start = str(change_point(psi_grid[drill_column]).date())"""
    requires = ("drill",)

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return str(ctx["drill"].start.date())

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        given = as_date(answer, "the start day", example="2025-10-14")
        want = dt.date.fromisoformat(expected)
        if given == want:
            return
        first, last = (utc(d).date() for d in scenario.SETTINGS["drill_month"])
        # None of these messages says which way to move: a learner could bisect to the answer.
        if not first <= given < last:
            raise Incorrect(
                f"{given} is outside the drill: the game day replays {first:%B %Y} only"
            )
        if given == first:
            raise Incorrect(
                f"{given} is the first day of the replayed month, not the day the incident began"
            )
        raise Incorrect(
            f"{given} is not the day it started. Read the evidence, not the calendar: the "
            "start is the day the corrupted column's daily PSI moves from its quiet level to "
            "a loud one and stays there"
        )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        drill = ctx["drill"]
        start = drill.start
        first = utc(scenario.SETTINGS["drill_month"][0])
        return distinct(
            str(start.date()),
            [
                str((start - pd.Timedelta(days=1)).date()),  # the last quiet day
                str((start + pd.Timedelta(days=1)).date()),  # the first full day of drift
                str(drill.end.date()),  # the end of the window
                str(first.date()),  # the first day of the replay
            ],
        )


_CONFUSED_WITH = {
    "bureau_outage": "stale_feature_store",
    "income_monthly_as_annual": "income_annual_as_monthly",
    "income_annual_as_monthly": "income_monthly_as_annual",
    "partner_field_rename": "income_verification_vendor_change",
    "stale_feature_store": "bureau_outage",
    "income_verification_vendor_change": "partner_field_rename",
}


class DrillKind(Question):
    title = "game day: which kind of incident"
    hints = (
        "Read the signature, not just the column: which way did the level move, did nulls "
        "appear, is there a spike at one value, did a category mix shift?",
        "Read each number of `signature` against the table: a unit bug moves income by a "
        "factor near twelve (which way?), a default fill piles rows on one fico value, a "
        "rename adds nulls, a stale store lowers inquiries, a vendor change lowers 'verified'. "
        "Test the loudest signatures first (an outage also lowers inquiries). Answer one of "
        "scenario.DRILL_KINDS.",
    )
    solution_code = """\
def triage(sig):
    # Order matters: a bureau outage also zeroes inquiries, so test the spike first.
    if sig["income_ratio"] < 0.5:
        return "income_monthly_as_annual"
    if sig["income_ratio"] > 2:
        return "income_annual_as_monthly"
    if sig["fico_top_share"] > 0.10:
        return "bureau_outage"
    if sig["emp_null_change"] > 0.05:
        return "partner_field_rename"
    if sig["inquiries_ratio"] < 0.8:
        return "stale_feature_store"
    if sig["verified_change"] < -0.05:
        return "income_verification_vendor_change"
    return "unknown"

drill_kind = triage(signature)"""
    requires = ("drill",)

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return ctx["drill"].kind

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expect_choice(answer, expected, choices=scenario.DRILL_KINDS, what="that kind")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        kind = ctx["drill"].kind
        return [
            _CONFUSED_WITH[kind],
            next(k for k in scenario.DRILL_KINDS if k not in (kind, _CONFUSED_WITH[kind])),
        ]


_week = Week(
    "week04",
    [
        FeatureContract(),
        FirstStagePerFault(),
        StaleIncomeRule(),
        PartnerApprovalDrop(),
        TonightFirstStage(),
        RootCauseColumn(),
        WronglyDeclined(),
        DrillColumn(),
        DrillStart(),
        DrillKind(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8, q9, q10 = _week.questions
