"""qbi_fast._chunk_reads: blocks with halos read from a chunked source (zarr) keep the parts of
decoded chunks that later halos read. Every read equals slicing the source, in any order and
under any memory budget; each chunk is decoded about once for the halo reads into it; the
budget is never exceeded."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
import zarr
from hypothesis import given
from hypothesis import strategies as st

from qbi_fast import _chunk_reads as chunk_reads_module
from qbi_fast import blocks, ndimage
from qbi_fast._chunk_reads import ChunkReads, regular_chunks
from qbi_fast._halo import Reach
from qbi_fast._testing import hypothesis_settings, random_array


class Chunked:
    """A numpy array posing as a chunked source; counts the reads of each chunk (a decode)."""

    def __init__(self, array, chunks):
        self.array, self.chunks = array, tuple(chunks)
        self.shape, self.dtype = array.shape, array.dtype
        self.decodes: dict[tuple, int] = {}

    def __getitem__(self, key):
        starts = tuple(s.start for s in key)
        assert all(start % c == 0 for start, c in zip(starts, self.chunks, strict=True)), \
            "reads whole chunks only"
        chunk = tuple(start // c for start, c in zip(starts, self.chunks, strict=True))
        self.decodes[chunk] = self.decodes.get(chunk, 0) + 1
        return self.array[key].copy()


def _block_regions(shape, block_shape, halo):
    reach = Reach((halo,) * len(shape), (False,) * len(shape))
    return [block.outer for block in blocks.iter_blocks(shape, block_shape, reach)]


@pytest.mark.parametrize(("shape", "chunks", "block_shape", "halo"), [
    ((40,), (7,), (9,), 3),
    ((23, 31), (8, 10), (6, 12), 2),
    ((20, 24, 22), (8, 8, 8), (8, 8, 8), 2),
    ((20, 24, 22), (6, 9, 7), (10, 7, 11), 4),
    ((9, 1, 13), (4, 1, 5), (3, 1, 4), 1),
], ids=str)
@pytest.mark.parametrize("keep_bytes", [0, 2000, 10**9])
def test_block_reads_equal_slicing(shape, chunks, block_shape, halo, keep_bytes):
    x = random_array(shape, "float32", seed=1)
    source = Chunked(x, chunks)
    regions = _block_regions(shape, block_shape, halo)
    reads = ChunkReads(source, source.chunks, regions, keep_bytes)
    for i, region in enumerate(regions):
        data = reads.read(i)
        np.testing.assert_array_equal(data, x[region])
        assert reads.kept_total <= keep_bytes
        assert reads.kept_total == sum(part.nbytes for part in reads.kept.values())
    assert not reads.kept  # nothing is kept once no read needs it


def test_halo_reads_decode_each_chunk_about_once():
    """Blocks of one chunk each with a halo of 2: every read of a chunk but its own block's is
    a halo. Each chunk is decoded for its own block and at most once for the halos into it;
    without a budget, once per block that reads it."""
    shape, chunks = (24, 24, 24), (8, 8, 8)
    x = random_array(shape, "uint8", seed=2)
    regions = _block_regions(shape, chunks, 2)
    for keep_bytes, most in [(10**9, 2), (0, 27)]:
        source = Chunked(x, chunks)
        reads = ChunkReads(source, chunks, regions, keep_bytes)
        for i in range(len(regions)):
            reads.read(i)
        assert max(source.decodes.values()) == most
        assert len(source.decodes) == 27
    assert source.decodes[1, 1, 1] == 27  # the interior chunk is read by all 27 blocks


def test_pages_shared_with_the_next_block_are_kept():
    """Slabs of whole pages: the halo pages a block shares with the next are read whole by
    both (thick reads), and kept for the next one, so each page is decoded once; a thick read
    further on is not kept for."""
    shape, chunks = (40, 6, 7), (1, 6, 7)
    x = random_array(shape, "float32", seed=7)
    regions = _block_regions(shape, (8, 6, 7), 3)
    source = Chunked(x, chunks)
    reads = ChunkReads(source, chunks, regions)
    for i, region in enumerate(regions):
        np.testing.assert_array_equal(reads.read(i), x[region])
    assert set(source.decodes.values()) == {1}
    assert len(source.decodes) == 40
    # Reading every other slab: a page two reads on is not kept, so it is decoded again.
    skipping = [regions[0], regions[2], regions[0]]
    source = Chunked(x, chunks)
    reads = ChunkReads(source, chunks, skipping)
    for i, region in enumerate(skipping):
        np.testing.assert_array_equal(reads.read(i), x[region])
        assert reads.kept_total <= 11 * 6 * 7 * 4  # at most one read's worth
    assert max(source.decodes.values()) == 2  # regions[0] decoded again for the third read


def test_budget_limits_what_is_kept():
    """A budget below one halo part keeps nothing, and every read decodes again."""
    shape, chunks = (16, 16), (8, 8)
    x = random_array(shape, "float64", seed=3)
    regions = _block_regions(shape, chunks, 1)
    source = Chunked(x, chunks)
    reads = ChunkReads(source, chunks, regions, keep_bytes=7)  # the smallest part: 8 bytes
    for i, region in enumerate(regions):
        np.testing.assert_array_equal(reads.read(i), x[region])
        assert reads.kept_total == 0
    assert sum(source.decodes.values()) == 4 * 4  # every block reads every chunk


@given(data=st.data())
@hypothesis_settings(max_examples=60)
def test_property_any_regions_any_order(data):
    """Random regions (empty ones too), read in a random order, equal slicing; the budget is
    never exceeded."""
    ndim = data.draw(st.integers(1, 3))
    shape = tuple(data.draw(st.lists(st.integers(1, 12), min_size=ndim, max_size=ndim)))
    chunks = tuple(data.draw(st.integers(1, n + 2)) for n in shape)
    bounds = st.tuples(st.integers(0, 12), st.integers(0, 12))
    regions = [tuple(slice(min(lo, n), min(max(lo, hi), n))
                     for (lo, hi), n in zip(data.draw(st.tuples(*[bounds] * ndim)), shape,
                                            strict=True))
               for _ in range(data.draw(st.integers(1, 8)))]
    keep_bytes = data.draw(st.sampled_from([0, 16, 200, 10**6]))
    order = data.draw(st.permutations(range(len(regions))))
    x = random_array(shape, "int16", seed=4)
    reads = ChunkReads(Chunked(x, chunks), chunks, regions, keep_bytes)
    for i in order:
        np.testing.assert_array_equal(reads.read(i), x[regions[i]])
        assert reads.kept_total <= keep_bytes
    assert not reads.kept


def test_regular_chunks_of_sources():
    z = zarr.create_array(store={}, shape=(10, 12), chunks=(4, 5), dtype="float32")
    assert regular_chunks(z) == (4, 5)
    assert regular_chunks(np.zeros((10, 12))) is None
    contiguous = type("Contiguous", (), {"shape": (10, 12), "chunks": None})()  # as h5py's
    assert regular_chunks(contiguous) is None
    dask_array = pytest.importorskip("dask.array")
    assert regular_chunks(dask_array.zeros((10, 12), chunks=(4, 5))) is None


def test_small_chunks_are_read_with_the_block():
    """Chunks under MIN_CHUNK_BYTES are read in one call per block (zarr decodes them
    concurrently); from MIN_CHUNK_BYTES up, chunk by chunk."""
    side = round((chunk_reads_module.MIN_CHUNK_BYTES // 4) ** (1 / 3))
    small = Chunked(np.zeros((2 * side,) * 3, np.float32), (side - 1,) * 3)
    large = Chunked(np.zeros((2 * side,) * 3, np.float32), (side + 1,) * 3)
    regions = [(slice(0, side),) * 3]
    assert chunk_reads_module.chunk_reads(small, regions) is None
    assert isinstance(chunk_reads_module.chunk_reads(large, regions), ChunkReads)
    assert chunk_reads_module.chunk_reads(np.zeros((4, 4)), regions) is None


def test_blocks_from_zarr_decode_less(tmp_path, monkeypatch):
    """blocks.apply on a zarr source gives the whole-array result, decoding each chunk about
    once for halos: with blocks of one chunk and a halo, zarr is read chunk by chunk."""
    monkeypatch.setattr(chunk_reads_module, "MIN_CHUNK_BYTES", 0)
    x = random_array((24, 30, 20), "float32", seed=5)
    z = zarr.create_array(store=tmp_path / "x.zarr", shape=x.shape, chunks=(8, 10, 10),
                          dtype=x.dtype)
    z[...] = x
    source = Chunked(np.asarray(z[...]), z.chunks)
    result = blocks.apply(ndimage.gaussian_filter, source, 1.0, block_shape=(8, 10, 10))
    np.testing.assert_array_equal(result, ndimage.gaussian_filter(x, 1.0))
    assert max(source.decodes.values()) <= 2
    np.testing.assert_array_equal(
        blocks.apply(ndimage.gaussian_filter, z, 1.0, block_shape=(8, 10, 10)), result)


def test_tiff_pages_are_chunks(tmp_path, monkeypatch):
    """A compressed or multi-file TIFF stack is chunked by page (a memory-mapped one is not),
    so blocks decode each page about once instead of once per block that reads it."""
    x = random_array((12, 40, 48), "uint16", seed=6)  # a block reads a small part of a page
    tifffile.imwrite(tmp_path / "plain.tif", x, photometric="minisblack")
    tifffile.imwrite(tmp_path / "packed.tif", x, photometric="minisblack", compression="zlib")
    assert blocks.TiffStack(tmp_path / "plain.tif").chunks is None
    packed = blocks.TiffStack(tmp_path / "packed.tif")
    assert packed.chunks == (1, 40, 48)

    pages_read = []
    imread = tifffile.imread

    def counting_imread(*args, key=None, **kwargs):
        pages_read.extend(key)
        return imread(*args, key=key, **kwargs)

    monkeypatch.setattr(tifffile, "imread", counting_imread)
    expected = ndimage.gaussian_filter(x, 1.0)
    whole_blocks = blocks.apply(ndimage.gaussian_filter, packed, 1.0, block_shape=(4, 8, 8))
    np.testing.assert_array_equal(whole_blocks, expected)
    assert len(pages_read) > 500  # 90 blocks of 8 pages or more, each read whole
    pages_read.clear()
    monkeypatch.setattr(chunk_reads_module, "MIN_CHUNK_BYTES", 0)
    by_page = blocks.apply(ndimage.gaussian_filter, packed, 1.0, block_shape=(4, 8, 8))
    np.testing.assert_array_equal(by_page, expected)
    assert sorted(pages_read) == list(range(12))  # each page once
    pages_read.clear()
    monkeypatch.setattr(blocks, "BLOCK_SAMPLES", 4 * 40 * 48)
    monkeypatch.setattr(chunk_reads_module, "KEEP_BYTES", 10 * 40 * 48 * 2)  # 10 pages
    by_slab = blocks.apply(ndimage.gaussian_filter, packed, 1.0)  # default: slabs of pages
    np.testing.assert_array_equal(by_slab, expected)
    assert sorted(pages_read) == list(range(12))


def test_default_slabs_decode_each_page_once(monkeypatch):
    """blocks.apply and its label on a source stored in whole pages, with their default
    blocks (made small here): slabs of whole pages, each page decoded once."""
    monkeypatch.setattr(chunk_reads_module, "MIN_CHUNK_BYTES", 0)
    monkeypatch.setattr(blocks, "BLOCK_SAMPLES", 12 * 30 * 20)
    monkeypatch.setattr(chunk_reads_module, "KEEP_BYTES", 10 * 30 * 20 * 4)  # 10 pages
    x = random_array((60, 30, 20), "float32", seed=8)
    source = Chunked(x, (1, 30, 20))
    result = blocks.apply(ndimage.gaussian_filter, source, 1.0)
    np.testing.assert_array_equal(result, ndimage.gaussian_filter(x, 1.0))
    assert set(source.decodes.values()) == {1}
    source = Chunked(x > 0.5, (1, 30, 20))
    labels, count = blocks.apply(ndimage.label, source)
    expected, n = ndimage.label(x > 0.5)
    np.testing.assert_array_equal(labels, expected)
    assert count == n
    assert set(source.decodes.values()) == {1}
