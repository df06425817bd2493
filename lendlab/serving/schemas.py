"""The service's request and response contract: pydantic v2 models in the world's column names.

:class:`Application` is the body of ``POST /v1/decisions``: one application as
:func:`lendlab.world.generate` has it, minus what only the world knows
(:data:`lendlab.world.schema.TRUTH_COLUMNS`) and the incumbent's decision (``approved_policy``).
Every field's description is its meaning in :data:`lendlab.world.schema.COLUMNS`, so
``/openapi.json`` documents the body field by field.

Validation is strict: unknown fields, missing fields, strings where numbers belong (no
coercion), NaN or Infinity (JSON has no NaN, but Python's and pydantic's parsers accept the
``NaN`` literal: ``allow_inf_nan=False`` refuses it), negative income, a FICO outside 300-850
and categories outside :data:`lendlab.world.schema.CATEGORIES` are errors. Only
``verified_income`` and ``emp_length_years`` may be ``null`` (the world has them missing).

Example
-------
>>> body = example_application()
>>> Application.model_validate_json(json.dumps(body)).fico
700
>>> from pydantic import ValidationError
>>> try:
...     Application.model_validate_json(json.dumps({**body, "fico": "700"}))
... except ValidationError as exc:
...     field_errors(exc)
[{'field': 'fico', 'reason': 'Input should be a valid integer', 'type': 'int_type'}]
"""

from __future__ import annotations

import json  # noqa: F401 - the module doctest uses it
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from lendlab.world.schema import CATEGORIES, COLUMNS, TRUTH_COLUMNS

__all__ = [
    "APPLICATION_FIELDS",
    "Application",
    "BatchItemResult",
    "BatchRequest",
    "BatchResponse",
    "DecisionResponse",
    "ErrorResponse",
    "FieldError",
    "example_application",
    "field_errors",
    "requests_from_frame",
]


def _f(name: str, **constraints: Any) -> Any:
    return Field(..., description=COLUMNS[name].meaning, **constraints)


class Application(BaseModel):
    """One credit application (world column names; see the module docstring)."""

    model_config = ConfigDict(
        strict=True, extra="forbid", allow_inf_nan=False, frozen=True, title="Application"
    )

    application_id: int = _f("application_id", ge=1, lt=2**63)
    applied_at: AwareDatetime = _f("applied_at")
    channel: Literal[CATEGORIES["channel"]] = _f("channel")
    region: Literal[CATEGORIES["region"]] = _f("region")
    segment: Literal[CATEGORIES["segment"]] = _f("segment")
    fico: int = _f("fico", ge=300, le=850)
    annual_income: float = _f("annual_income", gt=0, le=1e8)
    income_verification: Literal[CATEGORIES["income_verification"]] = _f("income_verification")
    verified_income: float | None = _f("verified_income", ge=0, le=1e8)
    dti: float = _f("dti", ge=0, le=1_000)
    loan_amount: float = _f("loan_amount", gt=0, le=1e7)
    term_months: Literal[36, 60] = _f("term_months")
    grade: Literal[CATEGORIES["grade"]] = _f("grade")
    interest_rate: float = _f("interest_rate", ge=0, le=100)
    inquiries_6m: int = _f("inquiries_6m", ge=0, le=1_000)
    revol_util: float = _f("revol_util", ge=0, le=1_000)
    emp_length_years: float | None = _f("emp_length_years", ge=0, le=10)
    delinq_2y: int = _f("delinq_2y", ge=0, le=1_000)
    open_accounts: int = _f("open_accounts", ge=0, le=10_000)
    home_ownership: Literal[CATEGORIES["home_ownership"]] = _f("home_ownership")
    protected_proxy: float = _f("protected_proxy", ge=0, le=1)


#: The request fields, in the world's column order.
APPLICATION_FIELDS: tuple[str, ...] = tuple(Application.model_fields)
assert set(APPLICATION_FIELDS) <= set(COLUMNS) and not set(APPLICATION_FIELDS) & set(TRUTH_COLUMNS)


class FieldError(BaseModel):
    """One reason a request was refused: the field (dotted path), why, and pydantic's type."""

    field: str
    reason: str
    type: str


class ErrorResponse(BaseModel):
    """Body of every 4xx/5xx answer. The raw input is never echoed back."""

    detail: str
    errors: list[FieldError] = []
    request_id: str


class DecisionResponse(BaseModel):
    """Body of a 200 answer to ``POST /v1/decisions``."""

    request_id: str = Field(description="id of the request that made this decision")
    application_id: int
    decision: Literal["approve", "review", "decline"]
    pd: float | None = Field(
        description="probability of default (null when the model was not used)"
    )
    score: int | None = Field(description="points, higher = safer (null without the model)")
    model_version: str = Field(
        description="who decided: a model version, 'rules-policy' or 'manual-review'"
    )
    model_sha256: str = Field(description="sha256 of the active model artifact")
    reasons: list[str] = Field(max_length=4, description="adverse-action reasons (declines)")
    fallback: Literal[False, "rules", "manual_review"] = Field(
        description="false, or the degraded mode used because a dependency failed"
    )
    failed_dependencies: list[str] = []
    timings: dict[str, float] = Field(description="milliseconds per stage")
    arm: str = Field("primary", description="arm that decided: primary, canary, blue, green")
    replay: bool = Field(False, description="true when this is the logged decision, replayed")


class BatchRequest(BaseModel):
    """Body of ``POST /v1/decisions/batch`` (documentation: the service validates each item
    on its own with :class:`Application`, so one bad item does not refuse the others)."""

    model_config = ConfigDict(extra="forbid", title="BatchRequest")

    applications: list[Application] = Field(
        min_length=1, description="1 to max_batch (default 500) applications"
    )


class BatchItemResult(BaseModel):
    """One item of a batch answer, in input order.

    ``status`` is what ``POST /v1/decisions`` would have answered for that application alone:
    200 with ``decision`` (``decision.replay`` true when it was already logged), 409 (the
    ``application_id`` was decided with another payload), 413 (item over ``max_body_bytes``)
    or 422 (invalid fields, one reason each in ``errors``); then ``decision`` is null.
    """

    application_id: int | None = Field(description="the item's id (null when unreadable)")
    status: Literal[200, 409, 413, 422]
    decision: DecisionResponse | None = None
    detail: str | None = None
    errors: list[FieldError] = []


class BatchResponse(BaseModel):
    """Body of a 200 answer to ``POST /v1/decisions/batch``: every row is committed."""

    request_id: str = Field(description="id of the batch; item i's decision has <id>-<i>")
    results: list[BatchItemResult]


_SAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def _safe_part(part: Any) -> str:
    text = str(part)
    return _SAFE.sub("?", text)[:64]


def field_errors(exc: ValidationError | Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """pydantic errors as ``[{"field", "reason", "type"}]``, never echoing the input.

    Takes a :class:`pydantic.ValidationError` or the list of error dicts of one (FastAPI's
    ``RequestValidationError.errors()``, whose ``input`` and ``ctx`` are dropped here).

    Field names outside ``[A-Za-z0-9_.-]`` (an unknown key can be anything) have those
    characters replaced by ``?`` and are cut at 64 characters; pydantic's messages describe
    the expectation ("Input should be ...") and its ``input`` is dropped.

    Examples
    --------
    >>> try:
    ...     Application.model_validate_json('{"<script>": NaN}')
    ... except ValidationError as exc:
    ...     errors = field_errors(exc)
    >>> errors[-1]
    {'field': '?script?', 'reason': 'Extra inputs are not permitted', 'type': 'extra_forbidden'}
    """
    errors = (
        exc.errors(include_url=False, include_input=False, include_context=False)
        if isinstance(exc, ValidationError)
        else exc
    )
    out = []
    for err in errors:
        loc = [p for p in err.get("loc", ()) if p != "body"]  # FastAPI prefixes "body"
        field = ".".join(_safe_part(p) for p in loc) or "(body)"
        out.append({"field": field, "reason": str(err["msg"])[:200], "type": str(err["type"])})
    return out


def example_application(application_id: int = 1) -> dict[str, Any]:
    """A valid request body (a prime applicant), for docs and tests.

    Examples
    --------
    >>> sorted(example_application()) == sorted(APPLICATION_FIELDS)
    True
    """
    return {
        "application_id": application_id,
        "applied_at": datetime(2025, 3, 1, 12, 0).isoformat() + "Z",
        "channel": "web",
        "region": "south",
        "segment": "prime",
        "fico": 700,
        "annual_income": 72_000.0,
        "income_verification": "verified",
        "verified_income": 70_000.0,
        "dti": 18.5,
        "loan_amount": 12_000.0,
        "term_months": 36,
        "grade": "B",
        "interest_rate": 10.5,
        "inquiries_6m": 1,
        "revol_util": 35.0,
        "emp_length_years": 6.0,
        "delinq_2y": 0,
        "open_accounts": 9,
        "home_ownership": "mortgage",
        "protected_proxy": 0.2,
    }


def requests_from_frame(frame: Any) -> list[dict[str, Any]]:
    """Request bodies for ``POST /v1/decisions`` from world applications (one per row).

    Keeps :data:`APPLICATION_FIELDS` (truth columns and the incumbent's decision are
    dropped), turns NaN into ``null``, timestamps into ISO 8601 and numpy scalars into
    Python numbers.

    Parameters
    ----------
    frame : pandas.DataFrame
        E.g. :func:`lendlab.world.generate`.

    Examples
    --------
    >>> from lendlab import world
    >>> body = requests_from_frame(world.generate(3, seed=1))[0]
    >>> body["application_id"], body["applied_at"], "pd_true" in body
    (1, '2025-04-19T07:42:46+00:00', False)
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in APPLICATION_FIELDS if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks request field(s) {missing}; pass world.generate(...)")
    out = []
    columns = {c: frame[c].tolist() for c in APPLICATION_FIELDS}
    for i in range(len(frame)):
        body: dict[str, Any] = {}
        for c in APPLICATION_FIELDS:
            v = columns[c][i]
            if c == "applied_at":
                v = pd.Timestamp(v).isoformat()
            elif isinstance(v, float) and v != v:
                v = None
            body[c] = v
        out.append(body)
    return out
