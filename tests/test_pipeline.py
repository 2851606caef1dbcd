"""qbi_fast.pipeline: block-wise runs equal the whole-array chain (labels as scipy numbers the
whole volume), regions cost only their blocks, killed runs resume to byte-identical stores, TOML
pipelines and ``qbi-fast run``."""

from __future__ import annotations

import io
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage as ndi
import zarr

from qbi_fast import data, labelling, ndimage, tomo
from qbi_fast.cli import main
from qbi_fast.objects import object_table
from qbi_fast.pipeline import (
    LECTURE_TOML,
    Pipeline,
    Stage,
    invert,
    lecture_pipeline,
    load_pipeline,
    threshold,
)
from qbi_fast.profile import Profiler

# The lecture pipeline, smaller: a volume of 40 x 64 x 72 has few pores wider than ball(12).
SMALL_TOML = LECTURE_TOML.replace("sigma = 3.0", "sigma = 2.0").replace("ball = 12", "ball = 3")
LOCAL_TOML = SMALL_TOML[:SMALL_TOML.index('[[stage]]\nname = "label"')]


@pytest.fixture(scope="module")
def foam():
    return data.foam((40, 64, 72), seed=3, radius_range=(3.0, 9.0))


def _scipy_chain(foam, sigma=2.0, radius=3):
    x = np.float32(1) - foam / np.float32(255)
    eroded = ndi.binary_erosion(ndi.gaussian_filter(x, sigma) > 0.9, ndimage.ball(radius))
    return ndi.label(eroded)


def _small(objects=False):
    stages = load_pipeline(SMALL_TOML).stages
    if objects:
        stages.append(Stage("objects", "objects"))
    return Pipeline(stages)


@pytest.mark.parametrize("block_shape", [None, (40, 64, 72), (16, 32, 40), (7, 21, 13),
                                         (40, 5, 72)])
def test_labelling_pipeline_equals_scipy_chain(foam, block_shape):
    expected, n = _scipy_chain(foam)
    assert n > 10
    result = _small(objects=True).run(foam, block_shape=block_shape)
    assert result.count == n
    assert result.output.dtype == expected.dtype
    np.testing.assert_array_equal(result.output, expected)
    np.testing.assert_array_equal(result.sizes, np.bincount(expected.ravel(), minlength=n + 1))
    table = object_table(expected)
    for key, column in table.items():
        if key.startswith("centroid"):
            np.testing.assert_allclose(result.objects[key], column, rtol=1e-12)
        else:
            np.testing.assert_array_equal(result.objects[key], column)


def test_lecture_pipeline_on_the_foam_matches_scipy():
    foam = data.foam((48, 96, 96), seed=1)
    x = np.float32(1) - foam / np.float32(255)
    expected, n = ndi.label(ndi.binary_erosion(ndi.gaussian_filter(x, 3.0) > 0.9,
                                               ndimage.ball(12)))
    result = lecture_pipeline().run(foam, block_shape=(24, 48, 96))
    assert result.count == n
    np.testing.assert_array_equal(result.output, expected)


def test_local_pipeline_equals_the_calls_in_sequence(foam):
    pipeline = Pipeline(_small().local)
    expected = ndimage.binary_erosion(
        threshold(ndimage.gaussian_filter(invert(foam), 2.0), 0.9), ndimage.ball(3))
    for block_shape in [(9, 64, 72), (5, 17, 31), (1, 1, 80)]:
        result = pipeline.run(foam, block_shape=block_shape)
        assert result.output.dtype == bool
        np.testing.assert_array_equal(result.output, expected)


def test_stages_with_masks_on_the_shrinking_blocks(foam):
    """Each stage keeps only what later stages read (the core widened by their halos), so an
    array argument such as ``mask`` must be cut to that shrinking part of the block: it is, in
    every stage."""
    rng = np.random.default_rng(3)
    mask = rng.random(foam.shape) < 0.8
    smooth = Stage("smooth", "gaussian_filter", 1.5)
    bright = Stage("bright", "threshold", 100.0)
    eroded = Stage("eroded", "binary_erosion", ndimage.ball(2), mask=mask)
    opened = Stage("opened", "binary_dilation", iterations=2, mask=~mask)
    pipeline = Pipeline([smooth, bright, eroded, opened])
    expected = ndimage.binary_dilation(
        ndimage.binary_erosion(threshold(ndimage.gaussian_filter(foam, 1.5), 100.0),
                               ndimage.ball(2), mask=mask), iterations=2, mask=~mask)
    for block_shape in [(9, 64, 72), (5, 17, 31), (1, 1, 80)]:
        np.testing.assert_array_equal(pipeline.run(foam, block_shape=block_shape).output,
                                      expected)


def test_region_computes_only_its_blocks(foam):
    pipeline = Pipeline(_small().local[:2])
    whole = pipeline.run(foam, block_shape=(8, 16, 18))
    region = (slice(10, 18), slice(20, 30), slice(None))
    part = pipeline.run(foam, region=region, block_shape=(8, 16, 18))
    np.testing.assert_array_equal(part.output, whole.output[region])
    assert part.blocks == 4  # blocks tile the region: 8 planes, 10 rows, 72 columns in 18s
    assert whole.blocks == 5 * 4 * 4
    with pytest.raises(ValueError, match="region"):
        _small().run(foam, region=region)


@pytest.mark.parametrize("block_shape", [None, (3, 2, 5)])
def test_region_reads_axes_needed_whole(block_shape):
    """A region cutting an axis the stage needs whole (a wrap mode, a sinogram's angles and
    columns) reads that axis whole: the region of the whole-array result."""
    x = np.random.default_rng(3).random((20, 4, 16)).astype(np.float32)
    region = (slice(5, 12), slice(1, 3), slice(4, 9))
    first = Stage("smooth", ndimage.gaussian_filter, sigma=1.0)
    for stage in [Stage("wrap", ndimage.maximum_filter, size=3, mode="wrap"),
                  Stage("grid-wrap", ndimage.median_filter, size=3, mode="grid-wrap"),
                  Stage("rings", tomo.remove_stripe_based_sorting, size=5)]:
        whole = stage.func(x, *stage.args, **stage.kwargs)
        part = Pipeline([stage]).run(x, region=region, block_shape=block_shape)
        np.testing.assert_array_equal(part.output, whole[region])
        # after another stage: that stage keeps the whole axis for it too
        whole = stage.func(first.func(x, **first.kwargs), *stage.args, **stage.kwargs)
        part = Pipeline([first, stage]).run(x, region=region, block_shape=block_shape)
        np.testing.assert_array_equal(part.output, whole[region])


def test_empty_region():
    """A region with no samples gives an empty result of the stages' dtype, also for stages
    with a mask or that clean sinograms (which refuse a one-sample probe)."""
    rng = np.random.default_rng(4)
    mask = rng.random((8, 9)) < 0.8
    erode = Pipeline([Stage("erode", ndimage.binary_erosion, mask=mask)])
    result = erode.run(rng.random((8, 9)) < 0.5, region=(slice(3, 3),)).output
    assert (result.shape, result.dtype) == ((0, 9), np.dtype(bool))
    rings = Pipeline([Stage("smooth", ndimage.median_filter, size=3),
                      Stage("rings", tomo.remove_stripe_based_sorting, size=5)])
    result = rings.run(rng.random((16, 3, 12)), region=(slice(0, 0),)).output
    assert (result.shape, result.dtype) == ((0, 3, 12), np.dtype(np.float64))


def test_region_is_a_fraction_of_the_work(foam):
    pipeline = Pipeline([Stage("median", ndimage.median_filter, size=5)])
    volume = np.repeat(foam, 4, axis=0)
    t = time.perf_counter()
    pipeline.run(volume, block_shape=(16, 64, 72), workers=1)
    whole = time.perf_counter() - t
    t = time.perf_counter()
    pipeline.run(volume, region=(slice(0, 16),), block_shape=(16, 64, 72), workers=1)
    part = time.perf_counter() - t
    assert part < 0.6 * whole  # one block of ten, plus its halo


@pytest.mark.parametrize("out", ["labels.npy", "labels.zarr", "array"])
def test_outputs(tmp_path, foam, out):
    expected, _ = _scipy_chain(foam)
    target = np.zeros(foam.shape, np.int32) if out == "array" else str(tmp_path / out)
    result = _small().run(foam, target, block_shape=(16, 32, 40))
    if out == "array":
        assert result.output is target
    stored = np.load(target) if out.endswith(".npy") else np.asarray(result.output[...])
    np.testing.assert_array_equal(stored, expected)


def test_sources(tmp_path, foam):
    import tifffile

    expected, _ = _scipy_chain(foam)
    np.save(tmp_path / "foam.npy", foam)
    array = zarr.create_array(store=str(tmp_path / "foam.zarr"), shape=foam.shape,
                              chunks=(8, 32, 32), dtype=foam.dtype)
    array[...] = foam
    tifffile.imwrite(tmp_path / "foam.tif", foam)
    for source in ("foam.npy", "foam.zarr", "foam.tif"):
        result = _small().run(str(tmp_path / source), block_shape=(16, 32, 40))
        np.testing.assert_array_equal(result.output, expected)


def test_profiler_and_progress(foam, capsys):
    profiler = Profiler()
    _small().run(foam, block_shape=(20, 64, 72), profiler=profiler, progress=True)
    names = [r.name for r in profiler.stages()]
    for name in ("read", "invert", "smooth", "pores", "erode", "label", "write", "merge",
                 "relabel", "sizes"):
        assert name in names
    assert "pipeline" in capsys.readouterr().err


def _store_files(path: Path) -> dict[str, bytes]:
    return {str(f.relative_to(path)): f.read_bytes() for f in sorted(path.rglob("*"))
            if f.is_file()}


KILLER = """
import os, signal, sys
from qbi_fast.pipeline import load_pipeline
toml, source, out, phase, after = sys.argv[1:6]
seen = []
def on_block(p, index):
    if p == phase:
        seen.append(index)
        if len(seen) == int(after):
            os.kill(os.getpid(), signal.SIGKILL)
load_pipeline(toml).run(source, out, block_shape=(10, 32, 36), on_block=on_block)
"""


@pytest.mark.parametrize(("toml", "phase", "after"), [
    (SMALL_TOML, "local", 5),
    (SMALL_TOML, "relabel", 3),
    (LOCAL_TOML, "local", 7),
], ids=["label-killed-labelling", "label-killed-relabelling", "local-killed"])
def test_killed_run_resumes_to_identical_store(tmp_path, foam, toml, phase, after):
    (tmp_path / "p.toml").write_text(toml)
    np.save(tmp_path / "foam.npy", foam)
    source, out = str(tmp_path / "foam.npy"), str(tmp_path / "out.zarr")
    killed = subprocess.run([sys.executable, "-c", KILLER, str(tmp_path / "p.toml"), source,
                             out, phase, str(after)], capture_output=True, text=True,
                            timeout=300, check=False, cwd=tmp_path)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # what a kill in the middle of a chunk's write leaves (zarr writes to a temporary file)
    for store in (tmp_path / "out.zarr", tmp_path / "out.zarr.run" / "provisional.zarr"):
        if store.exists():
            (store / "zarr.json.0123abcd.partial").write_bytes(b"{")
    pipeline = load_pipeline(toml)
    resumed = pipeline.run(source, out, block_shape=(10, 32, 36))
    n_blocks = resumed.blocks
    assert n_blocks == 4 * 2 * 2
    local = [i for p, i in resumed.computed if p == "local"]
    relabel = [i for p, i in resumed.computed if p == "relabel"]
    if phase == "local":
        assert len(local) == n_blocks - after
        assert len(relabel) == (n_blocks if pipeline.label else 0)
    else:
        assert local == []
        assert len(relabel) == n_blocks - after
    fresh = pipeline.run(source, str(tmp_path / "fresh.zarr"), block_shape=(10, 32, 36))
    np.testing.assert_array_equal(resumed.output[...], fresh.output[...])
    assert resumed.count == fresh.count
    np.testing.assert_array_equal(resumed.sizes, fresh.sizes) if pipeline.label else None
    assert _store_files(tmp_path / "out.zarr") == _store_files(tmp_path / "fresh.zarr")
    again = pipeline.run(source, out, block_shape=(10, 32, 36))
    assert again.computed == []  # finished runs are not recomputed
    assert again.count == fresh.count


def test_kill_9_from_outside_then_resume_with_the_cli(tmp_path):
    foam = data.foam((96, 96, 96), seed=4, radius_range=(3.0, 9.0))
    np.save(tmp_path / "foam.npy", foam)
    (tmp_path / "p.toml").write_text(SMALL_TOML.replace("ball = 3", "ball = 5"))
    command = [sys.executable, "-m", "qbi_fast", "run", str(tmp_path / "p.toml"),
               str(tmp_path / "foam.npy"), "-o", str(tmp_path / "out.zarr"), "--block-shape",
               "8", "48", "48", "--workers", "1", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=tmp_path)
    run_dir = tmp_path / "out.zarr.run"
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if run_dir.exists() and len(list(run_dir.glob("local-*.done"))) >= 3:
            break
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    finished_before = len(list(run_dir.glob("*.done")))
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(command[3:]) == 0
    if process.returncode == -signal.SIGKILL:
        assert f"{finished_before} block steps were already done" in out.getvalue()
    expected, n = ndi.label(ndi.binary_erosion(
        ndi.gaussian_filter(np.float32(1) - foam / np.float32(255), 2.0) > 0.9,
        ndimage.ball(5)))
    assert f"{n} objects" in out.getvalue()
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "out.zarr"))[...], expected)


def test_changed_pipeline_or_block_shape_starts_over(tmp_path, foam):
    out = str(tmp_path / "out.zarr")
    first = _small().run(foam, out, block_shape=(20, 32, 36))
    assert len(first.computed) == 2 * first.blocks
    assert _small().run(foam, out, block_shape=(20, 32, 36)).computed == []
    assert len(_small().run(foam, out, block_shape=(20, 64, 36)).computed) == 2 * 4
    other = Pipeline(_small().stages[:1] + [Stage("smooth", ndimage.gaussian_filter, sigma=1.0)]
                     + _small().stages[2:])
    assert len(other.run(foam, out, block_shape=(20, 64, 36)).computed) == 2 * 4
    changed = foam.copy()
    changed[0, 0, 0] ^= 1
    assert len(other.run(changed, out, block_shape=(20, 64, 36)).computed) == 2 * 4
    np.save(str(tmp_path / "foam.npy"), foam)
    assert len(other.run(str(tmp_path / "foam.npy"), out, block_shape=(20, 64, 36)).computed) \
        == 2 * 4
    assert other.run(str(tmp_path / "foam.npy"), out, block_shape=(20, 64, 36)).computed == []
    time.sleep(0.01)
    np.save(str(tmp_path / "foam.npy"), changed)  # rewritten: a new modification time
    assert len(other.run(str(tmp_path / "foam.npy"), out, block_shape=(20, 64, 36)).computed) \
        == 2 * 4


def test_zarr_source_changed_in_place_starts_over(tmp_path):
    """zarr v3 keeps its chunks in subdirectories: a chunk rewritten there is a changed input
    (the run once resumed, returning the old result)."""
    x = np.random.default_rng(12).random((8, 10, 12)).astype(np.float32)
    source = str(tmp_path / "src.zarr")
    zarr.create_array(store=source, shape=x.shape, chunks=(4, 5, 6), dtype=x.dtype)[...] = x
    stages = Pipeline([Stage("smooth", ndimage.gaussian_filter, sigma=1.0)])
    out = str(tmp_path / "out.zarr")
    stages.run(source, out, block_shape=(4, 5, 6))
    assert stages.run(source, out, block_shape=(4, 5, 6)).computed == []
    time.sleep(0.01)
    zarr.open_array(source, mode="r+")[1, 2, 3] = 5.0
    changed = zarr.open_array(source)[...]
    result = stages.run(source, out, block_shape=(4, 5, 6))
    assert len(result.computed) == result.blocks
    np.testing.assert_array_equal(zarr.open_array(out)[...],
                                  ndimage.gaussian_filter(changed, 1.0))


def test_invert_and_threshold():
    x = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(invert(x), np.float32(1) - x / np.float32(255))
    assert invert(x).dtype == np.float32
    assert invert(x.astype(np.float64)).dtype == np.float64
    np.testing.assert_array_equal(invert(x.astype(np.int16), 100),
                                  np.float32(1) - x.astype(np.int16) / np.float32(100))
    big = np.random.default_rng(0).integers(0, 65535, (40, 200, 200), dtype=np.uint16)
    np.testing.assert_array_equal(invert(big, workers=2), invert(big, workers=1))
    np.testing.assert_array_equal(threshold(big, 30000), big > 30000)
    np.testing.assert_array_equal(threshold(big, 30000, above=False), big < 30000)
    with pytest.raises(TypeError, match="real numeric"):
        invert(np.zeros(3, complex))
    for dtype in (np.int8, np.int16, np.uint32):  # the largest value of the type by default
        scaled = np.divide(x.astype(dtype), np.float32(np.iinfo(dtype).max), dtype=np.float32)
        np.testing.assert_array_equal(invert(x.astype(dtype)), np.float32(1) - scaled)


def test_pipeline_of_nan_data_in_blocks_is_refused():
    """As blocks.apply: a filter whose result at a sample depends on NaN outside its window
    (scipy's) cannot run in blocks; one block gives scipy's result."""
    x = np.random.default_rng(5).random(22)
    x[[1, 3, 4, 6, 17]] = np.nan
    pipeline = Pipeline([Stage("m", "minimum_filter1d", size=3)])
    with pytest.raises(ValueError, match="NaN"):
        pipeline.run(x, block_shape=(2,))
    np.testing.assert_array_equal(pipeline.run(x).output, ndi.minimum_filter1d(x, 3))


def test_reversed_region_is_empty():
    """region= slices as numpy slices: 5:2 selects nothing."""
    x = np.random.default_rng(6).random((10, 30))
    result = Pipeline([Stage("m", "median_filter", size=3)]).run(x, region=np.s_[5:2]).output
    assert result.shape == (0, 30)


def test_toml_arguments_and_errors(tmp_path):
    pipeline = load_pipeline(LECTURE_TOML)
    assert [s.name for s in pipeline.stages] == ["invert", "smooth", "pores", "erode", "label"]
    np.testing.assert_array_equal(pipeline.stages[3].kwargs["structure"], ndimage.ball(12))
    path = tmp_path / "p.toml"
    path.write_text(LECTURE_TOML)
    assert [s.name for s in load_pipeline(str(path)).stages] == [s.name for s in pipeline.stages]
    assert [s.name for s in load_pipeline(path).stages] == [s.name for s in pipeline.stages]
    tables = load_pipeline("""
[pipeline]
block_shape = [4, 5, 6]
[[stage]]
op = "binary_dilation"
structure = { connectivity = 2, rank = 3 }
[[stage]]
name = "box"
op = "binary_erosion"
structure = { ones = [3, 1, 3] }
[[stage]]
name = "given"
op = "binary_opening"
structure = { array = [[0, 1, 0], [1, 1, 1], [0, 1, 0]] }
""")
    assert tables.block_shape == (4, 5, 6)
    assert tables.stages[0].name == "binary_dilation"
    assert tables.stages[0].kwargs["structure"].sum() == 19
    assert tables.stages[1].kwargs["structure"].shape == (3, 1, 3)
    assert tables.stages[2].kwargs["structure"].sum() == 5
    for text, match in [
        ('[[stage]]\nop = "nonsense"', "unknown operation"),
        ('[[stage]]\nname = "x"', "no op"),
        ('[other]\n[[stage]]\nop = "invert"', "unknown TOML tables"),
        ('[pipeline]\nworkers = 2\n[[stage]]\nop = "invert"', "unknown \\[pipeline\\]"),
        ('[[stage]]\nop = "binary_erosion"\nstructure = { cube = 3 }', "table argument"),
        ("", "at least one stage"),
    ]:
        with pytest.raises(ValueError, match=match):
            load_pipeline(text)
    for text, match in [
        ('[[stage]]\nop = "gaussian_filter"\nsigmas = 1', "stage 'gaussian_filter': missing"),
        ('[[stage]]\nname = "g"\nop = "gaussian_filter"\nsigma = 1\nbogus = 2',
         "stage 'g': got an unexpected keyword argument 'bogus'"),
        ('[[stage]]\nop = "label"\nconnectivity = 2', "stage 'label': got an unexpected"),
        ('[[stage]]\nop = "label"\noutput = "int64"', "chooses the label dtype"),
        ('[[stage]]\nop = "invert"\n[[stage]]\nop = "objects"\nsize = 3', "stage 'objects'"),
    ]:
        with pytest.raises(TypeError, match=match):
            load_pipeline(text)
    with pytest.raises(TypeError, match="chooses the label dtype"):
        Stage("label", ndimage.label, None, np.int64)


def test_label_stage_arguments(monkeypatch):
    """A label stage's structure reaches labelling and merging; its workers override the
    run's, as a local stage's do."""
    x = np.random.default_rng(7).random((9, 10, 11)) < 0.45
    full = np.ones((3, 3, 3), bool)
    seen = []
    label_chunk = labelling.label_chunk

    def spy(*args, workers=None, **kwargs):
        seen.append(workers)
        return label_chunk(*args, workers=workers, **kwargs)

    monkeypatch.setattr(labelling, "label_chunk", spy)
    for stage, workers in [(Stage("label", ndimage.label, full), 3),
                           (Stage("label", ndimage.label, structure=full, workers=1), 1)]:
        seen.clear()
        result = Pipeline([stage]).run(x, block_shape=(4, 5, 6), workers=3)
        expected, n = ndi.label(x, full)
        assert result.count == n
        np.testing.assert_array_equal(result.output, expected)
        assert set(seen) == {workers}


def test_pipeline_shape_rules():
    label = Stage("label", ndimage.label)
    smooth = Stage("smooth", ndimage.gaussian_filter, sigma=1)
    objects = Stage("objects", "objects")
    for stages in ([label, smooth], [smooth, label, Stage("l2", ndimage.label)],
                   [smooth, objects], [smooth, objects, label]):
        with pytest.raises(ValueError, match="at most one"):
            Pipeline(stages)
    with pytest.raises(ValueError, match="unique"):
        Pipeline([smooth, smooth])
    with pytest.raises(TypeError, match="halo"):
        Pipeline([Stage("mine", np.sqrt)]).run(np.ones((4, 4)))
    result = Pipeline([Stage("mine", np.sqrt, halo=0)]).run(np.full((4, 4), 4.0),
                                                            block_shape=(3, 3))
    np.testing.assert_array_equal(result.output, np.full((4, 4), 2.0))
    with pytest.raises(ValueError, match="block_shape"):
        Pipeline([smooth]).run(np.ones((4, 4)), block_shape=(2, 2, 2))
    x = np.ones((20, 8))
    with pytest.raises(ValueError, match="stored with the source"):
        Pipeline([smooth]).run(x, x, block_shape=(4, 8))


def test_cli_run_writes_profile_figure_and_objects(tmp_path, foam):
    pytest.importorskip("matplotlib").use("Agg")
    np.save(tmp_path / "foam.npy", foam)
    (tmp_path / "p.toml").write_text(SMALL_TOML + '\n[[stage]]\nname = "objects"\n'
                                     'op = "objects"\n')
    expected, n = _scipy_chain(foam)
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["run", str(tmp_path / "p.toml"), str(tmp_path / "foam.npy"),
                       "-o", str(tmp_path / "labels.npy"), "--block-shape", "20", "32", "40",
                       "--profile", str(tmp_path / "p.json"), "--plot", str(tmp_path / "p.png"),
                       "--objects", str(tmp_path / "o.csv"), "--sqlite", str(tmp_path / "s.db"),
                       "--no-progress"])
    text = out.getvalue()
    assert status == 0, text
    assert f"{n} objects" in text
    assert "<- hotspot" in text
    np.testing.assert_array_equal(np.load(tmp_path / "labels.npy"), expected)
    report = json.loads((tmp_path / "p.json").read_text())
    assert report["count"] == n
    assert report["blocks"] == 2 * 2 * 2
    assert {s["name"] for s in report["stages"]} >= {"smooth", "erode", "label"}
    assert (tmp_path / "p.png").stat().st_size > 1000
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert len(lines) == n + 1
    assert lines[0].startswith("label,voxels,bbox_start_0")
    with sqlite3.connect(tmp_path / "s.db") as db:
        rows = db.execute("SELECT sample, COUNT(*), SUM(voxels) FROM objects GROUP BY sample"
                          ).fetchall()
    db.close()
    assert rows == [("foam", n, int(np.count_nonzero(expected)))]
    pq = pytest.importorskip("pyarrow.parquet")
    with redirect_stdout(io.StringIO()):
        assert main(["run", str(tmp_path / "p.toml"), str(tmp_path / "foam.npy"),
                     "--objects", str(tmp_path / "o.parquet"), "--no-progress"]) == 0
    assert pq.read_table(tmp_path / "o.parquet").num_rows == n


def test_rerun_after_the_output_was_deleted(tmp_path):
    """The output store deleted, its run record kept: the labels are written again (they
    were once left all zero, with the right count)."""
    a = np.zeros((8, 8, 8), np.uint8)
    a[1:3, 1:3, 1:3] = 1
    a[5:7, 5:7, 5:7] = 1
    expected, n = ndi.label(a)
    store = tmp_path / "labels.zarr"
    for block_shape in [None, (4, 8, 8)]:
        pipeline = Pipeline([Stage("label", "label")])
        pipeline.run(a, str(store), block_shape=block_shape)
        shutil.rmtree(store)
        result = pipeline.run(a, str(store), block_shape=block_shape)
        assert result.count == n
        np.testing.assert_array_equal(zarr.open_array(str(store))[...], expected)
        shutil.rmtree(store)
        shutil.rmtree(str(store) + ".run", ignore_errors=True)


def test_cli_reports_user_errors_in_one_line(tmp_path, capsys):
    """A user's mistake: a one-line message and exit status 1, no traceback."""
    np.save(tmp_path / "x.npy", np.zeros((4, 5, 6), np.float32))
    (tmp_path / "bad.toml").write_text('[[stage]]\nname = "s"\nop = "gaussian_filter"\n')
    (tmp_path / "p.cfg").write_text(SMALL_TOML)  # a pipeline file of another extension
    gauss = '[[stage]]\nop = "gaussian_filter"\nsigma = 1.0\n'
    (tmp_path / "mode.toml").write_text(gauss + 'mode = "bogus"\n')  # scipy: RuntimeError
    (tmp_path / "halo.toml").write_text(gauss + "halo = 1\n")
    (tmp_path / "blocks.toml").write_text("[pipeline]\nblock_shape = [4.5, 4, 4]\n" + gauss)
    (tmp_path / "g.toml").write_text(gauss)
    (tmp_path / "l.toml").write_text('[[stage]]\nop = "label"\n')
    (tmp_path / "not.sqlite").write_text("not a database, but text " * 100)
    (tmp_path / "yes.toml").write_text('[[stage]]\nop = "threshold"\nvalue = 0\nabove = "yes"\n')
    x = str(tmp_path / "x.npy")
    for argv, message in [
        (["run", str(tmp_path / "missing.toml"), x], "FileNotFoundError"),
        (["run", str(tmp_path / "bad.toml"), x], "sigma"),
        (["run", str(tmp_path / "p.cfg"), str(tmp_path / "missing.npy")], "missing.npy"),
        (["run", str(tmp_path / "mode.toml"), x], "RuntimeError: boundary mode not supported"),
        (["run", str(tmp_path / "halo.toml"), x], "halo= is for functions qbi_fast does not"),
        (["run", str(tmp_path / "blocks.toml"), x], "block_shape must be positive integers"),
        (["run", str(tmp_path / "g.toml"), x, "-o", str(tmp_path / "o.npy"), "--objects",
          str(tmp_path / "o.csv")], "need a label stage"),
        (["run", str(tmp_path / "l.toml"), x, "--sqlite", str(tmp_path / "not.sqlite")],
         "DatabaseError"),
        # refused before the run: a folder that is not there, a table format that is not ours
        (["run", str(tmp_path / "l.toml"), x, "-o", str(tmp_path / "o.npy"), "--sqlite",
          str(tmp_path / "nowhere" / "s.sqlite")], "nowhere does not exist"),
        (["run", str(tmp_path / "l.toml"), x, "-o", str(tmp_path / "o.npy"), "--objects",
          str(tmp_path / "o.xlsx")], "written as .csv or .parquet"),
        (["run", str(tmp_path / "g.toml"), x, "-o", str(tmp_path / "o.npy"), "--profile",
          str(tmp_path / "nowhere" / "p.json")], "nowhere does not exist"),
        # the volume given first: not "UnicodeDecodeError" alone
        (["run", x, str(tmp_path / "g.toml")], "x.npy is not a TOML pipeline"),
        (["run", str(tmp_path / "yes.toml"), x], "above must be true or false"),
    ]:
        assert main([*argv, "--no-progress"]) == 1
        err = capsys.readouterr().err
        assert message in err
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o.npy").exists()  # refused before running


def test_cli_names_the_stage_an_operation_error_came_from(tmp_path, capsys):
    """scipy's error for a 2-d argument on a 3-d volume, with the stage that gave it."""
    np.save(tmp_path / "x.npy", np.zeros((4, 5, 6), np.float32))
    (tmp_path / "p.toml").write_text('[[stage]]\nname = "smooth"\nop = "gaussian_filter"\n'
                                     'sigma = 1.0\n[[stage]]\nname = "wide"\n'
                                     'op = "median_filter"\nsize = [3, 3]\n')
    assert main(["run", str(tmp_path / "p.toml"), str(tmp_path / "x.npy"), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: sequence argument must have length equal to input rank" in err
    assert err.rstrip().endswith("(in stage 'wide')")
    structure = '[[stage]]\nname = "pores"\nop = "label"\nstructure = { ones = [3, 3] }\n'
    (tmp_path / "l.toml").write_text(structure)
    assert main(["run", str(tmp_path / "l.toml"), str(tmp_path / "x.npy"), "--no-progress"]) == 1
    assert "(in stage 'pores')" in capsys.readouterr().err


def test_cli_output_closed_early_keeps_the_files(tmp_path):
    """`qbi-fast run ... | head -1`: the files are written before the summary is printed, and
    the closed pipe ends the command quietly."""
    np.save(tmp_path / "x.npy", np.random.default_rng(3).random((6, 7, 8)) < 0.3)
    (tmp_path / "l.toml").write_text('[[stage]]\nop = "label"\n')
    command = [sys.executable, "-m", "qbi_fast", "run", str(tmp_path / "l.toml"),
               str(tmp_path / "x.npy"), "--objects", str(tmp_path / "o.csv"), "--no-progress"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=tmp_path) as process:
        process.stdout.close()  # the reader goes away before anything is printed
        err = process.stderr.read().decode()
        process.wait()
    assert "Error" not in err, err
    assert "Traceback" not in err, err
    assert (tmp_path / "o.csv").read_text().startswith("label,voxels")


@pytest.mark.parametrize("value", ["", "0", "no"])
def test_cli_traceback_only_when_asked(tmp_path, capsys, monkeypatch, value):
    np.save(tmp_path / "x.npy", np.zeros((4, 5, 6), np.float32))
    (tmp_path / "p.toml").write_text('[[stage]]\nop = "gaussian_filter"\nsigma = 1.0\nmode = "x"\n')
    argv = ["run", str(tmp_path / "p.toml"), str(tmp_path / "x.npy"), "--no-progress"]
    monkeypatch.setenv("QBI_FAST_TRACEBACK", value)
    assert main(argv) == 1
    assert "Traceback" not in capsys.readouterr().err
    monkeypatch.setenv("QBI_FAST_TRACEBACK", "1")
    with pytest.raises(RuntimeError):
        main(argv)


def test_cli_objects_parquet_by_extension_in_any_case(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    np.save(tmp_path / "x.npy", np.random.default_rng(5).random((6, 7, 8)) < 0.3)
    (tmp_path / "l.toml").write_text('[[stage]]\nop = "label"\n')
    table = tmp_path / "objects.PARQUET"
    assert main(["run", str(tmp_path / "l.toml"), str(tmp_path / "x.npy"), "--objects",
                 str(table), "--no-progress"]) == 0
    assert table.read_bytes()[:4] == b"PAR1"


def test_cli_fresh_run_is_not_called_resumed(tmp_path):
    """One block (its lookup numbers labels as they are): nothing was done before."""
    np.save(tmp_path / "x.npy", np.random.default_rng(4).random((10, 12, 14)) < 0.3)
    (tmp_path / "p.toml").write_text('[[stage]]\nname = "label"\nop = "label"\n')
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["run", str(tmp_path / "p.toml"), str(tmp_path / "x.npy"),
                     "--no-progress"]) == 0
    assert "resumed" not in out.getvalue()


def test_cli_run_example_and_usage(tmp_path, capsys):
    assert main(["run", "--example"]) == 0
    assert capsys.readouterr().out == LECTURE_TOML
    with pytest.raises(SystemExit):
        main(["run", "only.toml"])
    assert "required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--example", "extra.toml"])
    assert "--example takes no" in capsys.readouterr().err
    help_text = subprocess.run([sys.executable, "-m", "qbi_fast", "run", "--help"],
                               capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert "resumed" in help_text
    assert "--block-shape" in help_text
