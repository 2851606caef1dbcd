"""Drop-in replacements for ``scipy.ndimage`` functions: same names, signatures, defaults,
dtypes, exceptions and results, computed by multithreaded compiled kernels. Every function adds
a keyword-only ``workers=`` argument.

The other public names of ``scipy.ndimage`` (``uniform_filter``, ``binary_fill_holes``,
``distance_transform_edt``, ...) are scipy's own functions, reached through this module so that
swapping the import never breaks a script: they run as in scipy (one thread, no ``workers=``).
``__all__`` lists the functions qbi_fast computes itself.
"""

import scipy.ndimage as _scipy_ndimage

from ._gaussian import gaussian_filter, gaussian_filter1d
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
from ._morphology import ball, binary_closing, binary_dilation, binary_erosion, binary_opening
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


def __getattr__(name: str):
    # Only for names not defined above: scipy's public ones, so that `from qbi_fast import
    # ndimage` can replace `from scipy import ndimage` in a script using any of them.
    if name in _scipy_ndimage.__all__:
        return getattr(_scipy_ndimage, name)
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_scipy_ndimage.__all__))
