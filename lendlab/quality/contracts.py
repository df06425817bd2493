"""Declarative data contracts and a validator that lists every violation.

A :class:`Contract` says what a table must look like: per-column dtype, range, allowed categories,
null budget and "spike" budget (share of the single most common value), plus table rules: unique
keys, expected row count, freshness against an ``as_of`` time, maximum lag between two timestamp
columns, and join coverage into another table. :func:`validate` returns one row per broken rule
(``column, rule, observed, expected, rows_affected``) and an empty frame when the table is clean.

Why not pandera? pandera (installed) checks dtypes, ranges and categories well, but freshness, row
count and join coverage would be custom dataframe checks that only say pass/fail, and its lazy
``SchemaErrors.failure_cases`` lists one row per failing *value*, which has to be reshaped into one
row per rule with a count. The rules here are a few lines each, so a learner can read exactly what
"null budget" or "coverage" means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "Column",
    "Freshness",
    "Lag",
    "Coverage",
    "Contract",
    "validate",
    "VIOLATION_COLUMNS",
    "DTYPES",
]

VIOLATION_COLUMNS = ["column", "rule", "observed", "expected", "rows_affected"]

# dtype names a contract may use -> the pandas predicate that accepts them.
DTYPES = {
    "int": lambda s: pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s),
    "float": pd.api.types.is_float_dtype,
    "numeric": lambda s: pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s),
    "bool": pd.api.types.is_bool_dtype,
    "category": lambda s: isinstance(s.dtype, pd.CategoricalDtype),
    "str": lambda s: (
        pd.api.types.is_string_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
    ),
    "datetime": pd.api.types.is_datetime64_any_dtype,
}


def _timedelta(value: Any, what: str) -> pd.Timedelta:
    if isinstance(value, bool | int | float | np.integer | np.floating):
        raise TypeError(
            f"{what}={value!r} is a bare number; a duration needs a unit, e.g. '2D' or '6h'"
        )
    if not isinstance(value, str | timedelta | np.timedelta64 | pd.Timedelta):
        raise TypeError(
            f"{what}={value!r} is not a duration; use a pandas offset string such as '2D' or '6h'"
        )
    try:
        out = pd.Timedelta(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{what}={value!r} is not a duration; use a pandas offset string such as '2D' or '6h'"
        ) from exc
    if pd.isna(out) or out < pd.Timedelta(0):
        raise ValueError(f"{what}={value!r} must be a non-negative duration such as '2D'")
    return out


def _share(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{what}={value!r} must be a share between 0 and 1 (e.g. 0.05 for 5%)")
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"{what}={value!r} must be a share between 0 and 1 (e.g. 0.05 for 5%)")
    return float(value)


def _flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{what}={value!r} must be True or False (YAML: true / false)")
    return bool(value)


def _column_name(value: Any, what: str, example: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}={value!r} must be a column name (a string), e.g. {example}")
    if not value.strip():
        raise ValueError(f"{what}={value!r} must be a non-empty column name, e.g. {example}")
    return value


def _bound(value: Any, what: str) -> Any:
    """Check a min/max: a number or a timestamp (kept as given, so to_dict round-trips)."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        raise TypeError(f"{what}={value!r} must be a number or a timestamp, not a bool")
    if isinstance(value, int | float | np.integer | np.floating):
        if np.isnan(value):
            raise ValueError(f"{what}=nan is not a bound; leave it out (None) for an open end")
        return value
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            pass
        else:
            raise TypeError(
                f"{what}={value!r} is text; write the number {value} without quotes "
                "(YAML reads quoted numbers as text)"
            )
    if isinstance(value, str | datetime | date | np.datetime64):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"{what}={value!r} is neither a number nor a timestamp such as '2025-06-01'"
            ) from exc
        if pd.isna(stamp):
            raise ValueError(f"{what}={value!r} is not a timestamp; write e.g. '2025-06-01'")
        return value
    raise TypeError(
        f"{what}={value!r} must be a number or a timestamp such as '2025-06-01', "
        f"got {type(value).__name__}"
    )


def _is_time_bound(value: Any) -> bool:
    return isinstance(value, str | datetime | date | np.datetime64)


def _as_naive(value: Any) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_convert(None) if stamp.tz is not None else stamp


def _listish(value: Any) -> bool:
    """A list-like of rules: list, tuple or set (not a string, mapping or single object)."""
    return isinstance(value, list | tuple | set | frozenset)


@dataclass(frozen=True)
class Column:
    """Rules for one column.

    Parameters
    ----------
    dtype : {"int", "float", "numeric", "bool", "category", "str", "datetime"}, optional
        Expected kind of values (pandas 3 text is ``str``; a categorical is ``category``).
    min, max : float, optional
        Inclusive range for non-null values (numbers, or timestamps for datetime columns).
    allowed : sequence, optional
        The only values allowed (non-null).
    max_null : float, default 0.0
        Null budget: the largest share of nulls tolerated. ``1.0`` switches the check off.
    max_mode_share : float, optional
        Spike budget: the largest share of rows that may hold the single most common value.
        Catches default fills (a bureau timeout written as score 300) and median imputation.
    required : bool, default True
        A missing column is a ``present`` violation; ``False`` skips every rule when absent.

    Examples
    --------
    >>> Column(dtype="int", min=300, max=850).max_null
    0.0
    """

    dtype: str | None = None
    min: Any = None
    max: Any = None
    allowed: tuple | None = None
    max_null: float = 0.0
    max_mode_share: float | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if self.dtype is not None:
            if not isinstance(self.dtype, str):
                raise TypeError(
                    f"Column dtype={self.dtype!r} must be one of the names {sorted(DTYPES)} "
                    "(a string, e.g. dtype='int')"
                )
            if self.dtype not in DTYPES:
                raise ValueError(
                    f"Column dtype={self.dtype!r} is unknown; use one of {sorted(DTYPES)}"
                )
        _share(self.max_null, "Column max_null")
        if self.max_mode_share is not None:
            _share(self.max_mode_share, "Column max_mode_share")
        _flag(self.required, "Column required")
        if self.allowed is not None:
            if isinstance(self.allowed, str) or not isinstance(self.allowed, Sequence | set):
                raise TypeError(
                    f"Column allowed={self.allowed!r} must be a list of values, "
                    "e.g. ['web', 'mobile']"
                )
            object.__setattr__(self, "allowed", tuple(self.allowed))
        lo, hi = _bound(self.min, "Column min"), _bound(self.max, "Column max")
        if lo is not None and hi is not None:
            if _is_time_bound(lo) != _is_time_bound(hi):
                raise ValueError(
                    f"Column min={lo!r} and max={hi!r} mix a number and a timestamp; "
                    "use two numbers or two timestamps"
                )
            pair = (_as_naive(lo), _as_naive(hi)) if _is_time_bound(lo) else (lo, hi)
            if pair[0] > pair[1]:
                raise ValueError(f"Column min={lo!r} is above max={hi!r}; swap them")


@dataclass(frozen=True)
class Freshness:
    """How old the newest (or oldest) timestamp may be at ``as_of``.

    ``which="newest"``: the feed must have delivered something within ``max_age`` (a stalled feed).
    ``which="oldest"``: no row may be older than ``max_age`` (a stale snapshot or a bad backfill).

    Examples
    --------
    >>> Freshness("applied_at", max_age="2D").which
    'newest'
    """

    column: str
    max_age: Any
    which: str = "newest"

    def __post_init__(self) -> None:
        _column_name(self.column, "Freshness column", "Freshness('applied_at', max_age='2D')")
        object.__setattr__(self, "max_age", _timedelta(self.max_age, "Freshness max_age"))
        if not isinstance(self.which, str) or self.which not in ("newest", "oldest"):
            raise ValueError(f"Freshness which={self.which!r}; use 'newest' or 'oldest'")


@dataclass(frozen=True)
class Lag:
    """Maximum lag ``later - earlier`` between two timestamp columns of the same row.

    Example: a bureau pull used for a decision must be taken within a day of the application
    (``Lag("bureau_pulled_at", "applied_at", max_lag="1D")``). ``max_share`` is the share of rows
    allowed to break the rule (0 by default).

    Examples
    --------
    >>> Lag("applied_at", "verified_at", max_lag="30D").max_lag
    Timedelta('30 days 00:00:00')
    """

    earlier: str
    later: str
    max_lag: Any
    max_share: float = 0.0

    def __post_init__(self) -> None:
        example = "Lag('bureau_pulled_at', 'applied_at', max_lag='1D')"
        _column_name(self.earlier, "Lag earlier", example)
        _column_name(self.later, "Lag later", example)
        object.__setattr__(self, "max_lag", _timedelta(self.max_lag, "Lag max_lag"))
        _share(self.max_share, "Lag max_share")


@dataclass(frozen=True)
class Coverage:
    """Share of this table's ``key`` values that must be found in the table named ``right``.

    Examples
    --------
    >>> Coverage("application_id", right="bureau_pulls", min_share=0.99).min_share
    0.99
    """

    key: str
    right: str
    min_share: float = 1.0
    right_key: str | None = None

    def __post_init__(self) -> None:
        example = "Coverage('application_id', right='bureau_pulls')"
        _column_name(self.key, "Coverage key", example)
        if not isinstance(self.right, str) or not self.right.strip():
            raise TypeError(
                f"Coverage right={self.right!r} must name the other table (a string), "
                f"e.g. {example}; pass that table to validate(join={{name: frame}})"
            )
        if self.right_key is not None:
            _column_name(self.right_key, "Coverage right_key", "right_key='app_id'")
        _share(self.min_share, "Coverage min_share")


_TIME_RULES = {"column": Freshness, "earlier": Lag}


@dataclass(frozen=True)
class Contract:
    """What a table must look like.

    Parameters
    ----------
    name : str
        Table name, used in messages.
    columns : mapping of str to Column
        Per-column rules (plain dicts are converted to :class:`Column`).
    unique : sequence of str or of tuples of str
        Keys that must not repeat; a tuple is a compound key.
    row_count : (min, max), optional
        Inclusive bounds on the number of rows; ``None`` leaves the top open. An empty table is
        a violation unless the lower bound is explicitly 0.
    freshness : Freshness, Lag or a sequence of them
    joins : Coverage or a sequence of them
    strict : bool, default False
        If True, columns not named in ``columns`` are ``unexpected`` violations (a renamed field).

    Examples
    --------
    >>> c = Contract.from_dict({"name": "apps", "columns": {"fico": {"dtype": "int", "min": 300}},
    ...                         "unique": ["application_id"], "row_count": [1, None]})
    >>> c.columns["fico"].min
    300
    """

    name: str
    columns: Mapping[str, Column] = field(default_factory=dict)
    unique: Sequence[str | tuple[str, ...]] = ()
    row_count: tuple[int | None, int | None] | None = None
    freshness: Freshness | Lag | Sequence[Freshness | Lag] = ()
    joins: Coverage | Sequence[Coverage] = ()
    strict: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"Contract name={self.name!r} must be a string, e.g. 'applications'")
        if not self.name.strip():
            raise ValueError(f"Contract name={self.name!r} must be a non-empty string")
        object.__setattr__(self, "columns", _columns(self.columns))
        object.__setattr__(self, "unique", _unique(self.unique))
        object.__setattr__(self, "row_count", _row_count(self.row_count))
        object.__setattr__(self, "freshness", _rules(self.freshness, "freshness"))
        object.__setattr__(self, "joins", _rules(self.joins, "joins"))
        _flag(self.strict, "Contract strict")

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Contract:
        """Build a contract from plain dicts and lists (e.g. the result of ``yaml.safe_load``).

        Time rules in ``freshness`` are a :class:`Freshness` when they have ``column`` and a
        :class:`Lag` when they have ``earlier``/``later``. A key left empty in YAML
        (``joins:``) means none; a column left empty (``fico:``) gets the default rules
        (present, no nulls).

        Examples
        --------
        >>> spec = {"name": "bureau_pulls",
        ...         "columns": {"fico": {"dtype": "int", "min": 300, "max": 850, "max_null": 0.05}},
        ...         "freshness": [{"column": "pulled_at", "max_age": "1D"}],
        ...         "joins": [{"key": "application_id", "right": "applications"}]}
        >>> Contract.from_dict(spec).freshness[0].max_age
        Timedelta('1 days 00:00:00')
        """
        if not isinstance(spec, Mapping):
            raise TypeError(
                f"contract spec must be a dict such as {{'name': 'applications', 'columns': ...}}, "
                f"got {type(spec).__name__}"
            )
        known = {f.name for f in fields(cls)}
        extra = set(spec) - known
        if extra:
            shown = sorted(map(str, extra))
            raise ValueError(f"contract spec has unknown keys {shown}; use {sorted(known)}")
        if "name" not in spec:
            raise ValueError("contract spec needs a 'name' key, e.g. {'name': 'applications', ...}")
        kwargs = {k: v for k, v in spec.items() if not (v is None and k in _EMPTY_MEANS_NONE)}
        return cls(**kwargs)

    @classmethod
    def from_yaml(cls, text: str) -> Contract:
        """Build a contract from YAML text (needs PyYAML, shipped with Jupyter).

        Examples
        --------
        >>> c = Contract.from_yaml("name: t\\ncolumns:\\n  x: {dtype: int, max_null: 0.1}")
        >>> c.columns["x"].max_null
        0.1
        """
        if not isinstance(text, str):
            raise TypeError(
                f"Contract.from_yaml takes YAML text (a str), got {type(text).__name__}; "
                "for a file use Contract.from_yaml(Path(path).read_text())"
            )
        try:
            import yaml
        except ImportError as exc:  # pragma: no cover - yaml ships with jupyter
            raise ImportError("Contract.from_yaml needs PyYAML: pip install pyyaml") from exc
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise ValueError(
                f"contract YAML does not parse{at}: {problem}; check the indentation and quotes"
            ) from exc
        if spec is None:
            raise ValueError("contract YAML is empty; it needs at least 'name: <table>'")
        return cls.from_dict(spec)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (round-trips through :meth:`from_dict`).

        Examples
        --------
        >>> Contract("t", {"x": Column(dtype="int")}).to_dict()["columns"]["x"]["dtype"]
        'int'
        """

        def clean(rule: Any) -> dict[str, Any]:
            d = asdict(rule)
            return {k: (str(v) if isinstance(v, pd.Timedelta) else v) for k, v in d.items()}

        return {
            "name": self.name,
            "columns": {k: clean(v) for k, v in self.columns.items()},
            "unique": [k if isinstance(k, str) else list(k) for k in self.unique],
            "row_count": None if self.row_count is None else list(self.row_count),
            "freshness": [clean(r) for r in self.freshness],
            "joins": [clean(j) for j in self.joins],
            "strict": self.strict,
        }


def _checked(item: Any, kind: type, what: str) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise TypeError(f"{what} must be a dict, got {item!r}")
    known = {f.name for f in fields(kind)}
    extra = set(item) - known
    if extra:
        raise ValueError(
            f"{what} has unknown keys {sorted(extra)}; {kind.__name__} takes {sorted(known)}"
        )
    return dict(item)


_EMPTY_MEANS_NONE = ("columns", "unique", "row_count", "freshness", "joins")


def _columns(columns: Any) -> dict[str, Column]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        hint = ""
        if _listish(columns) and all(isinstance(c, str) for c in columns):
            as_map = ", ".join(f"{c!r}: {{}}" for c in columns)
            hint = f"; to require them with default rules: {{{as_map}}}"
        raise TypeError(
            f"Contract columns must map column name -> Column (or a dict of its rules), "
            f"got {type(columns).__name__} {columns!r}{hint}"
        )
    out = {}
    for name, rule in columns.items():
        if not isinstance(name, str) or not name:
            raise TypeError(
                f"Contract column name {name!r} must be a non-empty string (in YAML, quote "
                f"names that look like numbers: '{name}':)"
            )
        if rule is None:
            rule = Column()
        elif isinstance(rule, Mapping):
            rule = Column(**_checked(rule, Column, f"column {name!r}"))
        elif not isinstance(rule, Column):
            raise TypeError(
                f"Contract column {name!r} rule must be a Column or a dict, got {rule!r}; "
                "e.g. Column(dtype='int', min=300) or {'dtype': 'int', 'min': 300}"
            )
        out[name] = rule
    return out


def _unique(unique: Any) -> tuple[str | tuple[str, ...], ...]:
    example = "unique=['application_id'] or, for a compound key, [('application_id', 'pulled_at')]"
    if unique is None:
        return ()
    if isinstance(unique, str):
        unique = [unique]
    if not _listish(unique):
        raise TypeError(f"Contract unique={unique!r} must be a list of keys: {example}")
    keys: list[str | tuple[str, ...]] = []
    for key in unique:
        if isinstance(key, str) and key:
            keys.append(key)
        elif _listish(key) and key and all(isinstance(c, str) and c for c in key):
            keys.append(tuple(key))
        else:
            raise TypeError(
                f"Contract unique key {key!r} must be a column name or a list of them: {example}"
            )
    return tuple(keys)


def _row_count(row_count: Any) -> tuple[int | None, int | None] | None:
    example = "row_count=(100, None) or, in YAML, row_count: {min: 100, max: 5000}"
    if row_count is None:
        return None
    if isinstance(row_count, Mapping):
        extra = set(row_count) - {"min", "max"}
        if extra:
            raise ValueError(
                f"Contract row_count has unknown keys {sorted(map(str, extra))}; use min and max"
            )
        row_count = (row_count.get("min"), row_count.get("max"))
    if not isinstance(row_count, list | tuple):
        raise TypeError(f"Contract row_count={row_count!r} must be (min, max): {example}")
    if len(row_count) != 2:
        raise ValueError(f"Contract row_count={row_count!r} must be (min, max): {example}")
    for bound in row_count:
        if bound is None:
            continue
        if isinstance(bound, bool) or not isinstance(bound, int | np.integer):
            raise TypeError(
                f"Contract row_count={row_count!r}: bounds must be whole numbers or None, "
                f"got {bound!r}"
            )
        if bound < 0:
            raise ValueError(f"Contract row_count={row_count!r}: bounds cannot be negative")
    lo, hi = row_count
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"Contract row_count={row_count!r}: min is above max; swap them")
    return (None if lo is None else int(lo), None if hi is None else int(hi))


def _time_rule(item: Mapping[str, Any]) -> Freshness | Lag:
    kind = next((c for key, c in _TIME_RULES.items() if key in item), None)
    if kind is None:
        raise ValueError(
            f"freshness rule {dict(item)!r} needs 'column' (Freshness) or 'earlier'/'later' (Lag)"
        )
    return kind(**_checked(item, kind, "freshness rule"))


def _rules(value: Any, what: str) -> tuple:
    """``freshness`` or ``joins``: None, one rule, a dict of one rule, or a list of them."""
    if what == "freshness":
        kinds: tuple[type, ...] = (Freshness, Lag)
        from_dict = _time_rule
        example = "Freshness('applied_at', max_age='2D') or Lag('pulled_at', 'applied_at', '1D')"
    else:
        kinds = (Coverage,)

        def from_dict(item: Mapping[str, Any]) -> Coverage:
            return Coverage(**_checked(item, Coverage, "join rule"))

        example = "Coverage('application_id', right='bureau_pulls')"
    if value is None:
        return ()
    if isinstance(value, kinds) or isinstance(value, Mapping):
        value = [value]
    if not _listish(value):
        raise TypeError(
            f"Contract {what}={value!r} must be a rule or a list of rules, e.g. {example}"
        )
    out = []
    for item in value:
        if isinstance(item, Mapping):
            item = from_dict(item)
        if not isinstance(item, kinds):
            raise TypeError(
                f"Contract {what} entry {item!r} must be a rule or its dict, e.g. {example}"
            )
        out.append(item)
    return tuple(out)


def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{x:.4g}"
    return str(x)


class _Report:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, column: str, rule: str, observed: Any, expected: Any, rows: int) -> None:
        self.rows.append(
            {
                "column": column,
                "rule": rule,
                "observed": str(observed),
                "expected": str(expected),
                "rows_affected": int(rows),
            }
        )

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=VIOLATION_COLUMNS)
        return out.astype(
            {
                "column": "str",
                "rule": "str",
                "observed": "str",
                "expected": "str",
                "rows_affected": "int64",
            }
        )


def _check_column(s: pd.Series, name: str, rule: Column, report: _Report) -> None:
    n = len(s)
    nulls = int(s.isna().sum())
    if n and nulls / n > rule.max_null:
        report.add(name, "null_budget", f"{nulls / n:.4f} null", f"<= {rule.max_null:.4f}", nulls)
    dtype_ok = rule.dtype is None or DTYPES[rule.dtype](s)
    if not dtype_ok:
        report.add(name, "dtype", str(s.dtype), rule.dtype, n)
    values = s.dropna()
    if rule.allowed is not None:
        bad = values[~values.isin(rule.allowed)]
        if len(bad):
            shown = ", ".join(repr(v) for v in pd.unique(bad)[:3])
            report.add(
                name,
                "allowed",
                f"unexpected values {shown}",
                f"one of {list(rule.allowed)}",
                len(bad),
            )
    if (rule.min is not None or rule.max is not None) and len(values):
        _check_range(values, s, name, rule, dtype_ok, report)
    _check_spike(values, n, name, rule, report)


def _check_range(
    values: pd.Series, s: pd.Series, name: str, rule: Column, dtype_ok: bool, report: _Report
) -> None:
    n = len(s)
    is_time = pd.api.types.is_datetime64_any_dtype(values)
    if not (pd.api.types.is_numeric_dtype(values) or is_time):
        if dtype_ok:  # a dtype violation already says why a range cannot be checked
            report.add(name, "range", f"non-numeric dtype {s.dtype}", "numbers for a min/max", n)
        return
    if any(_is_time_bound(b) != is_time for b in (rule.min, rule.max) if b is not None):
        # timestamp bounds on numbers, or numeric bounds on timestamps, cannot be compared
        # (pd.Timestamp(300) would silently mean 300 ns after 1970)
        want = "timestamps" if is_time else "numbers"
        report.add(name, "range", f"{s.dtype} values", f"{want} for this min/max", n)
        return
    lo, hi = (None if b is None else _bound_like(b, values) for b in (rule.min, rule.max))
    below = int((values < lo).sum()) if lo is not None else 0
    above = int((values > hi).sum()) if hi is not None else 0
    if below or above:
        report.add(
            name,
            "range",
            f"min {_fmt(values.min())}, max {_fmt(values.max())}",
            f"[{_fmt(rule.min) if rule.min is not None else '-inf'}, "
            f"{_fmt(rule.max) if rule.max is not None else 'inf'}]",
            below + above,
        )


def _bound_like(bound: Any, values: pd.Series) -> Any:
    """A min/max as something comparable with ``values`` (timestamps in the column's zone)."""
    if values.dtype.kind != "M":
        return bound
    stamp = pd.Timestamp(bound)
    tz = values.dt.tz
    if tz is not None and stamp.tz is None:
        return stamp.tz_localize(tz)
    if tz is None and stamp.tz is not None:
        return stamp.tz_convert(None)
    return stamp


def _check_spike(values: pd.Series, n: int, name: str, rule: Column, report: _Report) -> None:
    if rule.max_mode_share is not None and n:
        counts = values.value_counts()
        if len(counts) and counts.iloc[0] / n > rule.max_mode_share:
            top = counts.index[0]
            report.add(
                name,
                "spike",
                f"{counts.iloc[0] / n:.4f} of rows = {_fmt(top)}",
                f"<= {rule.max_mode_share:.4f}",
                int(counts.iloc[0]),
            )


def _as_utc(ts: Any, what: str, like: pd.Series) -> pd.Timestamp:
    try:
        out = pd.Timestamp(ts)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{what}={ts!r} is not a timestamp; pass e.g. '2025-06-30' or a Timestamp"
        ) from exc
    if pd.isna(out):
        raise ValueError(f"{what}={ts!r} is not a timestamp; pass e.g. '2025-06-30'")
    tz = getattr(like.dt, "tz", None)
    if tz is not None and out.tz is None:
        out = out.tz_localize(tz)
    elif tz is None and out.tz is not None:
        out = out.tz_convert(None)
    return out


def validate(
    frame: pd.DataFrame,
    contract: Contract | Mapping[str, Any],
    *,
    as_of: Any = None,
    join: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """List every rule of ``contract`` that ``frame`` breaks.

    Parameters
    ----------
    frame : DataFrame
        The table to check. It is never modified.
    contract : Contract or dict
        A :class:`Contract` or its plain-dict form.
    as_of : timestamp-like, optional
        "Now" for :class:`Freshness` rules; required when the contract has one.
    join : DataFrame or dict of str to DataFrame, optional
        The right-hand tables named by the contract's :class:`Coverage` rules (a bare DataFrame
        is accepted when the contract has exactly one). Required when the contract has joins.

    Returns
    -------
    DataFrame
        Columns ``column, rule, observed, expected, rows_affected``; one row per violation, empty
        when the table honours the contract. Rules: ``present``, ``unexpected``, ``dtype``,
        ``null_budget``, ``range``, ``allowed``, ``spike``, ``unique``, ``row_count``,
        ``freshness``, ``lag``, ``coverage``. Table-wide rules use ``column="*"``.

    Examples
    --------
    >>> df = pd.DataFrame({"application_id": [1, 2, 2], "fico": [700, 250, None]})
    >>> c = Contract("apps", {"fico": Column(min=300, max=850)}, unique=["application_id"])
    >>> validate(df, c)[["column", "rule", "rows_affected"]].values.tolist()
    [['fico', 'null_budget', 1], ['fico', 'range', 1], ['application_id', 'unique', 2]]
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(contract, Mapping):
        contract = Contract.from_dict(contract)
    if not isinstance(contract, Contract):
        raise TypeError(f"contract must be a Contract or a dict, got {type(contract).__name__}")
    if not frame.columns.is_unique:
        dups = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ValueError(
            f"frame has duplicate column names {dups}; rename or drop them before validating"
        )
    report = _Report()
    n = len(frame)

    for name, rule in contract.columns.items():
        if name not in frame.columns:
            if rule.required:
                report.add(name, "present", "missing", "column present", n)
            continue
        _check_column(frame[name], name, rule, report)
    if contract.strict:
        for name in frame.columns:
            if name not in contract.columns:
                report.add(str(name), "unexpected", "extra column", "only contract columns", n)

    for key in contract.unique:
        cols = [key] if isinstance(key, str) else list(key)
        label = "+".join(cols)
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            if not any(c in contract.columns for c in missing):  # else already reported as present
                report.add(label, "present", f"missing {missing}", "key columns present", n)
            continue
        dup = int(frame.duplicated(subset=cols, keep=False).sum())
        if dup:
            extra = int(frame.duplicated(subset=cols, keep="first").sum())
            report.add(label, "unique", f"{extra} repeated keys", "no repeats", dup)

    lo, hi = contract.row_count if contract.row_count is not None else (None, None)
    lo = 1 if lo is None else lo  # an empty table is a violation unless the contract says 0
    if lo is not None and n < lo:
        report.add("*", "row_count", n, f">= {lo}", lo - n)
    if hi is not None and n > hi:
        report.add("*", "row_count", n, f"<= {hi}", n - hi)

    for rule in contract.freshness:
        if isinstance(rule, Freshness):
            _check_freshness(frame, rule, as_of, contract.name, report)
        else:
            _check_lag(frame, rule, report)

    _check_joins(frame, contract, join, report)
    return report.frame()


def _time_column(frame: pd.DataFrame, col: str, report: _Report, rule: str) -> pd.Series | None:
    if col not in frame.columns:
        report.add(col, "present", "missing", f"timestamp column for the {rule} rule", len(frame))
        return None
    s = frame[col]
    if not pd.api.types.is_datetime64_any_dtype(s):
        report.add(col, "dtype", str(s.dtype), f"datetime (needed by the {rule} rule)", len(frame))
        return None
    return s


def _check_freshness(
    frame: pd.DataFrame, rule: Freshness, as_of: Any, name: str, report: _Report
) -> None:
    if as_of is None:
        raise ValueError(
            f"contract {name!r} has a freshness rule on {rule.column!r}; pass as_of= "
            "(the time you consider 'now', e.g. as_of='2025-06-30')"
        )
    s = _time_column(frame, rule.column, report, "freshness")
    if s is None or len(s.dropna()) == 0:
        return
    now = _as_utc(as_of, "as_of", s)
    edge = s.max() if rule.which == "newest" else s.min()
    age = now - edge
    if age > rule.max_age:
        too_old = int((s < now - rule.max_age).sum())
        report.add(
            rule.column,
            "freshness",
            f"{rule.which} is {age} old at {now}",
            f"<= {rule.max_age}",
            too_old,
        )


def _check_lag(frame: pd.DataFrame, rule: Lag, report: _Report) -> None:
    a = _time_column(frame, rule.earlier, report, "lag")
    b = _time_column(frame, rule.later, report, "lag")
    if a is None or b is None or len(frame) == 0:
        return
    lag = b - a
    late = lag > rule.max_lag
    share = float(late.mean())
    if share > rule.max_share:
        report.add(
            f"{rule.earlier}->{rule.later}",
            "lag",
            f"{share:.4f} of rows over; max lag {lag.max()}",
            f"<= {rule.max_lag} (share <= {rule.max_share:.4f})",
            int(late.sum()),
        )


def _check_joins(
    frame: pd.DataFrame,
    contract: Contract,
    join: pd.DataFrame | Mapping[str, pd.DataFrame] | None,
    report: _Report,
) -> None:
    if not contract.joins:
        return
    names = [j.right for j in contract.joins]
    if join is None:
        raise ValueError(
            f"contract {contract.name!r} checks join coverage into {names}; pass "
            f"join={{{names[0]!r}: <that table>}}"
        )
    if isinstance(join, pd.DataFrame):
        if len(contract.joins) != 1:
            raise ValueError(
                f"contract {contract.name!r} has {len(names)} join rules {names}; pass join as a "
                "dict naming each table"
            )
        join = {names[0]: join}
    if not isinstance(join, Mapping):
        raise TypeError(
            f"join must be a DataFrame or a dict of DataFrames, got {type(join).__name__}"
        )
    for rule in contract.joins:
        if rule.right not in join:
            raise ValueError(
                f"join has no table {rule.right!r} (got {sorted(join)}); add it: "
                f"join={{{rule.right!r}: <that table>}}"
            )
        right = join[rule.right]
        if not isinstance(right, pd.DataFrame):
            raise TypeError(
                f"join[{rule.right!r}] must be a pandas DataFrame, got {type(right).__name__}"
            )
        right_key = rule.right_key or rule.key
        if rule.key not in frame.columns:
            report.add(rule.key, "present", "missing", f"join key into {rule.right}", len(frame))
            continue
        if right_key not in right.columns:
            raise ValueError(
                f"join table {rule.right!r} has no key column {right_key!r}; "
                "set Coverage(right_key=...)"
            )
        keys = frame[rule.key].dropna().unique()
        if len(keys) == 0:
            continue
        found = pd.Index(keys).isin(right[right_key].dropna().unique())
        share = float(found.mean())
        if share < rule.min_share:
            keys_col = frame[rule.key]
            lost = int((keys_col.notna() & ~keys_col.isin(right[right_key])).sum())
            report.add(
                rule.key,
                "coverage",
                f"{share:.4f} of keys found in {rule.right}",
                f">= {rule.min_share:.4f}",
                lost,
            )
