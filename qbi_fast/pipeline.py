"""Declarative, block-wise, resumable pipelines of named stages.

    from qbi_fast import ndimage
    from qbi_fast.pipeline import Pipeline, Stage

    lecture = Pipeline([
        Stage("invert", "invert"),                          # 1 - x / 255 for uint8
        Stage("smooth", ndimage.gaussian_filter, sigma=3),
        Stage("pores", "threshold", value=0.9),
        Stage("erode", ndimage.binary_erosion, structure=ndimage.ball(12)),
        Stage("label", ndimage.label),
    ])
    result = lecture.run("foam.zarr", out="labels.zarr", progress=True)
    result.count, result.sizes                               # objects, voxels per object

How it runs:

- Local stages (filters, morphology, per-sample functions) run one block at a time: a block is
  read once with the sum of their halos and stays in memory through all of them; only its core
  is written. The result is byte-identical to running the stages on the whole array.
- A final ``label`` stage labels each block's core, keeps its face planes, merges them
  (:mod:`qbi_fast.labelling`) and relabels the blocks to scipy's numbering of the whole volume.
  Voxels per object come from the per-block counts; an ``objects`` stage after ``label`` also
  gives bounding boxes and centroids (:mod:`qbi_fast.objects`).
- ``region=`` computes only the blocks a region of the output needs (local pipelines).
- With ``out`` a zarr path the run is resumable: finished blocks are recorded in
  ``<out>.run/`` as they complete, and a run that was stopped -- even by ``kill -9`` -- is
  restarted by calling ``run`` again: only the missing blocks are computed, and the output is
  byte-identical to an uninterrupted run. A changed pipeline, input or block shape starts over.
- ``profiler=`` (:class:`qbi_fast.profile.Profiler`) records each stage's time summed over the
  blocks, and the reading, writing and merging around them.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import inspect
import io
import json
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import labelling, ndimage, objects, tomo
from ._chunk_reads import regular_chunks
from ._halo import Reach
from ._pointwise import invert, threshold
from ._threads import resolve_workers
from .blocks import (
    Block,
    Operation,
    _effective_block_shape,
    _normalise_region,
    _progress_bar,
    _reader,
    check_not_aliased,
    default_block_shape,
    iter_blocks,
    open_array,
    open_output,
    outer_slice,
    relabelled_blocks,
)

__all__ = ["LECTURE_TOML", "OPERATIONS", "Pipeline", "PipelineResult", "Stage", "invert",
           "lecture_pipeline", "load_pipeline", "threshold"]


@contextlib.contextmanager
def _named_errors(stage):
    """An error raised by a stage's operation keeps its type and message (scipy's, often) and
    gains a note naming the stage, so that a long pipeline's user knows where to look."""
    try:
        yield
    except Exception as error:
        if hasattr(error, "add_note"):  # Python 3.11 on
            error.add_note(f"in stage {stage.name!r}")
        raise


def _objects_stage(labels):
    """Marks the per-object table as the pipeline's product; computed from the blocks."""
    return labels


# Operations a stage (or a TOML pipeline) may name by string.
OPERATIONS: dict[str, Callable] = {name: getattr(ndimage, name) for name in ndimage.__all__
                                   if name not in ("ball", "find_objects", "label_sizes",
                                                   "sum_labels")}
OPERATIONS.update({name: getattr(tomo, name) for name in tomo.__all__
                   if name.startswith("remove_")})
OPERATIONS.update({"invert": invert, "threshold": threshold, "objects": _objects_stage})


@dataclass
class Stage:
    """A named step: ``func(array, *args, **kwargs)``. ``func`` is a callable or a name from
    :data:`OPERATIONS`. Functions other than qbi_fast's need ``halo`` (0 for a function of each
    sample alone)."""

    name: str
    func: Callable | str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    halo: object = None

    def __init__(self, name: str, func, *args, halo=None, **kwargs):
        if isinstance(func, str):
            if func not in OPERATIONS:
                msg = f"unknown operation {func!r}; known: {sorted(OPERATIONS)}"
                raise ValueError(msg)
            func = OPERATIONS[func]
        self.name, self.func, self.args, self.kwargs = str(name), func, args, kwargs
        self.halo = halo
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):  # a callable without a signature: its call will tell
            signature = None
        if signature is not None:
            try:
                signature.bind(None, *args, **kwargs)
            except TypeError as error:
                msg = f"stage {self.name!r}: {error}"
                raise TypeError(msg) from None
        if self.kind == "label" and ("output" in kwargs or len(args) > 1):
            msg = (f"stage {self.name!r}: a pipeline chooses the label dtype (int32, or intp "
                   "from 2**31 - 2 samples on); give the label stage no output")
            raise TypeError(msg)

    @property
    def kind(self) -> str:
        if self.func is ndimage.label:
            return "label"
        if self.func is _objects_stage:
            return "objects"
        return "local"

    def operation(self) -> Operation:
        return Operation(self.func, *self.args, halo=self.halo, **self.kwargs)


@dataclass
class PipelineResult:
    """What a run produced: the output array; for a pipeline that labels, the number of objects,
    ``sizes`` (voxels per label, index 0 the background) and, with an ``objects`` stage, the
    per-object table; which blocks were computed in this call (``computed``) and how many there
    are in all."""

    output: object
    count: int | None = None
    sizes: np.ndarray | None = None
    objects: dict | None = None
    computed: list = field(default_factory=list)
    blocks: int = 0


def _describe(value):
    """A JSON-able fingerprint of an argument, for telling whether a stored run is this one."""
    if isinstance(value, np.ndarray | np.generic) or (hasattr(value, "shape")
                                                      and hasattr(value, "dtype")):
        array = np.ascontiguousarray(value)
        return {"array": hashlib.sha1(array.tobytes()).hexdigest(), "shape": list(array.shape),
                "dtype": str(array.dtype)}
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}"
    if isinstance(value, list | tuple):
        return [_describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in value.items()}
    return repr(value)


def _source_identity(source):
    """What tells a run's input apart from another of the same shape: the contents of an array
    in memory; for files (for zarr, every file under its directory), their paths with
    modification times and sizes (a file rewritten in place keeps neither)."""
    if isinstance(source, np.memmap) and source.filename:
        paths = [source.filename]
    elif isinstance(source, np.ndarray):
        return _describe(source)["array"]
    elif hasattr(source, "files"):  # TiffStack
        paths = source.files
    else:  # zarr: every file under its directory, as one digest (there may be millions)
        root = str(getattr(source, "store_path", "")).removeprefix("file://")
        if not os.path.isdir(root):
            return repr(source)
        digest = hashlib.sha256()
        files = sorted(os.path.join(d, n) for d, _, names in os.walk(root) for n in names)
        for path in files:  # zarr v3 keeps its chunks in subdirectories
            info = os.stat(path)
            digest.update(f"{os.path.relpath(path, root)}\0{info.st_mtime_ns}\0"
                          f"{info.st_size}\n".encode())
        return [os.path.abspath(root), len(files), digest.hexdigest()]
    stamps = []
    for path in paths:
        info = os.stat(path)
        stamps.append([os.path.abspath(path), info.st_mtime_ns, info.st_size])
    return stamps or repr(source)


class _RunRecord:
    """The ``<out>.run`` directory of a resumable run: the run's fingerprint, one marker file per
    finished block and phase, and the label phase's per-block summaries."""

    def __init__(self, out_path: str, fingerprint: dict):
        self.path = out_path.rstrip("/") + ".run"
        fingerprint = json.loads(json.dumps(fingerprint))  # as it reads back
        stored = None
        with contextlib.suppress(OSError, ValueError), \
                open(os.path.join(self.path, "run.json")) as f:
            stored = json.load(f)
        self.resuming = stored == fingerprint
        if not self.resuming:
            shutil.rmtree(self.path, ignore_errors=True)
            os.makedirs(self.path)
            self._write(os.path.join(self.path, "run.json"),
                        json.dumps(fingerprint, indent=1).encode())

    @staticmethod
    def _write(path: str, data: bytes) -> None:
        """Whole or not at all: written beside, flushed to disk, then renamed into place."""
        partial = path + ".partial"
        with open(partial, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)

    def reset(self) -> None:
        """Forget every finished block (their data is gone)."""
        for name in os.listdir(self.path):
            if name.endswith(".done"):
                os.remove(os.path.join(self.path, name))
        self.resuming = False

    def _marker(self, phase: str, index: int) -> str:
        return os.path.join(self.path, f"{phase}-{index}.done")

    def done(self, phase: str, index: int) -> bool:
        return self.resuming and os.path.exists(self._marker(phase, index))

    def finish(self, phase: str, index: int, payload: bytes = b"") -> None:
        self._write(self._marker(phase, index), payload)

    def payload(self, phase: str, index: int) -> bytes:
        with open(self._marker(phase, index), "rb") as f:
            return f.read()


def _pack_summary(chunk: labelling.ChunkLabels, table: dict) -> bytes:
    buffer = io.BytesIO()
    arrays = {"count": np.int64(chunk.count), "first": chunk.first}
    arrays.update({f"face_{a}_{i}": plane for (a, i), plane in chunk.faces.items()})
    arrays.update({f"table_{k}": v for k, v in table.items()})
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _unpack_summary(data: bytes, block: Block, volume_shape) -> tuple:
    stored = np.load(io.BytesIO(data))
    faces = {}
    for key in stored.files:
        if key.startswith("face_"):
            _, axis, index = key.split("_")
            faces[int(axis), int(index)] = stored[key]
    chunk = labelling.ChunkLabels(None, int(stored["count"]), block.offset, tuple(volume_shape),
                                  stored["first"], block.shape, faces)
    table = {k[len("table_"):]: stored[k] for k in stored.files if k.startswith("table_")}
    return chunk, table


def _local_table(labels: np.ndarray, offset, full: bool, workers) -> dict:
    """Per local label (0 .. count): voxels and, when ``full``, the bounding box and coordinate
    sums in the whole volume's coordinates."""
    count = int(labels.max()) if labels.size else 0
    voxels = ndimage.label_sizes(labels, count, workers=workers)
    table = {"voxels": voxels}
    if full and count:
        local = objects.object_table(labels, workers=workers)
        present = local["label"]
        for d, o in enumerate(offset):
            for key in (f"bbox_start_{d}", f"bbox_stop_{d}"):
                column = np.zeros(count + 1, np.int64)
                column[present] = local[key] + o
                table[key] = column
            sums = np.zeros(count + 1)
            sums[present] = (local[f"centroid_{d}"] + o) * local["voxels"]
            table[f"sum_{d}"] = sums
    return table


def _merge_tables(tables, lookups, count: int, ndim: int, full: bool, total: int):
    """Voxels per global label (index 0: background) and, when ``full``, the object table."""
    sizes = np.zeros(count + 1, np.int64)
    for table, lookup in zip(tables, lookups, strict=True):
        np.add.at(sizes, lookup[1:], table["voxels"][1:])
    sizes[0] = total - sizes[1:].sum()
    if not full:
        return sizes, None
    big = np.iinfo(np.int64).max
    start = np.full((ndim, count + 1), big, np.int64)
    stop = np.full((ndim, count + 1), -1, np.int64)
    sums = np.zeros((ndim, count + 1))
    for table, lookup in zip(tables, lookups, strict=True):
        if len(table) == 1:  # a chunk without objects
            continue
        for d in range(ndim):
            np.minimum.at(start[d], lookup[1:], table[f"bbox_start_{d}"][1:])
            np.maximum.at(stop[d], lookup[1:], table[f"bbox_stop_{d}"][1:])
            np.add.at(sums[d], lookup[1:], table[f"sum_{d}"][1:])
    present = np.arange(1, count + 1)
    result = {"label": present.astype(np.int64), "voxels": sizes[1:].copy()}
    for d in range(ndim):
        result[f"bbox_start_{d}"] = start[d, 1:]
        result[f"bbox_stop_{d}"] = stop[d, 1:]
    for d in range(ndim):
        result[f"centroid_{d}"] = sums[d, 1:] / sizes[1:]
    return sizes, result


class Pipeline:
    """Named stages run in order, block by block: any number of local stages, then optionally
    ``label`` and after it ``objects``."""

    def __init__(self, stages, *, block_shape=None):
        self.stages = list(stages)
        if not self.stages:
            msg = "a pipeline needs at least one stage"
            raise ValueError(msg)
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            msg = f"stage names must be unique; got {names}"
            raise ValueError(msg)
        kinds = [s.kind for s in self.stages]
        n_local = kinds.count("local")
        if kinds[:n_local] != ["local"] * n_local or \
                kinds[n_local:] not in ([], ["label"], ["label", "objects"]):
            msg = ("stages must be local stages, then at most one label stage, then at most one "
                   f"objects stage; got {kinds}")
            raise ValueError(msg)
        self.local = [s for s in self.stages if s.kind == "local"]
        self.label = next((s for s in self.stages if s.kind == "label"), None)
        self.objects = next((s for s in self.stages if s.kind == "objects"), None)
        if block_shape is not None and not all(isinstance(b, int | np.integer)
                                               for b in block_shape):
            msg = f"block_shape must be positive integers; got {list(block_shape)}"
            raise ValueError(msg)
        self.block_shape = None if block_shape is None else tuple(int(b) for b in block_shape)

    def reach(self, ndim: int) -> Reach:
        """The halo a block needs for all local stages together."""
        total = Reach.none(ndim)
        for stage in self.local:
            total = total + stage.operation().reach(ndim)
        return total

    def _fingerprint(self, source, block_shape, region) -> dict:
        return {
            "qbi_fast_pipeline": 1,
            "stages": [[s.name, _describe(s.func), _describe(s.args), _describe(s.kwargs),
                        _describe(s.halo)] for s in self.stages],
            "source": {"shape": list(source.shape), "dtype": str(np.dtype(source.dtype)),
                       "identity": _source_identity(source)},
            "block_shape": list(block_shape),
            "region": None if region is None else [[r.start, r.stop] for r in region],
        }

    def run(self, source, out=None, *, region=None, block_shape=None, workers=None,
            progress=False, profiler=None, on_block=None) -> PipelineResult:
        """Run on ``source`` (array or path, see :func:`qbi_fast.blocks.open_array`) into
        ``out`` (None, an array, a ``.npy`` or a ``.zarr`` path; a zarr path makes the run
        resumable). ``region`` (a tuple of slices) computes only that part of the output, of a
        pipeline without labelling. ``on_block(phase, index)`` is called as each block is
        finished (phase "local", then "relabel" for labelling pipelines)."""
        return _Run(self, source, out, region, block_shape, workers, progress, profiler,
                    on_block).execute()


class _NoProfiler:
    @contextlib.contextmanager
    def stage(self, name):
        yield


class _Run:
    """One call of :meth:`Pipeline.run`."""

    def __init__(self, pipeline, source, out, region, block_shape, workers, progress, profiler,
                 on_block):
        self.pipeline = pipeline
        self.source = open_array(source)
        self.shape = shape = tuple(self.source.shape)
        self.operations = [s.operation() for s in pipeline.local]
        for stage, operation in zip(pipeline.local, self.operations, strict=True):
            with _named_errors(stage):  # the checks a halo needs come first: name their stage
                operation.prepare(shape)
                operation.reach(len(shape))
        # per local stage, what the stages after it read: a halo, or whole axes
        self.later_reaches, later = [], Reach.none(len(shape))
        for operation in reversed(self.operations):
            self.later_reaches.insert(0, later)
            later = later + operation.reach(len(shape))
        reach = pipeline.reach(len(shape))
        block_shape = tuple(block_shape or pipeline.block_shape
                            or default_block_shape(shape, reach,
                                                   chunks=regular_chunks(self.source)))
        if len(block_shape) != len(shape):
            msg = f"block_shape has {len(block_shape)} axes, the source {len(shape)}"
            raise ValueError(msg)
        if region is not None and pipeline.label is not None:
            msg = ("labels of a region depend on the whole volume: run a labelling pipeline "
                   "without region=")
            raise ValueError(msg)
        self.region = None if region is None else _normalise_region(region, shape)
        self.out_shape = shape if region is None else tuple(r.stop - r.start
                                                            for r in self.region)
        self.shift = (0,) * len(shape) if region is None else tuple(r.start for r in self.region)
        self.chunk_shape = _effective_block_shape(shape, block_shape, reach)
        self.blocks = list(iter_blocks(shape, block_shape, reach, self.region))
        check_not_aliased(out, self.source, reach, len(self.blocks))
        self.out = out
        self.record = None
        if isinstance(out, str | os.PathLike) and os.fspath(out).rstrip("/").endswith(".zarr"):
            self.record = _RunRecord(os.fspath(out),
                                     pipeline._fingerprint(self.source, block_shape, self.region))
        self.n_threads = resolve_workers(workers)
        self.profiler = profiler if profiler is not None else _NoProfiler()
        self.on_block = on_block
        n_phases = 2 if pipeline.label is not None else 1
        self.bar = _progress_bar(progress, len(self.blocks) * n_phases, "pipeline")
        self.label_dtype = np.intp if math.prod(shape) >= 2**31 - 2 else np.int32
        self.result = PipelineResult(None, blocks=len(self.blocks))

    def _done(self, phase, block) -> bool:
        return self.record is not None and self.record.done(phase, block.index)

    def _finished(self, phase, block, payload=b""):
        if self.record is not None:
            self.record.finish(phase, block.index, payload)
        if self.bar is not None:
            self.bar.update()
        if self.on_block is not None:
            self.on_block(phase, block.index)

    def _stored(self, path):
        """An array a resumed run continues writing, or None when it must be made anew."""
        if self.record is None or not self.record.resuming or not os.path.exists(path):
            return None
        import zarr

        # A kill during a chunk's write leaves zarr's temporary file (the chunk's name plus
        # .<uuid>.partial) beside the chunk; the chunk is written again, so the store ends as an
        # uninterrupted run's only without it.
        for leftover in glob.glob(os.path.join(glob.escape(path), "**", "*.partial"),
                                  recursive=True):
            os.remove(leftover)
        return zarr.open_array(path, mode="r+")

    def execute(self) -> PipelineResult:
        record = self.record
        if record is not None and record.resuming:
            needed = (os.path.join(record.path, "provisional.zarr") if self.pipeline.label
                      else os.fspath(self.out))
            if not os.path.exists(needed) and any(self._done("local", b) for b in self.blocks):
                record.reset()
        if self.bar is not None:
            self.bar.update(sum(self._done(p, b) for p in ("local", "relabel")
                                for b in self.blocks))
        if self.pipeline.label is None:
            self._local_phase(self._write_output)
            if self.result.output is None:  # every block was done before, or there are none
                self.result.output = self._stored(os.fspath(self.out)) if record else None
            if self.result.output is None:
                dtype = self.source.dtype
                for operation in self.operations:
                    dtype = operation.result_dtype(dtype, self.shape)
                self.result.output = open_output(self.out, self.out_shape, dtype,
                                                 self.chunk_shape)
        else:
            self._label()
        if self.bar is not None:
            self.bar.close()
        return self.result

    def _local_phase(self, consume):
        """Read each unfinished block with its halo, run the local stages, hand on the core."""
        todo = [b for b in self.blocks if not self._done("local", b)]
        reads = _reader(self.source, todo, lambda b: b.outer)
        while True:
            with self.profiler.stage("read"):
                item = next(reads, None)
            if item is None:
                return
            block, data = item
            self.result.computed.append(("local", block.index))
            # Each stage keeps only what the later stages read: the core widened by their
            # halos (all of an axis a later stage needs whole, such as a wrap mode's). Later
            # stages then run on less, and a gaussian filters less.
            at = [o.start for o in block.outer]  # where data starts in the source
            for k, (stage, operation) in enumerate(zip(self.pipeline.local, self.operations,
                                                       strict=True)):
                later = self.later_reaches[k]
                wanted = [slice(0, o.stop - o.start) if whole else
                          outer_slice(slice(c.start - o.start, c.stop - o.start), h,
                                      o.stop - o.start) for c, o, h, whole in
                          zip(block.core, block.outer, later.halo, later.whole, strict=True)]
                inner = tuple(slice(o.start + w.start - a, o.start + w.stop - a)
                              for w, o, a in zip(wanted, block.outer, at, strict=True))
                place = Block(block.index, block.core,
                              tuple(slice(a, a + n) for a, n in zip(at, data.shape, strict=True)))
                with self.profiler.stage(stage.name), _named_errors(stage):
                    data = operation(data, place, self.n_threads, split=len(self.blocks) > 1,
                                     inner=inner)
                at = [o.start + w.start for w, o in zip(wanted, block.outer, strict=True)]
            consume(block, data)

    def _write_output(self, block, core):
        if self.result.output is None:
            self.result.output = self._stored(os.fspath(self.out)) if self.record else None
            if self.result.output is None:
                self.result.output = open_output(self.out, self.out_shape, core.dtype,
                                                 self.chunk_shape)
        where = tuple(slice(c.start - s, c.stop - s)
                      for c, s in zip(block.core, self.shift, strict=True))
        with self.profiler.stage("write"):
            self.result.output[where] = core
        self._finished("local", block)

    def _label(self):
        label = self.pipeline.label
        structure = label.args[0] if label.args else label.kwargs.get("structure")
        record, shape = self.record, self.shape
        full = self.pipeline.objects is not None
        summaries, tables = {}, {}
        for block in self.blocks:
            if self._done("local", block):
                summaries[block.index], tables[block.index] = _unpack_summary(
                    record.payload("local", block.index), block, shape)
        if record is None:  # labels are stored in the output and relabelled in place
            provisional = open_output(self.out, shape, self.label_dtype, self.chunk_shape)
        else:
            path = os.path.join(record.path, "provisional.zarr")
            provisional = self._stored(path)
            if provisional is None:
                provisional = open_output(path, shape, self.label_dtype, self.chunk_shape)

        def consume(block, core):
            with self.profiler.stage(label.name), _named_errors(label):
                chunk = labelling.label_chunk(core, block.offset, shape, structure,
                                              workers=label.kwargs.get("workers",
                                                                       self.n_threads))
                table = _local_table(chunk.labels, block.offset, full, self.n_threads)
            with self.profiler.stage("write"):
                provisional[block.core] = chunk.labels
            summaries[block.index], tables[block.index] = chunk.summary(), table
            payload = _pack_summary(summaries[block.index], table) if record else b""
            self._finished("local", block, payload)

        self._local_phase(consume)
        order = [b.index for b in self.blocks]
        with self.profiler.stage("merge"):
            lookups, count = labelling.merge_chunks([summaries[i] for i in order], structure)
        target, made_anew = provisional, False
        if record is not None:
            target = self._stored(os.fspath(self.out))
            if target is None:  # then blocks an earlier run relabelled are not in it
                target = open_output(self.out, shape, self.label_dtype, self.chunk_shape)
                made_anew = True
        todo, todo_lookups = [], []
        for block, lookup in zip(self.blocks, lookups, strict=True):
            if self._done("relabel", block) and not made_anew:
                continue
            if target is provisional and np.array_equal(lookup, np.arange(len(lookup))):
                self.result.computed.append(("relabel", block.index))
                self._finished("relabel", block)  # already numbered finally: one block, say
                continue
            todo.append(block)
            todo_lookups.append(lookup)
        with self.profiler.stage("relabel"):
            for block in relabelled_blocks(todo, todo_lookups, provisional, target,
                                           self.label_dtype, self.n_threads):
                self.result.computed.append(("relabel", block.index))
                self._finished("relabel", block)
        with self.profiler.stage(self.pipeline.objects.name if full else "sizes"):
            self.result.sizes, self.result.objects = _merge_tables(
                [tables[i] for i in order], lookups, count, len(shape), full, math.prod(shape))
        self.result.output, self.result.count = target, count




# The lecture's pipeline: pores of the foam (dark) smoothed, thresholded, eroded by a ball of
# radius 12 to split touching pores, labelled, measured.
LECTURE_TOML = """\
# qbi-fast run lecture.toml foam.npy --output labels.zarr --objects objects.csv
[pipeline]
# block_shape = [64, 256, 256]   # default: the whole volume if it fits in about 16M samples

[[stage]]
name = "invert"             # 1 - x / 255 for uint8 input, as float32
op = "invert"

[[stage]]
name = "smooth"
op = "gaussian_filter"
sigma = 3.0

[[stage]]
name = "pores"
op = "threshold"
value = 0.9

[[stage]]
name = "erode"
op = "binary_erosion"
structure = { ball = 12 }

[[stage]]
name = "label"
op = "label"

# Voxels per object come with every labelling; for bounding boxes and centroids too, add
# [[stage]]
# name = "objects"
# op = "objects"
"""


def _argument(value):
    """A TOML value as an operation argument: ``{ ball = r }``, ``{ ones = [shape] }``,
    ``{ connectivity = c, rank = n }`` and ``{ array = [...] }`` make arrays."""
    if not isinstance(value, dict):
        return value
    keys = set(value)
    if keys == {"ball"}:
        return ndimage.ball(value["ball"])
    if keys == {"ones"}:
        return np.ones(value["ones"], bool)
    if keys == {"connectivity", "rank"}:
        import scipy.ndimage as ndi

        return ndi.generate_binary_structure(value["rank"], value["connectivity"])
    if keys == {"array"}:
        return np.array(value["array"])
    msg = ("a table argument must be { ball = r }, { ones = [shape] }, "
           f"{{ connectivity = c, rank = n }} or {{ array = [...] }}; got {value!r}")
    raise ValueError(msg)


def load_pipeline(source) -> Pipeline:
    """A :class:`Pipeline` from TOML text or a ``.toml`` path: an optional ``[pipeline]`` table
    (``block_shape``) and one ``[[stage]]`` table per stage with ``name``, ``op`` (a name from
    :data:`OPERATIONS`), optional ``halo`` and the operation's keyword arguments (see
    :data:`LECTURE_TOML`)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    text = source
    if isinstance(source, os.PathLike) or (isinstance(source, str) and source.endswith(".toml")
                                           and "\n" not in source):
        with open(source, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode()
            spec = tomllib.loads(text)
        except ValueError as error:  # not UTF-8 (a volume given first, say) or not TOML
            msg = f"{os.fspath(source)} is not a TOML pipeline: {error}"
            raise ValueError(msg) from None
    else:
        spec = tomllib.loads(text)
    unknown = set(spec) - {"pipeline", "stage"}
    if unknown:
        msg = f"unknown TOML tables {sorted(unknown)}; expected [pipeline] and [[stage]]"
        raise ValueError(msg)
    settings = spec.get("pipeline", {})
    unknown = set(settings) - {"block_shape"}
    if unknown:
        msg = f"unknown [pipeline] settings {sorted(unknown)}; expected block_shape"
        raise ValueError(msg)
    stages = []
    for i, table in enumerate(spec.get("stage", [])):
        table = dict(table)
        if "op" not in table:
            msg = f"stage {i + 1} has no op"
            raise ValueError(msg)
        op = table.pop("op")
        name = table.pop("name", op)
        halo = table.pop("halo", None)
        stages.append(Stage(name, op, halo=halo,
                            **{k: _argument(v) for k, v in table.items()}))
    return Pipeline(stages, block_shape=settings.get("block_shape"))


def lecture_pipeline() -> Pipeline:
    """The lecture's pipeline (:data:`LECTURE_TOML`)."""
    return load_pipeline(LECTURE_TOML)
