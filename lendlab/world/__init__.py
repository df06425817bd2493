"""The synthetic lending world: its schema, the generator, derived features and fault injection.

* :mod:`lendlab.world.schema` - every column, its dtype and meaning, the categories, the feature
  lists and the knock-out :data:`POLICY` (:func:`passes_knockout`): each defined once.
* :mod:`lendlab.world.features` - the derived ratios (loan-to-income, payment-to-income,
  verified-to-stated income) every model and pipeline computes the same way.
* :mod:`lendlab.world.generator` - :func:`generate` applications with their truth and
  :func:`observed`, the lender's view of outcomes as of a date.
* :mod:`lendlab.world.faults` - :func:`~lendlab.world.faults.inject` a fault into a book and
  get an :class:`~lendlab.world.faults.InjectedFault` record of the truth.
* :mod:`lendlab.world.reference_data` - the committed reference datasets and their data card.

Example
-------
>>> from lendlab import world
>>> book = world.generate(1_000, seed=1)
>>> len(book)
1000
>>> bool((world.passes_knockout(book) == book["approved_policy"]).all())
True
"""

from lendlab.world import features, schema
from lendlab.world.generator import PD_MODEL, generate, observed
from lendlab.world.schema import (
    BUREAU_FIELDS,
    CATEGORICAL_FEATURES,
    CATEGORIES,
    COLUMNS,
    FEATURES,
    MONITORED_FEATURES,
    POLICY,
    TRUTH_COLUMNS,
    passes_knockout,
)

__all__ = [
    "BUREAU_FIELDS",
    "CATEGORICAL_FEATURES",
    "CATEGORIES",
    "COLUMNS",
    "FEATURES",
    "MONITORED_FEATURES",
    "PD_MODEL",
    "POLICY",
    "TRUTH_COLUMNS",
    "features",
    "generate",
    "observed",
    "passes_knockout",
    "schema",
]
