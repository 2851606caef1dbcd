"""qbi_fast's functions on dask arrays, reached through :mod:`qbi_fast._dispatch`.

Filters (``local``): each chunk is computed with the halo its operation reads
(:mod:`qbi_fast._halo`), taken from the neighbouring chunks; at the array's own edges the chunk
*is* the edge (dask's ``boundary='none'``), so every scipy mode behaves as on the whole array
and the result equals the numpy call byte for byte. Before that, axes the operation cannot
split (wrap modes, axes shorter than the window, whole sinograms) are joined into one chunk,
and chunks shorter than the halo are merged with a neighbour. Each chunk
runs with ``workers=1`` unless ``workers=`` is given: dask supplies the parallelism.

Labels: every chunk is labelled alone (:func:`qbi_fast.labelling.label_chunk`), only the
chunks' boundary planes travel to the one merge task (:func:`~qbi_fast.labelling.merge_chunks`),
and each chunk is relabelled where it lies: scipy's numbering of the whole volume, with no task
that holds the whole volume.
"""

from __future__ import annotations

import inspect
import itertools
import math
import operator

import dask
import dask.array as da
import numpy as np
import scipy.ndimage as ndi
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

from . import labelling, ndimage
from ._dispatch import is_dask_array
from ._halo import Reach
from ._validate import new_output_dtype
from .blocks import Operation, outer_slice
from .ndimage._measurements import _MAX_SIZES_LABELS, label_structure

__all__ = ["IMPLEMENTATIONS"]



def _bind(func, args, kwargs) -> tuple[object, dict]:
    """The first argument of ``func(*args, **kwargs)`` and the others by name."""
    arguments = dict(inspect.signature(func).bind(*args, **kwargs).arguments)
    first = next(iter(inspect.signature(func).parameters))
    return arguments.pop(first), arguments


def _as_dask(value, chunks=None) -> da.Array:
    if is_dask_array(value):
        if any(math.isnan(c) for axis in value.chunks for c in axis):
            msg = ("the dask array's chunk sizes are unknown (as after boolean indexing): call "
                   "its compute_chunk_sizes() first")
            raise ValueError(msg)
        return value if chunks is None else value.rechunk(chunks)
    return da.from_array(np.asarray(value), chunks="auto" if chunks is None else chunks)


def _per_chunk_workers(arguments: dict) -> int:
    """Threads per chunk: 1 unless asked for, as dask runs chunks in parallel."""
    workers = arguments.get("workers")
    return 1 if workers is None else workers


def _merge_short(chunks: tuple[int, ...], minimum: int) -> tuple[int, ...]:
    """Chunk lengths joined, in order, until each is at least ``minimum`` long."""
    merged, pending = [], 0
    for length in chunks:
        pending += length
        if pending >= minimum:
            merged.append(pending)
            pending = 0
    if pending:
        if merged:
            merged[-1] += pending
        else:
            merged.append(pending)
    return tuple(merged)


def _chunks_for(data: da.Array, reach: Reach) -> tuple[tuple[int, ...], ...]:
    """The chunks the operation runs on: axes marked whole, or shorter than a window (where a
    window may reflect more than once), in one chunk; elsewhere chunks of at least the halo, so
    that a chunk's halo comes from its next neighbours only."""
    result = []
    for n, chunks, h, whole in zip(data.shape, data.chunks, reach.halo, reach.whole,
                                   strict=True):
        if whole or 2 * h + 1 > n:
            result.append((n,))
        else:
            result.append(_merge_short(chunks, h) if h else chunks)
    return tuple(result)


def _spans(chunks: tuple[int, ...], halo: int, n: int) -> list:
    """Along one axis, per chunk: its core's place in its span (the core with its halo, as
    blocks read it), the span's length, and the pieces of chunks the span is made of, each as
    (chunk index, slice of that chunk, slice of the span)."""
    bounds = np.cumsum((0, *chunks)).tolist()
    result = []
    for i in range(len(chunks)):
        outer = outer_slice(slice(bounds[i], bounds[i + 1]), halo, n)
        pieces = [(j, slice(max(outer.start, lo) - lo, min(outer.stop, hi) - lo),
                   slice(max(outer.start, lo) - outer.start, min(outer.stop, hi) - outer.start))
                  for j, (lo, hi) in enumerate(itertools.pairwise(bounds))
                  if max(outer.start, lo) < min(outer.stop, hi)]
        inner = slice(bounds[i] - outer.start, bounds[i + 1] - outer.start)
        result.append((inner, outer.stop - outer.start, pieces))
    return result


def _parts(pieces) -> dict:
    """The pieces of a span (of one array) keyed by where they start in it."""
    return {tuple(w.start for w in where): block for where, block in pieces}


def _assembled(shape, dtypes, pieces) -> list[np.ndarray]:
    """A span per array, assembled from the pieces: one copy of every sample into new memory."""
    spans = [np.empty(shape, new_output_dtype(dtype)) for dtype in dtypes]  # native order
    for where, *blocks in pieces:
        for span, block in zip(spans, blocks, strict=True):
            span[where] = block
    return spans


def _with_halo(run, shape, inner, dtypes, pieces) -> np.ndarray:
    """One chunk's result: ``run`` on its span, the core (``inner``) with its halo, for the core
    alone. An operation that filters a span in parts (the gaussian) is given the pieces as they
    are: assembling a span takes new memory and a copy of every sample, 15-30 ms of a 100 ms
    gaussian task on a 64 MiB chunk. Otherwise the span is assembled and ``run`` may filter it
    in place, as nothing else holds it."""
    if len(dtypes) == 1:
        result = run(parts=_parts(pieces), core=tuple(c.start for c in inner))
        if result is not None:
            return result
    spans = _assembled(shape, dtypes, pieces)
    return _own_bytes(run(*spans, inner=inner, overwrite_data=True))


def _own_bytes(result: np.ndarray) -> np.ndarray:
    """``result``, copied unless it is C-contiguous and all of the memory it holds. The gaussian
    writes its last pass into a new array of the core alone; other operations give a view of
    the span, which, stored as it is, would keep the halo alive, and dask does not count that
    (it counts a view's bytes, not its base's)."""
    base = result.base
    if result.flags.c_contiguous and (base is None or getattr(base, "nbytes", -1) == result.nbytes):
        return result
    return result.copy()


def _face_of(source, cut, chunks) -> tuple[int, bool, int]:
    """Which face slab of chunk ``source`` the piece ``cut`` of it is read from: ``(axis, low,
    depth)``, the axis (among those the piece covers only partly) whose slab is thinnest,
    whether the piece is a prefix there (the low face), and its length along that axis."""
    lengths = [chunks[d][j] for d, j in enumerate(source)]
    faces = []
    for d, c in enumerate(cut):
        if c.stop - c.start < lengths[d]:
            depth = c.stop - c.start
            volume = depth * math.prod(lengths) // lengths[d]
            faces.append((volume, d, c.start == 0, depth))
    _, d, low, depth = min(faces)
    return d, low, depth


def _anchors_per_chunk(arrays: list[da.Array], chunks_with_slabs: int) -> int:
    """How many empty tasks on each chunk its face slab tasks must also depend on, so that
    distributed's scheduler runs each slab task where its chunk is.

    The scheduler takes a group of tasks for root-ish -- and then runs each on whichever worker
    is free, wherever its inputs are -- when the group is more than twice the cluster's threads
    and the task groups it depends on hold fewer than
    ``distributed.scheduler.rootish-taskgroup-dependencies`` (5) tasks in all. The face slabs
    of an array of fewer chunks than that are such a group: each slab task ran on either worker,
    half the time pulling its whole chunk across for a slice of it. On 2 workers a (256, 512,
    512) float32 gaussian in 64 MiB chunks took 460 ms that way, 255 ms without. The empty
    tasks depend on the chunk, so they run where it is and the slab task stays there too."""
    threshold = dask.config.get("distributed.scheduler.rootish-taskgroup-dependencies", 5)
    missing = int(threshold) - sum(array.npartitions for array in arrays)
    return max(0, -(-missing // max(chunks_with_slabs, 1)))


def _nothing(block: np.ndarray) -> None:
    """An anchor task: depends on a chunk, so runs where it is, and gives nothing."""


def _face(block: np.ndarray, cut: tuple, *anchors: None) -> np.ndarray:
    """A face slab of ``block``; the anchors are there only to be depended on."""
    return block[cut]


def _map_with_halo(run, arrays: list[da.Array], reach: Reach, dtype, name: str) -> da.Array:
    """``run`` on every chunk of ``arrays[0]`` with its halo (the other arrays, chunked alike,
    cut the same way). Each output chunk is one task whose inputs are its own chunk and, from
    its neighbours, face slabs: dask's map_overlap copies every chunk once per axis and makes
    many small tasks, which cost more than a qbi_fast filter itself.

    A neighbour's face slab (as deep as the deepest piece read from it) serves every chunk on
    that side, edge and corner neighbours included, which take their piece out of it: one
    slab task per face instead of one per (chunk, neighbour) pair. Each task costs the
    scheduler about a millisecond, more than cutting the slab, and on a small cluster the
    scheduler shares the workers' cores. Edge and corner pieces are read from the thinnest face
    that holds them.

    The slab tasks carry no priority annotation: on distributed the graph is optimised on the
    scheduler, whose low-level fusion drops layer annotations, and with fusion off there the
    raised priority measured no faster (bench/RESULTS.md, tenth session). Where the arrays have
    few chunks, the slab tasks also depend on empty tasks (see :func:`_anchors_per_chunk`)."""
    data = arrays[0]
    spans = [_spans(chunks, h, n)
             for chunks, h, n in zip(data.chunks, reach.halo, data.shape, strict=True)]
    token = tokenize(name, run, *arrays, reach)
    out_name, slab_name = f"{name}-{token}", f"{name}-halo-{token}"
    anchor_name = f"{name}-anchor-{token}"
    plans = {}
    for index in np.ndindex(*data.numblocks):
        inner, shape, axis_pieces = zip(*(spans[d][i] for d, i in enumerate(index)), strict=True)
        pieces = []
        for combo in itertools.product(*axis_pieces):
            source = tuple(j for j, _, _ in combo)
            cut = tuple(c for _, c, _ in combo)
            where = tuple(w for _, _, w in combo)
            whole = all(c.stop - c.start == data.chunks[d][j]
                        for d, (j, c, _) in enumerate(combo))
            pieces.append((where, source, cut, None if whole else _face_of(source, cut,
                                                                            data.chunks)))
        plans[index] = (inner, shape, pieces)
    # Each face slab as deep as the deepest piece read from it.
    depths = {}
    for _, _, pieces in plans.values():
        for _, source, _, face in pieces:
            if face is not None:
                d, low, depth = face
                depths[source, d, low] = max(depths.get((source, d, low), 0), depth)

    def slab_cut(source, d, low):
        length, depth = data.chunks[d][source[d]], depths[source, d, low]
        along = slice(0, depth) if low else slice(length - depth, length)
        return tuple(along if e == d else slice(None) for e in range(data.ndim))

    sources = {source for source, _, _ in depths}
    per_chunk = _anchors_per_chunk(arrays, len(arrays) * len(sources))
    anchors = {(anchor_name, a, *source, j): (_nothing, (array.name, *source))
               for a, array in enumerate(arrays) for source in sources for j in range(per_chunk)}
    slabs = {(slab_name, a, *source, d, int(low)): (
                 _face, (array.name, *source), slab_cut(source, d, low),
                 *((anchor_name, a, *source, j) for j in range(per_chunk)))
             for a, array in enumerate(arrays) for source, d, low in depths}
    outputs = {}
    for index, (inner, shape, pieces) in plans.items():
        parts = []
        for where, source, cut, face in pieces:
            if face is None:
                parts.append([where, *((array.name, *source) for array in arrays)])
                continue
            d, low, _ = face
            start = slab_cut(source, d, low)[d].start
            within = tuple(slice(c.start - start, c.stop - start) if e == d else c
                           for e, c in enumerate(cut))
            parts.append([where, *((operator.getitem, (slab_name, a, *source, d, int(low)),
                                    within) for a in range(len(arrays)))])
        outputs[(out_name, *index)] = (_with_halo, run, shape, inner,
                                       [array.dtype for array in arrays], parts)
    graph = HighLevelGraph.from_collections(
        slab_name, MaterializedLayer(slabs), dependencies=arrays)
    layers, dependencies = dict(graph.layers), dict(graph.dependencies)
    if anchors:
        layers[anchor_name] = MaterializedLayer(anchors)
        dependencies[anchor_name] = {array.name for array in arrays}
        dependencies[slab_name] = dependencies[slab_name] | {anchor_name}
    layers[out_name] = MaterializedLayer(outputs)
    dependencies[out_name] = {slab_name} | dependencies[slab_name]
    layers = HighLevelGraph(layers, dependencies)
    return da.Array(layers, out_name, data.chunks, meta=np.empty((0,) * data.ndim, dtype))


def _refuse_destination(arguments: dict) -> None:
    output = arguments.get("output")
    if arguments.get("out") is not None:  # ring cleaners: their dtype follows the input's
        msg = ("on a dask array the result is a new lazy dask array: give no out=, and store "
               "the result with dask.array.store or to_zarr")
        raise TypeError(msg)
    if isinstance(output, np.ndarray) or is_dask_array(output):
        msg = ("on a dask array the result is a new lazy dask array: give output= a dtype, not "
               "an array, and store the result with dask.array.store or to_zarr")
        raise TypeError(msg)


def _check_arguments(func, arguments: dict, data: da.Array) -> None:
    """Raises, when the lazy array is made, what the call raises for invalid arguments, by
    making the call on one sample, or on the whole array when it has no samples (a filter's
    arguments do not depend on the array's size; ring cleaners' do, so they are not checked
    this way)."""
    sample = np.zeros(data.shape if data.size == 0 else (1,) * data.ndim, data.dtype)
    func(sample, **{name: value for name, value in arguments.items()
                    if name != "mask" or np.ndim(value) == 0})


def local(func, args, kwargs) -> da.Array:
    """``func`` chunk by chunk with its halo: a lazy array equal to ``func`` on the whole."""
    data, arguments = _bind(func, args, kwargs)
    _refuse_destination(arguments)
    data = _as_dask(data)
    if "workers" in inspect.signature(func).parameters:
        arguments["workers"] = _per_chunk_workers(arguments)
    if getattr(ndimage, func.__name__, None) is func:
        _check_arguments(func, arguments, data)
    operation = Operation(func, **arguments)
    operation.prepare(data.shape)  # checks mask's shape; fixes defaults taken from the shape
    mask = operation.kwargs.pop("mask", None)
    if mask is not None and np.ndim(mask) == 0:
        operation.kwargs["mask"], mask = mask, None
    reach = operation.reach(data.ndim)
    data = data.rechunk(_chunks_for(data, reach))
    split = any(len(chunks) > 1 for chunks in data.chunks)
    dtype = operation.result_dtype(data.dtype, data.shape)

    def run(block=None, mask_block=None, inner=None, overwrite_data=False, parts=None,
            core=None):
        """The operation on one chunk with its halo; with ``inner``, only the chunk's core. With
        ``parts`` (and ``core``) instead of a block, the core of a span given in parts, or None
        if the operation cannot take it so."""
        if parts is not None:
            return operation.core_from_parts(parts, core)
        chunk_operation = operation if mask_block is None else \
            Operation(func, **operation.kwargs, mask=mask_block)
        return chunk_operation(block, split=split, inner=inner,
                               overwrite_data=overwrite_data)

    arrays = [data] if mask is None else [data, _as_dask(mask, data.chunks)]
    if not any(reach.halo):
        return da.map_blocks(run, *arrays, dtype=dtype, meta=np.empty((0,) * data.ndim, dtype))
    return _map_with_halo(run, arrays, reach, dtype, operation.name)


def _chunk_offsets(data: da.Array):
    """(index, offset, shape) of every chunk of ``data``, in C order."""
    starts = [np.cumsum((0, *chunks[:-1])) for chunks in data.chunks]
    for index in np.ndindex(*data.numblocks):
        yield (index, tuple(int(starts[d][i]) for d, i in enumerate(index)),
               tuple(data.chunks[d][i] for d, i in enumerate(index)))


def _relabelled(chunk, lookup, count: int, dtype: np.dtype) -> np.ndarray:
    if dtype.kind in "iu" and count > np.iinfo(dtype).max:
        msg = "insufficient bit-depth in requested output type"
        raise RuntimeError(msg)
    return labelling.relabel_chunk(chunk, lookup, dtype)


def label(func, args, kwargs):
    """``(labels, count)`` as lazy dask arrays (``count`` 0-d), equal to scipy's result on the
    whole array."""
    data, arguments = _bind(func, args, kwargs)
    _refuse_destination(arguments)
    data = _as_dask(data)
    _check_arguments(func, arguments, data)
    structure = label_structure(data, arguments.get("structure"),
                                check_symmetry=data.ndim > 0 and data.size > 0)
    output = arguments.get("output")
    big = data.size >= 2**31 - 2
    dtype = np.dtype((np.intp if big else np.int32) if output is None else output)
    workers = _per_chunk_workers(arguments)
    if data.ndim == 0 or data.size == 0:
        whole = dask.delayed(func, pure=True)(data, structure, dtype, workers=workers)
        return (da.from_delayed(whole[0], data.shape, dtype=dtype), _lazy_count(whole[1]))
    blocks = data.to_delayed()
    labelled, parts = [], []
    for index, offset, _ in _chunk_offsets(data):
        labelled.append(dask.delayed(labelling.label_chunk, pure=True)(
            blocks[index], offset, data.shape, structure, workers=workers))
    summaries = [dask.delayed(labelling.ChunkLabels.summary, pure=True)(c) for c in labelled]
    merged = dask.delayed(labelling.merge_chunks, pure=True)(summaries, structure)
    lookups, count = merged[0], merged[1]
    for k, (_, _, shape) in enumerate(_chunk_offsets(data)):
        part = dask.delayed(_relabelled, pure=True)(labelled[k], lookups[k], count, dtype)
        parts.append(da.from_delayed(part, shape, dtype=dtype))
    grid = np.empty(data.numblocks, object)
    for k, (index, _, _) in enumerate(_chunk_offsets(data)):
        grid[index] = parts[k]
    return da.block(grid.tolist()), _lazy_count(count)


def _lazy_count(count) -> da.Array:
    """A delayed Python int as the 0-d intp dask array it is declared to be (a bare int
    computed from it had no ``.item()``, so ``int(n)`` failed)."""
    return da.from_delayed(dask.delayed(np.asarray, pure=True)(count, np.intp), (),
                           dtype=np.intp)


def _boxes_of_chunk(block, offset, max_label: int, workers) -> np.ndarray:
    """The chunk's bounding boxes in whole-array coordinates: ``(labels, ndim, 2)``, start and
    stop; labels absent from the chunk have start > stop."""
    found = ndimage.find_objects(block, max_label, workers=workers)
    boxes = np.empty((len(found), block.ndim, 2), np.int64)
    boxes[..., 0], boxes[..., 1] = np.iinfo(np.int64).max, -1
    for i, box in enumerate(found):
        if box is not None:
            boxes[i] = [(s.start + o, s.stop + o) for s, o in zip(box, offset, strict=True)]
    return boxes


def _join_boxes(parts: list[np.ndarray], ndim: int) -> np.ndarray:
    joined = np.empty((max((len(p) for p in parts), default=0), ndim, 2), np.int64)
    joined[..., 0], joined[..., 1] = np.iinfo(np.int64).max, -1
    for part in parts:
        n = len(part)
        np.minimum(joined[:n, :, 0], part[:, :, 0], out=joined[:n, :, 0])
        np.maximum(joined[:n, :, 1], part[:, :, 1], out=joined[:n, :, 1])
    return joined


def find_objects(func, args, kwargs) -> list:
    """scipy's list of bounding boxes, computed from per-chunk boxes (the list is small, so it
    is returned computed, not lazy)."""
    data, arguments = _bind(func, args, kwargs)
    data = _as_dask(data)
    max_label = operator.index(arguments.get("max_label", 0))
    if data.ndim == 0:
        return func(data.compute(), max_label)
    blocks = data.to_delayed()
    workers = _per_chunk_workers(arguments)
    parts = [dask.delayed(_boxes_of_chunk, pure=True)(blocks[index], offset, max_label, workers)
             for index, offset, _ in _chunk_offsets(data)]
    boxes = dask.delayed(_join_boxes, pure=True)(parts, data.ndim).compute()
    return [None if box[0, 0] > box[0, 1] else tuple(slice(int(a), int(b)) for a, b in box)
            for box in boxes]


def _add_padded(parts: list[np.ndarray]) -> np.ndarray:
    total = np.zeros(max(len(p) for p in parts), np.int64)
    for part in parts:
        total[:len(part)] += part
    return total


def label_sizes(func, args, kwargs) -> da.Array:
    """Samples per label as a lazy 1-d array: of length ``max_label + 1`` when it is given,
    of unknown length (found when computed) otherwise."""
    labels, arguments = _bind(func, args, kwargs)
    labels = _as_dask(labels)
    if labels.dtype.kind not in "iu":
        msg = "labels must be an integer array"
        raise TypeError(msg)
    max_label = arguments.get("max_label")
    if max_label is not None:
        max_label = max(int(max_label), 0)
        if max_label >= _MAX_SIZES_LABELS:
            msg = f"label {max_label} needs a table of more than {_MAX_SIZES_LABELS} counts"
            raise ValueError(msg)
    workers = _per_chunk_workers(arguments)
    parts = [dask.delayed(func, pure=True)(block, max_label, workers=workers)
             for block in labels.to_delayed().ravel()]
    total = dask.delayed(_add_padded, pure=True)(parts)
    length = np.nan if max_label is None else max_label + 1
    return da.from_delayed(total, (length,), dtype=np.int64)


def sum_labels(func, args, kwargs) -> da.Array:
    """scipy's sums per label as a lazy array: per-chunk sums, added. Exact for integer data;
    float sums may differ from scipy's in the last bits (their order differs)."""
    data, arguments = _bind(func, args, kwargs)
    labels, index = arguments.get("labels"), arguments.get("index")
    if labels is None:
        pairs = [(block, None) for block in data.to_delayed().ravel()]
    else:
        data_given = is_dask_array(data)
        data, labels = da.broadcast_arrays(_as_dask(data), _as_dask(labels))
        if data_given:  # chunk both as the dask argument was chunked
            labels = labels.rechunk(data.chunks)
        else:
            data = data.rechunk(labels.chunks)
        pairs = zip(data.to_delayed().ravel(), labels.to_delayed().ravel(), strict=True)
    # the result's shape and dtype: scipy's on one sample
    template = np.asarray(ndi.sum_labels(
        np.zeros(1, data.dtype), None if labels is None else np.zeros(1, labels.dtype), index))
    parts = [dask.delayed(ndi.sum_labels, pure=True)(block, labels_block, index)
             for block, labels_block in pairs]
    total = dask.delayed(np.sum, pure=True)(parts, axis=0, dtype=template.dtype)
    return da.from_delayed(total, template.shape, dtype=template.dtype)


IMPLEMENTATIONS = {"local": local, "label": label, "find_objects": find_objects,
                   "label_sizes": label_sizes, "sum_labels": sum_labels}
