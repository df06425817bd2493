"""The challenger's default feature list, built from the world's schema and derived features.

The derived columns themselves are computed by :func:`lendlab.world.features.add_derived_features`
(the one definition the generator and the batch pipeline use too).

Example
-------
>>> CHALLENGER_FEATURES[-3:]
('loan_to_income', 'payment_to_income', 'verified_to_stated')
"""

from __future__ import annotations

from lendlab.world.features import DERIVED_FEATURES
from lendlab.world.schema import FEATURES

__all__ = ["CHALLENGER_FEATURES"]

#: What the challenger uses by default: the champion's features, the acquisition channel and
#: the derived affordability and income-verification features.
CHALLENGER_FEATURES: tuple[str, ...] = (*FEATURES, "channel", *DERIVED_FEATURES)
