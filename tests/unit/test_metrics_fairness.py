"""Segment rates and the adverse impact ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab import metrics


@pytest.fixture
def apps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel": pd.Categorical(
                ["web", "web", "web", "broker", "broker", "mobile"],
                categories=["web", "mobile", "partner_api", "broker"],
            ),
            "approved": [True, True, False, True, False, False],
            "defaulted": [0, 1, np.nan, 1, np.nan, np.nan],
        }
    )


def test_rates_by_segment(apps):
    out = metrics.rates_by_segment(apps, segment="channel", approved="approved", bad="defaulted")
    # categorical order kept; partner_api has no applications and is left out
    assert list(out.index) == ["web", "mobile", "broker"]
    assert out.loc["web", "n_applications"] == 3
    assert out.loc["web", "share_of_applications"] == pytest.approx(0.5)
    assert out.loc["web", "approval_rate"] == pytest.approx(2 / 3)
    assert out.loc["web", "bad_rate_approved"] == pytest.approx(0.5)
    assert out.loc["broker", "bad_rate_approved"] == pytest.approx(1.0)
    # no approvals: the bad rate is undefined and says so with NaN (documented)
    assert out.loc["mobile", "n_approved"] == 0 and np.isnan(out.loc["mobile", "bad_rate_approved"])
    assert out["share_of_applications"].sum() == pytest.approx(1.0)


def test_rates_by_segment_accepts_arrays(apps):
    by_name = metrics.rates_by_segment(apps, segment="channel", approved="approved")
    by_array = metrics.rates_by_segment(apps, segment="channel", approved=apps["approved"].values)
    pd.testing.assert_frame_equal(by_name, by_array)
    assert "bad_rate_approved" not in by_name.columns


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"segment": "region"}, ValueError, "segment='region' is not a column"),
        ({"approved": "decision"}, ValueError, "approved='decision' is not a column"),
        ({"approved": [True, False]}, ValueError, "approved has 2 values but frame has 6 rows"),
        ({"bad": "defaulted_12m"}, ValueError, "bad='defaulted_12m'"),
    ],
)
def test_rates_by_segment_bad_input(apps, kwargs, error, message):
    options = {"segment": "channel", "approved": "approved"} | kwargs
    with pytest.raises(error, match=message):
        metrics.rates_by_segment(apps, **options)


def test_rates_by_segment_rejects_missing_outcomes_on_approved_rows(apps):
    apps.loc[0, "defaulted"] = np.nan
    with pytest.raises(ValueError, match="missing label"):
        metrics.rates_by_segment(apps, segment="channel", approved="approved", bad="defaulted")


def test_rates_by_segment_rejects_empty_frame_and_missing_segment(apps):
    with pytest.raises(ValueError, match="frame is empty"):
        metrics.rates_by_segment(apps.iloc[:0], segment="channel", approved="approved")
    apps.loc[1, "channel"] = np.nan
    with pytest.raises(ValueError, match=r"missing value\(s\) \(rows \[1\]\)"):
        metrics.rates_by_segment(apps, segment="channel", approved="approved")
    with pytest.raises(TypeError, match="DataFrame"):
        metrics.rates_by_segment(apps.to_dict(), segment="channel", approved="approved")


def test_air_with_known_groups():
    approved = [1, 1, 0, 0, 1, 1, 1, 0]
    group = ["p", "p", "p", "p", "r", "r", "r", "r"]
    assert metrics.adverse_impact_ratio(approved, group, protected="p", reference="r") == (
        pytest.approx(0.5 / 0.75)
    )
    # other groups are ignored
    assert metrics.adverse_impact_ratio(
        approved + [0], group + ["x"], protected="p", reference="r"
    ) == pytest.approx(0.5 / 0.75)


def test_air_proxy_weights_match_formula_and_recover_hard_labels():
    rng = np.random.default_rng(3)
    approved = rng.random(1_000) < 0.6
    w = rng.random(1_000)
    expected = ((w * approved).sum() / w.sum()) / (((1 - w) * approved).sum() / (1 - w).sum())
    assert metrics.adverse_impact_ratio(approved, weights=w) == pytest.approx(expected)
    hard = (w > 0.5).astype(float)
    labels = np.where(hard == 1, "protected", "reference")
    assert metrics.adverse_impact_ratio(approved, weights=hard) == pytest.approx(
        metrics.adverse_impact_ratio(approved, labels)
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (([1, 0], ["reference", "reference"]), {}, "protected='protected'.* no applications"),
        (([0, 1], ["reference", "protected"]), {}, "approval rate 0"),
        (([1, 0], ["a", "b"]), {"protected": "a", "reference": "a"}, "both 'a'"),
        (([1, 0],), {}, "exactly one of group= .* or weights="),
        (([1, 0], ["a", "b"]), {"weights": [0.5, 0.5]}, "exactly one"),
        (([1, 0],), {"weights": [0.5, 1.5]}, r"weights must be probabilities in \[0, 1\]"),
        (([1, 0],), {"weights": [0.0, 0.0]}, "no applications"),
        (([1, 0, 1],), {"weights": [0.2, 0.4]}, "different lengths"),
        (([1, np.nan],), {"weights": [0.2, 0.4]}, "approved must be True/False"),
    ],
)
def test_air_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        metrics.adverse_impact_ratio(*args, **kwargs)


def test_air_on_the_synthetic_world_is_below_one():
    from lendlab import world

    book = world.generate(20_000, seed=1)
    air = metrics.adverse_impact_ratio(book["approved_policy"], book["protected_group"])
    proxy_air = metrics.adverse_impact_ratio(
        book["approved_policy"], weights=book["protected_proxy"]
    )
    assert 0.5 < air < 1.0
    # the noisy proxy blurs groups together, pulling the ratio towards 1
    assert air < proxy_air < 1.0
