"""Reference datasets: a small applications file, its data card and a sha256 manifest.

``lendlab data --out DIR`` calls :func:`build`; ``lendlab data --check DIR`` calls :func:`verify`,
which regenerates everything in memory and compares bytes, so a learner (and CI) can prove the
committed files come from the code at this commit.

Example
-------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> [p.name for p in build(out, n=2_000, card_rows=20_000)]
['applications.csv', 'DATA_CARD.md', 'MANIFEST.sha256']
>>> verify(out, n=2_000, card_rows=20_000)
[]
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from lendlab import world
from lendlab.world.delinquency import dpd_as_of

__all__ = ["REFERENCE", "build", "verify", "render", "anchor_table"]

#: What the committed reference files are made from.
REFERENCE = {"seed": 0, "n": 30_000, "start": "2024-01-01", "days": 730, "card_rows": 1_000_000}

_MANIFEST = "MANIFEST.sha256"


def _delinquency_rows(approved: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Early-delinquency figures of the approved book, each beside the charge-off rate.

    Their anchors are the assumptions of :mod:`lendlab.world.delinquency` ([A]/[D]): no public
    figure for a LendingClub-like book was found.
    """
    if "months_to_dpd30" not in approved.columns:  # a frame made before the delinquency paths
        return []
    co = approved["defaulted"].mean()
    first = {d: approved[f"months_to_dpd{d}"] for d in (30, 60, 90)}
    fpd = (first[30] == 1).mean()
    at3 = (dpd_as_of(approved, 3).codes >= 1).mean()
    ever60_by6 = (first[60] <= 6).mean()
    co_by12 = (approved["months_to_default"] <= 12).mean()

    def beside(x: float) -> str:
        return f"{100 * x:.1f}% ({x / co:.2f}x the {100 * co:.1f}% charge-off)"

    return [
        (
            "first-payment default: 30+ DPD at month 1 (approved)",
            "~3-5% [D/A]: the ~14% of bads charged off at month 5 never paid",
            beside(fpd),
        ),
        ("30+ DPD at 3 months on book (approved)", "~5-8% [A]", beside(at3)),
        (
            "ever 60+ DPD by month 6 (approved)",
            "about the charge-offs by month 12 [A]",
            beside(ever60_by6) + f"; {100 * co_by12:.1f}% charged off by 12",
        ),
        (
            "ever 30+ / 60+ / 90+ DPD over the life of the loan, x charge-off",
            "~1.9 / 1.2 / 1.05x [A]",
            " / ".join(f"{first[d].notna().mean() / co:.2f}" for d in (30, 60, 90)) + "x",
        ),
    ]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def anchor_table(book: pd.DataFrame) -> pd.DataFrame:
    """Measured figures of a generated book beside the research anchors.

    Examples
    --------
    >>> table = anchor_table(world.generate(50_000, seed=1))
    >>> list(table.columns)
    ['figure', 'anchor', 'measured']
    """
    approved = book.loc[book["approved_policy"]]
    bad = approved["defaulted"]
    by_grade = approved.groupby("grade", observed=True)["defaulted"].mean()
    by_term = approved.groupby("term_months")["defaulted"].mean()
    bads = approved.loc[bad == 1, "months_to_default"]
    declined = book.loc[~book["approved_policy"]]
    mix = approved["grade"].value_counts(normalize=True).sort_index()
    protected = book["protected_group"] == "protected"
    air = (
        book.loc[protected, "approved_policy"].mean()
        / book.loc[~protected, "approved_policy"].mean()
    )

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    rows = [
        ("lifetime bad rate, policy-approved loans", "~20%", pct(bad.mean())),
        (
            "bad rate by grade A..G (approved)",
            "6 / 13 / 22 / 30 / 38 / 45 / 50%",
            " / ".join(f"{100 * by_grade.get(g, np.nan):.0f}" for g in "ABCDEFG") + "%",
        ),
        (
            "grade mix A..G (approved)",
            "17.5 / 29.2 / 28.4 / 14.9 / 7.0 / 2.4 / 0.7%",
            " / ".join(f"{100 * mix.get(g, 0):.1f}" for g in "ABCDEFG") + "%",
        ),
        ("60-month vs 36-month bad rate", "~2x", f"{by_term.get(60) / by_term.get(36):.2f}x"),
        ("share of 60-month loans", "24%", pct((book["term_months"] == 60).mean())),
        ("eventual bads visible at 12 months on book", "~40%", pct((bads <= 12).mean())),
        ("eventual bads visible at 5 months on book", "~14% (2.5/17.3)", pct((bads <= 5).mean())),
        *_delinquency_rows(approved),
        (
            "score, all applicants: mean / sd",
            "640 / 60",
            f"{book['fico'].mean():.0f} / {book['fico'].std():.0f}",
        ),
        (
            "score, approved: mean / median / p1 / p99",
            "696 / 690 / 660 / 800",
            f"{approved['fico'].mean():.0f} / {approved['fico'].median():.0f} / "
            f"{approved['fico'].quantile(0.01):.0f} / {approved['fico'].quantile(0.99):.0f}",
        ),
        ("score, declined: mean", "~633", f"{declined['fico'].mean():.0f}"),
        (
            "annual income: median / p1 / p99",
            "$65K / $18K / $250K",
            f"${book['annual_income'].median() / 1e3:.0f}K / "
            f"${book['annual_income'].quantile(0.01) / 1e3:.0f}K / "
            f"${book['annual_income'].quantile(0.99) / 1e3:.0f}K",
        ),
        (
            "DTI: mean / p99",
            "~18 / ~38",
            f"{book['dti'].mean():.1f} / {book['dti'].quantile(0.99):.1f}",
        ),
        ("DTI, declined: mean", "~27", f"{declined['dti'].mean():.1f}"),
        ("loan amount: median", "~$12K", f"${book['loan_amount'].median() / 1e3:.1f}K"),
        ("interest rate, approved: mean", "~13%", f"{approved['interest_rate'].mean():.1f}%"),
        (
            "employment length: mean / unknown",
            "6 / ~6%",
            f"{book['emp_length_years'].mean():.1f} / "
            f"{pct(book['emp_length_years'].isna().mean())}",
        ),
        ("inquiries 6m: mean", "0.66", f"{book['inquiries_6m'].mean():.2f}"),
        ("delinquencies 2y: mean", "0.32", f"{book['delinq_2y'].mean():.2f}"),
        ("open accounts: mean", "~11.6", f"{book['open_accounts'].mean():.1f}"),
        ("revolving utilisation: mean", "~52%", f"{book['revol_util'].mean():.1f}%"),
        (
            "home ownership: mortgage / rent / own",
            "49 / 40 / 11%",
            " / ".join(
                f"{100 * book['home_ownership'].value_counts(normalize=True)[k]:.0f}"
                for k in world.CATEGORIES["home_ownership"]
            )
            + "%",
        ),
        (
            "policy approval rate (all applicants)",
            "n/a (LendingClub ~10%)",
            pct(book["approved_policy"].mean()),
        ),
        (
            "AUC of pd_true on approved loans (ceiling for any model)",
            "> model AUC ~0.69-0.72",
            f"{roc_auc_score(bad, approved['pd_true']):.3f}",
        ),
        (
            "adverse impact ratio of the rules policy (protected / reference)",
            "flag below 0.80",
            f"{air:.3f}",
        ),
    ]
    return pd.DataFrame(rows, columns=["figure", "anchor", "measured"])


def render(*, n: int = REFERENCE["n"], card_rows: int = REFERENCE["card_rows"]) -> dict[str, bytes]:
    """Produce the reference files in memory: name -> bytes (manifest last)."""
    ref = REFERENCE
    sample = world.generate(n, seed=ref["seed"], start=ref["start"], days=ref["days"])
    buf = io.StringIO()
    sample.to_csv(buf, index=False, lineterminator="\n", date_format="%Y-%m-%dT%H:%M:%SZ")
    csv_bytes = buf.getvalue().encode()

    big = world.generate(card_rows, seed=ref["seed"], start=ref["start"], days=ref["days"])
    card = _card(big, sample, n=n, card_rows=card_rows)
    files = {"applications.csv": csv_bytes, "DATA_CARD.md": card.encode()}
    manifest = "".join(f"{_sha256(data)}  {name}\n" for name, data in files.items())
    files[_MANIFEST] = manifest.encode()
    return files


def _markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += [
        "| " + " | ".join(str(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def _card(big: pd.DataFrame, sample: pd.DataFrame, *, n: int, card_rows: int) -> str:
    ref = REFERENCE
    columns = pd.DataFrame(
        {
            "column": sample.columns,
            "dtype": [str(t) for t in sample.dtypes],
            "meaning": [world.COLUMNS[c].meaning for c in sample.columns],
        }
    )
    pd_terms = "\n".join(f"| `{k}` | {v} |" for k, v in world.PD_MODEL.items())
    return f"""# Data card: the lendlab synthetic lending world

Generated by `lendlab data --out datasets` (code: `lendlab/world.py`, `lendlab/datasets.py`).
Do not edit by hand: `lendlab data --check datasets` regenerates every file and compares bytes.

## What it is

Synthetic applications to an unsecured personal-loan platform shaped like LendingClub 2007-2018.
Every applicant has a true lifetime probability of default (`pd_true`), a lifetime outcome
(`defaulted`) and, if it defaults, the month on book of the default (`months_to_default`). The
lender never sees the truth: `lendlab.world.observed(book, as_of)` keeps booked (approved) loans
and only the defaults that have happened by `as_of`. Before charge-off a bad loan goes 30, 60
and 90 days past due (`months_to_dpd30/60/90`, truth), and some good loans slip and cure
(`months_to_cure`): the view shows each loan's `dpd_status` and `ever_dpd30_so_far` (60, 90)
at its months on book, the early-warning labels a lender has months before charge-offs.

No real person is in it. The protected group is synthetic and exists only so that fair-lending
exercises (adverse impact ratio, proxy-weighted AIR) have something to measure.

## Files

- `applications.csv`: {n:,} applications,
  `generate(n={n}, seed={ref["seed"]}, start="{ref["start"]}", days={ref["days"]})`,
  ISO-8601 UTC timestamps.
- `DATA_CARD.md`: this card. Its figures are measured on {card_rows:,} applications with the same
  seed and window.
- `MANIFEST.sha256`: sha256 of both files (`sha256sum -c MANIFEST.sha256`).

## Figures: the world beside the research anchors

Anchors come from `shared/research/lending-world.md` (LendingClub 2007-2018, the Federal Reserve's
2007 report on credit scoring, LendingClub's published credit policy).

{_markdown(anchor_table(big))}

Known departures, on purpose:

- Declined applicants average a lower score and a lower DTI than the anchors (~633, ~27): the
  world declines only by the three policy rules, where a real lender also declines on fraud,
  identity and affordability checks. The approved book is what the anchors describe.
- Grade is a noisy view of the risk visible in the application, cut to LendingClub's grade mix.
  Above the 90th percentile of the approved book's visible risk that view flattens to a quarter
  of its slope (a scorecard's extreme bins are open-ended): without it the 0.7% of G loans sit
  in the tail where payment shock and thin files pile up and ~68% of them go bad (anchor ~50%).
  A runs ~1 point and D/E ~2-3 points above the anchors.
- The early-delinquency anchors are the world's own assumptions (`lendlab.world.delinquency`):
  first-payment default is high (~4-5%) because the seasoning curve charges ~14% of all bads off
  in month 5, and those loans never made a payment.
- 60-month loans get an extra +0.40 in the logit (`extra_term_60`) because the research formula
  alone gives them only ~1.5x the 36-month bad rate, not the published ~2x.
- The research formula is purely additive, so a scorecard already reaches its ceiling and no
  challenger can beat it. The world adds non-additive risk (payment shock for scores under 700,
  credit hunger, thin files with new jobs, stretched borrowers) and risk in data the champion
  does not use (channel, verified income well below stated). The scorecard lands at holdout AUC
  ~0.70-0.71 and the gradient-boosted challenger ~0.006-0.009 higher (`benchmarks/bench_models.py`).

## How the truth is made

logit(PD) = the research starting point plus the `extra_` terms, then an unobserved frailty:

    intercept - 0.016*(fico-700) + 0.030*(dti-18) + (0.50 + 0.40)*[60 months]
    + 0.10*inquiries_6m + 0.05*(revol_util-50)/10 + 1.0*(loan/income - 0.2)
    - 0.02*(emp_years-6) + 0.10*delinq_2y - 0.25*[returning] + 0.15*[employment unknown]
    + 6.0*clip(payment_to_income - 0.08, 0, 0.12)*[fico < 700]
    + 0.3*inquiries_6m*[revol_util > 70] + 0.5*[fico < 690 and dti > 25]
    + 0.6*[open_accounts <= 4 and employed < 2 years]
    + 0.35*[broker] + 0.15*[partner_api] + 0.6*[verified income < 85% of stated]
    + frailty_sd * N(0, 1)

| term | coefficient |
|---|---|
{pd_terms}

The frailty is a standard normal no model can see, so even a perfect model of the application
stays well short of AUC 1 (its ceiling is in the table above). Payment-to-income uses an APR
that falls with the score (30% at 600 to 6% at 900, clipped). Bureau and income attributes
share a Gaussian copula with the research correlations (score-utilisation -0.45,
score-inquiries -0.30, income-loan +0.45, score-income +0.15, DTI-income -0.15,
DTI-utilisation +0.20). The month of default follows the LendingClub seasoning curve (2.5% at
month 5, 7.3% at 12, 13.4% at 24, 16.5% at 36, 17.3% at 60; first charge-off at month 5), cut
at month 36 for 36-month loans. Daily volume has a weekday pattern (Monday busiest, Sunday ~30%
lower), a tax-season lift (February-April) and a December dip, on a 10%-a-year growth trend.
The pricing grade is cut from the visible risk plus noise (never the frailty), the visible risk
flattened above the approved book's 90th percentile.

Delinquency (`lendlab.world.delinquency`): a loan charged off in month C went 30 days past due
in C-4, 60 in C-3, 90 in C-2 (charge-off at ~120 days past due plus ~30 days), so a month-5
charge-off is a first-payment default. A quarter of charged-off loans had an earlier
delinquency that cured; a loan that never charges off has one with probability
min(1.4 * pd_true, 0.9). A cured delinquency deepens a bucket a month, reaching 30 / 60 / 90 days
(75 / 20 / 5%) before the borrower catches up, and starts on the seasoning curve moved four
months earlier (its month-5 spike spread over months 1-8: never-payers do not cure).

## Columns

{_markdown(columns)}
"""


def build(
    out_dir: str | Path,
    *,
    n: int = REFERENCE["n"],
    card_rows: int = REFERENCE["card_rows"],
) -> list[Path]:
    """Write the reference files to ``out_dir`` and return their paths.

    Examples
    --------
    >>> import tempfile
    >>> paths = build(tempfile.mkdtemp(), n=1_000, card_rows=10_000)
    >>> paths[-1].name
    'MANIFEST.sha256'
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in render(n=n, card_rows=card_rows).items():
        path = out / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def verify(
    directory: str | Path,
    *,
    n: int = REFERENCE["n"],
    card_rows: int = REFERENCE["card_rows"],
) -> list[str]:
    """Regenerate the reference files and list every difference from ``directory`` (empty = ok).

    Examples
    --------
    >>> verify("/nonexistent")[0].startswith("missing")
    True
    """
    folder = Path(directory)
    problems = []
    for name, data in render(n=n, card_rows=card_rows).items():
        path = folder / name
        if not path.exists():
            problems.append(f"missing {path}: run `lendlab data --out {folder}`")
        elif _sha256(path.read_bytes()) != _sha256(data):
            problems.append(
                f"{path} differs from a fresh build (sha256 {_sha256(path.read_bytes())[:12]} "
                f"vs {_sha256(data)[:12]}): run `lendlab data --out {folder}` and commit"
            )
    return problems
