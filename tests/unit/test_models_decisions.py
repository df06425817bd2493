"""Rules policy, reason codes and decide()."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from lendlab import metrics, models, world


@pytest.fixture(scope="module")
def book() -> pd.DataFrame:
    return world.generate(60_000, seed=5)


@pytest.fixture(scope="module")
def card(book) -> models.Scorecard:
    loans = book[book["approved_policy"]]
    return models.Scorecard().fit(loans, loans["defaulted"])


ALLOWED_TEXT = {
    *(t for v in models.REASON_TEXT.values() for t in ((v,) if isinstance(v, str) else v)),
    *models.MISSING_REASON_TEXT.values(),
}


# -- rules policy -------------------------------------------------------------------------------
def test_rules_policy_matches_the_world(book):
    out = models.rules_policy(book)
    assert out["approved"].tolist() == book["approved_policy"].tolist()
    assert list(out.columns) == ["approved", "reason_1", "reason_2", "reason_3"]


def test_rules_policy_gives_one_reason_per_failed_rule(book):
    out = models.rules_policy(book)
    failed = (
        (book["fico"] < 660).astype(int)
        + (book["dti"] > 40).astype(int)
        + (book["inquiries_6m"] > 6).astype(int)
    )
    n_reasons = out[["reason_1", "reason_2", "reason_3"]].notna().sum(axis=1)
    assert (n_reasons == failed).all()
    assert out.loc[out["approved"], "reason_1"].isna().all()
    low_score = out.loc[book["fico"] < 660, "reason_1"]
    assert (low_score == "Credit score below our minimum of 660").all()
    # reasons are packed left: dti is reason_1 when the score passes
    only_dti = (book["fico"] >= 660) & (book["dti"] > 40) & (book["inquiries_6m"] <= 6)
    assert only_dti.any()
    assert out.loc[only_dti, "reason_1"].str.startswith("Debt obligations too high").all()


def test_rules_policy_missing_values_fail_with_their_own_reason():
    apps = pd.DataFrame({"fico": [np.nan, 700.0], "dti": [10.0, np.nan], "inquiries_6m": [0, 0]})
    out = models.rules_policy(apps)
    assert out["approved"].tolist() == [False, False]
    assert out.loc[0, "reason_1"] == "No credit score available from the credit bureau"
    assert out.loc[1, "reason_1"].startswith("Debt-to-income ratio could not be calculated")


@pytest.mark.parametrize(
    ("frame", "error", "message"),
    [
        (pd.DataFrame({"fico": [700], "dti": [10.0]}), ValueError, r"\['inquiries_6m'\]"),
        (pd.DataFrame(columns=["fico", "dti", "inquiries_6m"]), ValueError, "empty"),
        ([700, 10, 0], TypeError, "DataFrame"),
        (pd.DataFrame({"fico": ["700"], "dti": [1.0], "inquiries_6m": [0]}), TypeError, "fico"),
    ],
)
def test_rules_policy_bad_input(frame, error, message):
    with pytest.raises(error, match=message):
        models.rules_policy(frame)


# -- reason codes -------------------------------------------------------------------------------
def _naive_first_reason(card: models.Scorecard, row: pd.DataFrame) -> str | None:
    table = card.points_table()
    points = card.feature_points(row).iloc[0]
    best = table[table["n"] > 0].groupby("feature")["points"].max()
    lost = (best - points)[list(card.features_)]
    if lost.max() <= 1e-9:
        return None
    return lost.idxmax()


def test_reason_codes_rank_by_points_lost(card, book):
    declined = book[~book["approved_policy"]].head(300)
    reasons = models.reason_codes(card, declined)
    assert list(reasons.columns) == ["reason_1", "reason_2", "reason_3", "reason_4"]
    texts_for = importlib.import_module("lendlab.models.reason_codes")._texts_for
    text_of = {f: texts_for(f, None) for f in card.features_}
    for i in range(0, 300, 37):
        row = declined.iloc[[i]]
        feature = _naive_first_reason(card, row)
        assert reasons.iloc[i]["reason_1"] in text_of[feature]


def test_reason_codes_are_specific_distinct_and_at_most_four(card, book):
    reasons = models.reason_codes(card, book.head(3_000))
    values = reasons.stack().dropna()
    assert set(values) <= ALLOWED_TEXT
    assert not values.str.contains("internal standard", case=False).any()
    filled = reasons.notna().to_numpy()
    assert (filled[:, 1:] <= filled[:, :-1]).all()  # filled from the left
    for a in range(4):  # never the same text twice for one applicant
        for b in range(a + 1, 4):
            both = filled[:, a] & filled[:, b]
            assert (reasons.iloc[:, a][both] != reasons.iloc[:, b][both]).all()


def test_reason_text_direction(card):
    applicant = pd.DataFrame(
        {
            f: [v]
            for f, v in {
                "fico": 661,
                "annual_income": 65_000.0,
                "dti": 39.0,
                "loan_amount": 12_000.0,
                "term_months": 60,
                "inquiries_6m": 5,
                "revol_util": 95.0,
                "emp_length_years": np.nan,
                "delinq_2y": 0,
                "open_accounts": 11,
            }.items()
        }
    )
    given = set(models.reason_codes(card, applicant).iloc[0].dropna())
    assert "Credit score too low" in given
    assert given & {
        "Debt obligations too high relative to income",
        "Longer loan term requested",
        "Revolving balances too high relative to credit limits",
    }


def test_reason_text_overrides(card, book):
    custom = models.reason_codes(
        card, book.head(200), reason_text={"fico": "Credit bureau score below our range"}
    )
    assert "Credit bureau score below our range" in set(custom.stack())
    assert "Credit score too low" not in set(custom.stack())


@pytest.mark.parametrize(
    ("max_reasons", "error"), [(0, ValueError), (5, ValueError), (2.0, TypeError)]
)
def test_max_reasons_validated(card, book, max_reasons, error):
    with pytest.raises(error, match="max_reasons"):
        models.reason_codes(card, book.head(5), max_reasons=max_reasons)
    with pytest.raises(error, match="max_reasons"):
        models.decide(card, book.head(5), cutoff=0.2, max_reasons=max_reasons)


def test_reason_codes_need_a_scorecard(book):
    loans = book[book["approved_policy"]]
    trees = models.Challenger(["fico", "dti"], max_iter=5).fit(loans, loans["defaulted"])
    with pytest.raises(TypeError, match="per-feature points"):
        models.reason_codes(trees, book.head(5))
    with pytest.raises(TypeError, match="reasons_from"):
        models.decide(trees, book.head(5), cutoff=0.2)


# -- decide -------------------------------------------------------------------------------------
def test_decide_reasons_only_for_declined(card, book):
    apps = book.head(5_000)
    out = models.decide(card, apps, cutoff=0.2)
    assert list(out.columns) == [
        "pd",
        "score",
        "approved",
        "reason_1",
        "reason_2",
        "reason_3",
        "reason_4",
    ]
    assert out.index.equals(apps.index)
    reasons = out[["reason_1", "reason_2", "reason_3", "reason_4"]]
    assert reasons[out["approved"]].isna().all().all()
    assert reasons.loc[~out["approved"], "reason_1"].notna().all()
    assert (reasons.notna().sum(axis=1) <= 4).all()
    assert out["approved"].mean() == pytest.approx(
        metrics.approval_rate(card.predict_pd(apps), cutoff=0.2)
    )


def test_decide_with_points_cutoff_matches_pd_cutoff(card, book):
    apps = book.head(2_000)
    by_points = models.decide(card, apps, cutoff=620, higher_is_riskier=False)
    pd_cut = float(models.score_to_pd([620])[0])
    by_pd = models.decide(card, apps, cutoff=pd_cut)
    # identical except possibly an applicant exactly on the cutoff
    assert (by_points["approved"] != by_pd["approved"]).sum() <= 1


def test_decide_challenger_with_champion_reasons(card, book):
    loans = book[book["approved_policy"]]
    trees = models.Challenger(max_iter=30).fit(loans, loans["defaulted"])
    out = models.decide(trees, book.head(1_000), cutoff=0.2, reasons_from=card, max_reasons=2)
    assert list(out.columns[-2:]) == ["reason_1", "reason_2"]
    assert out.loc[~out["approved"], "reason_1"].notna().all()
    np.testing.assert_allclose(out["pd"], trees.predict_pd(book.head(1_000)))


def test_decide_rejects_bad_cutoff(card, book):
    with pytest.raises(ValueError, match=r"cutoff=620 is outside \[0, 1\]"):
        models.decide(card, book.head(5), cutoff=620)
