"""Week 6: ML observability for an inference service (the questions behind the lab).

The lab ``solutions/week06_service_observability.ipynb`` starts the real scoring service with
last sprint's configuration, replays twenty time-compressed minutes of world traffic at it
with a bureau latency spike in the middle (:mod:`lendlab.course.scenarios.week06`), and joins
the replayer's results, the decision log and the world's truth into one row per request
(``requests``). The questions check what an on-call reads off that record: the exact
server-side p99 and what histogram buckets make of it; the latency SLO's burn rate and the
error budget the incident cost; which alert of ``ops/prometheus/rules`` fired first (the
rules' expressions evaluated on the recorded counts, windows on the scenario's clock); the
triage heading (:mod:`lendlab.response`); and what the fallback did to approvals by segment
and to the manual-review queue.

In the lab::

    from lendlab.course.exercises import week06 as ex
    ex.bind(requests=requests, **scenario.CHECK_SETTINGS)
    ex.q1.check(p99_server_ms)

Every expected answer is computed from the bound record at check time, so the checks hold
whatever the timings of the learner's machine were.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lendlab import metrics, response
from lendlab.course.exercises.answers import (
    as_number,
    as_pair,
    as_text,
    distinct,
    expect_number_or_slip,
    is_number,
)
from lendlab.course.exercises.checks import (
    Incorrect,
    Question,
    Week,
    expect_choice,
)
from lendlab.course.scenarios import week06 as scenario

__all__ = ["bind", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]

RTOL = 2e-3  # admits rounding to about three significant figures
NONE = "none"

# --------------------------------------------------------------------------- shared helpers


def _requests(ctx: Mapping[str, Any]) -> pd.DataFrame:
    frame = ctx["requests"]
    if not isinstance(frame, pd.DataFrame):
        raise TypeError("requests must be the lab's per-request record (a DataFrame)")
    return frame


def _phase(ctx: Mapping[str, Any], name: str) -> pd.DataFrame:
    frame = _requests(ctx)
    return frame[frame["phase"] == name]


def _answered(frame: pd.DataFrame, column: str = "server_ms") -> np.ndarray:
    return frame[column].dropna().to_numpy(dtype=float)


def _nearest_rank(values: np.ndarray, q: float) -> float:
    x = np.sort(values)
    return float(x[max(math.ceil(q * x.size) - 1, 0)])


def _budget(ctx: Mapping[str, Any]) -> float:
    return 1.0 - float(ctx["slo_target"])


def _slow_share(values: np.ndarray, ctx: Mapping[str, Any]) -> float:
    return float((values > float(ctx["slo_threshold_ms"])).mean())


def _number(
    answer: Any,
    expected: float,
    *,
    what: str,
    rtol: float = RTOL,
    atol: float = 1e-12,
    slips: list[tuple[float, str]] = (),
) -> None:
    """:func:`expect_number`, but a known slip gets its own explanation."""
    expect_number_or_slip(answer, expected, what=what, rtol=rtol, atol=atol, slips=slips)


def _wrong(expected: Any, slips: list, rtol: float = RTOL) -> list:
    """Slips that differ from the answer by more than the tolerance (and from each other)."""
    scale = max(abs(float(expected)), 1e-12) if is_number(expected) else 1.0
    return distinct(expected, slips, tol=3 * rtol * scale)


# --------------------------------------------------------------------------- Part 2: latency


class BaselineP99(Question):
    title = "exact server-side p99 before the spike"
    requires = ("requests",)
    hints = (
        "Server-side means the service's own time (the decision log's `duration_ms`, here "
        "`server_ms`), not what the replayer measured. Keep the healthy minutes only.",
        "Filter `requests` to the `baseline` phase and take the 0.99 quantile of `server_ms` "
        "(`Series.quantile` or `np.quantile`; nearest rank is fine too), in milliseconds.",
    )
    solution_code = """\
baseline = requests[requests["phase"] == "baseline"]
p99_server_ms = float(baseline["server_ms"].quantile(0.99))"""

    def expected(self, ctx):
        return _nearest_rank(_answered(_phase(ctx, "baseline")), 0.99)

    def _accepted(self, ctx) -> tuple[float, float]:
        x = _answered(_phase(ctx, "baseline"))
        ranks = [_nearest_rank(x, 0.99), float(np.quantile(x, 0.99))]
        return min(ranks), max(ranks)

    def _slips(self, ctx):
        base, all_ = _phase(ctx, "baseline"), _requests(ctx)
        x = _answered(base)
        return [
            (
                _nearest_rank(_answered(all_), 0.99),
                "that p99 is over the whole recording, spike included; the question asks for "
                "the healthy minutes before it (phase 'baseline')",
            ),
            (
                _nearest_rank(_answered(base, "client_ms"), 0.99),
                "that is the replayer's client-side latency (client_ms); server-side is the "
                "service's own duration (server_ms)",
            ),
            (_nearest_rank(x, 0.95), "that is the 95th percentile; the question asks for p99"),
            (float(x.mean()), "that is the mean; a tail percentile is what an SLO is about"),
            (_nearest_rank(x, 0.99) / 1000, "that looks like seconds; give milliseconds"),
            (
                _nearest_rank(_answered(_phase(ctx, "spike")), 0.99),
                "that is the p99 during the spike; take the baseline phase",
            ),
        ]

    def compare(self, answer, expected, ctx):
        lo, hi = self._accepted(ctx)
        if is_number(answer) and lo * (1 - RTOL) - 0.01 <= float(answer) <= hi * (1 + RTOL) + 0.01:
            return
        _number(answer, expected, what="the p99", slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        lo, hi = self._accepted(ctx)
        e = self.expected(ctx)
        slips = [v for v, _ in self._slips(ctx) if not lo * 0.99 - 0.02 <= v <= hi * 1.01 + 0.02]
        return _wrong(e, slips + [e * 2.5])


def _bucket_estimates(values_ms: np.ndarray) -> tuple[float, float]:
    seconds = values_ms / 1000.0
    return (
        1000 * scenario.histogram_quantile(0.99, scenario.TUNED_BUCKETS, seconds),
        1000 * scenario.histogram_quantile(0.99, scenario.DEFAULT_BUCKETS, seconds),
    )


def _upper_edge(values_ms: np.ndarray, edges: tuple[float, ...]) -> float:
    """The slip without interpolation: the upper edge of the bucket holding the rank."""
    bounds = np.asarray(edges) * 1000
    cumulative = np.array([(values_ms <= b).sum() for b in bounds])
    k = int(np.searchsorted(cumulative, 0.99 * values_ms.size, side="left"))
    return float(bounds[min(k, bounds.size - 1)])


class BucketEstimates(Question):
    title = "p99 estimated from histogram buckets"
    requires = ("requests",)
    hints = (
        "Prometheus never sees the latencies, only how many fell at or below each bucket "
        "edge. Count them cumulatively, find the bucket where the 99% rank falls, and "
        "interpolate linearly inside it. Mind the units: the edges are in seconds.",
        "Write a function of (q, edges, values): cumulative counts `(values <= edge).sum()` per "
        "edge, rank = q * n, the first edge whose count reaches the rank, then lower + (upper - "
        "lower) * (rank - count below) / (count inside). Apply it to the baseline's server_ms / "
        "1000 with scenario.TUNED_BUCKETS, then DEFAULT_BUCKETS, and multiply by 1000.",
    )
    solution_code = """\
def bucket_quantile(q, edges, values):
    edges, values = np.asarray(edges), np.asarray(values)
    cumulative = np.array([(values <= edge).sum() for edge in edges])
    rank = q * len(values)
    k = int(np.searchsorted(cumulative, rank))  # first bucket whose count reaches the rank
    if k == len(edges):  # in the +Inf bucket: Prometheus answers the highest finite edge
        return float(edges[-1])
    lower, below = (0.0, 0) if k == 0 else (edges[k - 1], cumulative[k - 1])
    return float(lower + (edges[k] - lower) * (rank - below) / (cumulative[k] - below))


seconds = baseline["server_ms"].dropna() / 1000
p99_tuned_ms = 1000 * bucket_quantile(0.99, scenario.TUNED_BUCKETS, seconds)
p99_default_ms = 1000 * bucket_quantile(0.99, scenario.DEFAULT_BUCKETS, seconds)"""

    def expected(self, ctx):
        return _bucket_estimates(_answered(_phase(ctx, "baseline")))

    def _slips(self, ctx, which: int):
        x = _answered(_phase(ctx, "baseline"))
        edges = (scenario.TUNED_BUCKETS, scenario.DEFAULT_BUCKETS)[which]
        return [
            (
                _upper_edge(x, edges),
                "that is the upper edge of the bucket holding the 99% rank; Prometheus "
                "interpolates linearly inside the bucket",
            ),
            (
                _nearest_rank(x, 0.99),
                "that is the exact p99 of the latencies; the question asks what the histogram "
                "buckets make of it",
            ),
            (
                _bucket_estimates(_answered(_requests(ctx)))[which],
                "that is over the whole recording; use the baseline phase (as in Question 1)",
            ),
            (
                1000 * edges[-1],
                "every value landed past the last edge: were the latencies in milliseconds and "
                "the edges in seconds? Convert server_ms to seconds first",
            ),
            (
                float(edges[-1]),
                "every value landed past the last edge: convert server_ms to seconds before "
                "bucketing, and the answer back to milliseconds",
            ),
        ]

    def compare(self, answer, expected, ctx):
        tuned, default = as_pair(answer, ("the tuned-bucket estimate", "the default-bucket one"))
        e_tuned, e_default = expected
        if (
            is_number(tuned)
            and is_number(default)
            and math.isclose(float(tuned), e_default, rel_tol=RTOL)
            and math.isclose(float(default), e_tuned, rel_tol=RTOL)
            and not math.isclose(e_tuned, e_default, rel_tol=RTOL)
        ):
            raise Incorrect("the two estimates are swapped: the tuned buckets first")
        _number(tuned, e_tuned, what="the tuned-bucket estimate", slips=self._slips(ctx, 0))
        _number(default, e_default, what="the default-bucket estimate", slips=self._slips(ctx, 1))

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        candidates = [(v, e[1]) for v, _ in self._slips(ctx, 0)]
        candidates += [(e[0], v) for v, _ in self._slips(ctx, 1)] + [(e[1], e[0])]
        return distinct(e, candidates, tol=3 * RTOL * max(e))


# --------------------------------------------------------------------------- Part 3: SLOs


class SpikeBurnRate(Question):
    title = "latency SLO burn rate during the spike"
    requires = ("requests", "slo_target", "slo_threshold_ms")
    hints = (
        "The SLI counts good events: requests the server answered in under the threshold. The "
        "burn rate compares the share of bad ones with the share the SLO allows.",
        "In the spike phase: the share of server_ms above SLO_THRESHOLD_MS, divided by the "
        "error budget 1 - SLO_TARGET.",
    )
    solution_code = """\
spike = requests[requests["phase"] == "spike"]
slow_share = (spike["server_ms"].dropna() > SLO_THRESHOLD_MS).mean()
burn_rate = float(slow_share / (1 - SLO_TARGET))"""

    def expected(self, ctx):
        return _slow_share(_answered(_phase(ctx, "spike")), ctx) / _budget(ctx)

    def _slips(self, ctx):
        spike = _phase(ctx, "spike")
        share = _slow_share(_answered(spike), ctx)
        return [
            (
                _slow_share(_answered(spike, "client_ms"), ctx) / _budget(ctx),
                "that uses the replayer's client-side latency; the SLO is measured on the "
                "server-side histogram (server_ms)",
            ),
            (share, "that is the share of slow requests; divide it by the error budget"),
            (
                share / float(ctx["slo_target"]),
                "you divided by the SLO target; the budget is the share allowed to be slow "
                "(1 - target)",
            ),
            (
                _slow_share(_answered(_requests(ctx)), ctx) / _budget(ctx),
                "that is over the whole recording; the question asks about the spike phase",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(answer, expected, what="the burn rate", slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return _wrong(e, [v for v, _ in self._slips(ctx)] + [e / 2])


class BudgetBurned(Question):
    title = "share of the 30-day error budget the recording cost"
    requires = ("requests", "slo_target", "slo_threshold_ms", "slo_days", "recording_min",
                "time_scale")  # fmt: skip
    hints = (
        "The budget is the number of slow requests the SLO allows in 30 days at this traffic. "
        "The recording stands for RECORDING_MIN minutes of production, not for the seconds it "
        "took to replay.",
        "Slow requests in the whole recording, divided by (1 - SLO_TARGET) x the requests a "
        "30-day window holds at this rate: len(requests) x SLO_DAYS x 24 x 60 / RECORDING_MIN "
        "(scenario minutes). The same is the average burn rate x RECORDING_MIN / 30 days.",
    )
    solution_code = """\
answered = requests["server_ms"].dropna()
slow = int((answered > SLO_THRESHOLD_MS).sum())
requests_per_window = len(answered) * SLO_DAYS * 24 * 60 / RECORDING_MIN
budget_burned = slow / ((1 - SLO_TARGET) * requests_per_window)"""

    def _value(self, ctx, values: np.ndarray, minutes: float) -> float:
        slow = float((values > float(ctx["slo_threshold_ms"])).sum())
        window = values.size * float(ctx["slo_days"]) * 24 * 60 / minutes
        return slow / (_budget(ctx) * window)

    def expected(self, ctx):
        return self._value(ctx, _answered(_requests(ctx)), float(ctx["recording_min"]))

    def _slips(self, ctx):
        all_ = _requests(ctx)
        x = _answered(all_)
        minutes = float(ctx["recording_min"])
        e = self._value(ctx, x, minutes)
        return [
            (
                e * float(ctx["time_scale"]),
                "that uses the replay's real seconds; the recording stands for RECORDING_MIN "
                "scenario minutes of production (time-compressed)",
            ),
            (
                _slow_share(x, ctx) / _budget(ctx),
                "that is the average burn rate; multiply by the share of the 30 days the "
                "recording covers",
            ),
            (
                self._value(ctx, _answered(all_, "client_ms"), minutes),
                "that uses the replayer's client-side latency; the SLO is server-side",
            ),
            (
                e * _budget(ctx),
                "that is the share of all 30-day requests that were slow; divide by the error "
                "budget (1 - target)",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(answer, expected, what="the budget burned", slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return _wrong(e, [v for v, _ in self._slips(ctx)] + [e * 24])


# --------------------------------------------------------------------------- Part 4: alerts


_BUDGET_RULES = {  # alert: (long window, short window, burn factor)
    "LendlabLatencyBurnFast": ("1h", "5m", 14.4),
    "LendlabLatencyBurnMedium": ("6h", "30m", 6.0),
    "LendlabLatencyBurnSlow": ("3d", "6h", 1.0),
}


def _conditions(sig: pd.DataFrame, budget: float, *, short_only: bool = False) -> dict:
    out = {
        "LendlabFallbackRateHigh": (sig["fallback_5m"] > 0.05) & (sig["decisions_5m"] >= 50),
    }
    for name, (long, short, factor) in _BUDGET_RULES.items():
        cond = (sig[f"slo_errors_{short}"] > factor * budget) & (sig[f"requests_{long}"] >= 100)
        if not short_only:
            cond &= sig[f"slo_errors_{long}"] > factor * budget
        out[name] = cond
    return out


def _firing(ctx: Mapping[str, Any], *, hold: bool = True, short_only: bool = False) -> dict:
    sig = scenario.rule_signals(
        _requests(ctx),
        step_min=float(ctx["eval_step_min"]),
        threshold_ms=float(ctx["slo_threshold_ms"]),
    )
    conds = _conditions(sig, _budget(ctx), short_only=short_only)
    return {
        name: scenario.first_firing(c, for_min=scenario.ALERTS[name]["for_min"] if hold else 0.0)
        for name, c in conds.items()
    }


def _first(fired: Mapping[str, float]) -> tuple[str, float]:
    times = {k: v for k, v in fired.items() if not math.isnan(v)}
    if not times:
        return NONE, math.nan
    minute = min(times.values())
    return next(k for k, v in times.items() if v == minute), minute


class FirstAlert(Question):
    title = "which alert fired first, and when"
    requires = ("requests", "slo_target", "slo_threshold_ms", "eval_step_min")
    hints = (
        "Translate each rule's expression into a condition on the columns of `signals` (one "
        "row per evaluation), then apply its `for:`: an alert fires only after its condition "
        "has held at every evaluation for that long.",
        "Build one boolean Series per alert (both windows of a burn-rate rule, and its volume "
        "guard), pass each to scenario.first_firing with for_min=scenario.ALERTS[name]"
        '["for_min"], and take the earliest finite minute and its alert name.',
    )
    solution_code = """\
budget = 1 - SLO_TARGET
conditions = {
    "LendlabFallbackRateHigh": (signals["fallback_5m"] > 0.05) & (signals["decisions_5m"] >= 50),
    "LendlabLatencyBurnFast": (signals["slo_errors_1h"] > 14.4 * budget)
    & (signals["slo_errors_5m"] > 14.4 * budget) & (signals["requests_1h"] >= 100),
    "LendlabLatencyBurnMedium": (signals["slo_errors_6h"] > 6 * budget)
    & (signals["slo_errors_30m"] > 6 * budget) & (signals["requests_6h"] >= 100),
    "LendlabLatencyBurnSlow": (signals["slo_errors_3d"] > 1 * budget)
    & (signals["slo_errors_6h"] > 1 * budget) & (signals["requests_3d"] >= 100),
}
fired = {
    name: scenario.first_firing(cond, for_min=scenario.ALERTS[name]["for_min"])
    for name, cond in conditions.items()
}
first_minute = min((m for m in fired.values() if m == m), default=None)  # m == m: not NaN
first_alert = "none" if first_minute is None else next(
    name for name, m in fired.items() if m == first_minute
)"""

    def expected(self, ctx):
        return _first(_firing(ctx))

    def compare(self, answer, expected, ctx):
        name, minute = as_pair(answer, ("the alert's name", "the minute it fired"), kind="values")
        e_name, e_minute = expected
        fired = _firing(ctx)
        choices = [*scenario.ALERTS, NONE]
        given = as_text(name, "the alert's name")
        if given.lower() not in [c.lower() for c in choices]:
            raise Incorrect(
                f"{given[:40]!r} is not one of the alerts: " + ", ".join(map(repr, choices))
            )
        tied = [k for k, v in fired.items() if not math.isnan(e_minute) and v == e_minute]
        if e_name == NONE:
            if given.lower() != NONE:
                raise Incorrect(
                    "that alert never held its condition for its `for:` duration on this "
                    "record; check the windows and the volume guard"
                )
            return
        if given.lower() not in [t.lower() for t in tied]:
            if given.lower() == NONE:
                raise Incorrect("an alert did fire: apply each rule's expression and `for:`")
            other = next(k for k in fired if k.lower() == given.lower())
            pending = _firing(ctx, hold=False)[other]
            if math.isnan(fired[other]) and not math.isnan(pending):
                raise Incorrect(
                    f"{other} became pending but never held for its `for:` duration; another "
                    "alert fired first"
                )
            if math.isnan(fired[other]):
                raise Incorrect(
                    f"{other} never fired on this record: its expression (every window and the "
                    "volume guard) was not true for long enough"
                )
            raise Incorrect(f"{other} fired, but not first: compare the minutes")
        m = as_number(minute, "the minute it fired")
        step = float(ctx["eval_step_min"])
        if abs(m - e_minute) <= step + 1e-9:
            return
        pending = _firing(ctx, hold=False)[e_name]
        if abs(m - pending) <= step / 2 + 1e-9:
            raise Incorrect(
                "that is when it became pending (its expression first true); it fires once the "
                "expression has held for its `for:` duration"
            )
        short = _firing(ctx, short_only=True)[e_name]
        if not math.isnan(short) and abs(m - short) <= step / 2 + 1e-9 and short != e_minute:
            raise Incorrect(
                "that minute uses the short window only; a multi-window rule needs the long "
                "window above the threshold too"
            )
        if abs(m * 60 * float(ctx["time_scale"]) - e_minute) <= step and "time_scale" in ctx:
            raise Incorrect("give the minute on the scenario's clock (signals' index)")
        raise Incorrect(f"the minute is too {'late' if m > e_minute else 'early'}")

    def wrong_answers(self, ctx):
        e_name, e_minute = self.expected(ctx)
        fired = _firing(ctx)
        out: list = []
        if e_name == NONE:
            return [(n, 5.0) for n in scenario.ALERTS]
        out += [(n, e_minute) for n in scenario.ALERTS if fired[n] != e_minute]
        out.append((NONE, None))
        pending = _firing(ctx, hold=False)[e_name]
        step = float(ctx["eval_step_min"])
        if abs(pending - e_minute) > step:
            out.append((e_name, pending))
        out.append((e_name, e_minute + 3 * step + 1))
        return out


# --------------------------------------------------------------------------- Part 5: triage


def _triage_evidence(ctx: Mapping[str, Any]) -> dict[str, Any]:
    frame = _requests(ctx)
    base, spike = _phase(ctx, "baseline"), _phase(ctx, "spike")
    mix = pd.crosstab(frame["phase"], frame["segment"]).loc[["baseline", "spike"]]
    scored_base = base[base["pd"].notna()]
    scored_spike = spike[spike["pd"].notna()]
    return {
        "inputs_broken": bool(spike["fallback"].notna().mean() > 0.05),
        "borrowers_changed": bool(stats.chi2_contingency(mix).pvalue < 0.01),
        "auc_signoff": metrics.roc_auc(scored_base["defaulted"], scored_base["pd"]),
        "auc_now": metrics.roc_auc(scored_spike["defaulted"], scored_spike["pd"]),
    }


class Triage(Question):
    title = "triage heading of the spike"
    requires = ("requests",)
    hints = (
        "Rule the headings out in order. Data: did the decisions get the inputs they need "
        "(a dependency that times out sends none)? World: did the applicants change? Model: "
        "does the model rank worse on the inputs it did get?",
        "Build the four arguments of response.triage: inputs_broken from the spike's fallback "
        "share against the 5% alert threshold, borrowers_changed from a chi-square test of the "
        "segment mix (baseline vs spike, p < 0.01), and the two ROC-AUCs of the scored rows "
        "(pd not missing) with metrics.roc_auc.",
    )
    solution_code = """\
base, spike = (requests[requests["phase"] == p] for p in ("baseline", "spike"))
mix = pd.crosstab(requests["phase"], requests["segment"]).loc[["baseline", "spike"]]
scored = {name: part[part["pd"].notna()] for name, part in (("base", base), ("spike", spike))}
evidence = dict(
    inputs_broken=bool(spike["fallback"].notna().mean() > 0.05),
    borrowers_changed=bool(stats.chi2_contingency(mix).pvalue < 0.01),
    auc_signoff=metrics.roc_auc(scored["base"]["defaulted"], scored["base"]["pd"]),
    auc_now=metrics.roc_auc(scored["spike"]["defaulted"], scored["spike"]["pd"]),
)
heading = response.triage(**evidence)"""

    def expected(self, ctx):
        return response.triage(**_triage_evidence(ctx))

    def compare(self, answer, expected, ctx):
        try:
            expect_choice(answer, expected, choices=response.TRIAGE_CLASSES, what="the heading")
        except Incorrect:
            if not isinstance(answer, str) or answer.strip().lower() not in response.TRIAGE_CLASSES:
                raise
            ev = _triage_evidence(ctx)
            why = {
                "data": "the decisions got their inputs: the fallback share stayed under the "
                "alert threshold",
                "world": "a behavioural change needs the applicants to have changed; the segment "
                "mix did not, and slow answers from a vendor say nothing about borrowers",
                "model": "the model heading needs the ROC-AUC on the scored applications to fall "
                "by more than response.AUC_DROP_RULE",
                "threshold": "threshold is what is left once data, world and model are ruled "
                "out; one of them is not",
            }
            given = answer.strip().lower()
            if given != "data" and ev["inputs_broken"]:
                why[given] += (
                    "; rule out data first: many decisions were made without the bureau's answer"
                )
            raise Incorrect(why[given]) from None

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return [c for c in response.TRIAGE_CLASSES if c != e]


# --------------------------------------------------------------------------- Part 6: business


def _approval_by_segment(ctx: Mapping[str, Any]) -> pd.DataFrame:
    frame = _requests(ctx)
    logged = frame[frame["decision"].notna() & frame["phase"].isin(["baseline", "spike"])]
    approved = logged["decision"].eq("approve")
    rates = approved.groupby([logged["segment"], logged["phase"]]).mean().unstack("phase")
    counts = approved.groupby([logged["segment"], logged["phase"]]).sum().unstack("phase")
    return pd.DataFrame(
        {
            "baseline": rates["baseline"],
            "spike": rates["spike"],
            "drop_points": rates["baseline"] - rates["spike"],
            "relative_drop": 1 - rates["spike"] / rates["baseline"],
            "lost_per_minute": counts["baseline"] / float(ctx.get("baseline_min", 1))
            - counts["spike"] / float(ctx.get("spike_min", 1)),
        }
    )


class SegmentHit(Question):
    title = "segment whose approval rate fell most"
    requires = ("requests",)
    hints = (
        "Compare each segment's approval rate in the spike with its own baseline, in "
        "percentage points. A fallback sends a fixed share of every segment to review: where "
        "does that cost the most approvals?",
        "Group the logged decisions by segment and phase, take the mean of decision == "
        "'approve', subtract the spike's rate from the baseline's, and pick the segment with "
        "the largest drop (idxmax).",
    )
    solution_code = """\
logged = requests[requests["decision"].notna()]
rates = (
    logged["decision"].eq("approve").groupby([logged["segment"], logged["phase"]]).mean()
    .unstack("phase")
)
drop = rates["baseline"] - rates["spike"]
hit_segment = drop.idxmax()"""

    def expected(self, ctx):
        return str(_approval_by_segment(ctx)["drop_points"].idxmax())

    def compare(self, answer, expected, ctx):
        table = _approval_by_segment(ctx)
        choices = [str(s) for s in table.index]
        try:
            expect_choice(answer, expected, choices=choices, what="the segment")
        except Incorrect:
            if not isinstance(answer, str) or answer.strip().lower() not in choices:
                raise
            given = answer.strip().lower()
            if given == str(table["relative_drop"].idxmax()):
                raise Incorrect(
                    "that segment lost the largest share of its own approvals, but fewer "
                    "percentage points; compare the drop in points"
                ) from None
            raise Incorrect(
                "that segment's approval rate fell by fewer points than another's; compare the "
                "spike with each segment's own baseline"
            ) from None

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return [s for s in _approval_by_segment(ctx).index if s != e]


class ReviewQueue(Question):
    title = "manual-review volume during the spike"
    requires = ("requests", "baseline_min", "spike_min")
    hints = (
        "The review team staffs for a number of applications per hour. Compare the reviews "
        "per minute during the spike with the reviews per minute before it; the two phases "
        "do not last equally long.",
        "Count decision == 'review' in each phase, divide by that phase's length in scenario "
        "minutes (BASELINE_MIN, SPIKE_MIN), and divide the spike's rate by the baseline's.",
    )
    solution_code = """\
reviews = requests[requests["decision"] == "review"].groupby("phase").size()
review_multiplier = (reviews["spike"] / SPIKE_MIN) / (reviews["baseline"] / BASELINE_MIN)"""

    def _count(self, ctx, phase: str, frame: pd.DataFrame | None = None) -> float:
        frame = _phase(ctx, phase) if frame is None else frame
        return float((frame["decision"] == "review").sum())

    def expected(self, ctx):
        per_min = self._count(ctx, "spike") / float(ctx["spike_min"])
        return per_min / (self._count(ctx, "baseline") / float(ctx["baseline_min"]))

    def _slips(self, ctx):
        spike, base = _phase(ctx, "spike"), _phase(ctx, "baseline")
        e_base = self._count(ctx, "baseline") / float(ctx["baseline_min"])
        declines_spike = float((spike["decision"] != "approve").sum()) / float(ctx["spike_min"])
        declines_base = float((base["decision"] != "approve").sum()) / float(ctx["baseline_min"])
        fb = float((spike["fallback"].notna() & (spike["decision"] == "review")).sum())
        return [
            (
                self._count(ctx, "spike") / self._count(ctx, "baseline"),
                "those are total counts; the spike lasted longer than the baseline: compare "
                "reviews per minute",
            ),
            (
                fb / float(ctx["spike_min"]) / e_base,
                "that counts only the fallback's reviews; the queue also holds the review band's "
                "usual ones",
            ),
            (
                declines_spike / declines_base,
                "that counts every decision that was not an approval; count reviews",
            ),
        ]

    def compare(self, answer, expected, ctx):
        _number(answer, expected, what="the multiplier", slips=self._slips(ctx))

    def wrong_answers(self, ctx):
        e = self.expected(ctx)
        return _wrong(e, [v for v, _ in self._slips(ctx)] + [1 / e if e else 2.0])


# --------------------------------------------------------------------------- the week

_week = Week(
    "week06",
    [
        BaselineP99(),
        BucketEstimates(),
        SpikeBurnRate(),
        BudgetBurned(),
        FirstAlert(),
        Triage(),
        SegmentHit(),
        ReviewQueue(),
    ],
)
bind = _week.bind
q1, q2, q3, q4, q5, q6, q7, q8 = _week.questions
