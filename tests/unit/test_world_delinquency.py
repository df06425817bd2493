"""Delinquency paths: consistency with charge-off, plausible rates, the as-of state, bad input."""

import numpy as np
import pandas as pd
import pytest

from lendlab import world
from lendlab.world import delinquency as dq
from lendlab.world.delinquency import DPD_STATES, delinquency_as_of, delinquency_paths, dpd_as_of


@pytest.fixture(scope="module")
def book():
    # A seed the generator was not tuned on; the paths come from their own stream here so the
    # tests do not depend on how the generator wires them in.
    frame = world.generate(200_000, seed=11)
    paths = delinquency_paths(
        np.random.default_rng(5),
        frame["months_to_default"].to_numpy(),
        frame["term_months"].to_numpy(),
        frame["pd_true"].to_numpy(),
    )
    for name in dq.PATH_COLUMNS:
        frame[name] = paths[name]
    return frame


def test_paths_columns_and_order(book):
    for name in dq.PATH_COLUMNS:
        assert book[name].dtype == np.float64, name
    d30, d60, d90, cure = (book[c] for c in dq.PATH_COLUMNS)
    # Deeper delinquency only after shallower: 60+ implies 30+, a month later at the earliest.
    assert (d60.notna() <= d30.notna()).all() and (d90.notna() <= d60.notna()).all()
    assert ((d60 - d30).dropna() >= 1).all() and ((d90 - d60).dropna() >= 1).all()
    assert (d30.dropna() >= 1).all()
    # A cure always follows a delinquency; nothing cures or goes late after the term.
    assert (cure.notna() <= d30.notna()).all()
    assert (cure.dropna() > d30[cure.notna()]).all()
    assert (cure.dropna() <= book.loc[cure.notna(), "term_months"]).all()


def test_charged_off_loans_roll_four_months_before(book):
    bad = book[book["defaulted"] == 1]
    c = bad["months_to_default"]
    assert bad["months_to_dpd30"].notna().all() and bad["months_to_dpd90"].notna().all()
    # 120 DPD plus ~30 days: 60 DPD in C - 3 and 90 DPD in C - 2 (or earlier, from a cured one).
    assert (bad["months_to_dpd30"] <= c - 4).all()
    assert (bad["months_to_dpd60"] <= c - 3).all() and (bad["months_to_dpd90"] <= c - 2).all()
    straight = bad["months_to_cure"].isna()
    assert (bad.loc[straight, "months_to_dpd30"] == c[straight] - 4).all()
    # An earlier delinquency cures at least one month before the final roll starts.
    assert (bad.loc[~straight, "months_to_cure"] <= c[~straight] - 5).all()
    # The earliest charge-off (month 5) is a first-payment default.
    assert (bad.loc[c == 5, "months_to_dpd30"] == 1).all()
    assert 0.15 <= (~straight).mean() <= 0.30


def test_rates_are_plausible_multiples_of_charge_off(book):
    approved = book[book["approved_policy"]]
    co = approved["defaulted"].mean()
    ever = {d: approved[f"months_to_dpd{d}"].notna().mean() for d in (30, 60, 90)}
    assert 1.6 <= ever[30] / co <= 2.3
    assert 1.1 <= ever[60] / co <= 1.4
    assert 1.0 <= ever[90] / co <= 1.1
    fpd = (approved["months_to_dpd30"] == 1).mean()
    assert 0.02 <= fpd <= 0.07
    # Early delinquency leads charge-off: ever 60+ by month 6 is about the charge-off by 12.
    ever60_by6 = (approved["months_to_dpd60"] <= 6).mean()
    assert (approved["months_to_default"] <= 6).mean() < ever60_by6
    assert 0.7 <= ever60_by6 / (approved["months_to_default"] <= 12).mean() <= 1.3
    # Riskier good loans slip more often than safe ones.
    good = approved[approved["defaulted"] == 0]
    q = pd.qcut(good["pd_true"], 5, labels=False)
    slipped = good["months_to_dpd30"].notna().groupby(q).mean()
    assert slipped.is_monotonic_increasing and slipped.iloc[-1] > 3 * slipped.iloc[0]


def test_zero_risk_loans_are_never_late():
    paths = delinquency_paths(
        np.random.default_rng(0), np.full(1_000, np.nan), np.full(1_000, 36), np.zeros(1_000)
    )
    assert all(np.isnan(paths[c]).all() for c in dq.PATH_COLUMNS)
    assert (dpd_as_of(paths, 12) == "current").all()


def test_state_by_hand():
    paths = {
        # charged off at 9; good loan 30 at 2, 60 at 3, current from 4; charged off at 12 after
        # a 30-day episode in month 3; never late.
        "months_to_default": np.array([9.0, np.nan, 12.0, np.nan]),
        "months_to_dpd30": np.array([5.0, 2.0, 3.0, np.nan]),
        "months_to_dpd60": np.array([6.0, 3.0, 9.0, np.nan]),
        "months_to_dpd90": np.array([7.0, np.nan, 10.0, np.nan]),
        "months_to_cure": np.array([np.nan, 4.0, 4.0, np.nan]),
    }
    expected = {
        0: ["current", "current", "current", "current"],
        2: ["current", "dpd30", "current", "current"],
        3: ["current", "dpd60", "dpd30", "current"],
        4: ["current", "current", "current", "current"],
        5: ["dpd30", "current", "current", "current"],
        7: ["dpd90plus", "current", "current", "current"],
        8: ["dpd90plus", "current", "dpd30", "current"],
        9: ["charged_off", "current", "dpd60", "current"],
        12: ["charged_off", "current", "charged_off", "current"],
    }
    for month, states in expected.items():
        assert list(dpd_as_of(paths, month)) == states, month
    frame = delinquency_as_of(paths, 3)
    assert frame["ever_dpd30_so_far"].tolist() == [0, 1, 1, 0]
    assert frame["ever_dpd60_so_far"].tolist() == [0, 1, 0, 0]
    assert list(frame["dpd_status"].cat.categories) == list(DPD_STATES)


def test_state_agrees_with_first_months(book):
    # Walking each loan month by month, the first month a state is seen is the truth column.
    sample = book.sample(3_000, random_state=0)
    first = {d: np.full(len(sample), np.nan) for d in (30, 60, 90)}
    for month in range(0, 61):
        codes = dpd_as_of(sample, month).codes
        for level, d in enumerate((30, 60, 90), start=1):
            new = np.isnan(first[d]) & (codes >= level)
            first[d][new] = month
        out = delinquency_as_of(sample, month)
        assert (out["ever_dpd30_so_far"].to_numpy() == (codes >= 1) | ~np.isnan(first[30])).all()
    for d in (30, 60, 90):
        np.testing.assert_array_equal(first[d], sample[f"months_to_dpd{d}"].to_numpy(), str(d))
    assert (dpd_as_of(sample, 60) == "charged_off").sum() == sample["defaulted"].sum()


def test_per_loan_months_on_book_by_position(book):
    sample = book.head(500)
    mob = np.arange(500) % 40
    status = delinquency_as_of(sample, pd.Series(mob, index=sample.index))
    assert status.index.equals(sample.index)
    assert status.equals(delinquency_as_of(sample, mob))
    with pytest.raises(ValueError, match="index differs"):
        delinquency_as_of(sample, pd.Series(mob, index=sample.index[::-1]))
    one_by_one = [dpd_as_of(sample.iloc[[i]], int(mob[i]))[0] for i in range(0, 500, 50)]
    assert list(status["dpd_status"].iloc[::50]) == one_by_one


def test_same_stream_same_paths_other_stream_other_paths(book):
    args = (book["months_to_default"], book["term_months"], book["pd_true"])
    a, b, c = (delinquency_paths(np.random.default_rng(s), *args) for s in (3, 3, 4))
    for name in dq.PATH_COLUMNS:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["months_to_dpd30"], c["months_to_dpd30"], equal_nan=True)


def test_bad_input_names_the_problem():
    rng = np.random.default_rng(0)
    c, t, p = np.array([6.0, np.nan]), np.array([36, 36]), np.array([0.5, 0.1])
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        delinquency_paths(0, c, t, p)
    with pytest.raises(TypeError, match="months_to_default"):
        delinquency_paths(rng, "6", t, p)
    with pytest.raises(TypeError, match="pd_true"):
        delinquency_paths(rng, c, t, np.array(["a", "b"]))
    with pytest.raises(ValueError, match="same length"):
        delinquency_paths(rng, c, t, p[:1])
    with pytest.raises(ValueError, match="months_to_default must be whole months from 5"):
        delinquency_paths(rng, np.array([4.0, np.nan]), t, p)
    with pytest.raises(ValueError, match="months_to_default"):
        delinquency_paths(rng, np.array([40.0, np.nan]), t, p)
    with pytest.raises(ValueError, match="pd_true"):
        delinquency_paths(rng, c, t, np.array([1.5, np.nan]))
    with pytest.raises(ValueError, match="term"):
        delinquency_paths(rng, c, np.array([36.0, np.nan]), p)
    paths = delinquency_paths(rng, c, t, p)
    with pytest.raises(ValueError, match="months_on_book"):
        dpd_as_of(paths, -1)
    with pytest.raises(ValueError, match="months_on_book"):
        dpd_as_of(paths, np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="months_on_book"):
        dpd_as_of(paths, "3")
    with pytest.raises(ValueError, match="months_to_cure"):
        dpd_as_of({k: v for k, v in paths.items() if k != "months_to_cure"}, 3)


# --- wired into the generator ---------------------------------------------------------------


def test_generate_carries_the_paths_as_truth():
    book = world.generate(20_000, seed=2)
    assert set(dq.PATH_COLUMNS) <= set(book.columns) and set(dq.PATH_COLUMNS) <= set(
        world.TRUTH_COLUMNS
    )
    bad = book[book["defaulted"] == 1]
    assert (bad["months_to_dpd90"] <= bad["months_to_default"] - 2).all()
    assert book.loc[book["defaulted"] == 0, "months_to_dpd30"].notna().mean() > 0.1


def test_same_seed_same_bytes_with_the_paths():
    def digest(frame):
        return pd.util.hash_pandas_object(frame, index=True).sum()

    a, b = world.generate(5_000, seed=3), world.generate(5_000, seed=3)
    assert digest(a[list(dq.PATH_COLUMNS)]) == digest(b[list(dq.PATH_COLUMNS)])
    assert digest(a) == digest(b)


def test_paths_are_drawn_after_every_other_column(monkeypatch):
    from lendlab.world import generator

    before = world.generate(5_000, seed=9)
    real = generator.delinquency_paths

    def burn_then_draw(rng, *args, **kwargs):
        rng.random(1_234)  # a different stream position for the paths only
        return real(rng, *args, **kwargs)

    monkeypatch.setattr(generator, "delinquency_paths", burn_then_draw)
    after = world.generate(5_000, seed=9)
    others = [c for c in before.columns if c not in dq.PATH_COLUMNS]
    pd.testing.assert_frame_equal(before[others], after[others])
    assert not before["months_to_dpd30"].equals(after["months_to_dpd30"])


def test_observed_shows_the_state_not_the_paths():
    book = world.generate(50_000, seed=6, start="2024-01-01", days=365)
    view = world.observed(book, "2025-01-01")
    assert not set(world.TRUTH_COLUMNS) & set(view.columns)
    assert list(view["dpd_status"].cat.categories) == list(DPD_STATES)
    charged = (view["dpd_status"] == "charged_off").to_numpy()
    np.testing.assert_array_equal(charged, view["bad_so_far"].to_numpy() == 1)
    assert (view["ever_dpd90_so_far"] >= view["bad_so_far"]).all()
    assert (view["ever_dpd30_so_far"] >= view["ever_dpd60_so_far"]).all()
    # The lender sees trouble before charge-offs: more loans ever 30+ than charged off.
    assert view["ever_dpd30_so_far"].mean() > 1.3 * view["bad_so_far"].mean()
    # Against the truth, loan by loan.
    truth = book.loc[view.index]
    expected = dpd_as_of(truth, view["months_on_book"].to_numpy())
    assert (view["dpd_status"].to_numpy() == np.asarray(expected)).all()
    # A tape without the paths still gives the charge-off view, without delinquency columns.
    tape = book[["applied_at", "approved_policy", "defaulted", "months_to_default"]]
    assert "dpd_status" not in world.observed(tape, "2025-01-01").columns


def test_data_card_has_the_early_delinquency_anchors():
    from lendlab.world import reference_data

    table = reference_data.anchor_table(world.generate(50_000, seed=1))
    figures = " | ".join(table["figure"])
    for words in ("first-payment default", "30+ DPD at 3 months", "ever 60+ DPD by month 6"):
        assert words in figures, words
    assert table["measured"].str.contains("charge-off").sum() >= 3
