"""The workers= policy shared by every kernel-backed function.

``workers=None`` means the thread-local default: :func:`set_workers` if active, otherwise every
CPU this process may use (its affinity mask and cgroup CPU quota), lowered by ``OMP_NUM_THREADS``
and by a threadpoolctl OpenMP limit set in the calling thread. ``-1`` means every available CPU
and other negative values count back from it (``-2``: all but one); ``0`` is an error.
"""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
import os
import threading
from collections.abc import Iterator

from . import _core

_local = threading.local()


@functools.cache
def _cgroup_cpu_quota() -> int | None:
    """CPUs granted by a cgroup (v2 ``cpu.max`` or v1 CFS quota), or None without a quota.
    Read once: quotas are set when a container starts."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return max(1, math.ceil(int(quota) / int(period)))
        return None
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota_us = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period_us = int(f.read())
    except (OSError, ValueError):
        return None
    return max(1, math.ceil(quota_us / period_us)) if quota_us > 0 else None


def available_cpus() -> int:
    """Number of CPUs this process may run on."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity API (macOS, Windows)
        n = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(n, quota) if quota is not None else n)


def default_workers() -> int:
    """Threads a call uses for ``workers=None`` when no :func:`set_workers` is active."""
    if not _core.openmp_enabled():
        return 1
    # omp_get_max_threads() is read in this thread: it sees OMP_NUM_THREADS and threadpoolctl.
    return max(1, min(_core.omp_max_threads(), available_cpus()))


def get_workers() -> int:
    """Threads a call from this thread uses for ``workers=None``."""
    n = getattr(_local, "workers", None)
    return default_workers() if n is None else n


# More threads than any machine has: larger requests are cut to it (the kernels take a C int,
# and start no more threads than they have work for).
MAX_WORKERS = 1 << 16


def resolve_workers(workers: int | None) -> int:
    """The positive thread count a ``workers=`` argument asks for."""
    if workers is None:
        return get_workers()
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral):
        msg = f"workers must be an integer or None; got {workers!r}"
        raise TypeError(msg)
    workers = int(workers)
    if workers == 0:
        msg = "workers must be nonzero or None; got 0"
        raise ValueError(msg)
    if workers > 0:
        return min(workers, MAX_WORKERS)
    n = available_cpus() + 1 + workers
    if n < 1:
        msg = f"workers={workers} leaves no thread: only {available_cpus()} CPUs are available"
        raise ValueError(msg)
    return n


@contextlib.contextmanager
def set_workers(workers: int) -> Iterator[None]:
    """Context manager: ``workers=None`` calls made in this thread inside it use ``workers``.

    The setting is per thread (like ``scipy.fft.set_workers``); threads started inside the block
    keep their own default.
    """
    new = resolve_workers(workers)
    old = getattr(_local, "workers", None)
    _local.workers = new
    try:
        yield
    finally:
        _local.workers = old
