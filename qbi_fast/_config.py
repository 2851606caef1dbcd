"""show_config(): what was built and what a call will use on this machine."""

from __future__ import annotations

import sys

import numpy as np
import scipy

from . import _core
from ._threads import available_cpus, default_workers, get_workers


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
