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
from lendlab.course.exercises.answers import as_date, as_text, distinct, memo
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
    expect_number,
)
from lendlab.course.scenarios import week04 as scenario
from lendlab.course.scenarios.common import utc

__all__ = ["RATE_TOL", "bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]

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


def _violations(
    frame: pd.DataFrame, contract: quality.Contract, src: quality.Sources
) -> pd.DataFrame:
    try:
        return quality.validate(frame, contract, as_of=src.as_of, join=src.tables())
    except (ValueError, TypeError) as exc:
        raise Incorrect(f"validate() refused your contract: {exc}") from None


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
        "Start from the clean table: every rule must hold on `features` (zero violations), and "
        "each of the five tables in `broken` must fail at least one rule. "
        "Columns that are legitimately missing sometimes need a null budget.",
        "A dict with keys name, columns ({col: {dtype, min, max, allowed, max_null}}), unique, "
        "row_count ([len(sources.applications)] * 2), freshness ([{'column': 'applied_at', "
        "'max_age': '2D'}, {'earlier': 'bureau_pulled_at', 'later': 'applied_at', 'max_lag': "
        "'1D'}]) and joins ([{'key': 'application_id', 'right': 'verifications', 'min_share': "
        "0.99}]). Test it with quality.validate(features, contract, as_of=sources.as_of, "
        "join=sources.tables()).",
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
        return [too_strict, blind, no_rows, no_lag, ["application_id", "fico"]]


# --------------------------------------------------------------------------- Q2: stages per fault


def _fault_stages(ctx: Mapping[str, Any]) -> dict[str, str]:
    faults = ctx["faults"]
    objects = (faults, *(x for pair in faults.values() for x in pair))
    return dict(
        memo(
            "faults",
            objects,
            lambda: {
                name: scenario.first_stage(scenario.stage_report(src, feats))
                for name, (src, feats) in faults.items()
            },
        )
    )


class FirstStagePerFault(Question):
    title = "which stage first shows each fault"
    hints = (
        "Walk the pipeline in order: raw vendor feeds, then the batch job's reconciliation, then "
        "the feature table. A fault belongs to the first stage with at least one violation; "
        "'none' if no contract sees it.",
        "counts = pd.DataFrame({name: {s: len(v) for s, v in stage_report(*fault).items()} for "
        "name, fault in faults.items()}).T, then per row the first of STAGES[:3] with a count "
        "above 0, else 'none'.",
    )
    solution_code = """\
first_stage_by_fault = {
    name: next((s for s in STAGES[:3] if row[s] > 0), "none")
    for name, row in stage_counts.iterrows()
}"""
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
        # "We validate the feature table, so that is where everything shows."
        all_features = {k: "feature_table" for k in right}
        # The fan-out is a batch-job bug, but a careless read blames the bureau feed.
        blame_vendor = {k: ("vendor_feed" if v == "batch_job" else v) for k, v in right.items()}
        # Forgetting that some faults pass every contract.
        none_caught = {k: ("feature_table" if v == "none" else v) for k, v in right.items()}
        return distinct(right, [all_features, blame_vendor, none_caught])


# --------------------------------------------------------------------------- Q3-Q6: tonight's page


def _partner_drop(ctx: Mapping[str, Any]) -> float:
    now = ctx["features_now"]
    approved, _ = _decisions(ctx)
    window, baseline = _windows(now)
    partner = (now["channel"] == "partner_api").to_numpy()
    return _relative_drop(approved.to_numpy(), partner, window, baseline)


class PartnerApprovalDrop(Question):
    title = "relative drop of the partner_api approval rate"
    hints = (
        "Decide every application in features_now with the rules policy, then compare the "
        "partner_api approval rate since 28 December with the 28 days before. The drop is "
        "relative: 1 - after / before.",
        "approved = models.rules_policy(features_now)['approved']; masks on "
        "features_now['channel'] == 'partner_api' and applied_at >= SCENARIO_START (after) or in "
        "[SCENARIO_START - 28 days, SCENARIO_START) (before); "
        "drop = 1 - after.mean() / before.mean().",
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
        "report_now = stage_report(sources_now, features_now); the answer is the first of "
        "STAGES[:3] whose frame is not empty (else 'none').",
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
        expect_choice(answer, expected, choices=scenario.STAGES, what="that stage")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        right = self.expected(ctx)
        return [s for s in ("none", "feature_table", "batch_job", "vendor_feed") if s != right]


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
            if text in ctx["features_now"].columns:
                raise Incorrect(
                    f"{text!r} is computed by the batch job, not sent by the partner: which raw "
                    "input in sources_now.applications feeds it?"
                )
            raise Incorrect(f"{text!r} is not a column of sources_now.applications")
        if text != expected:
            raise Incorrect(
                f"{text!r} looks the same for partner_api before and after 28 December: "
                "compare the other raw columns"
            )

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        return distinct(
            self.expected(ctx), ["dti", "monthly_debt", "loan_amount", "loan_to_income"]
        )


def _redecide(ctx: Mapping[str, Any]) -> int:
    approved_now, approved_clean = _decisions(ctx)
    return int((~approved_now.to_numpy() & approved_clean.to_numpy().astype(bool)).sum())


class WronglyDeclined(Question):
    title = "applications to re-decide"
    hints = (
        "The partner re-sent the income in the right unit (the clean `features`). Which "
        "applications were declined tonight but pass the rules on the corrected data? Those "
        "need re-decisioning and a corrected adverse action notice.",
        "Decide both tables with models.rules_policy, align them on application_id, and count "
        "(~approved_now) & approved_fixed.",
    )
    solution_code = """\
fixed = models.rules_policy(features).set_index(features["application_id"])["approved"]
now = decisions_now.set_index(features_now["application_id"])["approved"]
wrongly_declined = int((~now & fixed.reindex(now.index)).sum())"""
    requires = ("features", "features_now", "scenario")

    def expected(self, ctx: Mapping[str, Any]) -> int:
        return _redecide(ctx)

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        expect_number(answer, expected, rtol=0, atol=0.5, what="the number of applications")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        approved_now, _ = _decisions(ctx)
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
            ],
            tol=0.5,
        )


# --------------------------------------------------------------------------- Q7-Q9: game day


def _drill_columns(ctx: Mapping[str, Any]) -> list[str]:
    feats = ctx["drill_features"].columns
    return [c for c in ctx["drill"].columns if c in feats]


class DrillColumn(Question):
    title = "game day: which column"
    hints = (
        "Look at the daily PSI heatmap: which input lights up from some day on? Name a column "
        "the incident corrupted, not a ratio the batch job derives from it.",
        "Average the daily PSI of each column over the days after the alarm starts, drop "
        "DERIVED (loan_to_income, verified_to_stated), and take idxmax().",
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
        "Find the first day whose PSI crosses the 'moderate' line (0.1) on any column, and "
        "check the day before is still quiet.",
        "psi_grid.max(axis=1) > 0.1 gives a boolean per day; the first True index "
        "(idxmax() on the boolean Series) is the start. Answer a date like '2025-10-14'.",
    )
    solution_code = """\
alarm = psi_grid.max(axis=1) > 0.1
drill_start = str(alarm.idxmax().date())"""
    requires = ("drill",)

    def expected(self, ctx: Mapping[str, Any]) -> str:
        return str(ctx["drill"].start.date())

    def compare(self, answer: Any, expected: Any, ctx: Mapping[str, Any]) -> None:
        given = as_date(answer, "the start day", example="2025-10-14")
        want = dt.date.fromisoformat(expected)
        if given < want:
            raise Incorrect("too early: on that day the data still matches the reference")
        if given > want:
            raise Incorrect("too late: the incident had already started a day or more before")

    def wrong_answers(self, ctx: Mapping[str, Any]) -> list:
        start = ctx["drill"].start
        return [
            str((start - pd.Timedelta(days=1)).date()),
            str((start + pd.Timedelta(days=1)).date()),
            str(ctx["drill"].end.date()),
        ]


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
        "Compare the window with the reference: median income ratio (below 1/2 or above 2: a "
        "unit bug, which way?), share of the most common fico value (a default fill), "
        "emp_length_years null share, inquiries_6m mean, share 'verified'. "
        "Answer one of DRILL_KINDS.",
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
q1, q2, q3, q4, q5, q6, q7, q8, q9 = _week.questions
