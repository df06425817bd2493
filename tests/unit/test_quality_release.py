"""quality.release: the bad releases, the two gates, the nightly simulation and its counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lendlab import models, quality, world
from lendlab.quality import release

SEED = 4


@pytest.fixture(scope="module")
def nights():
    book = world.generate(24_000, seed=SEED, start="2026-03-01", days=8)
    return release.nightly_partitions(book, seed=SEED)


@pytest.fixture(scope="module")
def card():
    dev = world.generate(20_000, seed=SEED, start="2024-01-01", days=365)
    loans = dev[dev["approved_policy"]]
    feats = [*world.FEATURES, "income_verification"]
    return models.Scorecard(features=feats).fit(loans, loans["defaulted"])


@pytest.fixture(scope="module")
def runs(nights, card):
    return {
        v: release.simulate_release(nights, v, landing=2, model=card, cutoff=0.25, seed=SEED)
        for v in release.VARIANTS
    }


def test_partitions_are_the_days_and_clean(nights):
    assert len(nights) == 8
    for s in nights:
        day = s.applications["applied_at"].dt.floor("D")
        assert day.nunique() == 1 and s.as_of == day.iloc[0] + pd.Timedelta(days=1)
        assert set(s.verifications["application_id"]) == set(s.applications["application_id"])
        assert release.contract_gate(s, quality.build_features(s)).passed


def test_variants_cover_the_four_kinds_and_reuse_the_catalogue():
    kinds = {v.kind for v in release.VARIANTS.values()}
    assert kinds == {"unit change", "dropped join", "stale partition", "silent partial failure"}
    from lendlab.world.faults import FAULTS

    for v in release.VARIANTS.values():
        assert v.fault == "" or v.fault in FAULTS
        assert all(r in FAULTS for r in v.related)
    assert release.VARIANTS["income_monthly_as_annual"].fault == "income_monthly_as_annual"


def test_unit_change_is_the_pipeline_break(nights):
    bad, rec = release.release(nights[1], "income_monthly_as_annual")
    pd.testing.assert_frame_equal(
        bad, quality.build_features(nights[1], breaks=["income_monthly_as_annual"])
    )
    partner = nights[1].applications["channel"] == "partner_api"
    assert rec.rows_corrupted == int(partner.sum()) and rec.rows_dropped == 0


def test_records_name_exactly_the_corrupted_rows(nights):
    good = quality.build_features(nights[1]).set_index("application_id")
    bad, rec = release.release(nights[1], "partial_zero_dti", seed=3)
    b = bad.set_index("application_id")
    changed = set(b.index[(b["dti"] != good["dti"]).to_numpy()])
    assert changed == set(rec.application_ids) and 0.10 < rec.rows_corrupted / rec.rows_in < 0.20
    assert (b.loc[list(changed), "dti"] == 0).all()
    _, rec2 = release.release(nights[1], "partial_zero_dti", seed=4)
    assert set(rec2.application_ids) != changed  # the seed draws the rows
    bad, rec = release.release(nights[1], "verification_inner_join")
    lost = set(nights[1].applications["application_id"]) - set(bad["application_id"])
    assert lost == set(rec.application_ids) and len(lost) == rec.rows_dropped > 0
    assert bad["verified_income"].notna().all()


def test_stale_partition_needs_the_previous_night(nights):
    with pytest.raises(ValueError, match="previous="):
        release.release(nights[1], "stale_verification_partition")
    bad, rec = release.release(nights[1], "stale_verification_partition", previous=nights[0])
    assert bad["income_verification"].isna().all() and rec.rows_corrupted == rec.rows_in


def test_bad_input_is_refused(nights):
    with pytest.raises(ValueError, match="unknown variant"):
        release.release(nights[0], "income_units")
    with pytest.raises(ValueError, match="catalogue fault"):
        release.release(nights[0], "broken_join")
    with pytest.raises(TypeError):
        release.release(nights[0], 3)
    with pytest.raises(TypeError):
        release.release(quality.build_features(nights[0]), "partial_zero_dti")
    with pytest.raises(ValueError):
        release.release(nights[0], "partial_zero_dti", seed=-1)
    f = quality.build_features(nights[0])
    with pytest.raises(ValueError, match="unknown tolerance"):
        release.canary(f, f, tolerances={"psi_max": 0.1})
    with pytest.raises(ValueError, match="row_ratio"):
        release.canary(f, f, tolerances={"row_ratio": (1.2, 2.0)})
    with pytest.raises(ValueError, match="empty"):
        release.canary(f.iloc[:0], f)


def test_which_gate_catches_which_variant(runs):
    caught = {
        v: sorted(g for g in release.GATES if not run.nights.loc[2, g]) for v, run in runs.items()
    }
    assert caught == {
        "income_monthly_as_annual": ["canary", "contracts"],
        "verification_inner_join": ["canary"],
        "stale_verification_partition": ["canary", "contracts"],
        "partial_zero_dti": ["canary"],
        "partial_null_dti": ["contracts"],
    }


def test_no_false_alarm_before_the_landing(runs):
    for run in runs.values():
        assert run.nights.loc[: run.landing - 1, ["contracts", "canary"]].all().all()


def test_the_canary_needs_its_slices_for_a_one_channel_bug(nights):
    good = quality.build_features(nights[1])
    bad, _ = release.release(nights[2], "income_monthly_as_annual")
    whole = release.canary(bad, good, slice_by=None)
    sliced = release.canary(bad, good)
    checks = whole.checks
    psi = checks.loc[(checks["check"] == "psi") & (checks["column"] == "annual_income"), "observed"]
    psi = float(psi.iloc[0])
    assert 0.1 < psi < 0.3  # diluted by the other channels
    assert any("channel=partner_api" in r for r in sliced.reasons)


def test_join_coverage_needs_the_raw_applications(nights):
    good = quality.build_features(nights[1])
    bad, _ = release.release(nights[2], "verification_inner_join")
    blind = release.canary(bad, good, columns=["fico"])
    seen = release.canary(bad, good, columns=["fico"], applications=nights[2].applications)
    cov = seen.checks.set_index("check").loc["join_coverage", "observed"]
    assert blind.passed and not seen.passed and 0.55 < cov < 0.8


def test_detection_and_corrupted_counts(runs):
    run = runs["partial_zero_dti"]
    assert run.detection("contracts") is None and run.detection("canary") == 2
    assert run.detection("both") == 2
    total = release.corrupted_decisions(run, noticed_after=3)
    assert total == int(run.decisions.loc[run.decisions["night"] < 5, "corrupted"].sum()) > 0
    assert release.corrupted_decisions(run, gate="contracts", noticed_after=3) == total
    assert release.corrupted_decisions(run, gate="canary") == 0
    by = release.corrupted_decisions(run, noticed_after=3, by="segment")
    assert int(by.sum()) == total and set(by.index) == set(run.decisions["segment"])
    dropped = runs["verification_inner_join"].decisions
    assert (dropped["approved_bad"].isna() <= dropped["corrupted"]).all()
    with pytest.raises(ValueError, match="gate="):
        release.corrupted_decisions(run, gate="canery")
    with pytest.raises(ValueError):
        release.corrupted_decisions(run, noticed_after=0)


def test_corrupted_means_the_decision_differs(runs, nights, card):
    run = runs["income_monthly_as_annual"]
    night = run.decisions[run.decisions["night"] == 3]
    bad, _ = release.release(nights[3], "income_monthly_as_annual", seed=SEED + 3)
    good = quality.build_features(nights[3])
    flips = (card.predict_pd(bad) < 0.25).to_numpy() != (card.predict_pd(good) < 0.25).to_numpy()
    assert int(night["corrupted"].sum()) == int(flips.sum()) > 0


def test_simulate_refuses_bad_arguments(nights, card):
    with pytest.raises(ValueError, match="landing"):
        release.simulate_release(nights, "partial_zero_dti", landing=0, model=card, cutoff=0.2)
    with pytest.raises(ValueError, match="cutoff"):
        release.simulate_release(nights, "partial_zero_dti", landing=1, model=card, cutoff=20)
    with pytest.raises(TypeError, match="predict_pd"):
        release.simulate_release(nights, "partial_zero_dti", landing=1, model=None, cutoff=0.2)
    with pytest.raises(TypeError):
        release.simulate_release(nights[0], "partial_zero_dti", landing=1, model=card, cutoff=0.2)
    assert np.isfinite(release.CANARY_TOLERANCES["psi"])
