"""A 4 GiB zarr volume through invert -> gaussian -> threshold -> erosion -> label, with the
peak resident memory of the process that runs it measured against 1.5 GB.

    python bench/big_zarr.py [--workdir DIR] [--shape Z Y X] [--block-shape Z Y X] [--keep]
                             [--ball R]

1. The input: a float32 zarr array (default (1024, 1024, 1024), 4 GiB; chunks (64, 256, 256))
   in ``--workdir``: overlapping dark spheres (radii 6-26 voxels, 45 % porosity, seeded) in a
   bright matrix, blurred (sigma 1) and noisy, quantised like ``qbi_fast.data.foam`` (grey
   values 15 and 200 of 255, noise 10) and scaled to [0, 1]. Spheres are placed in the whole
   volume and drawn tile by tile (one zarr chunk plus a 4-voxel blur halo at a time), so
   spheres cross tile and block boundaries seamlessly and the generator holds only a few tens
   of MB. An input of the right shape that was finished before is reused.
2. The pipeline runs in a child process (this script with ``--child``), zarr to zarr, into a
   resumable output ``labels_<shape>.zarr`` (any output of an earlier run is removed first, so
   that every block is computed), with a :class:`qbi_fast.profile.Profiler`. The parent takes
   the child's peak RSS from ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` after it exits. On Linux
   that number also counts the parent's own peak RSS at the moment the child was started (exec
   carries it over), so the parent keeps its memory small until then and prints its own peak
   beside it; the child's ``VmHWM`` (its address space alone) is printed as a cross-check.
3. Checks: streaming over the labels chunk-row by chunk-row, the voxels per label equal
   ``result.sizes`` (so ``count`` is the number of distinct nonzero labels and the sizes add up
   to the nonzero voxels), no two different labels touch (6-connectivity, the label stage's
   structure), and ``count > 100``; on a (128, 256, 256) crop of the input, the pipeline (in
   several blocks) equals scipy.ndimage run directly, label for label.
4. A summary, PASS/FAIL against 1.5e9 bytes of peak RSS; exit status 0 on pass, 1 otherwise.
   The output is deleted (the input kept) unless ``--keep``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

LIMIT_BYTES = 1.5e9
GiB = 2**30
MARK = "BIG_ZARR_RESULT "

# The input's generator (changing any of these needs a new GENERATOR tag).
GENERATOR = "bench/big_zarr.py spheres v1"
CHUNKS = (64, 256, 256)
SEED = 0
POROSITY = 0.45
RADII = (6.0, 26.0)
SOLID, PORE, NOISE, BLUR = 200.0, 15.0, 10.0, 1.0
BLUR_HALO = 4  # gaussian radius of sigma 1 at truncate 4

CROP = (128, 256, 256)


def _rss_peak_self() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _vm_hwm() -> int | None:
    """Peak resident memory of this process's own address space (not what exec carried over)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _disk_bytes(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


# ---------------------------------------------------------------------------------------------
# the input


def _spheres(shape, seed):
    """Centres uniform over the volume and radii uniform in RADII, as many as a Boolean model
    needs to cover POROSITY of an unbounded volume: 1 - exp(-n E[V] / V) = POROSITY."""
    r0, r1 = RADII
    mean_volume = 4.0 / 3.0 * math.pi * (r1**4 - r0**4) / (4.0 * (r1 - r0))
    n = round(-math.log(1.0 - POROSITY) * math.prod(shape) / mean_volume)
    rng = np.random.default_rng(seed)
    return rng.uniform(0, shape, size=(n, 3)), rng.uniform(r0, r1, size=n)


def _tile(shape, lo, hi, centres, radii, index):
    """The input at lo..hi: spheres drawn with a blur halo, blurred, cut to lo..hi, noise added,
    quantised to 0..255 and scaled by 1/255."""
    from qbi_fast import ndimage

    shape, lo, hi = np.array(shape), np.array(lo), np.array(hi)
    glo, ghi = np.maximum(lo - BLUR_HALO, 0), np.minimum(hi + BLUR_HALO, shape)
    first = np.maximum(np.floor(centres - radii[:, None]).astype(np.int64), glo)
    last = np.minimum(np.ceil(centres + radii[:, None]).astype(np.int64) + 1, ghi)
    pores = np.zeros(tuple(ghi - glo), bool)
    for i in np.flatnonzero(np.all(last > first, axis=1)):
        c, r = centres[i], radii[i]
        dz, dy, dx = (np.arange(first[i, d], last[i, d]) - c[d] for d in range(3))
        ball = dz[:, None, None] ** 2 + dy[None, :, None] ** 2 + dx[None, None, :] ** 2 <= r * r
        box = tuple(slice(a - g, b - g) for a, b, g in zip(first[i], last[i], glo, strict=True))
        pores[box] |= ball
    grey = np.where(pores, np.float32(PORE), np.float32(SOLID))
    del pores
    grey = ndimage.gaussian_filter(grey, BLUR)
    core = tuple(slice(a - g, b - g) for a, b, g in zip(lo, hi, glo, strict=True))
    grey = grey[core].copy()
    rng = np.random.default_rng((SEED, index))
    grey += np.float32(NOISE) * rng.standard_normal(grey.shape, dtype=np.float32)
    np.rint(grey, out=grey)
    np.clip(grey, 0, 255, out=grey)
    return np.divide(grey, np.float32(255), out=grey)


def _input_ready(path: str, shape) -> bool:
    import zarr

    if not os.path.exists(os.path.join(path, "zarr.json")):
        return False
    try:
        array = zarr.open_array(path, mode="r")
    except (OSError, ValueError, KeyError):
        return False
    return (tuple(array.shape) == tuple(shape) and array.dtype == np.float32
            and array.attrs.get("generator") == GENERATOR and array.attrs.get("complete") is True)


def build_input(path: str, shape) -> tuple[bool, float]:
    """Writes the input tile by tile unless it is there already; returns (built, seconds)."""
    import zarr

    if _input_ready(path, shape):
        return False, 0.0
    start = time.perf_counter()
    chunks = tuple(min(c, n) for c, n in zip(CHUNKS, shape, strict=True))
    array = zarr.create_array(store=path, shape=shape, dtype=np.float32, chunks=chunks,
                              overwrite=True, fill_value=0)
    array.attrs.update({"generator": GENERATOR, "seed": SEED, "porosity": POROSITY,
                        "radii": list(RADII), "complete": False})
    centres, radii = _spheres(shape, SEED)
    starts = [range(0, n, c) for n, c in zip(shape, chunks, strict=True)]
    tiles = [(z, y, x) for z in starts[0] for y in starts[1] for x in starts[2]]
    for index, lo in enumerate(tiles):
        hi = tuple(min(a + c, n) for a, c, n in zip(lo, chunks, shape, strict=True))
        array[tuple(slice(a, b) for a, b in zip(lo, hi, strict=True))] = _tile(
            shape, lo, hi, centres, radii, index)
        if (index + 1) % 16 == 0 or index + 1 == len(tiles):
            print(f"  input: {index + 1}/{len(tiles)} tiles, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    array.attrs.update({"complete": True})
    return True, time.perf_counter() - start


# ---------------------------------------------------------------------------------------------
# the pipeline


def make_pipeline(ball: int):
    from qbi_fast import ndimage
    from qbi_fast.pipeline import Pipeline, Stage

    return Pipeline([
        Stage("invert", "invert"),
        Stage("smooth", ndimage.gaussian_filter, sigma=3),
        Stage("pores", "threshold", value=0.9),
        Stage("erode", ndimage.binary_erosion, structure=ndimage.ball(ball)),
        Stage("label", ndimage.label),
    ])


def child(spec: dict) -> None:
    """Runs in the child process: the pipeline, then one JSON line on stdout."""
    from qbi_fast.profile import Profiler

    pipeline = make_pipeline(spec["ball"])
    profiler = Profiler()
    start = time.perf_counter()
    result = pipeline.run(spec["input"], out=spec["output"], block_shape=spec["block_shape"],
                          profiler=profiler)
    wall = time.perf_counter() - start
    np.save(spec["sizes"], result.sizes)
    phases = [phase for phase, _ in result.computed]
    print(MARK + json.dumps({
        "count": int(result.count),
        "blocks": int(result.blocks),
        "computed_local": phases.count("local"),
        "computed_relabel": phases.count("relabel"),
        "block_shape": [int(c) for c in result.output.chunks],
        "label_dtype": str(result.output.dtype),
        "foreground": int(result.sizes[1:].sum()),
        "wall": wall,
        "vm_hwm": _vm_hwm(),
        "ru_maxrss_self": _rss_peak_self(),
        "profile_table": profiler.table(),
        "profile": profiler.to_dict(),
    }), flush=True)


def run_child(spec: dict) -> tuple[dict, float, int]:
    """The child's report, its wall time as seen from here and its peak RSS (bytes) from
    getrusage(RUSAGE_CHILDREN)."""
    command = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    start = time.perf_counter()
    process = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    report = None
    for line in process.stdout.splitlines():
        if line.startswith(MARK):
            report = json.loads(line[len(MARK):])
        else:
            print(line)
    if process.returncode != 0 or report is None:
        msg = f"the pipeline process failed (exit status {process.returncode})"
        raise RuntimeError(msg)
    return report, seconds, peak


# ---------------------------------------------------------------------------------------------
# checks


def _clashes(a: np.ndarray, b: np.ndarray) -> int:
    """Neighbouring foreground voxels (a[i] beside b[i]) that carry different labels."""
    return int(np.count_nonzero((a != b) & (a > 0) & (b > 0)))


def check_labels(path: str, sizes: np.ndarray, count: int) -> dict:
    """One pass over the labels, a row of chunks at a time (each chunk decoded once): voxels per
    label, and different labels touching across a face (within a row, and against the last
    plane of the row before along y and of the slab before along z)."""
    import zarr

    labels = zarr.open_array(path, mode="r")
    nz, ny, _ = labels.shape
    bz, by = labels.chunks[:2]
    voxels = np.zeros(count + 1, np.int64)
    clashes, out_of_range = 0, 0
    last_z = None  # the previous slab's last z plane
    for z0 in range(0, nz, bz):
        plane = None
        last_y = None  # the previous row's last y plane in this slab
        for y0 in range(0, ny, by):
            row = np.asarray(labels[z0:z0 + bz, y0:y0 + by])
            if row.size and (row.min() < 0 or row.max() > count):
                out_of_range += int(np.count_nonzero((row < 0) | (row > count)))
                row = np.where((row < 0) | (row > count), 0, row)
            voxels += np.bincount(row.ravel(), minlength=count + 1)
            clashes += _clashes(row[1:], row[:-1]) + _clashes(row[:, 1:], row[:, :-1]) \
                + _clashes(row[:, :, 1:], row[:, :, :-1])
            if last_y is not None:
                clashes += _clashes(last_y, row[:, 0])
            if last_z is not None:
                clashes += _clashes(last_z[y0:y0 + row.shape[1]], row[0])
            if plane is None:
                plane = np.empty((ny, row.shape[2]), row.dtype)
            plane[y0:y0 + row.shape[1]] = row[-1]
            last_y = row[:, -1].copy()
            del row
        last_z = plane
    return {
        "voxels_match_sizes": bool(np.array_equal(voxels, sizes)),
        "distinct_labels": int(np.count_nonzero(voxels[1:])),
        "nonzero_voxels": int(voxels[1:].sum()),
        "sizes_sum": int(np.asarray(sizes)[1:].sum()),
        "touching_different_labels": clashes,
        "labels_out_of_range": out_of_range,
    }


def check_crop(input_path: str, ball: int) -> dict:
    """The pipeline on a crop in memory, in blocks, against scipy.ndimage on the same crop."""
    import scipy.ndimage as ndi
    import zarr

    from qbi_fast import ndimage

    source = zarr.open_array(input_path, mode="r")
    shape = tuple(min(c, n) for c, n in zip(CROP, source.shape, strict=True))
    start = [(n - c) // 2 for n, c in zip(source.shape, shape, strict=True)]
    box = tuple(slice(a, a + c) for a, c in zip(start, shape, strict=True))
    x = np.asarray(source[box])
    block_shape = tuple(max(1, (c + 1) // 2) for c in shape)
    result = make_pipeline(ball).run(x, block_shape=block_shape)
    mask = ndi.gaussian_filter(np.float32(1) - x, 3) > 0.9
    expected, expected_count = ndi.label(ndi.binary_erosion(mask, structure=ndimage.ball(ball)))
    return {
        "crop": [[s.start, s.stop] for s in box],
        "crop_blocks": int(result.blocks),
        "crop_count": int(result.count),
        "crop_identical": bool(result.count == expected_count
                               and np.array_equal(np.asarray(result.output), expected)),
        "crop_pore_fraction": float(mask.mean()),
        "crop_eroded_fraction": float(np.count_nonzero(expected) / expected.size),
    }


# ---------------------------------------------------------------------------------------------
# main


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(),
                                                          "qbi_fast_big_zarr"))
    parser.add_argument("--shape", type=int, nargs=3, default=(1024, 1024, 1024),
                        metavar=("Z", "Y", "X"))
    parser.add_argument("--block-shape", type=int, nargs=3, default=None,
                        metavar=("Z", "Y", "X"),
                        help="pipeline block core (default: qbi_fast's default_block_shape)")
    parser.add_argument("--ball", type=int, default=12, help="erosion ball radius (12)")
    parser.add_argument("--keep", action="store_true", help="keep the output labels")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = _parse(argv)
    if args.child is not None:
        child(json.loads(args.child))
        return 0
    shape = tuple(args.shape)
    name = "x".join(str(n) for n in shape)
    workdir = os.path.abspath(args.workdir)
    os.makedirs(workdir, exist_ok=True)
    input_path = os.path.join(workdir, f"input_{name}.zarr")
    output_path = os.path.join(workdir, f"labels_{name}.zarr")
    sizes_path = os.path.join(workdir, f"sizes_{name}.npy")
    input_bytes = math.prod(shape) * np.dtype(np.float32).itemsize

    print(f"input {input_path}: {shape} float32, {input_bytes / GiB:.3f} GiB", flush=True)
    built, build_seconds = build_input(input_path, shape)
    how = f"built in {build_seconds:.1f} s" if built else "reused"
    print(f"  {how}, "
          f"{_disk_bytes(input_path) / GiB:.2f} GiB on disk", flush=True)
    parent_peak = _rss_peak_self()

    for stale in (output_path, output_path + ".run"):
        shutil.rmtree(stale, ignore_errors=True)
    spec = {"input": input_path, "output": output_path, "sizes": sizes_path,
            "block_shape": args.block_shape, "ball": args.ball}
    print(f"pipeline: invert -> gaussian sigma 3 -> threshold 0.9 -> binary_erosion "
          f"ball({args.ball}) -> label, into {output_path}", flush=True)
    report, child_seconds, peak = run_child(spec)
    print(report["profile_table"])

    sizes = np.load(sizes_path)
    print("checking the labels ...", flush=True)
    start = time.perf_counter()
    checks = check_labels(output_path, sizes, report["count"])
    checks.update(check_crop(input_path, args.ball))
    check_seconds = time.perf_counter() - start
    output_bytes = _disk_bytes(output_path) + _disk_bytes(output_path + ".run")

    correct = (checks["voxels_match_sizes"] and checks["distinct_labels"] == report["count"]
               and checks["nonzero_voxels"] == checks["sizes_sum"]
               and checks["touching_different_labels"] == 0
               and checks["labels_out_of_range"] == 0 and checks["crop_identical"])
    enough = report["count"] > 100
    memory_ok = peak <= LIMIT_BYTES
    passed = correct and enough and memory_ok
    vm_hwm = report["vm_hwm"]
    n = math.prod(shape)

    print()
    print("summary")
    chunks = tuple(min(c, s) for c, s in zip(CHUNKS, shape, strict=True))
    print(f"  input              {input_bytes / GiB:.3f} GiB ({input_bytes} bytes) float32, "
          f"shape {shape}, zarr chunks {chunks}")
    print(f"  block shape        {tuple(report['block_shape'])} "
          f"({'given' if args.block_shape else 'default'}), {report['blocks']} blocks "
          f"({report['computed_local']} labelled, {report['computed_relabel']} relabelled "
          f"in this run)")
    print(f"  erosion            ball({args.ball})")
    print(f"  wall time          {report['wall']:.1f} s pipeline.run "
          f"({child_seconds:.1f} s the whole child process)")
    print(f"  peak RSS           {peak / GiB:.3f} GiB ({peak / 1e9:.3f} GB) of the child "
          f"(getrusage RUSAGE_CHILDREN)")
    print(f"                     child's own address space (VmHWM) "
          f"{'-' if vm_hwm is None else f'{vm_hwm / GiB:.3f} GiB'}; parent's peak before "
          f"starting it {parent_peak / GiB:.3f} GiB")
    print(f"  limit              {LIMIT_BYTES / 1e9:.1f} GB = {LIMIT_BYTES / GiB:.3f} GiB: "
          f"{'within' if memory_ok else 'EXCEEDED'}")
    print(f"  objects            count {report['count']} ({'> 100' if enough else '<= 100!'}), "
          f"{report['foreground'] / n:.1%} of voxels after erosion; crop: "
          f"{checks['crop_pore_fraction']:.1%} above the threshold, "
          f"{checks['crop_eroded_fraction']:.1%} after erosion")
    print(f"  labels ({report['label_dtype']})   voxels per label == sizes: "
          f"{checks['voxels_match_sizes']}; distinct nonzero labels {checks['distinct_labels']}"
          f" (count {report['count']}); nonzero voxels {checks['nonzero_voxels']} "
          f"(sum sizes[1:] {checks['sizes_sum']}); touching different labels "
          f"{checks['touching_different_labels']}; out of range "
          f"{checks['labels_out_of_range']}")
    print(f"  crop {CROP}     pipeline in {checks['crop_blocks']} blocks == scipy.ndimage: "
          f"{checks['crop_identical']} ({checks['crop_count']} objects)")
    print(f"  checks took        {check_seconds:.1f} s; output {output_bytes / GiB:.2f} GiB "
          f"on disk ({'kept' if args.keep else 'deleted'})")
    print(f"  RESULT             {'PASS' if passed else 'FAIL'}")

    if not args.keep:
        for path in (output_path, output_path + ".run"):
            shutil.rmtree(path, ignore_errors=True)
        if os.path.exists(sizes_path):
            os.remove(sizes_path)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
