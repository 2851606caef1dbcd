"""show_config(): what was built and what a call will use on this machine."""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import scipy

from . import _core
from ._threads import available_cpus, default_workers, get_workers

# What QBI_FAST_SIMD may say: the widest build the kernels may pick.
SIMD_CAPS = ("avx2", "baseline")


def check_simd_cap() -> None:
    """Warn when QBI_FAST_SIMD is set to something the kernels do not know: they then ignore
    it and run the widest build, which a user who meant to cap it would not notice."""
    value = os.environ.get("QBI_FAST_SIMD", "")
    if value and value not in SIMD_CAPS:
        path = _core.build_info()["simd_path"]
        warnings.warn(f"QBI_FAST_SIMD={value!r} is ignored: it may be one of {SIMD_CAPS} "
                      f"(lower case); the kernels use the {path} build", RuntimeWarning,
                      stacklevel=2)


def config() -> dict:
    """Build and runtime facts as a dict (the data behind :func:`show_config`)."""
    from . import __version__

    info = dict(_core.build_info())
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "compiler": info["compiler"],
        "baseline_arch": info["baseline_arch"],
        "simd_path": info["simd_path"],
        "openmp_version": info["openmp_version"],
        "openmp_library": info["openmp_library"],
        "available_cpus": available_cpus(),
        "default_workers": default_workers(),
        "workers": get_workers(),
    }


def show_config(file=None) -> None:
    """Print version, compiler, SIMD path, OpenMP runtime and worker defaults."""
    c = config()
    openmp = (
        f"{c['openmp_version']} ({c['openmp_library']})"
        if c["openmp_version"]
        else "not built with OpenMP (single-threaded)"
    )
    lines = [
        f"qbi_fast {c['version']} (python {c['python']}, numpy {c['numpy']}, scipy {c['scipy']})",
        f"  compiler:        {c['compiler']}",
        f"  baseline arch:   {c['baseline_arch']}",
        f"  SIMD path:       {c['simd_path']} (chosen at run time)",
        f"  OpenMP:          {openmp}",
        f"  CPUs available:  {c['available_cpus']}",
        f"  default workers: {c['default_workers']} (this thread now: {c['workers']})",
    ]
    print("\n".join(lines), file=file or sys.stdout)
