"""The workers= policy: defaults from affinity, OMP_NUM_THREADS and threadpoolctl, set_workers,
argument checking, and the GIL being released while a kernel runs."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import qbi_fast
from qbi_fast import _core
from qbi_fast._threads import available_cpus, default_workers, get_workers, resolve_workers
from qbi_fast.ndimage import gaussian_filter

needs_openmp = pytest.mark.skipif(not _core.openmp_enabled(), reason="built without OpenMP")


def run_python(code: str, **env) -> str:
    """Run code in a fresh interpreter (so OpenMP reads its environment anew); return stdout.
    It runs in the root directory so that it imports the installed package, not a source tree."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        cwd=os.path.abspath(os.sep),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_workers_default_is_all_available_cpus():
    if _core.openmp_enabled() and "OMP_NUM_THREADS" not in os.environ:
        assert default_workers() == available_cpus()
    assert get_workers() == default_workers()
    assert resolve_workers(None) == get_workers()


def test_workers_negative_counts_back_from_available():
    n = available_cpus()
    assert resolve_workers(-1) == n
    if n >= 2:
        assert resolve_workers(-2) == n - 1
    with pytest.raises(ValueError, match="leaves no thread"):
        resolve_workers(-(n + 1))


@pytest.mark.parametrize("workers", [1, 2, 7, np.int64(3)])
def test_workers_positive_is_taken_as_given(workers):
    assert resolve_workers(workers) == int(workers)


@pytest.mark.parametrize(
    ("workers", "error"), [(0, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)]
)
def test_workers_bad_values_raise(workers, error):
    with pytest.raises(error, match="workers"):
        resolve_workers(workers)
    with pytest.raises(error, match="workers"):
        gaussian_filter(np.zeros(4), 1.0, workers=workers)


def test_set_workers_sets_and_restores_this_threads_default():
    before = get_workers()
    with qbi_fast.set_workers(1):
        assert get_workers() == 1
        with qbi_fast.set_workers(-1):
            assert get_workers() == available_cpus()
        assert get_workers() == 1
    assert get_workers() == before
    with pytest.raises(RuntimeError), qbi_fast.set_workers(3):
        assert get_workers() == 3
        raise RuntimeError
    assert get_workers() == before
    with pytest.raises(ValueError, match="workers"), qbi_fast.set_workers(0):
        pass


def test_set_workers_is_per_thread():
    seen = []
    with qbi_fast.set_workers(5):
        worker = threading.Thread(target=lambda: seen.append(get_workers()))
        worker.start()
        worker.join()
        assert get_workers() == 5
    assert seen == [default_workers()]


@needs_openmp
def test_threadpoolctl_limit_lowers_default():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert get_workers() == 1
    assert get_workers() == default_workers()
    apis = {info["user_api"] for info in threadpoolctl.threadpool_info()}
    assert "openmp" in apis  # the runtime our module links is visible to threadpoolctl


@needs_openmp
def test_omp_num_threads_lowers_default():
    out = run_python("import qbi_fast; print(qbi_fast.get_workers())", OMP_NUM_THREADS="1")
    assert out == "1"


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity API")
def test_affinity_mask_bounds_default():
    code = (
        "import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
        "import qbi_fast; print(qbi_fast.available_cpus(), qbi_fast.get_workers())"
    )
    assert run_python(code).split() == ["1", "1"]


def test_kernel_releases_the_gil():
    """While one thread runs a long kernel, this thread keeps running Python code."""
    volume = np.random.default_rng(0).random((60, 256, 256), dtype=np.float32)
    start = time.perf_counter()
    gaussian_filter(volume, 4.0, workers=1)
    kernel_time = time.perf_counter() - start

    done = threading.Event()
    worker = threading.Thread(
        target=lambda: (gaussian_filter(volume, 4.0, workers=1), done.set())
    )
    ticks, last, longest_gap = 0, time.perf_counter(), 0.0
    worker.start()
    while not done.is_set():
        now = time.perf_counter()
        longest_gap = max(longest_gap, now - last)
        last = now
        ticks += 1
    worker.join()
    # Holding the GIL would stall this loop for the whole kernel.
    assert ticks > 1000
    assert longest_gap < 0.5 * kernel_time


FORK_SCRIPT = """
import multiprocessing as mp
import numpy as np
from qbi_fast import ndimage, tomo

rng = np.random.default_rng(0)
volume = rng.random((40, 48, 56), dtype=np.float32)
sinogram = rng.random((90, 64), dtype=np.float32)

def run_all():
    return [ndimage.gaussian_filter(volume, 2.0, workers=2),
            ndimage.median_filter(volume, 3, workers=2),
            ndimage.binary_erosion(volume > 0.3, iterations=2, workers=2),
            ndimage.label(volume > 0.6, workers=2)[0],
            tomo.remove_stripe_based_sorting(sinogram, 11, workers=2)]

def child(expected, queue):
    queue.put(all(np.array_equal(a, b) for a, b in zip(run_all(), expected)))

if __name__ == "__main__":
    expected = run_all()  # the parent's OpenMP team now exists
    context = mp.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(expected, queue))
    process.start()
    process.join(60)
    if process.is_alive():
        process.kill()
        print("child hung")
    else:
        print("child equal" if queue.get(timeout=5) else "child differs")
"""


@needs_openmp
@pytest.mark.skipif(sys.platform != "linux", reason="fork is the default start method on Linux")
def test_forked_child_runs_threaded_kernels(tmp_path):
    """A process forked after its parent ran threaded kernels (multiprocessing's default start
    method on Linux) gets their results with threads of its own: libgomp's pool would hang."""
    script = tmp_path / "fork.py"
    script.write_text(FORK_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.stdout.strip() == "child equal", done.stdout + done.stderr[-2000:]
