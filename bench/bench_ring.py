"""Ring (stripe) removal: qbi_fast.tomo (1 thread and all) vs algotom (the reference
implementation of Vo et al. 2018), on one 720x400 float32 sinogram and on a stack of 50 of them
(algotom's own parallel slice loop, algotom.util.utility.parallel_process_slices, with its
default cores).

Run: pytest bench/bench_ring.py --benchmark-only --benchmark-json=ring.json
then: python bench/ratios.py ring.json
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import qbi_fast
import qbi_fast.tomo as qtomo

removal = pytest.importorskip("algotom.prep.removal")
utility = pytest.importorskip("algotom.util.utility")

METHODS = [
    "remove_stripe_based_sorting",
    "remove_all_stripe",
    "remove_stripe_based_filtering",
    "remove_stripe_based_fitting",
    "remove_large_stripe",
    "remove_dead_stripe",
]
STACK_METHODS = ["remove_stripe_based_sorting", "remove_all_stripe"]


@pytest.fixture(scope="module")
def sinogram():
    return qbi_fast.data.striped_sinograms(720, 400, seed=0)


@pytest.fixture(scope="module")
def stack():
    return qbi_fast.data.striped_sinograms(720, 400, n_rows=50, seed=1)


def _algotom(func, *args):
    with warnings.catch_warnings():  # numba / numpy deprecations inside algotom
        warnings.simplefilter("ignore")
        return func(*args)


def _close(actual, expected):
    """Agreement up to the order of tied samples in a column: where equal values sit, the
    sorting methods may place their results differently from algotom's unstable sort."""
    difference = np.abs(actual.astype(np.float64) - expected)
    assert np.median(difference) <= 1e-6 * np.abs(expected).max()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("workers", [1, "all"])
def test_sinogram_qbi_fast(benchmark, timed, all_workers, sinogram, method, workers):
    n = all_workers if workers == "all" else workers
    benchmark.group = f"ring {method} 720x400"
    benchmark.extra_info.update(impl="qbi_fast", workers=n)
    result = timed(lambda: getattr(qtomo, method)(sinogram, workers=n), rounds=10)
    _close(result, _algotom(getattr(removal, method), sinogram))


@pytest.mark.parametrize("method", METHODS)
def test_sinogram_algotom(benchmark, timed, sinogram, method):
    benchmark.group = f"ring {method} 720x400"
    benchmark.extra_info.update(impl="algotom", workers=1)
    timed(lambda: _algotom(getattr(removal, method), sinogram), rounds=5)


@pytest.mark.parametrize("method", STACK_METHODS)
def test_stack_qbi_fast(benchmark, timed, all_workers, stack, method):
    benchmark.group = f"ring {method} stack 720x50x400"
    benchmark.extra_info.update(impl="qbi_fast", workers=all_workers)
    timed(lambda: getattr(qtomo, method)(stack, workers=all_workers), rounds=5)


@pytest.mark.parametrize("method", STACK_METHODS)
def test_stack_algotom(benchmark, timed, all_workers, stack, method):
    """algotom's parallel loop over the sinograms (threads; ncore=None: all CPUs but one)."""
    benchmark.group = f"ring {method} stack 720x50x400"
    benchmark.extra_info.update(
        impl="algotom parallel_process_slices", workers=max(1, all_workers - 1)
    )
    func = getattr(removal, method)
    result = timed(lambda: _algotom(utility.parallel_process_slices, stack, func, [], 1), rounds=2)
    _close(getattr(qtomo, method)(stack), result)
