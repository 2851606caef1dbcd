"""Labelling a volume chunk by chunk with scipy's numbering on the whole volume.

The block scheduler and dask label chunks independently; this module joins them:

1. :func:`label_chunk` labels one chunk (components numbered 1..count in scipy's order within
   the chunk) and records, for each, its first sample as a C-order index into the *whole*
   volume;
2. :func:`merge_chunks` reads the label planes on both sides of every boundary between chunks
   (faces, edges and corners alike: each boundary plane is compared whole, with every structure
   offset that crosses it), joins the components that touch, orders the joined components by
   their first sample -- scipy's numbering -- and returns, per chunk, a lookup from its local
   labels to global ones;
3. :func:`relabel_chunk` applies a lookup.

``label_in_chunks`` runs the three steps over a numpy array; its result equals
``scipy.ndimage.label`` on the whole array for any chunking. Only each chunk's labels and the
boundary planes are needed, never the whole volume at once.
"""

from __future__ import annotations

import itertools
import operator
from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from . import _core
from ._threads import resolve_workers
from ._validate import kernel_dtype
from .ndimage._measurements import label, without_unit_axes

__all__ = ["ChunkLabels", "label_chunk", "label_in_chunks", "merge_chunks", "relabel_chunk"]


@dataclass
class ChunkLabels:
    """One labelled chunk: ``labels`` (0 background, 1..count), where its first sample lies in
    the whole volume (``offset``), and each label's first sample as a C-order index into the
    whole volume of shape ``volume_shape`` (``first[l - 1]`` for label l).

    :meth:`summary` keeps only what merging needs -- the chunk's first and last plane along each
    axis -- so that the labels themselves can live on disk."""

    labels: np.ndarray | None
    count: int
    offset: tuple[int, ...]
    volume_shape: tuple[int, ...]
    first: np.ndarray
    shape: tuple[int, ...] = ()
    faces: dict | None = None

    def __post_init__(self):
        if self.labels is not None:
            self.shape = tuple(self.labels.shape)

    def plane(self, axis: int, index: int) -> np.ndarray:
        """The labels at ``index`` along ``axis`` (of a summary: the first or last plane)."""
        if self.labels is not None:
            return np.take(self.labels, index, axis=axis)
        if (axis, index) not in self.faces:
            msg = ("a chunk summary holds only its first and last planes: summarised chunks must "
                   "tile the volume on a grid")
            raise ValueError(msg)
        return self.faces[axis, index]

    def summary(self) -> ChunkLabels:
        """This chunk without its labels, keeping its boundary planes."""
        faces = {(axis, index): np.take(self.labels, index, axis=axis).copy()
                 for axis, n in enumerate(self.shape) for index in ({0, n - 1} if n else ())}
        return ChunkLabels(None, self.count, self.offset, self.volume_shape, self.first,
                           self.shape, faces)


def _structure(structure, ndim: int) -> np.ndarray:
    if structure is None:
        structure = ndi.generate_binary_structure(ndim, 1)
    structure = np.asarray(structure, dtype=bool)
    if structure.shape != (3,) * ndim:
        msg = "structure must be 3 long on every axis of the volume"
        raise ValueError(msg)
    if not np.array_equal(structure, structure[(slice(None, None, -1),) * ndim]):
        msg = "structure must be symmetric"
        raise ValueError(msg)
    return structure


def label_chunk(chunk, offset, volume_shape, structure=None, *, workers=None) -> ChunkLabels:
    """Labels one chunk of a volume: ``chunk`` holds the samples at ``offset`` .. ``offset +
    chunk.shape`` of a volume of shape ``volume_shape``; nonzero samples are foreground."""
    chunk = np.asarray(chunk)
    offset = tuple(int(o) for o in offset)
    volume_shape = tuple(int(n) for n in volume_shape)
    if chunk.ndim != len(offset) or chunk.ndim != len(volume_shape) or any(
            o < 0 or o + n > v for o, n, v in zip(offset, chunk.shape, volume_shape,
                                                  strict=True)):
        msg = "chunk, offset and volume_shape do not fit together"
        raise ValueError(msg)
    structure = _structure(structure, chunk.ndim)
    native = chunk.dtype.newbyteorder("=")
    if not kernel_dtype(native):
        # dtypes scipy refuses (float16, object, complex) are refused with scipy's exception,
        # from the call made on one sample. Byte order is no reason to refuse a file's chunk,
        # although scipy refuses big-endian input (and so do label and label_in_chunks).
        label(np.zeros((1,) * chunk.ndim, native), structure)
    labels = np.empty(chunk.shape, np.int64 if chunk.size >= 2**31 - 2 else np.int32)
    if chunk.size == 0:
        return ChunkLabels(labels, 0, offset, volume_shape, np.empty(0, np.int64))
    source, view, connectivity = without_unit_axes(
        chunk if kernel_dtype(chunk.dtype) else chunk != 0, labels, structure)
    # first samples as C-order indices: the same with or without unit axes
    count, first = _core.label(source, view, np.ascontiguousarray(connectivity, dtype=np.uint8),
                               resolve_workers(workers), True)
    local = np.unravel_index(first, chunk.shape)
    first = np.ravel_multi_index(tuple(i + o for i, o in zip(local, offset, strict=True)),
                                 volume_shape)
    return ChunkLabels(labels, int(count), offset, volume_shape, first.astype(np.int64))


def _boundary_planes(chunks, axis: int, position: int, bases):
    """Provisional global ids on the planes position - 1 (``before``) and position (``after``)
    of the whole volume along ``axis``; 0 for background."""
    shape = list(chunks[0].volume_shape)
    del shape[axis]
    before, after = np.zeros(shape, np.int64), np.zeros(shape, np.int64)
    for chunk, base in zip(chunks, bases, strict=True):
        start, n = chunk.offset[axis], chunk.shape[axis]
        for plane, index in ((before, position - 1 - start), (after, position - start)):
            if 0 <= index < n:
                ids = np.asarray(chunk.plane(axis, index), dtype=np.int64)
                ids[ids > 0] += base
                where = tuple(slice(o, o + k) for d, (o, k) in
                              enumerate(zip(chunk.offset, chunk.shape, strict=True))
                              if d != axis)
                plane[where] = ids
    return before, after


def _touching_pairs(before, after, shifts):
    """Pairs (before[q], after[q + s]) with both nonzero, for every in-plane shift s."""
    pairs = []
    for shift in shifts:
        src = tuple(slice(max(0, -s), n - max(0, s)) for s, n in zip(shift, before.shape,
                                                                       strict=True))
        dst = tuple(slice(max(0, s), n - max(0, -s)) for s, n in zip(shift, before.shape,
                                                                       strict=True))
        a, b = before[src].ravel(), after[dst].ravel()
        both = (a > 0) & (b > 0)
        pairs.append(np.stack([a[both], b[both]]))
    return np.concatenate(pairs, axis=1) if pairs else np.empty((2, 0), np.int64)


def merge_chunks(chunks, structure=None):
    """Joins separately labelled chunks that tile a volume: returns ``(lookups, count)``, where
    ``lookups[i][l]`` is the global label of chunk i's label l (``lookups[i][0] == 0``) and
    ``count`` the number of components in the volume, numbered as ``scipy.ndimage.label``
    numbers the whole volume."""
    chunks = list(chunks)
    if not chunks:
        return [], 0
    ndim = len(chunks[0].shape)
    structure = _structure(structure, ndim)
    bases = np.cumsum([0] + [c.count for c in chunks])
    total = int(bases[-1])
    first = np.concatenate([np.zeros(1, np.int64)] + [c.first for c in chunks])
    pairs = [np.empty((2, 0), np.int64)]
    for axis in range(ndim):
        # offsets that cross a boundary plane along this axis, forwards, as in-plane shifts
        shifts = [tuple(s for d, s in enumerate(offset) if d != axis)
                  for offset in itertools.product((-1, 0, 1), repeat=ndim)
                  if offset[axis] == 1 and structure[tuple(o + 1 for o in offset)]]
        positions = sorted({c.offset[axis] for c in chunks} - {0})
        for position in positions:
            before, after = _boundary_planes(chunks, axis, position, bases[:-1])
            pairs.append(_touching_pairs(before, after, shifts))
    pairs = np.concatenate(pairs, axis=1)
    graph = coo_matrix((np.ones(pairs.shape[1], np.int8), (pairs[0], pairs[1])),
                       shape=(total + 1, total + 1))
    _, component = connected_components(graph, directed=False)
    # order components by their first sample in the volume: scipy's numbering
    key = np.full(component.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(key, component[1:], first[1:])
    present = np.unique(component[1:])
    order = present[np.argsort(key[present], kind="stable")]
    number = np.zeros(component.max() + 1, np.int64)
    number[order] = np.arange(1, len(order) + 1)
    lookups = []
    for chunk, base in zip(chunks, bases[:-1], strict=True):
        lookup = np.zeros(chunk.count + 1, np.int64)
        lookup[1:] = number[component[base + 1: base + 1 + chunk.count]]
        lookups.append(lookup)
    return lookups, len(order)


def relabel_chunk(chunk: ChunkLabels, lookup, dtype=np.int32) -> np.ndarray:
    """The chunk's labels mapped to global ones (``lookup`` from :func:`merge_chunks`)."""
    return np.asarray(lookup, dtype=dtype)[chunk.labels]


def label_in_chunks(array, chunk_shape, structure=None, *, workers=None):
    """``scipy.ndimage.label(array, structure)`` computed chunk by chunk (chunks of
    ``chunk_shape``, the last ones shorter): ``(labels, count)``, identical to the whole-array
    result."""
    array = np.asarray(array)
    if array.ndim == 0 or array.size == 0:
        return label(array, structure)
    # scipy's exceptions, from the call made on one sample
    label(np.zeros((1,) * array.ndim, array.dtype), structure, workers=workers)
    chunk_shape = tuple(operator.index(c) for c in chunk_shape)
    if len(chunk_shape) != array.ndim or min(chunk_shape) < 1:
        msg = f"chunk_shape must be {array.ndim} positive lengths; got {chunk_shape}"
        raise ValueError(msg)
    grid = [range(0, n, c) for n, c in zip(array.shape, chunk_shape, strict=True)]
    chunks = []
    for start in itertools.product(*grid):
        where = tuple(slice(s, s + c) for s, c in zip(start, chunk_shape, strict=True))
        chunks.append(label_chunk(array[where], start, array.shape, structure, workers=workers))
    lookups, count = merge_chunks(chunks, structure)
    dtype = np.intp if array.size >= 2**31 - 2 else np.int32
    result = np.empty(array.shape, dtype)
    for chunk, lookup in zip(chunks, lookups, strict=True):
        where = tuple(slice(o, o + n) for o, n in zip(chunk.offset, chunk.labels.shape,
                                                       strict=True))
        result[where] = relabel_chunk(chunk, lookup, dtype)
    return result, count
