"""The ``qbi-fast`` command: ``qbi-fast demo`` times each qbi_fast stage against scipy."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi

from . import data, ndimage
from ._config import show_config
from ._threads import resolve_workers


@dataclass
class Stage:
    """One demo stage: how qbi_fast and scipy compute it from the previous stage's output."""

    name: str
    qbi: Callable[[np.ndarray, int], np.ndarray]
    scipy: Callable[[np.ndarray], np.ndarray]


def _agree(a: np.ndarray, b: np.ndarray) -> tuple[bool, str]:
    """Exact for integer results; within 1e-6 of max|b| for floating ones (the package's promise)."""
    if a.dtype != b.dtype or a.shape != b.shape:
        return False, f"dtype/shape {a.dtype}{a.shape} vs {b.dtype}{b.shape}"
    if a.dtype.kind in "biu":
        n = int(np.count_nonzero(a != b))
        return n == 0, "identical" if n == 0 else f"{n} voxels differ"
    if np.array_equal(a, b):
        return True, "identical"
    err = float(np.max(np.abs(a.astype(np.float64) - b))) / max(float(np.max(np.abs(b))), 1e-300)
    return err <= 1e-6, f"max rel. diff {err:.1e}"


def _best_time(f: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - t)
    return best, result


def demo_stages() -> list[Stage]:
    """The stages, each fed the previous stage's output (the first gets the foam as float32)."""
    return [
        Stage(
            "gaussian sigma=3 (float32)",
            lambda x, w: ndimage.gaussian_filter(x, 3.0, workers=w),
            lambda x: ndi.gaussian_filter(x, 3.0),
        ),
        Stage(
            "median size=3 (float32)",
            lambda x, w: ndimage.median_filter(x, 3, workers=w),
            lambda x: ndi.median_filter(x, 3),
        ),
        Stage(
            "threshold 1 - x/255 > 0.9",  # the pores (numpy in both columns)
            lambda x, w: _pores(x),
            _pores,
        ),
        Stage(
            "binary_erosion ball(12)",
            lambda x, w: ndimage.binary_erosion(x, ndimage.ball(12), workers=w),
            lambda x: ndi.binary_erosion(x, ndimage.ball(12)),
        ),
        Stage(
            "label (6-connectivity)",
            lambda x, w: ndimage.label(x, workers=w)[0],
            lambda x: ndi.label(x)[0],
        ),
    ]


def _pores(x: np.ndarray) -> np.ndarray:
    return 1 - x / np.float32(255) > 0.9


def run_demo(shape, seed: int, workers: int | None, repeat: int, out=None) -> bool:
    """Run every stage on the foam; print a table; True when every stage agrees with scipy."""
    out = out or sys.stdout
    n_threads = resolve_workers(workers)
    t = time.perf_counter()
    volume = data.foam(shape, seed)
    print(f"foam {volume.shape} uint8, seed {seed}: built in {time.perf_counter() - t:.2f} s", file=out)
    x_qbi = x_ref = volume.astype(np.float32)
    print(f"workers={n_threads}; qbi_fast: best of {repeat} runs, scipy: one run\n", file=out)
    header = f"{'stage':<30} {'qbi_fast':>10} {'scipy':>10} {'speedup':>8}  result"
    print(header, file=out)
    print("-" * len(header), file=out)
    all_agree = True
    for stage in demo_stages():
        t_qbi, y_qbi = _best_time(lambda s=stage, x=x_qbi: s.qbi(x, n_threads), repeat)
        t_ref, y_ref = _best_time(lambda s=stage, x=x_ref: s.scipy(x), 1)
        ok, how = _agree(y_qbi, y_ref)
        all_agree &= ok
        print(
            f"{stage.name:<30} {t_qbi:>9.3f}s {t_ref:>9.3f}s {t_ref / t_qbi:>7.1f}x  "
            f"{'agrees' if ok else 'DIFFERS'} ({how})",
            file=out,
        )
        x_qbi, x_ref = y_qbi, y_ref
    return all_agree


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="qbi-fast", description="qbi_fast: scipy.ndimage-exact image processing on every core."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="time every qbi_fast stage against scipy on the synthetic foam",
        description="Build the seeded synthetic foam volume and run each stage with qbi_fast and "
        "with scipy.ndimage, printing both times, the speedup and whether the results agree "
        "(exit status 1 if any stage differs).",
    )
    demo.add_argument("--shape", type=int, nargs=3, default=(100, 400, 400), metavar=("Z", "Y", "X"))
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--workers", type=int, default=None, help="threads (default: all available)")
    demo.add_argument("--repeat", type=int, default=3, help="runs per stage; the best is shown")
    commands.add_parser("config", help="print how qbi_fast was built and what it will use")
    args = parser.parse_args(argv)
    if args.command == "config":
        show_config()
        return 0
    return 0 if run_demo(tuple(args.shape), args.seed, args.workers, max(1, args.repeat)) else 1
