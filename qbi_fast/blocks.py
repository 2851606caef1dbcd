"""Run qbi_fast operations over arrays larger than memory, one block at a time.

Each block is read with the halo its operation needs (:mod:`qbi_fast._halo`: gaussian radius,
window half-size plus origin, structure extent times iterations), computed with every thread,
and only its core is written. At the array's own edges the block *is* the array's edge, so every
boundary mode behaves as in the whole-array call, and the blocked result is byte-identical to it
for any block shape. Labelling needs no halo: blocks are labelled alone and merged across their
faces (:mod:`qbi_fast.labelling`) into scipy's numbering of the whole array.

Sources: numpy arrays, ``np.memmap``, zarr arrays, TIFF stacks (:class:`TiffStack`), or a path
to a ``.npy`` file, a zarr array, a TIFF file or a glob of one TIFF file per slice. Outputs: a new
numpy array (``out=None``), an existing array, or a path to a ``.npy`` file (memory-mapped) or a
zarr array (chunked by block). Memory in use is about two input blocks (one read ahead) and one
result block, plus what the operation itself allocates. From a chunked source (zarr, or the pages
of a compressed or multi-file TIFF stack) the parts of decoded chunks (of 1 MiB or more) that
later blocks' halos read are kept, up to 256 MiB, instead of decoding those chunks again
(:mod:`qbi_fast._chunk_reads`).

    from qbi_fast import blocks, ndimage
    blocks.apply(ndimage.gaussian_filter, "scan.zarr", sigma=3, out="smooth.zarr")
    labels, n = blocks.apply(ndimage.label, "pores.zarr", out="labels.zarr")
"""

from __future__ import annotations

import collections
import glob
import inspect
import itertools
import math
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from . import labelling, ndimage, tomo
from ._chunk_reads import chunk_reads, regular_chunks
from ._halo import Reach, knows, reach_of, whole_array_defaults
from ._pointwise import invert, threshold
from ._threads import resolve_workers
from ._validate import new_output_dtype
from .ndimage import label as _label
from .ndimage._gaussian import (
    gaussian_filter1d_parts,
    gaussian_filter_core,
    gaussian_filter_parts,
)

__all__ = ["Block", "Operation", "TiffStack", "apply", "default_block_shape", "iter_blocks",
           "open_array", "open_output", "outer_slice"]

# Default blocks hold at most this many samples with their halo: about 0.5 GB for a
# float32 pipeline of several stages.
BLOCK_SAMPLES = 1 << 24
# Blocks relabelled at once, at most (one block of labels in memory each).
RELABEL_THREADS = 4
# Default slabs of whole pages (see default_block_shape) may hold up to this many times
# BLOCK_SAMPLES with their halo: a page read in parts costs a decode per part.
SLAB_FACTOR = 8


# ---------------------------------------------------------------------------------------------
# sources and outputs


class TiffStack:
    """A 3-D array stored as TIFF: one multi-page file, or one 2-D file per slice (a list of
    paths or a glob pattern, sorted by name). Slicing reads only the pages of the slices asked
    for; an uncompressed contiguous file is memory-mapped instead."""

    def __init__(self, files):
        import tifffile

        if isinstance(files, str | os.PathLike):
            pattern = os.fspath(files)
            files = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        self.files = [os.fspath(f) for f in files]
        if not self.files:
            msg = "no TIFF files match"
            raise FileNotFoundError(msg)
        self._tifffile = tifffile
        self._mapped = None
        with tifffile.TiffFile(self.files[0]) as tif:
            page_shape = tif.pages[0].shape
            self.dtype = np.dtype(tif.pages[0].dtype)
            n_pages = len(tif.pages)
            series = tuple(tif.series[0].shape) if tif.series else ()
        # e.g. a (Z, Y, 1) volume that tifffile stored as one (Z, Y) page, or a (3, Y, X) or
        # (Z, Y, 3) one stored as one RGB page (tifffile's default for such shapes)
        if len(self.files) == 1 and ((len(series) == 3 and len(page_shape) == 2
                                      and series != (n_pages, *page_shape))
                                     or (n_pages == 1 and len(page_shape) == 3)):
            msg = (f"{self.files[0]}: its pages, {n_pages} of {page_shape}, do not hold its "
                   f"shape {series} slice by slice; read it with tifffile.imread instead (or "
                   "write volumes with photometric='minisblack')")
            raise ValueError(msg)
        if len(self.files) == 1:
            self.shape = (n_pages, *page_shape)
            try:
                self._mapped = tifffile.memmap(self.files[0], mode="r").reshape(self.shape)
            except ValueError:  # compressed or scattered pages: read page by page
                self._mapped = None
        else:
            self.shape = (len(self.files), *page_shape)
        self.ndim = len(self.shape)

    @property
    def chunks(self) -> tuple[int, ...] | None:
        """One page: what a compressed or multi-file stack decodes at a time, so that blocks
        keep the parts of pages their halos share (:mod:`qbi_fast._chunk_reads`). None when
        memory-mapped: slicing then reads only what it takes."""
        return None if self._mapped is not None else (1, *self.shape[1:])

    def __getitem__(self, key) -> np.ndarray:
        if self._mapped is not None:
            return np.asarray(self._mapped[key])
        key = key if isinstance(key, tuple) else (key,)
        if any(k is Ellipsis for k in key):  # spell the Ellipsis out as whole slices
            at = next(i for i, k in enumerate(key) if k is Ellipsis)
            fill = self.ndim - (len(key) - 1 - sum(k is None for k in key))
            key = key[:at] + (slice(None),) * fill + key[at + 1:]
        first = key[0] if key else slice(None)
        if isinstance(first, slice):
            pages, rest = list(range(*first.indices(self.shape[0]))), (slice(None),)
        else:
            pages, rest = [range(self.shape[0])[first]], (0,)
        if not pages:
            stack = np.empty((0, *self.shape[1:]), self.dtype)
        elif len(self.files) == 1:
            stack = self._tifffile.imread(self.files[0], key=pages)
        else:
            stack = np.stack([self._tifffile.imread(self.files[i]) for i in pages])
        stack = stack.reshape(len(pages), *self.shape[1:])
        return stack[rest + tuple(key[1:])]

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self[:], dtype=dtype)


def _is_zarr_path(path: str) -> bool:
    return path.rstrip("/").endswith(".zarr") or os.path.exists(os.path.join(path, "zarr.json")) \
        or os.path.exists(os.path.join(path, ".zarray"))


def open_array(source):
    """An array-like view of ``source`` that reads only what is sliced: arrays pass through;
    a path opens a ``.npy`` file memory-mapped, a zarr array, or a TIFF stack (a file or glob);
    a list of paths is a TIFF stack of one file per slice."""
    if isinstance(source, list | tuple) and source and all(
            isinstance(p, str | os.PathLike) for p in source):
        return TiffStack(source)
    if not isinstance(source, str | os.PathLike):
        if not hasattr(source, "shape") or not hasattr(source, "__getitem__"):
            source = np.asarray(source)
        return source
    path = os.fspath(source)
    if path.endswith(".npy"):
        return np.load(path, mmap_mode="r")
    if _is_zarr_path(path):
        import zarr

        return zarr.open_array(path, mode="r")
    if path.lower().endswith((".tif", ".tiff")) or glob.has_magic(path):
        return TiffStack(path)
    msg = f"cannot tell the format of {path!r}: expected .npy, .zarr, .tif/.tiff or a glob"
    raise ValueError(msg)


def open_output(out, shape, dtype, block_shape, *, attributes=None):
    """Where results go: a new numpy array (None), ``out`` itself (an array of ``shape``), a
    ``.npy`` path (created memory-mapped) or a zarr path (created, chunked by ``block_shape``,
    replacing what was there)."""
    shape, dtype = tuple(shape), np.dtype(dtype)
    if out is None:
        return np.empty(shape, dtype)
    if isinstance(out, str | os.PathLike):
        path = os.fspath(out)
        if path.endswith(".npy"):
            return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
        if _is_zarr_path(path):
            import zarr

            chunks = tuple(min(b, n) or 1 for b, n in zip(block_shape, shape, strict=True))
            # by name: zarr refuses numpy's other spellings of a type (int64 as 'q')
            array = zarr.create_array(store=path, shape=shape, dtype=dtype.name, chunks=chunks,
                                      overwrite=True, fill_value=0)
            if attributes:
                array.attrs.update(attributes)
            return array
        msg = f"cannot tell the format of {path!r}: expected .npy or .zarr"
        raise ValueError(msg)
    if tuple(out.shape) != shape:
        msg = f"out has shape {tuple(out.shape)}, the result {shape}"
        raise ValueError(msg)
    return out


# ---------------------------------------------------------------------------------------------
# block geometry


@dataclass(frozen=True)
class Block:
    """One block: ``core`` (the part of the array it produces), ``outer`` (core plus halo,
    clipped to the array: what is read) and ``inner`` (the core's place inside ``outer``)."""

    index: int
    core: tuple[slice, ...]
    outer: tuple[slice, ...]

    @property
    def inner(self) -> tuple[slice, ...]:
        return tuple(slice(c.start - o.start, c.stop - o.start)
                     for c, o in zip(self.core, self.outer, strict=True))

    @property
    def offset(self) -> tuple[int, ...]:
        return tuple(c.start for c in self.core)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(c.stop - c.start for c in self.core)


def _effective_block_shape(shape, block_shape, reach: Reach) -> tuple[int, ...]:
    """Axes marked whole, or shorter than their window (where a window may reflect more than
    once), are not split."""
    result = []
    for n, b, h, whole in zip(shape, block_shape, reach.halo, reach.whole, strict=True):
        if not isinstance(b, int | np.integer) or b < 1:
            msg = f"block lengths must be positive integers; got {tuple(block_shape)}"
            raise ValueError(msg)
        result.append(n if whole or 2 * h + 1 > n else min(b, n))
    return tuple(max(1, b) for b in result)


def default_block_shape(shape, reach: Reach | None = None, samples: int | None = None,
                        chunks=None) -> tuple[int, ...]:
    """The whole array if it fits in ``samples`` (default BLOCK_SAMPLES) with its halo;
    otherwise its longest axis halved (the first of equals, so blocks stay contiguous slabs
    where possible) until the block with its halo does.

    From a source stored in whole pages (``chunks`` spans every axis but the first: a
    compressed TIFF stack, or zarr chunks of whole slices), blocks are slabs of whole pages
    when such a slab holds at most SLAB_FACTOR times ``samples`` with its halo. Each page is
    then decoded once (the next block keeps the halo pages it shares with this one), where
    blocks that cut pages decode a page once for every block that reads part of it, 5 to 20
    times for 1024² to 2048² pages. The slab is as thick as fits ``samples`` with its halo, but
    at least twice the halo, so that the halo at most doubles what a block reads."""
    shape = tuple(int(n) for n in shape)
    reach = reach or Reach.none(len(shape))
    samples = BLOCK_SAMPLES if samples is None else samples
    block = list(shape)

    def outer(b):
        return math.prod(min(n, x + 2 * h) for n, x, h in zip(shape, b, reach.halo, strict=True))

    if outer(block) > samples:
        slab = _page_slab(shape, reach, samples, chunks)
        if slab is not None:
            return slab
    while outer(block) > samples:
        splittable = [d for d in range(len(shape)) if not reach.whole[d] and block[d] > 1]
        if not splittable:
            break
        d = max(splittable, key=lambda a: (block[a], -a))
        block[d] = (block[d] + 1) // 2
    return tuple(max(1, b) for b in block)


def _page_slab(shape, reach: Reach, samples: int, chunks) -> tuple[int, ...] | None:
    """The default block of whole pages (see :func:`default_block_shape`), or None where the
    source is not stored in whole pages or such a slab would be too large."""
    if chunks is None or len(shape) < 2 or reach.whole[0]:
        return None
    page = math.prod(shape[1:])
    if page == 0 or chunks[0] >= shape[0] or any(
            c < n for c, n in zip(chunks[1:], shape[1:], strict=True)):
        return None
    h = reach.halo[0]
    pages = max(2 * h, samples // page - 2 * h, 1)
    pages = min(shape[0], -(-pages // chunks[0]) * chunks[0])  # whole chunks
    if min(shape[0], pages + 2 * h) * page > SLAB_FACTOR * samples:
        return None
    return (pages, *shape[1:])


def iter_blocks(shape, block_shape, reach: Reach | None = None, region=None) -> Iterator[Block]:
    """The blocks that tile ``region`` (default: the whole array of ``shape``), in C order."""
    shape = tuple(int(n) for n in shape)
    reach = reach or Reach.none(len(shape))
    region = _normalise_region(region, shape)
    block_shape = _effective_block_shape(shape, block_shape, reach)
    starts = [range(r.start, r.stop, b) for r, b in zip(region, block_shape, strict=True)]
    for index, start in enumerate(itertools.product(*starts)):
        core = tuple(slice(s, min(s + b, r.stop))
                     for s, b, r in zip(start, block_shape, region, strict=True))
        # An axis the operation needs whole is read whole, also where a region cuts it.
        yield Block(index, core, tuple(slice(0, n) if whole else outer_slice(c, h, n)
                                       for c, h, n, whole in zip(core, reach.halo, shape,
                                                                 reach.whole, strict=True)))


def outer_slice(core: slice, halo: int, n: int) -> slice:
    """``core`` widened by ``halo`` on both sides, clipped to 0..n and, where clipped, widened
    on the other side to the window length 2 halo + 1 (some kernels choose their algorithm by
    whether the input is shorter than the window)."""
    lo, hi = max(0, core.start - halo), min(n, core.stop + halo)
    need = min(n, 2 * halo + 1)
    if hi - lo < need:
        lo, hi = (0, need) if lo == 0 else (hi - need, hi)
    return slice(lo, hi)


def _normalise_region(region, shape) -> tuple[slice, ...]:
    if region is None:
        return tuple(slice(0, n) for n in shape)
    region = region if isinstance(region, tuple) else (region,)
    if len(region) > len(shape):
        msg = f"region has {len(region)} axes, the array {len(shape)}"
        raise IndexError(msg)
    region = region + (slice(None),) * (len(shape) - len(region))
    result = []
    for r, n in zip(region, shape, strict=True):
        if not isinstance(r, slice):
            msg = "region must be slices (a step of 1)"
            raise TypeError(msg)
        start, stop, step = r.indices(n)
        if step != 1:
            msg = "region slices must have a step of 1"
            raise ValueError(msg)
        result.append(slice(start, max(start, stop)))
    return tuple(result)


# ---------------------------------------------------------------------------------------------
# operations


_NAN_SENSITIVE = {ndimage.median_filter, ndimage.rank_filter, ndimage.percentile_filter,
                  ndimage.minimum_filter, ndimage.maximum_filter, ndimage.minimum_filter1d,
                  ndimage.maximum_filter1d, ndimage.grey_erosion, ndimage.grey_dilation,
                  ndimage.grey_opening, ndimage.grey_closing}

# Functions that can compute just a core of their result with less work than the whole: the
# gaussian's later passes skip the halo of axes already filtered. Functions that filter a block
# given in parts (a chunk and slices of its neighbours) without assembling it.
_CORE_ONLY = ((ndimage.gaussian_filter, gaussian_filter_core),)
_FROM_PARTS = ((ndimage.gaussian_filter, gaussian_filter_parts),
               (ndimage.gaussian_filter1d, gaussian_filter1d_parts))

# Arguments that are arrays of the input's shape and are cut into blocks with it.
_BLOCKED_ARGUMENTS = ("mask",)


_SINOGRAM_CLEANERS = {getattr(tomo, name) for name in tomo.__all__ if name.startswith("remove_")}
_BINARY = {ndimage.binary_erosion, ndimage.binary_dilation, ndimage.binary_opening,
           ndimage.binary_closing}


class Operation:
    """``func(array, *args, **kwargs)`` with the reach it needs: derived for qbi_fast's own
    functions, or given as ``halo`` (an int, or one per axis) for any other function, which must
    return an array of its input's shape. ``workers`` is passed on where ``func`` takes it."""

    def __init__(self, func: Callable, *args, halo=None, **kwargs):
        if not callable(func):
            msg = f"func must be callable; got {func!r}"
            raise TypeError(msg)
        output = kwargs.get("output")
        if output is not None and not isinstance(output, type | np.dtype | str):
            msg = "output= must be a dtype here; give out= to apply() for the destination"
            raise TypeError(msg)
        self.func, self.args, self.kwargs, self.halo = func, args, kwargs, halo
        self.name = getattr(func, "__name__", "operation")
        # (any halo is enough for a function of each sample alone: those take one)
        if halo is not None and (knows(func) or func is _label) and func not in (invert,
                                                                                 threshold):
            msg = (f"halo= is for functions qbi_fast does not know; {self.name}'s halo follows "
                   "from its arguments (a smaller one would give wrong results)")
            raise ValueError(msg)
        try:
            self._takes_workers = "workers" in inspect.signature(func).parameters
        except (TypeError, ValueError):  # builtins and ufuncs
            self._takes_workers = False

    @property
    def is_label(self) -> bool:
        return self.func is _label

    @property
    def nan_sensitive(self) -> bool:
        """Whether NaN data makes results depend on samples outside the window (scipy's
        minimum, maximum and rank kernels on NaN), so that blocks cannot reproduce them."""
        return self.halo is None and self.func in _NAN_SENSITIVE

    def result_dtype(self, dtype, shape) -> np.dtype:
        """The dtype of the result on data of ``dtype`` and ``shape``, without a block: scipy's
        rules for qbi_fast's functions, else the result on the first sample (none if the data
        has none), arrays among the arguments cut to it."""
        func, output = self.func, self.kwargs.get("output")
        if self.halo is None and func not in (invert, threshold):  # those two: probed
            if func is tomo.detect_stripe:
                return np.dtype(np.float32)
            if func in _SINOGRAM_CLEANERS:
                return np.dtype(np.float64 if np.dtype(dtype).newbyteorder("=") == np.float64
                                else np.float32)
            if func in _BINARY:  # scipy ignores a dtype given as output= here
                return np.dtype(bool)
            if func is not _label:
                return new_output_dtype(dtype) if output is None else np.dtype(output)
        first = tuple(slice(0, min(n, 1)) for n in shape)
        sample = np.zeros(tuple(min(n, 1) for n in shape), dtype)
        return self(sample, Block(0, first, first), 1, split=False).dtype

    def reach(self, ndim: int) -> Reach:
        if self.halo is not None:
            halo = [self.halo] * ndim if np.ndim(self.halo) == 0 else list(self.halo)
            if len(halo) != ndim or any(int(h) < 0 for h in halo):
                msg = f"halo must be a non-negative int or one per axis; got {self.halo!r}"
                raise ValueError(msg)
            return Reach(tuple(int(h) for h in halo), (False,) * ndim)
        if self.is_label:
            return Reach.none(ndim)
        return reach_of(self.func, self.args, self.kwargs, ndim)

    def __call__(self, data: np.ndarray, block: Block | None = None, workers=None,
                 split: bool = True, inner: tuple[slice, ...] | None = None,
                 overwrite_data: bool = False) -> np.ndarray:
        """The operation on one block's data (``split``: the array is cut into several); with
        ``inner`` (a slice per axis) only that part of its result, for less work where the
        function can skip the rest. ``overwrite_data``: ``data`` is the caller's scratch copy,
        which a core-only function may filter in place (one buffer less to allocate and fill);
        its result is then a new array of the core alone, as the caller lets the scratch go."""
        if split and self.nan_sensitive and data.dtype.kind in "fc" and np.isnan(data).any():
            msg = (f"{self.name} of data holding NaN cannot run in blocks: scipy's result at a "
                   "sample then depends on samples outside its window. Replace the NaN, or use "
                   "one block")
            raise ValueError(msg)
        kwargs = dict(self.kwargs)
        for name in _BLOCKED_ARGUMENTS:
            value = kwargs.get(name)
            if block is not None and value is not None and np.ndim(value) > 0:
                kwargs[name] = np.asarray(value[block.outer])
        if self._takes_workers and workers is not None:
            kwargs.setdefault("workers", workers)
        core_only = next((c for f, c in _CORE_ONLY if f is self.func), None)
        if inner is not None and core_only is not None and self.halo is None:
            wanted = kwargs.get("output")
            if overwrite_data and data.dtype.isnative and (wanted is None
                                                           or np.dtype(wanted) == data.dtype):
                kwargs["output"] = data
            return np.asarray(core_only(data, inner, *self.args, compact=overwrite_data,
                                        **kwargs))
        result = np.asarray(self.func(data, *self.args, **kwargs))
        if result.shape != data.shape:
            name = self.name
            msg = f"{name} returned shape {result.shape} for a block of shape {data.shape}"
            raise ValueError(msg)
        return result if inner is None else result[inner]

    def core_from_parts(self, parts: dict, core: tuple) -> np.ndarray | None:
        """The core of the result on a block given in parts (see ``run_passes_on_parts``),
        computed without assembling them; None for an operation that cannot (the caller then
        assembles the block)."""
        from_parts = next((p for f, p in _FROM_PARTS if f is self.func), None)
        if from_parts is None or self.halo is not None:
            return None
        return from_parts(parts, core, *self.args, **self.kwargs)

    def prepare(self, shape) -> None:
        """Check arguments cut into blocks against the whole array's ``shape`` and fix the
        defaults an operation would derive from it."""
        shape = tuple(shape)
        if self.halo is None and not self.is_label:
            self.kwargs.update(whole_array_defaults(self.func, self.args, self.kwargs, shape))
        for name in _BLOCKED_ARGUMENTS:
            value = self.kwargs.get(name)
            if value is not None and np.ndim(value) > 0 and tuple(np.shape(value)) != shape:
                msg = f"{name} must have the input's shape {shape}; got {np.shape(value)}"
                raise RuntimeError(msg)


def _location(array) -> tuple | None:
    """Where an array is stored: ``("file", real path)`` for a path, a memmap (or a view of
    one), a local zarr array or an HDF5 dataset (the file's path joined with the dataset's
    name); ``("store", id, path)`` for a zarr array in another store (in memory, say); None for
    memory and anything else."""
    if isinstance(array, str | os.PathLike):
        return "file", os.path.realpath(os.fspath(array))
    base = array
    while not isinstance(base, np.memmap) and isinstance(getattr(base, "base", None), np.ndarray):
        base = base.base  # np.asarray of a memmap is a view whose base is the memmap
    if isinstance(base, np.memmap):
        return ("file", os.path.realpath(base.filename)) if base.filename else None
    filename = getattr(getattr(array, "file", None), "filename", None)
    name = getattr(array, "name", None)
    if isinstance(filename, str) and isinstance(name, str):  # h5py
        return "file", os.path.join(os.path.realpath(filename), name.lstrip("/"))
    store_path = getattr(array, "store_path", None)
    if store_path is None:
        return None
    text = str(store_path)
    if text.startswith("file://"):
        return "file", os.path.realpath(text.removeprefix("file://"))
    return "store", id(getattr(store_path, "store", None)), str(getattr(store_path, "path", ""))


def _within(inner: tuple, outer: tuple) -> bool:
    """Whether location ``inner`` is ``outer`` or lies inside it."""
    if inner[:-1] != outer[:-1]:
        return False
    path, root = inner[-1], outer[-1].rstrip("/")
    return path == outer[-1] or not root or path.startswith(root + "/")


def check_not_aliased(out, source, reach: Reach, n_blocks: int) -> None:
    """Refuse an output that is (or holds, or lies in) the source's own storage where that would
    change what later reads see: an output path (it is created anew, replacing what is there),
    and, when blocks read a halo, an output array stored with the source (a block written
    early would change the halo a later block reads)."""
    out_at, source_at = _location(out), _location(source)
    shared = out_at is not None and source_at is not None and (
        _within(out_at, source_at) or _within(source_at, out_at))
    if shared and isinstance(out, str | os.PathLike):
        msg = (f"out {os.fspath(out)!r} is, holds or lies in the source's own storage, which "
               "writing the result would replace before it is read: give another path")
        raise ValueError(msg)
    if n_blocks > 1 and any(reach.halo) and (
            shared or out is source or isinstance(out, np.ndarray)
            and isinstance(source, np.ndarray) and np.may_share_memory(out, source)):
        msg = ("out is stored with the source, and blocks read around their cores: give "
               "another output, or one block")
        raise ValueError(msg)


def _reader(source, blocks: list[Block], key) -> Iterator[tuple[Block, np.ndarray]]:
    """Blocks with their data, the next one read on a second thread while this one is used.
    From a chunked source (zarr, a compressed TIFF stack), parts of decoded chunks that later
    blocks' halos read are kept rather than decoded again (:mod:`qbi_fast._chunk_reads`)."""
    reads = chunk_reads(source, [key(b) for b in blocks])

    def read(i):
        return reads.read(i) if reads is not None else np.asarray(source[key(blocks[i])])
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(read, 0) if blocks else None
        for i, block in enumerate(blocks):
            data = pending.result()
            if i + 1 < len(blocks):
                pending = pool.submit(read, i + 1)
            yield block, data


def relabelled_blocks(blocks: list[Block], lookups, source, target, dtype, n_threads: int):
    """``target[block.core] = lookup[source[block.core]]`` for each block and its lookup
    (global labels from :func:`qbi_fast.labelling.merge_chunks`), on up to ``n_threads``
    threads (at most RELABEL_THREADS): zarr's decoding and encoding run on one thread per call,
    and a lookup is one pass over memory. Yields each block once it is written, in order; at
    most one block per thread is in memory. ``target`` may be ``source``: each block is read
    before it is written. Into a chunked target whose chunks the blocks cut, one thread: two
    blocks written at once would each rewrite the chunk they share."""
    def relabel(block, lookup):
        target[block.core] = np.asarray(lookup, dtype)[np.asarray(source[block.core])]

    threads = max(1, min(n_threads, RELABEL_THREADS))
    if not _whole_chunks(blocks, target):
        threads = 1
    with ThreadPoolExecutor(threads) as pool:
        pending = collections.deque()
        for block, lookup in zip(blocks, lookups, strict=True):
            pending.append((block, pool.submit(relabel, block, lookup)))
            if len(pending) == threads:
                done, future = pending.popleft()
                future.result()
                yield done
        for done, future in pending:
            future.result()
            yield done


def _whole_chunks(blocks: list[Block], array) -> bool:
    """Whether every block's core is made of whole chunks of ``array`` (true of any array
    that is not chunked)."""
    chunks = regular_chunks(array)
    if chunks is None:
        return True
    shape = tuple(array.shape)
    return all(c.start % size == 0 and (c.stop % size == 0 or c.stop == n)
               for block in blocks
               for c, size, n in zip(block.core, chunks, shape, strict=True))


def _progress_bar(progress, total: int, what: str):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError as error:
        msg = "progress=True needs tqdm: pip install tqdm"
        raise ImportError(msg) from error
    return tqdm(total=total, desc=what, unit="block")


def apply(func, source, *args, out=None, block_shape=None, halo=None, workers=None,
          progress=False, **kwargs):
    """``func(source, *args, **kwargs)`` computed block by block; returns the output array
    (for :func:`qbi_fast.ndimage.label`: ``(labels, count)``).

    func : a qbi_fast function (its halo is derived from its arguments) or any function that
        maps a block to an array of the same shape, with ``halo`` given.
    source : array-like or path (see :func:`open_array`).
    out : None (a new numpy array), an array of the source's shape, or a ``.npy`` or ``.zarr``
        path (see :func:`open_output`).
    block_shape : the core of each block (the last ones are shorter); default
        :func:`default_block_shape`. Axes marked whole by the operation are never split.
    workers : threads per block (every block uses them all).
    progress : show a tqdm progress bar.

    The result equals ``func(np.asarray(source), *args, **kwargs)`` byte for byte.
    """
    operation = Operation(func, *args, halo=halo, **kwargs)
    source = open_array(source)
    shape = tuple(source.shape)
    operation.prepare(shape)
    reach = operation.reach(len(shape))
    block_shape = tuple(block_shape) if block_shape is not None else \
        default_block_shape(shape, reach, chunks=regular_chunks(source))
    if len(block_shape) != len(shape):
        msg = f"block_shape has {len(block_shape)} axes, the source {len(shape)}"
        raise ValueError(msg)
    n_threads = resolve_workers(workers)
    if operation.is_label:
        return label_blocks(source, *args, out=out, block_shape=block_shape, workers=n_threads,
                            progress=progress, **kwargs)
    blocks = list(iter_blocks(shape, block_shape, reach))
    check_not_aliased(out, source, reach, len(blocks))
    bar = _progress_bar(progress, len(blocks), operation.name)
    target = None
    for block, data in _reader(source, blocks, lambda b: b.outer):
        result = operation(data, block, n_threads, split=len(blocks) > 1, inner=block.inner)
        if target is None:
            target = open_output(out, shape, result.dtype, _effective_block_shape(
                shape, block_shape, reach))
        target[block.core] = result
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    if target is None:  # an empty array: no blocks
        target = open_output(out, shape, operation.result_dtype(source.dtype, shape),
                             block_shape)
    return target


def label_blocks(source, structure=None, output=None, *, out=None, block_shape=None,
                 workers=None, progress=False):
    """``scipy.ndimage.label`` of ``source`` computed block by block: each block is labelled
    alone and its labels stored, then the blocks are merged across their faces and relabelled
    in place to scipy's numbering of the whole array. Only the blocks' face planes are kept in
    memory. Returns ``(labels, count)``; labels are int32 (intp from 2**31 - 2 samples on)."""
    if output is not None:
        msg = "give the destination as out=; label_blocks chooses the label dtype"
        raise TypeError(msg)
    source = open_array(source)
    shape = tuple(source.shape)
    block_shape = tuple(block_shape) if block_shape is not None else \
        default_block_shape(shape, chunks=regular_chunks(source))
    n_threads = resolve_workers(workers)
    if len(shape) == 0 or math.prod(shape) == 0:
        labels, count = _label(np.asarray(source), structure)
        target = open_output(out, shape, labels.dtype, block_shape)
        target[...] = labels
        return target, count
    dtype = np.intp if math.prod(shape) >= 2**31 - 2 else np.int32
    blocks = list(iter_blocks(shape, block_shape))
    check_not_aliased(out, source, Reach.none(len(shape)), len(blocks))
    target = open_output(out, shape, dtype, block_shape)
    bar = _progress_bar(progress, 2 * len(blocks), "label")
    summaries = []
    for block, data in _reader(source, blocks, lambda b: b.core):
        chunk = labelling.label_chunk(data, block.offset, shape, structure, workers=n_threads)
        target[block.core] = chunk.labels
        summaries.append(chunk.summary())
        if bar is not None:
            bar.update()
    lookups, count = labelling.merge_chunks(summaries, structure)
    for _ in relabelled_blocks(blocks, lookups, target, target, dtype, n_threads):
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return target, count
