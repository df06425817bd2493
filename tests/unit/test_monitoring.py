"""lendlab.monitoring: the scoring service's record, vintages and the label-free estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab import models, monitoring, world

CUTOFF, MARGIN = 0.25, 0.02


@pytest.fixture(scope="module")
def card() -> models.Scorecard:
    dev = world.generate(20_000, seed=41, start="2021-01-01", days=365)
    dev = dev[dev["approved_policy"]]
    return models.Scorecard().fit(dev, dev["defaulted"])


@pytest.fixture(scope="module")
def book() -> pd.DataFrame:
    return world.generate(12_000, seed=42, start="2024-01-01", days=731)


@pytest.fixture(scope="module")
def apps(book) -> pd.DataFrame:
    return book[book["approved_policy"]]


@pytest.fixture(scope="module")
def log(apps, card) -> pd.DataFrame:
    return monitoring.decision_log(
        apps, card, cutoff=CUTOFF, review_margin=MARGIN, model_version="card-v1"
    )


class FixedPD:
    """A model whose PD is a column of the input: easy to put values on the boundaries."""

    features = ("risk",)

    def predict_pd(self, X):
        return X["risk"].to_numpy()


def _apps(risks) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "application_id": np.arange(1, len(risks) + 1),
            "applied_at": pd.date_range("2025-01-01", periods=len(risks), freq="D", tz="UTC"),
            "risk": risks,
        }
    )


def _reasons(model, X):
    return pd.DataFrame({"reason_1": ["Too risky"] * len(X)}, index=X.index)


# --------------------------------------------------------------------------- decision_log


def test_log_layout_and_values(log, apps, card):
    features = list(card.features_)
    assert list(log.columns) == [*monitoring.LOG_COLUMNS, *features, "channel", "segment"]
    assert len(log) == len(apps) and log.index.equals(pd.RangeIndex(len(apps)))
    assert (log["model_version"] == "card-v1").all()
    np.testing.assert_allclose(log["pd"], card.predict_pd(apps).round(6).to_numpy())
    # whole points from the same PDO scaling as the scorecard's own points
    assert np.abs(log["score"].to_numpy() - card.points(apps).to_numpy()).max() <= 1
    pd.testing.assert_frame_equal(
        log[features], apps[features].reset_index(drop=True), check_dtype=False
    )
    assert (log["application_id"].to_numpy() == apps["application_id"].to_numpy()).all()


def test_decisions_follow_cutoff_and_review_band(log):
    p = log["pd"].to_numpy()
    decision = log["decision"].astype("str").to_numpy()
    assert set(decision) == set(monitoring.DECISIONS)
    assert (decision[p < CUTOFF - MARGIN] == "approve").all()
    assert (decision[(p >= CUTOFF - MARGIN) & (p < CUTOFF + MARGIN)] == "review").all()
    assert (decision[p >= CUTOFF + MARGIN] == "decline").all()


def test_boundaries_exactly():
    out = monitoring.decision_log(
        _apps([0.1, 0.2, 0.25, 0.3, 0.31]),
        FixedPD(),
        cutoff=0.25,
        review_margin=0.05,
        model_version="v",
        reasons=_reasons,
    )
    # approve below 0.20; review in [0.20, 0.30); decline from 0.30 (approve means pd < cut)
    assert out["decision"].tolist() == ["approve", "review", "review", "decline", "decline"]
    no_band = monitoring.decision_log(
        _apps([0.1, 0.25]), FixedPD(), cutoff=0.25, model_version="v", reasons=_reasons
    )
    assert no_band["decision"].tolist() == ["approve", "decline"]


def test_reasons_only_for_declines_and_match_reason_codes(log, apps, card):
    declined = log["decision"] == "decline"
    assert log.loc[~declined, list(monitoring.REASON_COLUMNS)].isna().all().all()
    assert log.loc[declined, "reason_1"].notna().all()
    expected = models.reason_codes(card, apps[declined.to_numpy()], max_reasons=4)
    got = log.loc[declined, list(monitoring.REASON_COLUMNS)].reset_index(drop=True)
    for col in monitoring.REASON_COLUMNS:
        want = expected[col].reset_index(drop=True)
        assert (got[col].isna() == want.isna()).all()
        assert (got[col][want.notna()] == want[want.notna()]).all()


def test_log_does_not_touch_its_input(apps, card):
    before = apps.copy()
    monitoring.decision_log(apps, card, cutoff=CUTOFF, model_version="v")
    pd.testing.assert_frame_equal(apps, before)


def test_context_columns_are_optional():
    out = monitoring.decision_log(
        _apps([0.1]), FixedPD(), cutoff=0.2, model_version="v", reasons=_reasons
    )
    assert list(out.columns) == [*monitoring.LOG_COLUMNS, "risk"]


@pytest.mark.parametrize(
    ("change", "kwargs", "error", "match"),
    [
        (lambda a: a.drop(columns="risk"), {}, ValueError, "risk"),
        (lambda a: a.drop(columns="application_id"), {}, ValueError, "application_id"),
        (lambda a: a.iloc[:0], {}, ValueError, "empty"),
        (lambda a: a.assign(application_id=1), {}, ValueError, "duplicates"),
        (lambda a: a.assign(applied_at="2025-01-01"), {}, ValueError, "datetimes"),
        (lambda a: a, {"cutoff": 1.5}, ValueError, "cutoff"),
        (lambda a: a, {"cutoff": "0.2"}, TypeError, "cutoff"),
        (lambda a: a, {"review_margin": 0.3}, ValueError, "review"),
        (lambda a: a, {"model_version": ""}, ValueError, "model_version"),
        (lambda a: a.assign(risk=np.nan), {}, ValueError, "predict_pd"),
        (lambda a: a.assign(risk=1.5), {}, ValueError, "predict_pd"),
    ],
)
def test_bad_input_is_named(change, kwargs, error, match):
    options = {"cutoff": 0.25, "model_version": "v", "reasons": _reasons, **kwargs}
    with pytest.raises(error, match=match):
        monitoring.decision_log(change(_apps([0.1, 0.3, 0.5])), FixedPD(), **options)


def test_bad_model_and_bad_reasons():
    with pytest.raises(TypeError, match="predict_pd"):
        monitoring.decision_log(_apps([0.1]), object(), cutoff=0.2, model_version="v")
    with pytest.raises(TypeError, match="DataFrame"):
        monitoring.decision_log([1, 2], FixedPD(), cutoff=0.2, model_version="v")

    def too_few(model, X):
        return pd.DataFrame({"reason_1": ["x"]})

    with pytest.raises(ValueError, match="one row per declined"):
        monitoring.decision_log(
            _apps([0.5, 0.6]), FixedPD(), cutoff=0.2, model_version="v", reasons=too_few
        )

    def five(model, X):
        return pd.DataFrame({f"reason_{k}": ["x"] * len(X) for k in range(1, 6)})

    with pytest.raises(ValueError, match="reason_5"):
        monitoring.decision_log(
            _apps([0.5]), FixedPD(), cutoff=0.2, model_version="v", reasons=five
        )


# --------------------------------------------------------------------------- decision_mix


def test_decision_mix_matches_a_naive_loop(log):
    mix = monitoring.decision_mix(log, freq="MS")
    month = log["applied_at"].dt.tz_localize(None).dt.to_period("M")
    assert len(mix) == month.nunique()
    for row, (_, part) in zip(mix.itertuples(), log.groupby(month), strict=True):
        shares = part["decision"].astype("str").value_counts(normalize=True)
        assert row.applications == len(part)
        assert row.approval_rate == pytest.approx(shares.get("approve", 0.0))
        assert row.review_rate == pytest.approx(shares.get("review", 0.0))
        assert row.decline_rate == pytest.approx(shares.get("decline", 0.0))
        assert row.mean_pd == pytest.approx(part["pd"].mean())
    total = mix[["approval_rate", "review_rate", "decline_rate"]].sum(axis=1)
    np.testing.assert_allclose(total, 1.0)
    assert str(mix["period"].dt.tz) == "UTC"


def test_decision_mix_weeks_days_and_groups(log):
    weekly = monitoring.decision_mix(log, freq="W")
    assert (weekly["period"].dt.dayofweek == 0).all()  # weeks start on Monday
    assert weekly["applications"].sum() == len(log)
    daily = monitoring.decision_mix(log, freq="D", by="channel")
    assert daily["applications"].sum() == len(log)
    assert set(daily["channel"].astype("str")) == set(log["channel"].astype("str"))


def test_decision_mix_bad_input(log):
    with pytest.raises(ValueError, match="freq"):
        monitoring.decision_mix(log, freq="Q")
    with pytest.raises(ValueError, match="unknown value"):
        monitoring.decision_mix(log.assign(decision="approved"))
    with pytest.raises(ValueError, match="decision"):
        monitoring.decision_mix(log.drop(columns="decision"))
    with pytest.raises(ValueError, match="empty"):
        monitoring.decision_mix(log.iloc[:0])


# --------------------------------------------------------------------------- outcomes


def test_loan_performance_is_the_observed_view_plus_default_month(book):
    perf = monitoring.loan_performance(book, "2025-07-01")
    view = world.observed(book, "2025-07-01")
    pd.testing.assert_frame_equal(perf[view.columns], view)
    seen = perf["bad_so_far"] == 1
    assert perf.loc[seen, "default_month"].notna().all()
    assert perf.loc[~seen, "default_month"].isna().all()
    assert (perf.loc[seen, "default_month"] <= perf.loc[seen, "months_on_book"]).all()
    assert not set(world.TRUTH_COLUMNS) & set(perf.columns)
    expected_vintage = perf["applied_at"].dt.strftime("%Y-%m")
    assert (perf["vintage"] == expected_vintage).all()


def test_loan_performance_checks_the_approved_mask(book):
    with pytest.raises(ValueError, match="aligned"):
        monitoring.loan_performance(book, "2025-07-01", approved=book["approved_policy"].iloc[::2])
    with pytest.raises(ValueError, match="months_to_default"):
        monitoring.loan_performance(book.drop(columns="months_to_default"), "2025-07-01")


def _naive_curve(perf: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for vintage, part in perf.groupby("vintage"):
        for m in range(1, int(part["months_on_book"].min()) + 1):
            bads = int((part["default_month"] <= m).sum())
            rows.append((vintage, m, len(part), bads, bads / len(part)))
    return pd.DataFrame(
        rows, columns=["vintage", "months_on_book", "loans", "bads", "cum_bad_rate"]
    )


def test_vintage_curve_matches_a_naive_loop(book):
    perf = monitoring.loan_performance(book, "2026-01-01")
    curve = monitoring.vintage_curve(perf)
    pd.testing.assert_frame_equal(curve, _naive_curve(perf), check_dtype=False)
    # cumulative: never decreases within a vintage
    assert (curve.groupby("vintage")["cum_bad_rate"].diff().dropna() >= 0).all()
    # each curve stops where its youngest loan stops
    last = curve.groupby("vintage")["months_on_book"].max()
    youngest = perf.groupby("vintage")["months_on_book"].min()
    assert (last == youngest[last.index]).all()
    capped = monitoring.vintage_curve(perf, max_months=6)
    assert capped["months_on_book"].max() == 6


def test_vintage_curve_refuses_views_it_cannot_read(book):
    view = world.observed(book, "2026-01-01")
    with pytest.raises(ValueError, match="loan_performance"):
        monitoring.vintage_curve(view)
    perf = monitoring.loan_performance(book, "2026-01-01")
    future = perf.assign(default_month=perf["months_on_book"] + 1.0)
    with pytest.raises(ValueError, match="cannot have seen"):
        monitoring.vintage_curve(future)
    with pytest.raises(ValueError, match="max_months"):
        monitoring.vintage_curve(perf, max_months=0)
    with pytest.raises(ValueError, match="later as_of"):
        monitoring.vintage_curve(perf.assign(months_on_book=0, default_month=np.nan))


def test_bad_rate_by_vintage_reads_synth_observed(book):
    view = world.observed(book, "2026-01-01")
    naive = monitoring.bad_rate_by_vintage(view)
    by_hand = view.groupby(view["applied_at"].dt.strftime("%Y-%m"))["bad_so_far"].agg(
        ["size", "mean"]
    )
    np.testing.assert_array_equal(naive["loans"], by_hand["size"])
    np.testing.assert_allclose(naive["bad_rate_so_far"], by_hand["mean"])
    # right-censoring: the newest vintages have seen no default at all yet
    assert naive["bad_rate_so_far"].iloc[-1] == 0.0 < naive["bad_rate_so_far"].iloc[0]
    with pytest.raises(ValueError, match="0/1"):
        monitoring.bad_rate_by_vintage(view.assign(bad_so_far=2))


# --------------------------------------------------------------------------- expected_outcomes


def test_expected_outcomes_against_naive_sums():
    rng = np.random.default_rng(0)
    p = rng.beta(2, 8, 5_000)
    got = monitoring.expected_outcomes(p, cutoff=0.2)
    ok = p < 0.2
    assert got["approved"] == ok.sum() and got["applications"] == p.size
    assert got["expected_approved_bad"] == pytest.approx(sum(x for x in p[ok]))
    assert got["expected_declined_good"] == pytest.approx(sum(1 - x for x in p[~ok]))
    assert got["expected_bad_rate_approved"] == pytest.approx(p[ok].mean())
    total = got[[c for c in got.index if c.startswith("expected_") and "rate" not in c]].sum()
    assert total == pytest.approx(p.size)


def test_expected_outcomes_tracks_covariate_shift_and_misses_concept_shift():
    rng = np.random.default_rng(1)
    n = 200_000
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-1.8 + 0.8 * x)))  # calibrated PDs
    y = rng.random(n) < p
    # covariate shift: more high-x applicants, same P(bad | x)
    shifted = rng.random(n) < np.exp(0.8 * (x - x.max()))
    keep = rng.choice(np.flatnonzero(shifted | (rng.random(n) < 0.3)), 50_000)
    est = monitoring.expected_outcomes(p[keep], cutoff=0.3)["expected_bad_rate_approved"]
    assert est == pytest.approx(y[keep][p[keep] < 0.3].mean(), abs=0.01)
    # concept shift: same PDs, outcomes drawn from doubled odds
    odds = p / (1 - p) * 2.5
    y_shock = rng.random(n) < odds / (1 + odds)
    est = monitoring.expected_outcomes(p, cutoff=0.3)["expected_bad_rate_approved"]
    actual = y_shock[p < 0.3].mean()
    assert actual - est > 0.05


@pytest.mark.parametrize(
    ("pds", "cutoff", "match"),
    [
        ([], 0.2, "empty"),
        ([0.1, np.nan], 0.2, "missing or infinite"),
        ([0.1, 1.2], 0.2, r"\[0, 1\]"),
        ([0.5, 0.6], 0.2, "no application is approved"),
        ([0.1], 2.0, "cutoff"),
    ],
)
def test_expected_outcomes_bad_input(pds, cutoff, match):
    with pytest.raises(ValueError, match=match):
        monitoring.expected_outcomes(pds, cutoff=cutoff)


def test_expected_outcomes_rejects_text():
    with pytest.raises(TypeError, match="not text"):
        monitoring.expected_outcomes("0.1", cutoff=0.2)


def test_fast_vintage_labels_equal_strftime():
    when = pd.Series(
        pd.to_datetime(
            ["2023-12-31 23:59", "2024-01-01 00:00", "2025-10-15 12:00", "2024-01-31 00:01"],
            utc=True,
        )
    )
    assert monitoring.performance._vintage(when).tolist() == when.dt.strftime("%Y-%m").tolist()


def test_model_version_defaults_to_the_models_version(apps, card):
    head = apps.head(50)
    log = monitoring.decision_log(head, card, cutoff=CUTOFF)
    assert (log["model_version"] == card.version).all() and card.version == "scorecard-dev"
    with pytest.raises(ValueError, match="no `version`"):
        monitoring.decision_log(_apps([0.1]), FixedPD(), cutoff=0.2, reasons=_reasons)
    with pytest.raises(ValueError, match="without spaces"):
        monitoring.decision_log(_apps([0.1]), FixedPD(), cutoff=0.2, model_version="card v1")


def test_points_follow_the_models_scaling(apps, card):
    from sklearn.base import clone

    steep = clone(card).set_params(pdo=40.0).fit(apps, apps["defaulted"])
    log = monitoring.decision_log(apps.head(200), steep, cutoff=CUTOFF)
    assert np.abs(log["score"].to_numpy() - steep.points(apps.head(200)).to_numpy()).max() <= 1


def test_monitoring_reexports_the_split_modules():
    import importlib

    from lendlab.models.contract import PDModel
    from lendlab.monitoring import decision_record, estimation, performance

    # the package attribute ``decision_mix`` is the function; the module is still importable
    mix_module = importlib.import_module("lendlab.monitoring.decision_mix")
    assert monitoring.PDModel is PDModel
    assert monitoring.decision_log is decision_record.decision_log
    assert monitoring.decision_mix is mix_module.decision_mix
    assert monitoring.vintage_curve is performance.vintage_curve
    assert monitoring.expected_outcomes is estimation.expected_outcomes
    assert set(monitoring.__all__) == {
        "DECISIONS", "LOG_COLUMNS", "REASON_COLUMNS", "RETENTION_MONTHS", "PDModel",
        "bad_rate_by_vintage", "decision_log", "decision_mix", "expected_outcomes",
        "loan_performance", "vintage_curve",
    }  # fmt: skip
