"""Data quality: declarative data contracts and a feature pipeline that can be broken.

The pipeline's breaks (:data:`BREAKS`, ``build_features(sources, breaks=[...])``) are faults of
the one catalogue, :data:`lendlab.world.faults.FAULTS`: the same name injects the fault into a
book with :func:`lendlab.world.faults.inject`.

>>> from lendlab.quality import Contract, Column, validate
>>> import pandas as pd
>>> c = Contract("t", {"fico": Column(max=850)})
>>> validate(pd.DataFrame({"fico": [700, 900]}), c)["rule"].tolist()
['range']
>>> from lendlab.quality import BREAKS
>>> "partner_field_rename" in BREAKS
True
"""

from lendlab.quality.contracts import (
    DTYPES,
    VIOLATION_COLUMNS,
    Column,
    Contract,
    Coverage,
    Freshness,
    Lag,
    validate,
)
from lendlab.quality.pipeline import (
    BREAKS,
    BUREAU_COLUMNS,
    CONTRACTS,
    Sources,
    apply_breaks,
    build_features,
    check_pipeline,
    split_sources,
)

__all__ = [
    "Column",
    "Contract",
    "Coverage",
    "Freshness",
    "Lag",
    "validate",
    "VIOLATION_COLUMNS",
    "DTYPES",
    "Sources",
    "BREAKS",
    "BUREAU_COLUMNS",
    "CONTRACTS",
    "split_sources",
    "apply_breaks",
    "build_features",
    "check_pipeline",
]
