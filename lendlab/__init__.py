"""lendlab: ML operations labs for lending SREs."""

__version__ = "0.1.0"
