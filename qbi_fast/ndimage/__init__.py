"""Drop-in replacements for ``scipy.ndimage`` functions: same names, signatures, defaults,
dtypes, exceptions and results, computed by multithreaded compiled kernels. Every function adds
a keyword-only ``workers=`` argument."""

from ._gaussian import gaussian_filter, gaussian_filter1d
from ._rank import median_filter, percentile_filter, rank_filter

__all__ = [
    "gaussian_filter",
    "gaussian_filter1d",
    "median_filter",
    "percentile_filter",
    "rank_filter",
]
