"""The ``qbi-fast`` command: ``demo`` times each qbi_fast stage and the lecture pipeline against
their references (scipy.ndimage for the volume stages, algotom for ring cleaning); ``run`` runs a
TOML pipeline block by block on a TIFF, zarr or npy volume; ``scaling`` fits Amdahl's law to one
stage; ``config`` shows the build."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.ndimage as ndi

from . import amdahl, data, ndimage, objects, tomo
from ._config import show_config
from ._threads import resolve_workers
from .pipeline import LECTURE_TOML, invert, lecture_pipeline, load_pipeline, threshold
from .profile import Profiler


@dataclass
class Stage:
    """One demo stage: how qbi_fast and scipy compute it from the previous stage's output; a
    ``side`` stage is timed on that output but does not feed the next stage."""

    name: str
    qbi: Callable[[np.ndarray, int], np.ndarray]
    scipy: Callable[[np.ndarray], np.ndarray]
    side: bool = False


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


def _print_row(name: str, t_qbi: float, t_ref: float, ok: bool, how: str, out) -> bool:
    """One line of a demo table: both times, the speedup and the agreement; returns ``ok``."""
    print(
        f"{name:<30} {t_qbi:>9.3f}s {t_ref:>9.3f}s {t_ref / t_qbi:>7.1f}x  "
        f"{'agrees' if ok else 'DIFFERS'} ({how})",
        file=out,
    )
    return ok


def _best_time(f: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - t)
    return best, result


def demo_stages() -> list[Stage]:
    """The lecture pipeline's stages, each fed the previous stage's output (the first gets the
    uint8 foam), and a median filter timed beside them."""
    return [
        Stage("invert 1 - x/255 (float32)", lambda x, w: invert(x, workers=w), _invert),
        Stage(
            "gaussian sigma=3",
            lambda x, w: ndimage.gaussian_filter(x, 3.0, workers=w),
            lambda x: ndi.gaussian_filter(x, 3.0),
        ),
        Stage(
            "(beside) median size=3",
            lambda x, w: ndimage.median_filter(x, 3, workers=w),
            lambda x: ndi.median_filter(x, 3),
            side=True,
        ),
        Stage("threshold > 0.9", lambda x, w: threshold(x, 0.9, workers=w), lambda x: x > 0.9),
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
        Stage(
            "voxels per object",
            lambda x, w: ndimage.label_sizes(x, workers=w),
            lambda x: np.bincount(x.ravel()),
            side=True,
        ),
    ]


def _invert(x: np.ndarray) -> np.ndarray:
    return np.float32(1) - x / np.float32(255)


def _pores(x: np.ndarray) -> np.ndarray:
    """The lecture's mask of pores from the foam, for the scaling stages."""
    return ndimage.gaussian_filter(_invert(x), 3.0) > 0.9


def run_demo(shape, seed: int, workers: int | None, repeat: int, out=None, ring_rows: int = 10
             ) -> bool:
    """Run every stage on the foam, then ring cleaning on a stack of ``ring_rows`` sinograms;
    print tables; True when every stage agrees with its reference."""
    out = out or sys.stdout
    n_threads = resolve_workers(workers)
    t = time.perf_counter()
    volume = data.foam(shape, seed)
    print(f"foam {volume.shape} uint8, seed {seed}: built in {time.perf_counter() - t:.2f} s", file=out)
    x_qbi = x_ref = volume
    print(f"workers={n_threads}; qbi_fast: best of {repeat} runs, scipy: one run\n", file=out)
    header = f"{'stage':<30} {'qbi_fast':>10} {'scipy':>10} {'speedup':>8}  result"
    print(header, file=out)
    print("-" * len(header), file=out)
    all_agree = True
    t_chain = 0.0
    for stage in demo_stages():
        t_qbi, y_qbi = _best_time(lambda s=stage, x=x_qbi: s.qbi(x, n_threads), repeat)
        t_ref, y_ref = _best_time(lambda s=stage, x=x_ref: s.scipy(x), 1)
        all_agree &= _print_row(stage.name, t_qbi, t_ref, *_agree(y_qbi, y_ref), out)
        if not stage.side:
            x_qbi, x_ref = y_qbi, y_ref
            t_chain += t_ref
        elif stage.name == "voxels per object":
            t_chain += t_ref
    # the same chain as one qbi_fast Pipeline, against the scipy stages' total
    pipeline = lecture_pipeline()
    best, profile, result = float("inf"), None, None
    for _ in range(repeat):
        profiler = Profiler()
        t = time.perf_counter()
        result = pipeline.run(volume, workers=n_threads, profiler=profiler)
        if time.perf_counter() - t < best:
            best, profile = time.perf_counter() - t, profiler
    print("-" * len(header), file=out)
    all_agree &= _print_row("lecture pipeline end to end", best, t_chain,
                            *_agree(result.output, x_ref), out)
    print(f"{result.count} objects; the scipy column is the sum of its chain's stages\n"
          f"\nqbi_fast lecture pipeline profile (qbi-fast run --example prints it as TOML):\n"
          f"{profile.table()}", file=out)
    if ring_rows > 0:
        all_agree &= run_ring_demo(ring_rows, seed, n_threads, repeat, out)
    return all_agree


# Ring-cleaning stages of the demo: qbi_fast.tomo methods compared with algotom's of that name.
RING_METHODS = ("remove_stripe_based_sorting", "remove_all_stripe")


def _ring_agree(a: np.ndarray, b: np.ndarray) -> tuple[bool, str]:
    """Equal to algotom's result rounded to float32, except where a column holds equal values:
    algotom's unstable sort orders them arbitrarily, so results of tied samples may trade places
    (a tiny fraction of samples on real data). The median difference must be 0."""
    b = b.astype(a.dtype)
    differ = a != b
    if not differ.any():
        return True, "identical"
    share = float(np.mean(differ))
    ok = bool(np.median(np.abs(a - b)) == 0)
    return ok, f"{share:.2%} of samples differ (tied values ordered differently)"


def run_ring_demo(n_rows: int, seed: int, n_threads: int, repeat: int, out) -> bool:
    """Clean a synthetic projection stack with qbi_fast.tomo and, if installed, algotom (one
    sinogram after another, as its functions take them); True when every result agrees."""
    stack = data.striped_sinograms(720, 400, n_rows=n_rows, seed=seed)
    print(f"\nring cleaning: synthetic projection stack {stack.shape} float32 "
          "(angles, rows, columns)", file=out)
    try:
        from algotom.prep import removal
    except ImportError:
        removal = None
        print("(algotom is not installed: pip install algotom to compare)", file=out)
    header = f"{'stage':<30} {'qbi_fast':>10} {'algotom':>10} {'speedup':>8}  result"
    print(header, file=out)
    print("-" * len(header), file=out)
    all_agree = True
    for name in RING_METHODS:
        method = getattr(tomo, name)
        t_qbi, y_qbi = _best_time(lambda m=method: m(stack, workers=n_threads), repeat)
        if removal is None:
            print(f"{name:<30} {t_qbi:>9.3f}s", file=out)
            continue
        reference = getattr(removal, name)
        t_ref, y_ref = _best_time(
            lambda r=reference: np.stack([r(stack[:, m]) for m in range(n_rows)], axis=1), 1
        )
        all_agree &= _print_row(name, t_qbi, t_ref, *_ring_agree(y_qbi, y_ref), out)
    return all_agree


def _scaling_stages(shape, seed):
    """Callables for ``qbi-fast scaling``: each runs one stage on prepared synthetic input."""
    volume = data.foam(shape, seed).astype(np.float32)
    pores = _pores(volume)
    sinograms = data.striped_sinograms(720, 400, n_rows=max(1, shape[0] // 10), seed=seed)
    return {
        "gaussian": lambda: ndimage.gaussian_filter(volume, 3.0),
        "median": lambda: ndimage.median_filter(volume, 3),
        "erosion": lambda: ndimage.binary_erosion(pores, ndimage.ball(12)),
        "label": lambda: ndimage.label(pores),
        "ring": lambda: tomo.remove_all_stripe(sinograms),
    }


def run_scaling(stage: str, shape, seed: int, workers, repeat: int, plot: str | None, out=None
                ) -> int:
    """Time one stage at several worker counts, print the timings and the Amdahl fit."""
    out = out or sys.stdout
    stages = _scaling_stages(shape, seed)
    result = amdahl.measure(stages[stage], workers, repeat)
    print(f"{stage} on synthetic data (foam {tuple(shape)}), best of {repeat} runs", file=out)
    print(f"{'workers':>8} {'seconds':>10} {'speedup':>8} {'model':>10}", file=out)
    for n, t in zip(result.workers, result.seconds, strict=True):
        print(f"{int(n):>8} {t:>10.4f} {result.seconds[0] / t:>7.2f}x {result.predict(n):>10.4f}",
              file=out)
    print(f"Amdahl fit: {result}", file=out)
    if plot:
        figure = result.plot()
        figure.savefig(plot)
        print(f"plot written to {plot}", file=out)
    return 0


def sample_name(source: str) -> str:
    """The default sample name of an input: its file or directory name without extension
    (``scans/s07.zarr/`` -> ``s07``); for a glob of slices, the deepest directory without
    wildcards (``scans/s07/slice_*.tif`` -> ``s07``), as each sample's slices usually have a
    folder of their own."""
    parts = Path(os.path.abspath(os.fspath(source))).parts
    wild = [k for k, part in enumerate(parts) if any(c in part for c in "*?[")]
    if wild:
        return parts[max(wild[0] - 1, 0)]
    return os.path.splitext(parts[-1])[0]


def run_pipeline(pipeline_path: str, source: str, output: str | None, block_shape, workers,
                 profile_json: str | None, plot: str | None, objects_csv: str | None,
                 sqlite: str | None, sample: str | None, progress: bool, out=None) -> int:
    """``qbi-fast run``: run a TOML pipeline, print its profile, write what was asked for."""
    out = out or sys.stdout
    pipeline = load_pipeline(Path(pipeline_path))  # a file, whatever its extension
    if (objects_csv or sqlite) and pipeline.label is None:
        msg = "--objects and --sqlite need a label stage in the pipeline: it has none"
        raise ValueError(msg)
    _check_report_paths(profile_json=profile_json, plot=plot, objects=objects_csv,
                        sqlite=sqlite)
    profiler = Profiler()
    start = time.perf_counter()
    result = pipeline.run(source, output, block_shape=block_shape, workers=workers,
                          progress=progress, profiler=profiler)
    wall = time.perf_counter() - start
    array = result.output
    skipped = result.blocks * (2 if pipeline.label else 1) - len(result.computed)
    # Every file is written before anything is printed: a reader that closes the pipe early
    # (`| head`) must not cost the results.
    lines = [f"{source}: {tuple(array.shape)} -> {output or '(memory)'} "
             f"{np.dtype(array.dtype)}, {result.blocks} blocks, {wall:.2f} s"
             + (f" (resumed: {skipped} block steps were already done)" if skipped else "")]
    if result.count is not None:
        lines.append(f"{result.count} objects; mean "
                     f"{result.sizes[1:].mean() if result.count else 0:.1f} voxels per object")
    lines.append(profiler.table())
    if profile_json:
        report = {"pipeline": os.fspath(pipeline_path), "input": os.fspath(source),
                  "output": output, "shape": list(array.shape), "blocks": result.blocks,
                  "computed": len(result.computed), "wall": wall, "count": result.count,
                  "workers": resolve_workers(workers), **profiler.to_dict()}
        with open(profile_json, "w") as f:
            json.dump(report, f, indent=1)
        lines.append(f"profile written to {profile_json}")
    if plot:
        profiler.plot().savefig(plot)
        lines.append(f"profile figure written to {plot}")
    if objects_csv or sqlite:
        table = result.objects or {"label": np.arange(1, result.count + 1, dtype=np.int64),
                                   "voxels": result.sizes[1:]}
        if objects_csv:
            if objects_csv.lower().endswith(".parquet"):
                objects.write_parquet(table, objects_csv)
            else:
                objects.write_csv(table, objects_csv)
            lines.append(f"{result.count} objects written to {objects_csv}")
        if sqlite:
            name = sample or sample_name(source)
            objects.write_sqlite(table, sqlite, sample=name)
            lines.append(f"{result.count} objects of sample {name!r} written to {sqlite}")
    if output is None:
        lines.append("no --output given: the result was not saved")
    print("\n".join(lines), file=out)
    return 0


def _check_report_paths(**paths) -> None:
    """Refuse, before a long run, report files that could not be written after it: a folder
    that does not exist, an object table in a format that is not CSV or Parquet."""
    for option, path in paths.items():
        if path is None:
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            msg = f"--{option.replace('_', '-')} {path}: folder {folder} does not exist"
            raise FileNotFoundError(msg)
    table = paths.get("objects")
    if table is not None and not table.lower().endswith((".csv", ".parquet")):
        msg = f"--objects {table}: the table is written as .csv or .parquet; name it so"
        raise ValueError(msg)
    database = paths.get("sqlite")
    if database is not None and os.path.exists(database):  # a database, or sqlite3 says why not
        with contextlib.closing(sqlite3.connect(database)) as db:
            db.execute("PRAGMA schema_version")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="qbi-fast", description="qbi_fast: scipy.ndimage-exact image processing on every core."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo",
        help="time every qbi_fast stage against scipy (and algotom) on synthetic data",
        description="Build the seeded synthetic foam volume and run each stage with qbi_fast and "
        "with scipy.ndimage, then clean ring artefacts from a synthetic projection stack with "
        "qbi_fast.tomo and (if installed) algotom, printing both times, the speedup and whether "
        "the results agree (exit status 1 if any stage differs).",
    )
    demo.add_argument("--shape", type=int, nargs=3, default=(100, 400, 400), metavar=("Z", "Y", "X"))
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--workers", type=int, default=None, help="threads (default: all available)")
    demo.add_argument("--repeat", type=int, default=3, help="runs per stage; the best is shown")
    demo.add_argument(
        "--ring-rows", type=int, default=10,
        help="sinograms (720 angles x 400 columns) in the ring-cleaning stack; 0 skips it",
    )
    scaling = commands.add_parser(
        "scaling",
        help="time one stage at several worker counts and fit Amdahl's law",
        description="Run one stage of the demo pipeline on synthetic data with 1, 2, 4, ... "
        "workers (or those given), print the best time of each, the speedup and the fitted "
        "model T(n) = T1 ((1 - p) + p / n) + c (n - 1): parallel fraction p, per-thread "
        "overhead c, and the speedup limit 1 / (1 - p).",
    )
    scaling.add_argument("stage", choices=["gaussian", "median", "erosion", "label", "ring"])
    scaling.add_argument("--workers", type=int, nargs="+", default=None,
                         help="worker counts to time (default: 1, 2, 4, ... up to all CPUs)")
    scaling.add_argument("--shape", type=int, nargs=3, default=(100, 400, 400),
                         metavar=("Z", "Y", "X"), help="foam volume shape")
    scaling.add_argument("--seed", type=int, default=0)
    scaling.add_argument("--repeat", type=int, default=3, help="runs per worker count")
    scaling.add_argument("--plot", metavar="FILE.png", help="also save a plot (needs matplotlib)")
    run = commands.add_parser(
        "run",
        help="run a pipeline described in a TOML file on a TIFF, zarr or npy volume",
        description="Run the stages of PIPELINE.toml (see --example) on INPUT block by block, "
        "with the halo each stage needs, so that the result equals running them on the whole "
        "volume while memory holds only a few blocks. INPUT is a .npy file, a .zarr array, a "
        "TIFF file or a quoted glob of one TIFF per slice. With --output a .zarr path the run "
        "can be resumed: run the same command again after a crash or kill and only the missing "
        "blocks are computed. Prints the stage profile (time, share, CPU/wall, peak memory, "
        "hotspot).",
    )
    run.add_argument("pipeline", nargs="?", metavar="PIPELINE.toml")
    run.add_argument("input", nargs="?", metavar="INPUT")
    run.add_argument("-o", "--output", metavar="OUT.zarr|OUT.npy",
                     help="where the result goes (default: kept in memory only)")
    run.add_argument("--example", action="store_true",
                     help="print the lecture pipeline as a TOML example and exit")
    run.add_argument("--block-shape", type=int, nargs="+", metavar="N",
                     help="block core shape (default: [pipeline] block_shape, else automatic)")
    run.add_argument("--workers", type=int, default=None, help="threads (default: all available)")
    run.add_argument("--profile", metavar="FILE.json", help="write the stage profile as JSON")
    run.add_argument("--plot", metavar="FILE.png", help="write the stage profile as a figure")
    run.add_argument("--objects", metavar="FILE.csv|FILE.parquet",
                     help="write the per-object table as CSV, or Parquet (needs pyarrow)")
    run.add_argument("--sqlite", metavar="FILE.sqlite",
                     help="append the per-object table to this database (one row per object, "
                     "with a sample column)")
    run.add_argument("--sample", help="sample name for --sqlite (default: the input's name; "
                     "for a glob of slices, their folder's)")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="show a progress bar (default: when stderr is a terminal)")
    commands.add_parser("config", help="print how qbi_fast was built and what it will use")
    args = parser.parse_args(argv)
    try:
        return _dispatch(args, run)
    except BrokenPipeError:
        # The reader of our output went away (`| head`); every file was written before the
        # printing. Stop quietly, as other command-line tools do, without a second error when
        # Python flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (ValueError, TypeError, OSError, KeyError, RuntimeError, IndexError, ArithmeticError,
            sqlite3.Error) as error:
        # A user's mistake (a missing file, bad TOML, an argument an operation refuses, which
        # scipy often answers with RuntimeError, a file that is not a database) is reported in
        # one line; QBI_FAST_TRACEBACK=1 shows where it came from.
        if os.environ.get("QBI_FAST_TRACEBACK", "").lower() not in ("", "0", "false", "no"):
            raise
        where = "".join(f" ({note})" for note in getattr(error, "__notes__", ()))
        print(f"qbi-fast {args.command}: error: {type(error).__name__}: {error}{where}",
              file=sys.stderr)
        return 1


def _dispatch(args, run) -> int:
    if args.command == "run":
        if args.example:
            if args.pipeline or args.input:
                run.error("--example takes no PIPELINE.toml or INPUT")
            print(LECTURE_TOML, end="")
            return 0
        if not args.pipeline or not args.input:
            run.error("PIPELINE.toml and INPUT are required (or --example)")
        progress = sys.stderr.isatty() if args.progress is None else args.progress
        return run_pipeline(args.pipeline, args.input, args.output, args.block_shape,
                            args.workers, args.profile, args.plot, args.objects, args.sqlite,
                            args.sample, progress)
    if args.command == "config":
        show_config()
        return 0
    if args.command == "scaling":
        return run_scaling(args.stage, tuple(args.shape), args.seed, args.workers,
                           max(1, args.repeat), args.plot)
    agree = run_demo(tuple(args.shape), args.seed, args.workers, max(1, args.repeat),
                     ring_rows=max(0, args.ring_rows))
    return 0 if agree else 1
