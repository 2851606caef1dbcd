"""Drop-in replacements for ``scipy.ndimage`` functions: same names, signatures, defaults,
dtypes, exceptions and results, computed by multithreaded compiled kernels. Every function adds
a keyword-only ``workers=`` argument."""

from ._gaussian import gaussian_filter, gaussian_filter1d
from ._morphology import ball, binary_closing, binary_dilation, binary_erosion, binary_opening
from ._measurements import find_objects, label, label_sizes, sum_labels
from ._minmax import (
    grey_closing,
    grey_dilation,
    grey_erosion,
    grey_opening,
    maximum_filter,
    maximum_filter1d,
    minimum_filter,
    minimum_filter1d,
)
from ._rank import median_filter, percentile_filter, rank_filter

__all__ = [
    "ball",
    "binary_closing",
    "binary_dilation",
    "binary_erosion",
    "binary_opening",
    "find_objects",
    "gaussian_filter",
    "gaussian_filter1d",
    "grey_closing",
    "grey_dilation",
    "grey_erosion",
    "grey_opening",
    "label",
    "label_sizes",
    "maximum_filter",
    "maximum_filter1d",
    "median_filter",
    "minimum_filter",
    "minimum_filter1d",
    "percentile_filter",
    "rank_filter",
    "sum_labels",
]
