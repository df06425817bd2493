"""lendlab.drift one-column statistics: against scipy and an independent PSI, plus edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps
from scipy.spatial import distance

from lendlab import drift
from lendlab.drift.binning import _edges_from_sorted, fit_bins

SEEDS = [0, 1, 2, 3]


def shapes(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Reference/current pairs of several continuous shapes and sizes."""
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(640, 60, 5_000), rng.normal(655, 70, 3_000)),
        (rng.lognormal(11.08, 0.55, 2_001), rng.lognormal(11.2, 0.6, 997)),
        (rng.beta(2.78, 4.10, 1_000) * 45, rng.beta(3.5, 4.0, 1_500) * 45),
        (rng.exponential(1.0, 333), rng.exponential(1.4, 50)),
        (rng.uniform(0, 1, 10_001), rng.uniform(0.2, 1.3, 7)),
        (np.r_[rng.normal(0, 1, 700), rng.normal(6, 1, 300)], rng.normal(3, 3, 2_500)),
    ]


def independent_psi(ref: np.ndarray, cur: np.ndarray, bins: int = 10) -> float:
    """Textbook PSI: np.quantile cut points, np.histogram counts, empty bins at 1e-4.

    np.histogram bins are [a, b); moving every cut one ulp up gives lendlab's (a, b].
    """
    cuts = np.unique(np.quantile(ref, np.arange(1, bins) / bins))
    edges = np.concatenate(([-np.inf], np.nextafter(cuts, np.inf), [np.inf]))
    e = np.histogram(ref, edges)[0] / ref.size
    a = np.histogram(cur, edges)[0] / cur.size
    e = np.where(e == 0, 1e-4, e)
    a = np.where(a == 0, 1e-4, a)
    return float(np.sum((a - e) * np.log(a / e)))


# --------------------------------------------------------------------------------- PSI


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("bins", [10, 4, 20])
def test_psi_matches_independent_quantile_psi(seed, bins):
    for ref, cur in shapes(seed):
        assert drift.psi(ref, cur, bins=bins) == pytest.approx(
            independent_psi(ref, cur, bins), rel=1e-12, abs=1e-15
        )


@pytest.mark.parametrize("seed", SEEDS)
def test_quantile_edges_equal_numpy_quantile(seed):
    for ref, _ in shapes(seed):
        expected = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
        np.testing.assert_array_equal(drift.quantile_edges(ref), expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_integer_columns_bin_like_their_float_copy(seed):
    rng = np.random.default_rng(seed)
    for values in (
        np.clip(np.rint(rng.normal(640, 60, 4_000)), 300, 850).astype(np.int64),
        rng.poisson(0.66, 3_000),
        rng.choice([36, 60], 2_000, p=[0.76, 0.24]),
        rng.integers(-50, 10_000_000, 500),  # too wide for the counting path
    ):
        as_int = fit_bins(pd.Series(values))
        as_float = fit_bins(pd.Series(values.astype(np.float64)))
        np.testing.assert_array_equal(as_int.edges, as_float.edges)
        np.testing.assert_array_equal(as_int.reference_counts, as_float.reference_counts)
        cur = rng.permutation(values)[: len(values) // 2] + rng.integers(-3, 4)
        np.testing.assert_array_equal(
            as_int.count(pd.Series(cur))[0], as_float.count(pd.Series(cur.astype(float)))[0]
        )
        np.testing.assert_array_equal(
            as_int.assign(pd.Series(cur))[0], as_float.assign(pd.Series(cur.astype(float)))[0]
        )


def test_identical_samples_have_zero_psi_and_shift_is_significant():
    rng = np.random.default_rng(5)
    ref = rng.normal(640, 60, 20_000)
    assert drift.psi(ref, ref) == 0.0
    assert drift.psi(ref, rng.normal(640, 60, 20_000)) < 0.01
    assert drift.psi(ref, ref + 40) > 0.25


def test_csi_is_psi_on_a_characteristic():
    rng = np.random.default_rng(2)
    ref, cur = rng.normal(size=3000), rng.normal(0.3, 1, 3000)
    assert drift.csi(ref, cur) == drift.psi(ref, cur)
    home = pd.Series(rng.choice(["rent", "own", "mortgage"], 900), dtype="category")
    assert drift.csi(home, home.sample(frac=1, random_state=1)) == pytest.approx(0, abs=1e-15)


def test_categorical_psi_matches_value_counts_formula():
    rng = np.random.default_rng(3)
    ref = pd.Series(
        rng.choice(["web", "mobile", "partner_api", "broker"], 5000, p=[0.4, 0.3, 0.2, 0.1])
    )
    cur = pd.Series(
        rng.choice(["web", "mobile", "partner_api", "broker"], 800, p=[0.2, 0.3, 0.3, 0.2])
    )
    e = ref.value_counts(normalize=True).sort_index()
    a = cur.value_counts(normalize=True).sort_index()
    expected = float(((a - e) * np.log(a / e)).sum())
    assert drift.psi(ref, cur) == pytest.approx(expected, rel=1e-12)
    # same answer whatever the container: category dtype, str dtype, numpy object array
    assert drift.psi(ref.astype("category"), cur.astype("category")) == pytest.approx(expected)
    assert drift.psi(ref.to_numpy(dtype=object), cur.to_numpy(dtype=object)) == pytest.approx(
        expected
    )


def test_unseen_category_gets_its_own_bin_with_epsilon_reference_mass():
    ref = pd.Series(["web"] * 60 + ["broker"] * 40)
    cur = pd.Series(["web"] * 50 + ["broker"] * 30 + ["kiosk"] * 20)
    e = np.array([0.4, 0.6, 1e-4])  # broker, web, kiosk (unseen)
    a = np.array([0.3, 0.5, 0.2])
    assert drift.psi(ref, cur) == pytest.approx(float(np.sum((a - e) * np.log(a / e))))
    spec = fit_bins(ref)
    counts, unseen = spec.count(cur)
    assert unseen == ["kiosk"]
    np.testing.assert_array_equal(counts, [30, 50, 0, 20])  # broker, web, NaN, kiosk


def test_psi_from_counts_is_vectorised():
    ref = np.array([30, 50, 20])
    cur = np.array([[30, 50, 20], [10, 10, 80], [0, 0, 0]])
    values = drift.psi_from_counts(ref, cur)
    assert values[0] == 0.0
    assert values[1] == pytest.approx(drift.psi_from_counts(ref, cur[1]))
    assert drift.psi_from_counts([1, 1], [1, 1]) == 0.0


# ------------------------------------------------------------------- against scipy


@pytest.mark.parametrize("seed", SEEDS)
def test_ks_matches_scipy(seed):
    for ref, cur in shapes(seed):
        ours = drift.ks(ref, cur)
        theirs = sps.ks_2samp(ref, cur)
        assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-9)
        assert ours.pvalue == pytest.approx(theirs.pvalue, abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_wasserstein_matches_scipy_and_evidently_norm(seed):
    for ref, cur in shapes(seed):
        raw = sps.wasserstein_distance(ref, cur)
        assert drift.wasserstein(ref, cur) == pytest.approx(raw, abs=1e-9)
        normed = raw / max(np.std(ref), 0.001)  # Evidently: np.std (ddof=0), floor 0.001
        assert drift.wasserstein(ref, cur, normed=True) == pytest.approx(normed, rel=1e-12)


def test_wasserstein_normed_on_constant_reference_uses_the_floor():
    value = drift.wasserstein(np.full(100, 5.0), np.full(50, 5.5), normed=True)
    assert value == pytest.approx(0.5 / 0.001)
    assert np.isfinite(value)


@pytest.mark.parametrize("seed", SEEDS)
def test_jensen_shannon_matches_scipy_on_the_same_histograms(seed):
    for ref, cur in shapes(seed):
        cuts = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
        edges = np.concatenate(([-np.inf], np.nextafter(cuts, np.inf), [np.inf]))
        p = np.histogram(ref, edges)[0]
        q = np.histogram(cur, edges)[0]
        expected = distance.jensenshannon(p / p.sum(), q / q.sum())
        assert drift.jensen_shannon(ref, cur) == pytest.approx(expected, abs=1e-12)
        assert drift.jensen_shannon(ref, cur, base=2) == pytest.approx(
            distance.jensenshannon(p / p.sum(), q / q.sum(), base=2), abs=1e-12
        )


def test_jensen_shannon_categorical_by_category():
    ref = pd.Series(["a"] * 10 + ["b"] * 30 + ["c"] * 60)
    cur = pd.Series(["a"] * 40 + ["b"] * 40 + ["d"] * 20)
    expected = distance.jensenshannon([0.1, 0.3, 0.6, 0.0], [0.4, 0.4, 0.0, 0.2])
    assert drift.jensen_shannon(ref, cur) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_chi_square_matches_scipy_chisquare_with_reference_proportions(seed):
    rng = np.random.default_rng(seed)
    labels = np.array(["A", "B", "C", "D", "E"])
    ref = pd.Series(rng.choice(labels, 4000, p=[0.2, 0.3, 0.3, 0.15, 0.05]))
    cur = pd.Series(rng.choice(labels, int(rng.integers(200, 3000)), p=[0.25, 0.3, 0.25, 0.1, 0.1]))
    ref_counts = ref.value_counts().sort_index().to_numpy()
    cur_counts = cur.value_counts().reindex(sorted(labels), fill_value=0).to_numpy()
    expected = sps.chisquare(cur_counts, ref_counts / ref_counts.sum() * cur_counts.sum())
    ours = drift.chi_square(ref, cur)
    assert ours.statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert ours.pvalue == pytest.approx(expected.pvalue, abs=1e-9)


def test_chi_square_unseen_category_is_finite_and_significant():
    res = drift.chi_square(["a"] * 50 + ["b"] * 50, ["a"] * 45 + ["b"] * 45 + ["new"] * 10)
    assert np.isfinite(res.statistic) and res.pvalue < 1e-6


# --------------------------------------------------------- equal-width (Evidently) mode


def test_equal_width_psi_follows_evidently_binning_rule():
    rng = np.random.default_rng(11)
    ref, cur = rng.normal(0, 1, 3000), rng.normal(0.5, 1.5, 2000)
    edges = np.histogram_bin_edges(np.concatenate((ref, cur)), bins="sturges")
    np.testing.assert_array_equal(drift.equal_width_edges(ref, cur), edges)
    e = np.histogram(ref, edges)[0] / ref.size
    a = np.histogram(cur, edges)[0] / cur.size

    def floor(p):  # Evidently's floor for empty bins
        m = p[p > 0].min()
        return np.where(p == 0, m / 1e6 if m <= 1e-4 else 1e-4, p)

    e, a = floor(e), floor(a)
    expected = float(np.sum((e - a) * np.log(e / a)))
    assert drift.psi(ref, cur, binning="equal_width") == pytest.approx(expected, rel=1e-12)
    assert drift.psi(ref, cur, binning="equal_width", bins=None) == pytest.approx(expected)


def test_equal_width_low_cardinality_numeric_is_binned_by_value():
    ref = np.array([36] * 70 + [60] * 30)
    cur = np.array([36] * 50 + [60] * 50)
    e, a = np.array([0.7, 0.3]), np.array([0.5, 0.5])
    assert drift.psi(ref, cur, binning="equal_width") == pytest.approx(
        float(np.sum((a - e) * np.log(a / e)))
    )


# ------------------------------------------------------------------------ edge cases


def test_constant_columns():
    same = drift.psi(np.full(500, 7.0), np.full(80, 7.0))
    assert same == 0.0
    up = drift.psi(np.full(500, 7.0), np.full(80, 9.0))
    down = drift.psi(np.full(500, 7.0), np.full(80, 5.0))
    expected = 2 * (1 - 1e-4) * np.log(1 / 1e-4)  # all mass moves to an empty bin
    assert up == pytest.approx(expected) and down == pytest.approx(expected)
    assert drift.psi(np.full(500, 7), np.full(80, 5)) == pytest.approx(expected)  # integers


def test_values_below_a_mass_at_the_reference_minimum_are_seen():
    ref = np.array([0] * 750 + [1] * 200 + [2] * 50)  # e.g. inquiries_6m
    spec = fit_bins(pd.Series(ref))
    assert spec.labels() == ["< 0", "= 0", "(0, 1]", "(1, inf]"]
    counts, _ = spec.count(pd.Series([-1, 0, 0, 3]))
    np.testing.assert_array_equal(counts, [1, 2, 0, 1, 0])  # <0, =0, (0,1], >1, NaN


def test_nan_policy_raise_names_the_column_and_the_fix():
    ref = pd.Series([1.0, 2.0, 3.0, 4.0], name="emp_length_years")
    cur = pd.Series([1.0, np.nan, 3.0], name="emp_length_years")
    with pytest.raises(
        ValueError, match=r"'emp_length_years' in current has 1 NaN.*nan_policy='bin'"
    ):
        drift.psi(ref, cur)
    with pytest.raises(ValueError, match=r"'emp_length_years' in reference has 1 NaN"):
        drift.psi(cur, ref)


def test_nan_policy_omit_equals_dropping_and_bin_counts_missing():
    rng = np.random.default_rng(4)
    ref = rng.normal(size=2000)
    cur = rng.normal(0.2, 1, 1000)
    ref_nan = np.where(rng.random(2000) < 0.05, np.nan, ref)
    cur_nan = np.where(rng.random(1000) < 0.20, np.nan, cur)
    omitted = drift.psi(ref_nan, cur_nan, nan_policy="omit")
    assert omitted == pytest.approx(
        independent_psi(ref_nan[~np.isnan(ref_nan)], cur_nan[~np.isnan(cur_nan)])
    )
    binned = drift.psi(ref_nan, cur_nan, nan_policy="bin")
    assert binned > omitted  # the missing rate went from 5% to 20%: that is drift too
    spec = fit_bins(ref_nan, nan_policy="bin")
    assert spec.reference_counts[-1] == np.isnan(ref_nan).sum()


def test_categorical_nan_policies():
    ref = pd.Series(["a", "b", None, "a"], dtype="str")
    cur = pd.Series(["a", None, None, "b"], dtype="str")
    with pytest.raises(ValueError, match="NaN"):
        drift.psi(ref, cur)
    e = np.array([0.5, 0.25, 0.25])  # a, b, missing
    a = np.array([0.25, 0.25, 0.5])
    assert drift.psi(ref, cur, nan_policy="bin") == pytest.approx(
        float(np.sum((a - e) * np.log(a / e)))
    )
    assert drift.psi(ref, cur, nan_policy="omit") == pytest.approx(
        drift.psi(ref.dropna(), cur.dropna())
    )


def test_all_nan_column_is_a_clear_error():
    good = pd.Series([1.0, 2.0, 3.0], name="verified_income")
    empty = pd.Series([np.nan] * 3, name="verified_income")
    for args in ((empty, good), (good, empty)):
        with pytest.raises(
            ValueError, match=r"'verified_income' in (reference|current) is entirely NaN"
        ):
            drift.psi(*args, nan_policy="omit")
    # under "bin", a current that became 100% missing is measurable drift, not an error
    assert drift.psi(good, empty, nan_policy="bin") > 1
    with pytest.raises(ValueError, match="entirely NaN"):
        drift.psi(empty, good, nan_policy="bin")


def test_empty_samples_raise():
    with pytest.raises(ValueError, match=r"'fico' in current is empty"):
        drift.psi(pd.Series([1.0, 2.0], name="fico"), pd.Series([], dtype=float, name="fico"))
    with pytest.raises(ValueError, match="in reference is empty"):
        drift.ks([], [1.0])
    with pytest.raises(ValueError, match="is empty"):
        drift.chi_square(["a"], pd.Series([], dtype="str"))


def test_infinite_values_raise():
    with pytest.raises(ValueError, match=r"'loan_to_income' in current has 1 infinite"):
        drift.psi(pd.Series([0.1, 0.2, 0.3], name="loan_to_income"), pd.Series([0.1, np.inf]))


def test_mismatched_kinds_raise_type_error():
    with pytest.raises(
        TypeError, match=r"'term_months' is numeric in reference .* categorical in current"
    ):
        drift.psi(
            pd.Series([36, 60], name="term_months"),
            pd.Series(["short", "long"], name="term_months"),
        )
    with pytest.raises(TypeError, match="number categories in reference"):
        drift.psi(pd.Series([36, 60], dtype="category"), pd.Series(["36", "60"], dtype="category"))
    with pytest.raises(TypeError, match="categorical"):
        drift.ks(["a", "b"], ["a", "b"])
    with pytest.raises(TypeError, match="numeric"):
        drift.chi_square([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(TypeError, match="DataFrame"):
        drift.psi(pd.DataFrame({"a": [1.0]}), [1.0])
    with pytest.raises(TypeError, match="datetime64"):
        drift.psi(pd.Series(pd.date_range("2025-01-01", periods=3)), [1.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bins": 1}, "bins must be an integer >= 2 and <= 1000 .MAX_BINS., got 1"),
        ({"bins": 10**9}, "bins must be an integer >= 2 and <= 1000 .MAX_BINS., got 1000000000"),
        ({"bins": "sturges"}, "only works with binning='equal_width'"),
        ({"binning": "deciles"}, "binning must be one of .* got 'deciles'"),
        ({"nan_policy": "drop"}, "nan_policy must be one of .* got 'drop'"),
    ],
)
def test_bad_options_are_quoted(kwargs, message):
    with pytest.raises(ValueError, match=message):
        drift.psi([1.0, 2.0, 3.0], [1.0, 2.0], **kwargs)


def test_non_integer_bins_is_a_type_error():
    with pytest.raises(TypeError, match=r"bins must be an integer >= 2, got 2.5 \(float\)"):
        drift.psi([1.0, 2.0, 3.0], [1.0, 2.0], bins=2.5)


def test_ks_and_wasserstein_refuse_the_bin_policy():
    with pytest.raises(ValueError, match="nan_policy must be one of"):
        drift.ks([1.0, 2.0], [1.0, 2.0], nan_policy="bin")
    assert drift.ks([1.0, np.nan, 3.0], [1.0, 3.0], nan_policy="omit").statistic == 0.0


def test_edges_from_sorted_helper_collapses_ties():
    edges = _edges_from_sorted(np.sort(np.array([36.0] * 76 + [60.0] * 24)), 10)
    assert edges[1:].tolist() == [36.0, 60.0] and edges[0] == np.nextafter(36.0, 0)
