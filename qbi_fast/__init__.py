"""qbi_fast: scipy.ndimage-exact image processing for big 3-D volumes, on every core.

``qbi_fast.ndimage`` holds drop-in replacements for scipy.ndimage functions; ``qbi_fast.tomo``
ring (stripe) artefact removal for tomography; ``qbi_fast.data`` synthetic test volumes. Thread
use is controlled per call (``workers=``) or per thread (:func:`set_workers`);
:func:`show_config` reports how the package was built; ``qbi_fast.amdahl`` fits Amdahl's law to
measured run times; ``qbi_fast.profile`` times the stages of a pipeline and names its hotspot.
"""

from importlib.metadata import PackageNotFoundError, version

from . import amdahl, data, ndimage, objects, profile, tomo
from ._config import check_simd_cap, show_config
from ._threads import available_cpus, get_workers, set_workers

try:
    __version__ = version("qbi_fast")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

check_simd_cap()

__all__ = [
    "__version__",
    "amdahl",
    "available_cpus",
    "data",
    "get_workers",
    "ndimage",
    "objects",
    "profile",
    "set_workers",
    "show_config",
    "tomo",
]
