"""The synthetic lending world: its schema, the generator, derived features and fault injection.

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
"""

from lendlab.world.generator import (
    CATEGORICAL_FEATURES,
    FEATURES,
    PD_MODEL,
    POLICY,
    TRUTH_COLUMNS,
    generate,
    observed,
)

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURES",
    "PD_MODEL",
    "POLICY",
    "TRUTH_COLUMNS",
    "generate",
    "observed",
]
