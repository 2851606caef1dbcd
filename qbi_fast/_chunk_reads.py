"""Reading blocks with halos from a chunked array (zarr, the pages of a compressed TIFF stack,
or any array with a regular ``chunks`` shape) without decoding the same chunk again for every
block whose halo reaches into it.

A block's halo reads a thin part of each neighbouring chunk, but the format decodes a chunk
whole: with (64, 256, 256) chunks and blocks of (128, 256, 256) with a halo of 24, every chunk
was decoded about 12 times (zstd: about 50 ms per 16 MB chunk). The reads are known in advance
(the blocks' regions, in order), so after decoding a chunk the parts that later halo reads
need are kept, up to a memory budget, and copied from there. Reads that take most of a chunk
(a block's own core) further on decode it again: keeping whole chunks for them would cost far
more memory than the one extra decode costs time. The next read is the exception: what it
takes of a decoded chunk is kept whatever its size (at most one block), and a whole chunk
kept for it is passed on in turn, so slabs of whole pages
(:func:`qbi_fast.blocks.default_block_shape`) decode each page once."""

from __future__ import annotations

import itertools
import math

import numpy as np

# Kept parts of decoded chunks, at most (bytes). The 4 GiB lecture run peaked at 0.94-0.95 GiB
# without them and 0.97-0.99 GiB with them, against its 1.5 GB target.
KEEP_BYTES = 256 * 2**20
# Smaller chunks are read with the block, in one call: zarr decodes them concurrently then, and
# a call per chunk costs more than decoding them again (measured: 128 KiB chunks were slower
# chunk by chunk, 1 MiB chunks faster).
MIN_CHUNK_BYTES = 2**20


def regular_chunks(source) -> tuple[int, ...] | None:
    """The chunk shape of a chunked array-like (zarr, h5py), or None for anything else
    (numpy arrays, memmaps, dask arrays, whose ``chunks`` are not one shape)."""
    if isinstance(source, np.ndarray):
        return None
    chunks = getattr(source, "chunks", None)
    if not isinstance(chunks, tuple) or len(chunks) != len(source.shape) or not all(
            isinstance(c, int | np.integer) and c > 0 for c in chunks):
        return None
    return tuple(int(c) for c in chunks)


def chunk_reads(source, regions) -> ChunkReads | None:
    """A :class:`ChunkReads` of ``regions`` from ``source`` if it is chunked, in chunks of at
    least MIN_CHUNK_BYTES; None where reading each region whole is better."""
    chunks = regular_chunks(source)
    if chunks is None or math.prod(chunks) * np.dtype(source.dtype).itemsize < MIN_CHUNK_BYTES:
        return None
    return ChunkReads(source, chunks, regions, KEEP_BYTES)


def _bounds(region: tuple[slice, ...], shape) -> tuple[tuple[int, int], ...]:
    return tuple(s.indices(n)[:2] for s, n in zip(region, shape, strict=True))


class ChunkReads:
    """``read(i)`` is ``np.asarray(source[regions[i]])`` (``regions``: a slice per axis, step
    1), for a source of regular ``chunks``. A chunk decoded for one read leaves a copy of the
    part each later thin read, and the next read, takes, within ``keep_bytes``; other thick
    reads decode it again."""

    def __init__(self, source, chunks: tuple[int, ...], regions, keep_bytes: int = KEEP_BYTES):
        self.source, self.chunks, self.keep_bytes = source, chunks, keep_bytes
        self.shape = tuple(source.shape)
        self.regions = [_bounds(tuple(region), self.shape) for region in regions]
        # The reads after a decode are scanned for the chunk (nothing per chunk is stored ahead:
        # a terabyte volume has millions of them). Regions ordered by their start along the
        # first axis (blocks in C order) end the scan at the first that starts past the chunk.
        starts = [bounds[0][0] if bounds else 0 for bounds in self.regions]
        self.ordered = all(a <= b for a, b in itertools.pairwise(starts))
        self.kept: dict[tuple, np.ndarray] = {}  # (chunk, read index) -> that read's part
        self.kept_total = 0
        self.done: set[int] = set()

    def _chunk_bounds(self, chunk) -> tuple[tuple[int, int], ...]:
        return tuple((c * size, min((c + 1) * size, n))
                     for c, size, n in zip(chunk, self.chunks, self.shape, strict=True))

    def _parts(self, bounds):
        """(chunk index, box of the chunk read) for every chunk the bounds overlap."""
        if any(lo >= hi for lo, hi in bounds):
            return
        ranges = [range(lo // size, (hi - 1) // size + 1)
                  for (lo, hi), size in zip(bounds, self.chunks, strict=True)]
        for chunk in itertools.product(*ranges):
            yield chunk, _box_within(bounds, self._chunk_bounds(chunk))

    def _is_thin(self, chunk, box) -> bool:
        """Whether a read takes at most half of the chunk (a halo, not a block's core)."""
        full = math.prod(hi - lo for lo, hi in self._chunk_bounds(chunk))
        return 2 * math.prod(hi - lo for lo, hi in box) <= full

    def _is_whole(self, chunk, box) -> bool:
        return all(b == (0, hi - lo) for b, (lo, hi) in
                   zip(box, self._chunk_bounds(chunk), strict=True))

    def _later_reads(self, chunk, i: int):
        """(read index, box in the chunk's coordinates) of the reads of ``chunk`` after read
        ``i`` worth keeping a part for: the next read, and thin reads."""
        c_bounds = self._chunk_bounds(chunk)
        for j in range(i + 1, len(self.regions)):
            bounds = self.regions[j]
            if self.ordered and bounds and bounds[0][0] >= c_bounds[0][1]:
                return
            box = _box_within(bounds, c_bounds)
            if all(lo < hi for lo, hi in box) and (j == i + 1 or self._is_thin(chunk, box)):
                yield j, box

    def read(self, i: int) -> np.ndarray:
        bounds = self.regions[i]
        out = np.empty(tuple(hi - lo for lo, hi in bounds), self.source.dtype)
        for chunk, box in self._parts(bounds):
            part = self.kept.pop((chunk, i), None)
            if part is not None:
                self.kept_total -= part.nbytes
                if self._is_whole(chunk, box):  # passed on to later reads, as if decoded
                    self._keep_later_parts(chunk, i, part)
            else:
                decoded = np.asarray(self.source[tuple(slice(lo, hi)
                                                       for lo, hi in self._chunk_bounds(chunk))])
                part = decoded[_box_slices(box)]
                self._keep_later_parts(chunk, i, decoded)
            c_start = [c * size for c, size in zip(chunk, self.chunks, strict=True)]
            out[tuple(slice(c0 + lo - b_lo, c0 + hi - b_lo)
                      for (lo, hi), c0, (b_lo, _) in zip(box, c_start, bounds, strict=True))] = part
        self.done.add(i)
        return out

    def _keep_later_parts(self, chunk, i: int, decoded: np.ndarray) -> None:
        """Copies of the parts of a decoded chunk that reads still to come take (see
        :meth:`_later_reads`), while the budget allows."""
        for j, box in self._later_reads(chunk, i):
            if j in self.done or (chunk, j) in self.kept:
                continue
            part = decoded[_box_slices(box)]
            if self.kept_total + part.nbytes > self.keep_bytes:
                continue
            self.kept[chunk, j] = part.copy()  # a copy: the decoded chunk can be freed
            self.kept_total += part.nbytes


def _box_within(bounds, c_bounds) -> tuple[tuple[int, int], ...]:
    """The part of ``bounds`` inside a chunk of ``c_bounds``, in the chunk's coordinates (empty
    along an axis where they do not meet)."""
    return tuple((max(lo, c_lo) - c_lo, min(hi, c_hi) - c_lo)
                 for (lo, hi), (c_lo, c_hi) in zip(bounds, c_bounds, strict=True))


def _box_slices(box) -> tuple[slice, ...]:
    return tuple(slice(lo, hi) for lo, hi in box)
