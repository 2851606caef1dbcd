"""qbi_fast.blocks: operations run block by block (each block read with the halo its operation
needs) give the whole-array call's result byte for byte, for any block shape, boundary mode and
dtype; labelling in blocks gives scipy's labels and count; sources and outputs of every kind
(numpy, .npy memmaps, zarr, TIFF) read and write the same data; block geometry and errors."""

from __future__ import annotations

import glob

import numpy as np
import pytest
import scipy.ndimage as ndi
import tifffile
import zarr
from hypothesis import given
from hypothesis import strategies as st

from qbi_fast import blocks, data, ndimage, pipeline, tomo
from qbi_fast._halo import _RULES, Reach, reach_of
from qbi_fast._testing import (
    FILTER_MODES,
    INVALID_ARGUMENT_CASES,
    MODE_FOOTPRINT,
    MODE_STRUCTURE,
    MODE_WINDOW_CASES,
    SMALL_WINDOW_CASES,
    asymmetric_footprint,
    hypothesis_settings,
    random_array,
)
from qbi_fast.ndimage._gaussian import gaussian_filter_core

DTYPES = ["uint8", "int16", "float32", "float64"]
WRAP_MODES = ("wrap", "grid-wrap")

SHAPE = (10, 11, 12)
# one-voxel-ish, odd and not dividing the shape, larger than the array, the whole array
BLOCK_SHAPES = [(1, 2, 3), (3, 7, 5), (50, 50, 50), SHAPE]


FOOTPRINT_A = asymmetric_footprint((3, 2, 4), seed=1)  # valid origins: (-1..1, -1..0, -2..1)
FOOTPRINT_B = MODE_FOOTPRINT  # valid origins: (-1..0, -1..1, -1..1)
STRUCTURE = MODE_STRUCTURE


def _n_blocks(func, shape, args, kwargs, block_shape) -> int:
    reach = reach_of(func, tuple(args), dict(kwargs), len(shape))
    return len(list(blocks.iter_blocks(shape, block_shape, reach)))


def _check_blocked(assert_same, func, x, args=(), kwargs=None, block_shapes=BLOCK_SHAPES,
                   **apply_kwargs):
    """Assert that apply(func, x, ...) equals func(x, ...) byte for byte for every block shape;
    return the whole-array result."""
    kwargs = kwargs or {}
    expected = func(x, *args, **kwargs)
    for block_shape in block_shapes:
        result = blocks.apply(func, x, *args, block_shape=block_shape, **apply_kwargs, **kwargs)
        try:
            assert_same(result, expected)
        except AssertionError as error:
            msg = f"block_shape={block_shape}: {error}"
            raise AssertionError(msg) from None
    return expected


# ---------------------------------------------------------------------------------------------
# 1. byte identity with the whole-array call, every rule, every mode

MODE_CASES = [
    # gaussian
    pytest.param(ndimage.gaussian_filter, (), {"sigma": 1.0}, id="gaussian"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": (0.7, 0.0, 1.2)}, id="gaussian-per-axis"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": 3.0, "radius": 2}, id="gaussian-radius"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": 1.0, "radius": (1, 3, 2)},
                 id="gaussian-radii"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": 2.0, "truncate": 1.5},
                 id="gaussian-truncate"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": 0.9, "order": 1}, id="gaussian-order1"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": 0.8, "order": (0, 1, 2)},
                 id="gaussian-orders"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": (1.0, 0.6), "axes": (0, 2)},
                 id="gaussian-axes"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": (0.4, 1.1), "axes": (2, 0)},
                 id="gaussian-axes-unsorted"),
    pytest.param(ndimage.gaussian_filter1d, (1.3,), {"axis": 1}, id="gaussian1d"),
    pytest.param(ndimage.gaussian_filter1d, (), {"sigma": 2.0, "order": 1, "radius": 3},
                 id="gaussian1d-radius"),
    pytest.param(ndimage.gaussian_filter1d, (), {"sigma": 0.7, "axis": 0, "truncate": 6.0},
                 id="gaussian1d-axis0"),
    # rank filters (with FOOTPRINT_A, this file's own)
    pytest.param(ndimage.median_filter, (), {"footprint": FOOTPRINT_A, "origin": (1, -1, -2)},
                 id="median-footprint"),
    pytest.param(ndimage.percentile_filter, (80,), {"footprint": FOOTPRINT_A,
                                                    "origin": (0, 0, 1)},
                 id="percentile-footprint"),
    # minimum and maximum
    pytest.param(ndimage.maximum_filter, (), {"size": 3, "axes": (1,)}, id="maximum-axes"),
    pytest.param(ndimage.grey_erosion, (), {"footprint": FOOTPRINT_A[0], "axes": (1, 2)},
                 id="grey-erosion-axes"),
    # grey morphology
    pytest.param(ndimage.grey_dilation, (), {"footprint": FOOTPRINT_A, "origin": (1, -1, -2)},
                 id="grey-dilation-footprint"),
    pytest.param(ndimage.grey_dilation, (), {"structure": STRUCTURE}, id="grey-dilation-structure"),
    pytest.param(ndimage.grey_dilation, (), {"size": (2, 4, 1), "origin": (-1, 1, 0)},
                 id="grey-dilation-even"),
    pytest.param(ndimage.grey_opening, (), {"structure": STRUCTURE}, id="grey-opening-structure"),
    pytest.param(ndimage.grey_closing, (), {"size": 3, "origin": 1}, id="grey-closing"),
    # the rank, minimum/maximum and grey cases both chunked tests run (blocks, dask)
    *(pytest.param(getattr(ndimage, name), args, kwargs, id=case_id)
      for case_id, name, args, kwargs in MODE_WINDOW_CASES),
]


@pytest.mark.parametrize("mode_index", range(len(FILTER_MODES)),
                         ids=lambda i: FILTER_MODES[i])
@pytest.mark.parametrize(("func", "args", "kwargs"), MODE_CASES)
def test_filters_equal_whole_array_call(assert_same, func, args, kwargs, mode_index):
    mode = FILTER_MODES[mode_index]
    # every case meets every dtype, twice over the eight modes
    dtype = DTYPES[mode_index % len(DTYPES)]
    x = random_array(SHAPE, dtype, seed=mode_index)
    kwargs = {**kwargs, "mode": mode}
    _check_blocked(assert_same, func, x, args, kwargs)
    n = _n_blocks(func, SHAPE, args, kwargs, BLOCK_SHAPES[0])
    if mode in WRAP_MODES:  # the filtered axes are never split
        reach = reach_of(func, args, kwargs, 3)
        assert any(reach.whole)
        for block in blocks.iter_blocks(SHAPE, (1, 1, 1), reach):
            for axis in np.flatnonzero(reach.whole):
                assert block.core[axis] == slice(0, SHAPE[axis])
    else:  # the one-voxel-ish blocks really cut the array
        assert n > 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["reflect", "constant", "wrap"])
def test_mixed_modes_per_axis(assert_same, dtype, mode):
    """Per-axis modes: only the wrapped axes stay whole."""
    x = random_array(SHAPE, dtype, seed=4)
    modes = [mode, "nearest", "grid-wrap"]
    kwargs = {"sigma": (1.0, 0.8, 0.6), "mode": modes}
    _check_blocked(assert_same, ndimage.gaussian_filter, x, (), kwargs)
    reach = reach_of(ndimage.gaussian_filter, (), kwargs, 3)
    assert reach.whole == (mode in WRAP_MODES, False, True)
    _check_blocked(assert_same, ndimage.minimum_filter, x, (), {"size": (3, 2, 4), "mode": modes})


def test_constant_mode_cval(assert_same):
    x = random_array(SHAPE, "float32", seed=5)
    for func, kwargs in [(ndimage.gaussian_filter, {"sigma": 0.9}),
                         (ndimage.median_filter, {"size": 3}),
                         (ndimage.maximum_filter, {"footprint": FOOTPRINT_A}),
                         (ndimage.grey_closing, {"size": 2})]:
        _check_blocked(assert_same, func, x, (), {**kwargs, "mode": "constant", "cval": -7.5})


def test_output_dtype_argument(assert_same):
    """output= as a dtype is passed on; the result takes that dtype."""
    x = random_array(SHAPE, "uint8", seed=6)
    result = _check_blocked(assert_same, ndimage.gaussian_filter, x, (),
                            {"sigma": 1.0, "output": np.float64})
    assert result.dtype == np.float64
    _check_blocked(assert_same, ndimage.median_filter, x, (), {"size": 3, "output": "int16"})


BINARY_FUNCS = [ndimage.binary_erosion, ndimage.binary_dilation, ndimage.binary_opening,
                ndimage.binary_closing]
BINARY_STRUCTURES = {
    "cross": (ndi.generate_binary_structure(3, 1), (1, 0, -1)),
    "cube": (np.ones((3, 3, 3), bool), (0, -1, 1)),
    "ball2": (ndimage.ball(2), (2, -1, 0)),
    "random": (asymmetric_footprint((2, 3, 4), seed=7), (-1, 1, -2)),
}
BINARY_SHAPE = (8, 9, 10)
BINARY_BLOCK_SHAPES = [(1, 2, 3), (3, 4, 7), (40, 40, 40), BINARY_SHAPE]


@pytest.mark.parametrize("variant", ["plain", "iterations2-border1", "iterations3-origin",
                                     "mask-origin-border1", "uint8-input"])
@pytest.mark.parametrize("structure_name", list(BINARY_STRUCTURES))
@pytest.mark.parametrize("func", BINARY_FUNCS, ids=lambda f: f.__name__)
def test_binary_morphology_equals_whole_array_call(assert_same, func, structure_name, variant):
    structure, origin = BINARY_STRUCTURES[structure_name]
    rng = np.random.default_rng(len(variant) + 10 * len(structure_name))
    density = 0.7 if func in (ndimage.binary_erosion, ndimage.binary_opening) else 0.25
    x = rng.random(BINARY_SHAPE) < density
    kwargs = {"structure": structure}
    if variant == "iterations2-border1":
        kwargs.update(iterations=2, border_value=1)
    elif variant == "iterations3-origin":
        kwargs.update(iterations=3, origin=origin)
    elif variant == "mask-origin-border1":
        kwargs.update(mask=rng.random(BINARY_SHAPE) < 0.7, origin=origin, border_value=1)
    elif variant == "uint8-input":
        x = (x * rng.integers(1, 256, size=BINARY_SHAPE)).astype(np.uint8)
    result = _check_blocked(assert_same, func, x, (), kwargs, BINARY_BLOCK_SHAPES)
    assert result.dtype == bool


def test_binary_iterations_and_default_structure(assert_same):
    x = np.random.default_rng(8).random((13, 14, 12)) < 0.6
    for iterations in (1, 2, 3):
        for func in BINARY_FUNCS:
            kwargs = {"iterations": iterations}
            _check_blocked(assert_same, func, x, (), kwargs, [(1, 2, 3), (5, 4, 7)])
            assert _n_blocks(func, x.shape, (), kwargs, (5, 4, 7)) > 1


def test_binary_axes(assert_same):
    x = np.random.default_rng(9).random(SHAPE) < 0.5
    structure = ndi.generate_binary_structure(2, 2)
    for func in BINARY_FUNCS:
        _check_blocked(assert_same, func, x, (), {"structure": structure, "axes": (0, 2),
                                                  "iterations": 2})


@pytest.mark.parametrize("halo", [None, 0, 2])
def test_pipeline_pointwise_functions_in_blocks(halo):
    """invert and threshold need no halo= (the error asked for one), and still take one."""
    x = np.random.default_rng(8).integers(0, 256, (9, 10, 11), dtype=np.uint8)
    inverted = blocks.apply(pipeline.invert, x, block_shape=(4, 5, 6), halo=halo)
    np.testing.assert_array_equal(inverted, pipeline.invert(x))
    assert inverted.dtype == np.float32
    above = blocks.apply(pipeline.threshold, x, 100, block_shape=(4, 5, 6), halo=halo)
    np.testing.assert_array_equal(above, x > 100)
    below = blocks.apply(pipeline.threshold, x[:0], 100, above=False, halo=halo)
    assert below.dtype == bool
    assert below.shape == (0, 10, 11)


def test_every_rule_is_tested():
    """Each function with a halo rule appears among the cases of this file."""
    tested = {p.values[0] for p in MODE_CASES} | set(BINARY_FUNCS)
    tested |= {getattr(tomo, name) for name in TOMO_FUNCS} | {tomo.detect_stripe}
    tested |= {pipeline.invert, pipeline.threshold}
    assert set(_RULES) <= tested


# 1-d, 2-d and size-1 axes

SMALL_SHAPES = [(1,), (2,), (23,), (1, 17), (15, 1), (9, 13), (6, 1, 9), (1, 1, 1), (5, 1, 4)]
SMALL_CASES = [pytest.param(getattr(ndimage, name), args, kwargs, id=case_id)
               for case_id, name, args, kwargs in SMALL_WINDOW_CASES]


@pytest.mark.parametrize(("func", "args", "kwargs"), SMALL_CASES)
@pytest.mark.parametrize("shape", SMALL_SHAPES, ids=str)
def test_low_dimensional_and_unit_axes(assert_same, shape, func, args, kwargs):
    ndim = len(shape)
    block_shapes = [(1,) * ndim, (2, 3, 1)[:ndim], (4,) * ndim, (99,) * ndim, shape]
    for i, mode in enumerate(FILTER_MODES):
        x = random_array(shape, DTYPES[i % len(DTYPES)], seed=i)
        _check_blocked(assert_same, func, x, args, {**kwargs, "mode": mode}, block_shapes)


@pytest.mark.parametrize("shape", SMALL_SHAPES, ids=str)
def test_low_dimensional_binary(assert_same, shape):
    ndim = len(shape)
    rng = np.random.default_rng(sum(shape))
    x = rng.random(shape) < 0.5
    mask = rng.random(shape) < 0.7
    block_shapes = [(1,) * ndim, (2, 3, 1)[:ndim], (99,) * ndim]
    for func in BINARY_FUNCS:
        for kwargs in [{}, {"iterations": 2, "border_value": 1},
                       {"structure": ndi.generate_binary_structure(ndim, ndim), "mask": mask}]:
            _check_blocked(assert_same, func, x, (), kwargs, block_shapes)


@pytest.mark.parametrize(("dtype", "output"), [("float32", None), ("float32", "float32"),
                                               ("uint8", None), ("float32", np.float64)])
def test_core_only_overwrites_only_scratch_data(dtype, output):
    """A caller's scratch copy (overwrite_data=True, as dask chunks pass their assembled span)
    holds the intermediate passes where the result has its dtype, and the result is a new
    C-contiguous array of the core alone, written by the last pass (a view would keep the
    scratch alive). Without the flag, or for another output dtype, the data is left as it
    was."""
    x = random_array((12, 14, 10), dtype, seed=3)
    core = (slice(3, 9), slice(2, 12), slice(0, 10))
    expected = ndimage.gaussian_filter(x, 1.3, output=output)[core]
    operation = blocks.Operation(ndimage.gaussian_filter, 1.3, output=output)

    kept = x.copy()
    result = operation(kept, inner=core)
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(kept, x)
    assert not np.shares_memory(result, kept)

    scratch = x.copy()
    result = operation(scratch, inner=core, overwrite_data=True)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == expected.dtype
    assert result.flags.c_contiguous
    assert result.flags.owndata
    assert not np.shares_memory(result, scratch)
    in_place = np.dtype(output or dtype) == x.dtype
    assert np.array_equal(scratch, x) != in_place


@pytest.mark.parametrize(("dtype", "sigma", "axes", "core"), [
    ("float32", 1.3, None, (slice(3, 9), slice(2, 12), slice(1, 10))),
    ("float64", (0.9, 0, 2.0), None, (slice(3, 9), slice(0, 14), slice(4, 6))),
    ("float32", (0.9, 0, 2.0), None, (slice(3, 9), slice(2, 12), slice(4, 6))),  # axis 1 cut
    ("uint8", 1.1, (0, 2), (slice(0, 12), slice(5, 7), slice(3, 8))),  # axis 1 cut, unfiltered
    (">f4", 1.3, None, (slice(3, 9), slice(2, 12), slice(1, 10))),  # scipy's own path
    ("float32", 0, None, (slice(3, 9), slice(2, 12), slice(1, 10))),  # no pass at all
])
@pytest.mark.parametrize("compact", [False, True])
def test_gaussian_filter_core(dtype, sigma, axes, core, compact):
    """The core of the whole-array result, filtering less; with compact, a new C-contiguous
    array of the core alone, whether the last pass could write it or not (an axis cut but not
    filtered, scipy's own path, nothing to filter)."""
    x = random_array((12, 14, 10), np.dtype(dtype).newbyteorder("="), seed=4).astype(dtype)
    expected = ndimage.gaussian_filter(x, sigma, axes=axes)[core]
    result = gaussian_filter_core(x.copy(), core, sigma, axes=axes, compact=compact)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == expected.dtype
    if compact:
        assert result.flags.c_contiguous
        assert result.flags.owndata


def test_empty_array(assert_same):
    x = np.zeros((0, 5), np.float32)
    result = _check_blocked(assert_same, ndimage.gaussian_filter, x, (), {"sigma": 1.0},
                            [(1, 1), (3, 3)])
    assert result.shape == (0, 5)


def test_empty_array_with_mask_and_of_sinograms(assert_same):
    """No blocks: the result's dtype comes from scipy's rules (or the function on one sample,
    its arrays cut to it), not from a call that a mask or a sinogram's size would refuse."""
    empty = np.zeros((0, 9), bool)
    assert_same(blocks.apply(ndimage.binary_erosion, empty, mask=empty),
                ndimage.binary_erosion(empty, mask=empty))
    sinograms = np.zeros((16, 0, 12), np.float32)
    result = blocks.apply(tomo.remove_stripe_based_sorting, sinograms, size=5)
    assert result.shape == sinograms.shape
    assert result.dtype == np.float32
    mean = blocks.apply(lambda block, mask: np.where(mask, block, 0), empty.astype(np.int16),
                        halo=0, mask=empty)
    assert mean.dtype == np.int16


@pytest.mark.parametrize(("func", "kwargs"), [
    (ndimage.maximum_filter1d, {"size": 3, "axis": 0}),
    (ndimage.gaussian_filter1d, {"sigma": 1.0}),
    (ndimage.minimum_filter, {"size": 3, "axes": 0}),
])
def test_0d_data_with_an_axis(assert_same_error, func, kwargs):
    x = np.array(1.0)
    assert_same_error(lambda: blocks.apply(func, x, **kwargs), lambda: func(x, **kwargs))


# ---------------------------------------------------------------------------------------------
# 2. properties


@st.composite
def _blocked_calls(draw):
    """(func, args, kwargs, array, block_shape) for a random shape and operation."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 12), min_size=ndim, max_size=ndim)))
    block_shape = tuple(draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    dtype = draw(st.sampled_from(DTYPES))
    x = random_array(shape, dtype, seed=draw(st.integers(0, 2**16)))
    mode = draw(st.sampled_from(FILTER_MODES))
    kind = draw(st.sampled_from(["gaussian", "gaussian1d", "window", "rank", "binary"]))

    def sizes_and_origins():
        sizes = draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim))
        origins = [draw(st.integers(-(n // 2), (n - 1) // 2)) for n in sizes]
        return sizes, origins

    if kind == "gaussian":
        sigma = draw(st.lists(st.floats(0.0, 2.5), min_size=ndim, max_size=ndim))
        kwargs = {"sigma": sigma, "truncate": draw(st.floats(0.5, 4.0)), "mode": mode,
                  "order": draw(st.lists(st.integers(0, 2), min_size=ndim, max_size=ndim))}
        return ndimage.gaussian_filter, (), kwargs, x, block_shape
    if kind == "gaussian1d":
        kwargs = {"axis": draw(st.integers(-ndim, ndim - 1)), "mode": mode,
                  "radius": draw(st.none() | st.integers(0, 4))}
        return ndimage.gaussian_filter1d, (draw(st.floats(0.1, 2.0)),), kwargs, x, block_shape
    if kind == "window":
        func = draw(st.sampled_from([ndimage.median_filter, ndimage.minimum_filter,
                                     ndimage.maximum_filter, ndimage.grey_erosion,
                                     ndimage.grey_dilation, ndimage.grey_opening,
                                     ndimage.grey_closing]))
        sizes, origins = sizes_and_origins()
        kwargs = {"size": sizes, "origin": origins, "mode": mode}
        if func.__name__.startswith("grey") and draw(st.booleans()):
            structure = np.random.default_rng(draw(st.integers(0, 99))).integers(-2, 3, sizes)
            kwargs = {"structure": structure.astype(np.float64), "origin": origins, "mode": mode}
        return func, (), kwargs, x, block_shape
    if kind == "rank":
        sizes, origins = sizes_and_origins()
        footprint = np.ones(sizes, bool)
        if ndim > 1:  # holes (1-d footprints with holes: see test_rank_filter_1d_footprint_...)
            footprint = np.random.default_rng(draw(st.integers(0, 99))).random(sizes) < 0.6
            footprint.flat[0] = True
        n = int(footprint.sum())
        rank = draw(st.integers(-n, n - 1))
        kwargs = {"footprint": footprint, "origin": origins, "mode": mode}
        return ndimage.rank_filter, (rank,), kwargs, x, block_shape
    func = draw(st.sampled_from(BINARY_FUNCS))
    connectivity = draw(st.integers(1, ndim))
    kwargs = {"structure": ndi.generate_binary_structure(ndim, connectivity),
              "iterations": draw(st.integers(1, 3)), "border_value": draw(st.integers(0, 1)),
              "origin": [draw(st.integers(-1, 1)) for _ in range(ndim)]}
    return func, (), kwargs, x > x.flat[0], block_shape


@hypothesis_settings(max_examples=250)
@given(call=_blocked_calls())
def test_property_blocked_equals_whole(assert_same, call):
    func, args, kwargs, x, block_shape = call
    _check_blocked(assert_same, func, x, args, kwargs, [block_shape])


@hypothesis_settings(max_examples=60)
@given(
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=3).map(tuple),
    block=st.lists(st.integers(1, 5), min_size=3, max_size=3),
    halo=st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_property_explicit_halo(assert_same, shape, block, halo, seed):
    """Any shape-preserving function with a halo at least its reach (here a correlation,
    whose every output is a sum over its window in a fixed order)."""
    x = random_array(shape, "float64", seed=seed)
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((2 * halo + 1,) * len(shape))

    def smooth(a):
        return ndi.correlate(a, weights, mode="mirror")

    expected = smooth(x)
    result = blocks.apply(smooth, x, halo=halo, block_shape=block[: len(shape)])
    assert_same(result, expected)


# ---------------------------------------------------------------------------------------------
# 3. labelling

LABEL_SHAPES = {1: (40,), 2: (13, 17), 3: (9, 10, 11), 4: (5, 6, 4, 7)}
LABEL_BLOCKS = {
    1: [(1,), (3,), (7,), (100,)],
    2: [(1, 1), (2, 3), (5, 7), (13, 1), (50, 50)],
    3: [(1, 1, 1), (2, 3, 5), (4, 4, 4), (9, 1, 11), (20, 20, 20)],
    4: [(1, 2, 1, 3), (2, 3, 2, 2), (5, 6, 1, 7), (9, 9, 9, 9)],
}
CONNECTIVITIES = [(ndim, c) for ndim in LABEL_SHAPES for c in range(1, ndim + 1)]


@pytest.mark.parametrize("density", [0.2, 0.5, 0.8])
@pytest.mark.parametrize(("ndim", "connectivity"), CONNECTIVITIES, ids=str)
def test_label_equals_scipy(ndim, connectivity, density):
    shape = LABEL_SHAPES[ndim]
    x = np.random.default_rng(ndim * 10 + connectivity).random(shape) < density
    structure = ndi.generate_binary_structure(ndim, connectivity)
    expected, n = ndi.label(x, structure)
    for block_shape in LABEL_BLOCKS[ndim]:
        labels, count = blocks.apply(ndimage.label, x, structure, block_shape=block_shape)
        assert count == n
        assert labels.dtype == np.int32
        np.testing.assert_array_equal(labels, expected, err_msg=f"block_shape={block_shape}")


def test_label_default_structure_and_inputs():
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, size=(9, 10, 11)).astype(np.uint8)  # non-zero is foreground
    expected, n = ndi.label(x)
    for block_shape in [(2, 3, 4), None]:
        labels, count = blocks.apply(ndimage.label, x, block_shape=block_shape)
        assert count == n
        np.testing.assert_array_equal(labels, expected)
    labels, count = blocks.apply(ndimage.label, x, structure=np.ones((3, 3, 3)),
                                 block_shape=(4, 4, 4))
    expected, n = ndi.label(x, np.ones((3, 3, 3)))
    assert count == n
    np.testing.assert_array_equal(labels, expected)


def test_label_blocks_of_a_big_endian_source():
    """Files are often big-endian; their labels are those of the native-order values."""
    x = np.random.default_rng(12).integers(0, 2, size=(6, 9, 8)).astype(">u2")
    expected, n = ndi.label(x.astype(np.uint16))
    labels, count = blocks.label_blocks(x, block_shape=(3, 4, 8))
    assert count == n
    np.testing.assert_array_equal(labels, expected)


@pytest.mark.parametrize("fill", [False, True])
def test_label_empty_and_full(fill):
    x = np.full((6, 7, 5), fill)
    labels, count = blocks.apply(ndimage.label, x, block_shape=(2, 3, 2))
    assert count == int(fill)
    np.testing.assert_array_equal(labels, ndi.label(x)[0])


def test_label_zero_size():
    labels, count = blocks.apply(ndimage.label, np.zeros((0, 4), bool), block_shape=(1, 1))
    assert count == 0
    assert labels.shape == (0, 4)


@hypothesis_settings(max_examples=100)
@given(
    shape=st.lists(st.integers(1, 8), min_size=1, max_size=4).map(tuple),
    block=st.lists(st.integers(1, 5), min_size=4, max_size=4),
    p=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**16),
    structure_seed=st.integers(0, 2**16),
)
def test_property_label(shape, block, p, seed, structure_seed):
    x = np.random.default_rng(seed).random(shape) < p
    structure = np.random.default_rng(structure_seed).random((3,) * len(shape)) < 0.5
    structure |= structure[(slice(None, None, -1),) * len(shape)]  # scipy needs symmetry
    expected, n = ndi.label(x, structure)
    labels, count = blocks.apply(ndimage.label, x, structure, block_shape=block[: len(shape)])
    assert count == n
    np.testing.assert_array_equal(labels, expected)


# ---------------------------------------------------------------------------------------------
# 4. tomography: sinograms are whole, stacks split along their rows

TOMO_FUNCS = [name for name in tomo.__all__ if name.startswith("remove_")]


@pytest.fixture(scope="module")
def stack():
    return data.striped_sinograms(n_angles=24, n_columns=40, n_rows=9)


@pytest.mark.parametrize("kwargs", [{}, {"size": 5}, {"size": 7, "dim": 2}], ids=str)
def test_sorting_on_stack_equals_whole(assert_same, stack, kwargs):
    block_shapes = [(24, 1, 40), (1, 2, 1), (5, 4, 7), (24, 9, 40), (100, 100, 100)]
    _check_blocked(assert_same, tomo.remove_stripe_based_sorting, stack, (), kwargs,
                   block_shapes)
    reach = reach_of(tomo.remove_stripe_based_sorting, (), kwargs, 3)
    cores = [b.core for b in blocks.iter_blocks(stack.shape, (1, 2, 1), reach)]
    assert len(cores) == 5  # rows split in twos; angles and columns whole
    for core in cores:
        assert core[0] == slice(0, 24)
        assert core[2] == slice(0, 40)


@pytest.mark.parametrize("name", TOMO_FUNCS)
def test_ring_removal_functions_on_stack(assert_same, stack, name):
    func = getattr(tomo, name)
    x = -np.log(stack) if name == "remove_stripe_fw" else stack
    _check_blocked(assert_same, func, x, (), {}, [(1, 1, 1), (24, 4, 40)])


def test_detect_stripe_in_blocks_keeps_profiles_whole(assert_same, stack):
    """Each line along the last axis is one profile: blocks split the others only."""
    profiles = stack.mean(axis=0)  # (rows, columns): one column profile per row
    _check_blocked(assert_same, tomo.detect_stripe, profiles, (3.0,), {}, [(1, 1), (4, 7)])
    cores = [b.core for b in blocks.iter_blocks(profiles.shape, (4, 7),
                                                reach_of(tomo.detect_stripe, (3.0,), {}, 2))]
    assert [core[1] for core in cores] == [slice(0, 40)] * 3


def test_ring_removal_on_one_sinogram_and_to_zarr(assert_same, stack, tmp_path):
    sinogram = np.ascontiguousarray(stack[:, 3])
    _check_blocked(assert_same, tomo.remove_stripe_based_sorting, sinogram, (), {},
                   [(1, 1), (5, 5)])
    out = blocks.apply(tomo.remove_stripe_based_sorting, stack, block_shape=(2, 2, 2),
                       out=str(tmp_path / "clean.zarr"))
    assert out.chunks == (24, 2, 40)
    assert_same(out[:], tomo.remove_stripe_based_sorting(stack))


# ---------------------------------------------------------------------------------------------
# 5. sources and outputs


def _volume(dtype="uint16", shape=(7, 9, 8)):
    return random_array(shape, dtype, seed=12)


def _open_and_check(assert_same, source, expected):
    """open_array(source) reads like expected; apply over it equals the whole-array call."""
    array = blocks.open_array(source)
    assert tuple(array.shape) == expected.shape
    assert_same(np.asarray(array[:]), expected)
    result = blocks.apply(ndimage.median_filter, source, size=3, block_shape=(2, 3, 5))
    assert isinstance(result, np.ndarray)
    assert_same(result, ndimage.median_filter(expected, size=3))
    labels, count = blocks.apply(ndimage.label, source, block_shape=(3, 2, 4))
    expected_labels, n = ndi.label(expected)
    assert count == n
    np.testing.assert_array_equal(labels, expected_labels)


def test_source_numpy_and_list(assert_same):
    x = _volume()
    assert blocks.open_array(x) is x
    _open_and_check(assert_same, x, x)
    nested = [[1, 2, 3], [4, 5, 6]]
    assert_same(blocks.open_array(nested), np.asarray(nested))


def test_source_npy_memmap(assert_same, tmp_path):
    x = _volume("float32")
    path = tmp_path / "volume.npy"
    np.save(path, x)
    assert isinstance(blocks.open_array(str(path)), np.memmap)
    assert isinstance(blocks.open_array(path), np.memmap)  # a PathLike too
    _open_and_check(assert_same, str(path), x)
    _open_and_check(assert_same, np.load(path, mmap_mode="r"), x)
    mapped = np.memmap(tmp_path / "raw.bin", dtype=x.dtype, mode="w+", shape=x.shape)
    mapped[:] = x
    _open_and_check(assert_same, mapped, x)


def test_source_zarr(assert_same, tmp_path):
    x = _volume("uint8")
    store = str(tmp_path / "a.zarr")
    array = zarr.create_array(store=store, shape=x.shape, chunks=(2, 4, 3), dtype=x.dtype)
    array[:] = x
    _open_and_check(assert_same, store, x)
    _open_and_check(assert_same, array, x)
    # a zarr directory whose name does not end in .zarr is recognised by its metadata
    other = str(tmp_path / "plain")
    plain = zarr.create_array(store=other, shape=x.shape, chunks=(7, 9, 8), dtype=x.dtype)
    plain[:] = x
    _open_and_check(assert_same, other, x)


@pytest.fixture
def tiff_sources(tmp_path):
    """The same volume as a multi-page TIFF, a compressed one and a glob of slice files."""
    x = _volume("uint16")
    plain = tmp_path / "stack.tif"
    tifffile.imwrite(plain, x, photometric="minisblack")
    packed = tmp_path / "packed.tiff"
    tifffile.imwrite(packed, x, photometric="minisblack", compression="zlib")
    for i, page in enumerate(x):
        tifffile.imwrite(tmp_path / f"slice_{i:03d}.tif", page, photometric="minisblack")
    return x, {"multipage": str(plain), "zlib": str(packed),
               "glob": str(tmp_path / "slice_*.tif")}


@pytest.mark.parametrize("kind", ["multipage", "zlib", "glob", "list"])
def test_source_tiff(assert_same, tiff_sources, kind):
    x, paths = tiff_sources
    source = sorted(glob.glob(paths["glob"])) if kind == "list" else paths[kind]
    assert isinstance(blocks.open_array(source), blocks.TiffStack)
    _open_and_check(assert_same, source, x)


@pytest.mark.parametrize(("compression", "layout"), [
    ("lzw", {"predictor": True}),  # ImageJ/Fiji's usual choice
    ("lzw", {"tile": (16, 16)}),
    ("packbits", {}),
    ("zstd", {}),
    ("lzma", {}),
    ("deflate", {"rowsperstrip": 3}),
], ids=str)
def test_source_tiff_compressions(assert_same, tmp_path, compression, layout):
    """Compressed stacks and slice files read block by block as the arrays they hold (tifffile
    decodes LZW and zstd with imagecodecs)."""
    pytest.importorskip("imagecodecs")
    x = _volume("uint16")
    tifffile.imwrite(tmp_path / "stack.tif", x, compression=compression, **layout)
    _open_and_check(assert_same, str(tmp_path / "stack.tif"), x)
    for i, page in enumerate(x):
        tifffile.imwrite(tmp_path / f"slice_{i:03d}.tif", page, compression=compression,
                         **layout)
    _open_and_check(assert_same, str(tmp_path / "slice_*.tif"), x)


TIFF_KEYS = [
    np.s_[3:9, 2:5], np.s_[3], np.s_[-1], np.s_[-3, 1:4], np.s_[0, :, 2], np.s_[:],
    np.s_[::2], np.s_[::-1, ::2], np.s_[5:2], np.s_[1:3, ..., 1], np.s_[2:100],
    np.s_[np.int64(4), 3:], np.s_[-7], (), np.s_[1:6:2, 8:0:-3, 1:-1],
]


@pytest.mark.parametrize("kind", ["multipage", "zlib", "glob"])
def test_tiffstack_slicing(assert_same, tiff_sources, kind):
    x, paths = tiff_sources
    stack = blocks.TiffStack(paths[kind])
    assert stack.shape == x.shape
    assert stack.ndim == 3
    assert stack.dtype == x.dtype
    for key in TIFF_KEYS:
        try:
            assert_same(stack[key], x[key])
        except AssertionError as error:
            msg = f"key {key}: {error}"
            raise AssertionError(msg) from None
    assert_same(np.asarray(stack), x)
    assert_same(np.asarray(stack, dtype=np.float32), x.astype(np.float32))
    if kind == "multipage":  # memory-mapped; page by page: see test_tiffstack_leading_ellipsis
        assert_same(stack[..., 0], x[..., 0])


def test_tiffstack_from_list_and_single_page(assert_same, tiff_sources, tmp_path):
    x, _ = tiff_sources
    files = sorted(str(p) for p in tmp_path.glob("slice_*.tif"))
    stack = blocks.TiffStack(files)
    assert stack.files == files
    assert_same(stack[2:5, 1], x[2:5, 1])
    single = blocks.TiffStack(files[4])
    assert single.shape == (1, *x.shape[1:])
    assert_same(single[0], x[4])


def test_outputs(assert_same, tmp_path):
    x = _volume("float32")
    expected = ndimage.gaussian_filter(x, 0.8)
    block_shape = (2, 4, 3)

    result = blocks.apply(ndimage.gaussian_filter, x, 0.8, block_shape=block_shape)
    assert type(result) is np.ndarray
    assert_same(result, expected)

    target = np.full(x.shape, np.nan, np.float32)
    result = blocks.apply(ndimage.gaussian_filter, x, 0.8, block_shape=block_shape, out=target)
    assert result is target
    assert_same(target, expected)

    path = tmp_path / "smooth.npy"
    result = blocks.apply(ndimage.gaussian_filter, x, 0.8, block_shape=block_shape, out=str(path))
    assert isinstance(result, np.memmap)
    result.flush()
    assert_same(np.load(path), expected)

    store = str(tmp_path / "smooth.zarr")
    result = blocks.apply(ndimage.gaussian_filter, x, 0.8, block_shape=block_shape, out=store)
    assert isinstance(result, zarr.Array)
    assert result.chunks == block_shape
    assert_same(zarr.open_array(store, mode="r")[:], expected)
    # writing again replaces what was there
    blocks.apply(ndimage.median_filter, x, size=3, block_shape=(7, 9, 8), out=store)
    reopened = zarr.open_array(store, mode="r")
    assert reopened.chunks == (7, 9, 8)
    assert_same(reopened[:], ndimage.median_filter(x, size=3))


def test_zarr_output_chunks_follow_effective_blocks(tmp_path):
    """Axes that are not split (wrap modes, blocks longer than the array) are one chunk."""
    x = _volume("float32")
    store = str(tmp_path / "wrapped.zarr")
    out = blocks.apply(ndimage.gaussian_filter, x, 0.5, mode=["wrap", "reflect", "reflect"],
                       block_shape=(2, 4, 30), out=store)
    assert out.chunks == (7, 4, 8)


def test_label_outputs(tmp_path):
    x = np.random.default_rng(13).random((9, 10, 11)) < 0.4
    expected, n = ndi.label(x)
    target = np.zeros(x.shape, np.int32)
    labels, count = blocks.apply(ndimage.label, x, out=target, block_shape=(3, 3, 3))
    assert labels is target
    assert count == n
    np.testing.assert_array_equal(target, expected)
    for name in ["labels.npy", "labels.zarr"]:
        labels, count = blocks.apply(ndimage.label, x, out=str(tmp_path / name),
                                     block_shape=(4, 5, 3))
        assert count == n
        assert labels.dtype == np.int32
        np.testing.assert_array_equal(np.asarray(labels[:]), expected)
    assert labels.chunks == (4, 5, 3)


@pytest.mark.parametrize(("name", "args", "kwargs"),
                         [pytest.param(*case[1:], id=case[0]) for case in INVALID_ARGUMENT_CASES])
def test_invalid_arguments_raise_as_on_the_whole(assert_same_error, name, args, kwargs):
    """Invalid arguments: the exception and message of the whole-array call."""
    func, x = getattr(ndimage, name), random_array((6, 8), "float32", seed=9)
    assert_same_error(lambda: blocks.apply(func, x, *args, block_shape=(3, 4), **kwargs),
                      lambda: func(x, *args, **kwargs))


def test_relabel_into_chunks_the_blocks_cut(tmp_path):
    """Relabelling runs blocks on several threads, but not into a zarr output whose chunks the
    blocks cut: two blocks written at once would each rewrite the chunk they share, and one
    would lose the other's labels."""
    x = np.random.default_rng(19).random((24, 40, 40)) < 0.4
    expected, n = ndi.label(x)
    shared = zarr.create_array(store=str(tmp_path / "shared.zarr"), shape=x.shape,
                               chunks=(24, 40, 40), dtype=np.int32)
    aligned = zarr.create_array(store=str(tmp_path / "aligned.zarr"), shape=x.shape,
                                chunks=(3, 10, 10), dtype=np.int32)
    for out in (shared, aligned):
        _, count = blocks.apply(ndimage.label, x, out=out, block_shape=(3, 10, 20),
                                workers=4)
        assert count == n
        np.testing.assert_array_equal(out[...], expected)
    split = list(blocks.iter_blocks(x.shape, (3, 10, 20)))
    assert not blocks._whole_chunks(split, shared)
    assert blocks._whole_chunks(split, aligned)
    assert blocks._whole_chunks(split, np.zeros(x.shape))
    assert not blocks._whole_chunks(split, zarr.create_array(store={}, shape=x.shape,
                                                             chunks=(2, 10, 20), dtype="i4"))
    assert blocks._whole_chunks(list(blocks.iter_blocks((5,), (3,))),
                                zarr.create_array(store={}, shape=(5,), chunks=(3,), dtype="i4"))


def test_relabelled_blocks_in_order():
    """Blocks come back in order, each once it is written, whatever the threads."""
    x = np.arange(60, dtype=np.int32).reshape(6, 10) % 7
    split = list(blocks.iter_blocks(x.shape, (1, 4)))
    lookups = [np.arange(7) * (i + 1) for i in range(len(split))]
    for threads in (1, 3, 8):
        target = np.zeros(x.shape, np.int64)
        seen = []
        for block in blocks.relabelled_blocks(split, lookups, x, target, np.int64, threads):
            seen.append(block.index)
            np.testing.assert_array_equal(target[block.core], x[block.core] * (block.index + 1))
        assert seen == list(range(len(split)))


def test_tiff_whose_pages_are_not_its_slices_is_refused(tmp_path):
    """tifffile stores a (Z, Y, 1) volume as one (Z, Y) page, and by default a (3, Y, X) or a
    (Z, Y, 3) one as one RGB page: refused, not read as (1, Z, Y) or (1, 3, Y, X)."""
    path = tmp_path / "thin.tif"
    tifffile.imwrite(path, np.arange(12, dtype=np.uint8).reshape(2, 6, 1),
                     photometric="minisblack")
    with pytest.raises(ValueError, match="slice by slice"):
        blocks.apply(ndimage.maximum_filter, str(path), size=3)
    for shape in [(3, 6, 7), (5, 6, 3)]:
        rgb = tmp_path / "rgb.tif"
        tifffile.imwrite(rgb, np.arange(np.prod(shape), dtype=np.uint8).reshape(shape),
                         photometric="rgb")
        with pytest.raises(ValueError, match="photometric='minisblack'"):
            blocks.TiffStack(str(rgb))
    fine = tmp_path / "fine.tif"
    x = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    tifffile.imwrite(fine, x, photometric="minisblack")
    np.testing.assert_array_equal(blocks.apply(ndimage.maximum_filter, str(fine), size=3),
                                  ndimage.maximum_filter(x, size=3))


def test_open_output_kinds(tmp_path):
    assert blocks.open_output(None, (2, 3), "uint8", (1, 1)).dtype == np.uint8
    array = np.zeros((2, 3))
    assert blocks.open_output(array, (2, 3), "float64", (1, 1)) is array
    z = blocks.open_output(str(tmp_path / "o.zarr"), (5, 6), "int16", (2, 10),
                           attributes={"unit": "mm"})
    assert z.chunks == (2, 6)
    assert dict(z.attrs) == {"unit": "mm"}
    assert np.all(z[:] == 0)


# ---------------------------------------------------------------------------------------------
# 6. geometry


def _check_tiling(shape, block_shape, reach, region=None):
    """Cores tile the region exactly once, in C order; outer is core plus halo, clipped, and
    widened where clipped to at least the window length 2 halo + 1."""
    region = region or tuple(slice(0, n) for n in shape)
    cover = np.zeros(shape, np.int64)
    ramp = np.arange(np.prod(shape)).reshape(shape)
    found = list(blocks.iter_blocks(shape, block_shape, reach, region))
    for i, block in enumerate(found):
        assert block.index == i
        cover[block.core] += 1
        assert block.offset == tuple(c.start for c in block.core)
        assert block.shape == tuple(c.stop - c.start for c in block.core)
        for c, o, h, n, whole in zip(block.core, block.outer, reach.halo, shape, reach.whole,
                                     strict=True):
            assert c.stop > c.start
            if whole:  # read whole, also where the region cuts it
                assert o == slice(0, n)
                continue
            lo, hi = max(0, c.start - h), min(n, c.stop + h)
            assert 0 <= o.start <= lo
            assert hi <= o.stop <= n
            assert o.stop - o.start == max(hi - lo, min(n, 2 * h + 1))
        np.testing.assert_array_equal(ramp[block.outer][block.inner], ramp[block.core])
    inside = np.zeros(shape, bool)
    inside[region] = True
    np.testing.assert_array_equal(cover, inside.astype(np.int64))
    assert [b.offset for b in found] == sorted(b.offset for b in found)
    return found


@pytest.mark.parametrize("block_shape", [(1, 1, 1), (2, 3, 4), (4, 4, 4), (9, 9, 9), (3, 50, 1)])
@pytest.mark.parametrize("halo", [(0, 0, 0), (1, 2, 0), (3, 3, 3)])
def test_iter_blocks_tiles_once(block_shape, halo):
    shape = (7, 8, 9)
    reach = Reach(halo, (False,) * 3)
    found = _check_tiling(shape, block_shape, reach)
    # blocks are as asked (or shorter at the ends) unless the window is longer than the axis
    for d in range(3):
        expected = shape[d] if 2 * halo[d] + 1 > shape[d] else min(block_shape[d], shape[d])
        assert max(b.shape[d] for b in found) == expected


def test_iter_blocks_whole_axes_and_default_reach():
    reach = Reach((1, 0, 2), (True, False, False))
    for block in _check_tiling((5, 6, 7), (2, 2, 2), reach):
        assert block.core[0] == slice(0, 5)
    found = list(blocks.iter_blocks((4, 5), (3, 3)))  # no reach: no halo
    assert [b.core for b in found] == [b.outer for b in found]
    assert len(found) == 4


@pytest.mark.parametrize("region", [
    (slice(2, 6), slice(1, 8), slice(0, 9)),
    (slice(None), slice(3, None), slice(-4, None)),
    (slice(1, 5),),
    slice(1, 5),
    (slice(3, 3), slice(None)),
])
def test_iter_blocks_region(region):
    shape = (7, 8, 9)
    reach = Reach((1, 1, 2), (False, False, False))
    full = region if isinstance(region, tuple) else (region,)
    full = full + (slice(None),) * (3 - len(full))
    normal = tuple(slice(*s.indices(n)[:2]) for s, n in zip(full, shape, strict=True))
    normal = tuple(slice(s.start, max(s.start, s.stop)) for s in normal)
    found = _check_tiling(shape, (2, 3, 4), reach, normal)
    assert found == list(blocks.iter_blocks(shape, (2, 3, 4), reach, region))


def test_iter_blocks_region_errors():
    with pytest.raises(ValueError, match="step"):
        list(blocks.iter_blocks((5, 5), (2, 2), region=(slice(0, 5, 2),)))
    with pytest.raises(TypeError, match="slices"):
        list(blocks.iter_blocks((5, 5), (2, 2), region=(1, slice(None))))
    with pytest.raises(IndexError, match="axes"):
        list(blocks.iter_blocks((5, 5), (2, 2), region=(slice(None),) * 3))


@hypothesis_settings(max_examples=200)
@given(
    shape=st.lists(st.integers(1, 40), min_size=1, max_size=4).map(tuple),
    data_=st.data(),
)
def test_property_default_block_shape(shape, data_):
    ndim = len(shape)
    halo = tuple(data_.draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim)))
    whole = tuple(data_.draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim)))
    samples = data_.draw(st.integers(1, 5000))
    reach = Reach(halo, whole)
    block = blocks.default_block_shape(shape, reach, samples=samples)
    assert len(block) == ndim
    assert all(1 <= b <= n for b, n in zip(block, shape, strict=True))
    for d in range(ndim):
        if whole[d]:
            assert block[d] == shape[d]

    def outer(b):
        return int(np.prod([min(n, x + 2 * h) for n, x, h in zip(shape, b, halo, strict=True)]))

    splittable = [d for d in range(ndim) if not whole[d] and block[d] > 1]
    assert outer(block) <= samples or not splittable
    if outer(shape) <= samples:
        assert block == shape
    # from a source stored in whole pages: the same, or a slab of whole pages within its limit
    chunks = (data_.draw(st.integers(1, shape[0])), *shape[1:])
    slab = blocks.default_block_shape(shape, reach, samples=samples, chunks=chunks)
    if slab != block:
        assert ndim > 1
        assert not whole[0]
        assert slab[1:] == shape[1:]
        assert slab[0] % chunks[0] == 0 or slab[0] == shape[0]
        assert outer(slab) <= blocks.SLAB_FACTOR * samples
        assert slab[0] >= min(shape[0], 2 * halo[0])


@hypothesis_settings(max_examples=150)
@given(
    shape=st.lists(st.integers(1, 8), min_size=1, max_size=3).map(tuple),
    data_=st.data(),
)
def test_property_iter_blocks_tiling(shape, data_):
    ndim = len(shape)
    block = data_.draw(st.lists(st.integers(1, 5), min_size=ndim, max_size=ndim))
    halo = tuple(data_.draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim)))
    whole = tuple(data_.draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim)))
    region = []
    for n in shape:
        start = data_.draw(st.integers(0, n))
        region.append(slice(start, data_.draw(st.integers(start, n))))
    _check_tiling(shape, block, Reach(halo, whole), tuple(region))


def test_default_block_shape_examples():
    assert blocks.default_block_shape((10, 20, 30)) == (10, 20, 30)
    assert blocks.default_block_shape((100, 100, 100), samples=100 * 100 * 50) == (50, 100, 100)
    assert blocks.default_block_shape((8, 8), samples=32) == (4, 8)  # the first of equals
    assert blocks.default_block_shape((8, 8), samples=16) == (4, 4)
    reach = Reach((0, 0), (True, False))
    assert blocks.default_block_shape((8, 8), reach, samples=16) == (8, 2)
    assert blocks.default_block_shape((8, 8), Reach((0, 0), (True, True)), samples=1) == (8, 8)
    assert blocks.default_block_shape((0, 5)) == (1, 5)


def test_default_blocks_of_a_paged_source_are_slabs():
    """A source stored in whole pages gets slabs of whole pages: as thick as fits the budget
    with the halo, at least twice the halo, in whole chunks; unless the slab would exceed
    SLAB_FACTOR times the budget, or the source is not stored in whole pages."""
    halo2 = Reach((2, 2, 2), (False,) * 3)
    shape, page = (100, 64, 64), (1, 64, 64)
    assert blocks.default_block_shape(shape, halo2, samples=4096 * 20, chunks=page) == \
        (16, 64, 64)  # 16 pages + 2 * 2 halo pages = the budget
    assert blocks.default_block_shape(shape, halo2, samples=4096 * 4, chunks=page) == \
        (4, 64, 64)  # twice the halo, at twice the budget
    assert blocks.default_block_shape(shape, halo2, samples=4096 * 4, chunks=(3, 64, 64)) == \
        (6, 64, 64)  # whole chunks
    assert blocks.default_block_shape(shape, samples=4096 * 3, chunks=(1, 64, 80)) == \
        (3, 64, 64)  # chunks larger than the array's pages still hold whole pages
    # a slab of 4 + 4 halo pages would exceed SLAB_FACTOR times a budget of one page
    assert blocks.default_block_shape(shape, halo2, samples=4096 // blocks.SLAB_FACTOR * 2,
                                      chunks=page) == \
        blocks.default_block_shape(shape, halo2, samples=4096 // blocks.SLAB_FACTOR * 2)
    for chunks in [(1, 32, 64), (100, 64, 64), None]:  # not pages; one chunk; unchunked
        assert blocks.default_block_shape(shape, halo2, samples=4096 * 20, chunks=chunks) == \
            blocks.default_block_shape(shape, halo2, samples=4096 * 20)
    wrap0 = Reach((2, 2, 2), (True, False, False))  # axis 0 may not be split
    assert blocks.default_block_shape(shape, wrap0, samples=4096 * 20, chunks=page) == \
        blocks.default_block_shape(shape, wrap0, samples=4096 * 20)
    assert blocks.default_block_shape((10, 8, 8), halo2, samples=640, chunks=page) == \
        (10, 8, 8)  # the whole array fits


def test_default_block_shape_used_by_apply(assert_same, monkeypatch):
    x = random_array(SHAPE, "float32", seed=14)
    assert_same(blocks.apply(ndimage.median_filter, x, size=3), ndimage.median_filter(x, size=3))
    default = blocks.default_block_shape
    chosen = []

    def small(shape, reach=None, chunks=None):
        chosen.append(default(shape, reach, samples=200, chunks=chunks))
        return chosen[-1]

    monkeypatch.setattr(blocks, "default_block_shape", small)
    result = blocks.apply(ndimage.median_filter, x, size=3)
    assert_same(result, ndimage.median_filter(x, size=3))
    labels, count = blocks.apply(ndimage.label, x > 0)
    expected, n = ndi.label(x > 0)
    assert count == n
    np.testing.assert_array_equal(labels, expected)
    assert len(chosen) == 2
    assert all(np.prod(b) < np.prod(SHAPE) for b in chosen)


def test_reach_of_rules():
    assert reach_of(ndimage.gaussian_filter, (1.0,), {}, 2) == Reach((4, 4), (False, False))
    assert reach_of(ndimage.gaussian_filter, (), {"sigma": (0, 2), "radius": (5, 1)}, 2).halo \
        == (0, 1)
    assert reach_of(ndimage.gaussian_filter1d, (1.0,), {"axis": 0, "mode": "wrap"}, 2) \
        == Reach((4, 0), (True, False))
    assert reach_of(ndimage.median_filter, (), {"size": 4, "origin": -1}, 1).halo == (4,)
    assert reach_of(ndimage.grey_opening, (), {"size": 3}, 2).halo == (2, 2)
    assert reach_of(ndimage.binary_closing, (), {"iterations": 3}, 1).halo == (6,)
    assert reach_of(tomo.remove_stripe_based_sorting, (), {}, 3) \
        == Reach((0, 0, 0), (True, False, True))
    assert reach_of(tomo.remove_stripe_based_sorting, (), {}, 2).whole == (True, True)


# ---------------------------------------------------------------------------------------------
# 7. errors


def test_unknown_function_needs_halo(assert_same):
    x = random_array((6, 7), "float64")
    weights = np.arange(9.0).reshape(3, 3) - 4
    with pytest.raises(TypeError, match="halo"):
        blocks.apply(ndi.correlate, x, weights)
    assert_same(blocks.apply(ndi.correlate, x, weights, halo=1, block_shape=(2, 3)),
                ndi.correlate(x, weights))
    line = [1.0, 2.0, -1.0, 0.5, 3.0]
    assert_same(blocks.apply(ndi.correlate1d, x, line, axis=1, halo=(0, 2), block_shape=(1, 2)),
                ndi.correlate1d(x, line, axis=1))
    assert_same(blocks.apply(np.negative, x, halo=0, block_shape=(1, 1)), np.negative(x))
    with pytest.raises(ValueError, match="halo"):
        blocks.apply(ndi.correlate, x, weights, halo=(1, 1, 1))
    with pytest.raises(ValueError, match="halo"):
        blocks.apply(ndi.correlate, x, weights, halo=-1)
    with pytest.raises(TypeError, match="callable"):
        blocks.apply("gaussian", x)
    # qbi_fast's own functions: the halo follows from their arguments, never from halo=
    for func, args in [(ndimage.gaussian_filter, (3.0,)), (ndimage.label, ())]:
        with pytest.raises(ValueError, match="halo= is for functions qbi_fast does not know"):
            blocks.apply(func, x, *args, halo=1)
    with pytest.raises(ValueError, match="positive integers"):
        blocks.apply(np.negative, x, halo=0, block_shape=(1.5, 2))


@pytest.mark.parametrize("iterations", [0, -1])
def test_binary_iterations_until_stable_is_refused(iterations):
    x = np.ones((5, 5), bool)
    for func in BINARY_FUNCS:
        with pytest.raises(ValueError, match="iterations"):
            blocks.apply(func, x, iterations=iterations)


@pytest.mark.parametrize("block_shape", [(2, 2), (2, 2, 2, 2), (), (0, 2, 2), (2, -1, 2)])
def test_bad_block_shape(block_shape):
    x = np.zeros((4, 5, 6), np.float32)
    with pytest.raises(ValueError, match="block"):
        blocks.apply(ndimage.median_filter, x, size=3, block_shape=block_shape)
    with pytest.raises(ValueError, match="block"):
        blocks.apply(ndimage.label, x, block_shape=block_shape)


def test_function_changing_shape():
    x = np.zeros((4, 5), np.float32)
    with pytest.raises(ValueError, match="shape"):
        blocks.apply(lambda a: a[:1], x, halo=0, block_shape=(2, 2))
    with pytest.raises(ValueError, match="shape"):
        blocks.apply(np.sum, x, halo=0)


def test_output_array_argument_is_refused():
    x = np.zeros((4, 5), np.float32)
    with pytest.raises(TypeError, match="out="):
        blocks.apply(ndimage.gaussian_filter, x, 1.0, output=np.empty_like(x))
    with pytest.raises(TypeError, match="out="):
        blocks.apply(ndimage.label, x, output=np.empty(x.shape, np.int32))
    with pytest.raises(TypeError, match="out="):
        blocks.label_blocks(x, output=np.int64)


def test_mask_of_wrong_shape():
    x = np.ones((6, 7), bool)
    with pytest.raises(RuntimeError, match="mask"):
        blocks.apply(ndimage.binary_erosion, x, mask=np.ones((6, 6), bool))


def test_bad_paths_and_out(tmp_path):
    with pytest.raises(ValueError, match="format"):
        blocks.open_array(str(tmp_path / "volume.h5"))
    with pytest.raises(ValueError, match="format"):
        blocks.apply(ndimage.median_filter, np.zeros((3, 3)), size=3,
                     out=str(tmp_path / "result.h5"))
    with pytest.raises(ValueError, match="shape"):
        blocks.apply(ndimage.median_filter, np.zeros((3, 3)), size=3, out=np.zeros((3, 4)))
    with pytest.raises(FileNotFoundError):
        blocks.TiffStack(str(tmp_path / "nothing_*.tif"))
    with pytest.raises(FileNotFoundError):
        blocks.TiffStack([])


# ---------------------------------------------------------------------------------------------
# 8. progress bars and 9. threads


def test_progress_bar(assert_same, capsys):
    x = random_array(SHAPE, "float32", seed=15)
    result = blocks.apply(ndimage.gaussian_filter, x, 0.7, block_shape=(5, 6, 12), progress=True)
    assert_same(result, ndimage.gaussian_filter(x, 0.7))
    err = capsys.readouterr().err
    assert "gaussian_filter" in err
    assert "4/4" in err
    labels, _ = blocks.apply(ndimage.label, x > 0, block_shape=(5, 6, 12), progress=True)
    np.testing.assert_array_equal(labels, ndi.label(x > 0)[0])
    err = capsys.readouterr().err
    assert "label" in err
    assert "8/8" in err  # each block labelled, then relabelled


@pytest.mark.parametrize(("func", "args", "kwargs"), [
    (ndimage.gaussian_filter, (1.0,), {}),
    (ndimage.median_filter, (), {"size": 3}),
    (ndimage.percentile_filter, (20,), {"footprint": FOOTPRINT_A}),
    (ndimage.grey_closing, (), {"structure": STRUCTURE}),
    (ndimage.binary_opening, (), {"iterations": 2}),
    (tomo.remove_stripe_based_sorting, (), {}),
], ids=lambda v: getattr(v, "__name__", None))
def test_workers_do_not_change_result(assert_same, func, args, kwargs):
    x = random_array(SHAPE, "float32", seed=16)
    if func is ndimage.binary_opening:
        x = x > 0
    if func is tomo.remove_stripe_based_sorting:
        x = data.striped_sinograms(n_angles=12, n_columns=32, n_rows=5)
    one = blocks.apply(func, x, *args, block_shape=(3, 4, 5), workers=1, **kwargs)
    two = blocks.apply(func, x, *args, block_shape=(3, 4, 5), workers=2, **kwargs)
    assert_same(one, two)
    assert_same(one, func(x, *args, **kwargs))


def test_workers_label():
    x = np.random.default_rng(17).random((9, 10, 11)) < 0.5
    one = blocks.apply(ndimage.label, x, block_shape=(2, 5, 3), workers=1)
    two = blocks.apply(ndimage.label, x, block_shape=(2, 5, 3), workers=2)
    assert one[1] == two[1]
    np.testing.assert_array_equal(one[0], two[0])


# ---------------------------------------------------------------------------------------------
# cases that once differed from the whole-array call, and the one that still does


@pytest.mark.parametrize("func", [ndimage.median_filter, ndimage.percentile_filter],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("mode", ["reflect", "mirror"])
def test_rank_filter_1d_footprint_with_holes(assert_same, func, mode):
    x = np.random.default_rng(0).integers(0, 50, 20).astype(np.uint8)
    footprint = np.array([1, 0, 1, 1, 0], bool)
    args = (40,) if func is ndimage.percentile_filter else ()
    _check_blocked(assert_same, func, x, args, {"footprint": footprint, "mode": mode}, [(1,)])


@pytest.mark.parametrize(("func", "kwargs"), [
    (ndimage.minimum_filter1d, {"size": 3, "mode": "nearest"}),
    (ndimage.minimum_filter, {"size": 3, "mode": "nearest"}),
    (ndimage.median_filter, {"size": 3, "mode": "constant"}),
], ids=["minimum_filter1d", "minimum_filter", "median_filter"])
def test_nan_data_is_refused_in_blocks(assert_same, func, kwargs):
    """scipy's minimum/maximum and rank kernels on NaN give results that depend on samples
    before the window, which blocks cannot reproduce: refused, unless there is one block."""
    x = np.random.default_rng(5).random(22)
    x[[1, 3, 4, 6, 17]] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        blocks.apply(func, x, block_shape=(2,), **kwargs)
    assert_same(blocks.apply(func, x, **kwargs), func(x, **kwargs))


def test_remove_stripe_fw_default_level_with_many_rows(assert_same):
    x = -np.log(data.striped_sinograms(n_angles=16, n_columns=32, n_rows=70))
    _check_blocked(assert_same, tomo.remove_stripe_fw, x, (), {}, [(16, 7, 32)])


@pytest.mark.parametrize(("func", "args", "kwargs"), [
    pytest.param(ndimage.median_filter, (), {"size": (3, 4)}, id="median-size"),
    pytest.param(ndimage.rank_filter, (1,), {"footprint": np.ones((1, 4), bool)},
                 id="rank-footprint"),
    pytest.param(ndimage.minimum_filter, (), {"footprint": np.array([[1, 0, 1, 1]], bool)},
                 id="minimum-footprint-with-holes"),
    pytest.param(ndimage.grey_erosion, (), {"structure": np.array([[0.0, 1.0, 2.0, 3.0]])},
                 id="grey-erosion-structure"),
])
def test_unsorted_axes_with_footprint(assert_same, func, args, kwargs):
    x = random_array(SHAPE, "float64", seed=18)
    _check_blocked(assert_same, func, x, args, {**kwargs, "axes": (2, 0)}, [(1, 2, 1)])


ONE_BY_FIVE = np.ones((1, 5), bool)


@pytest.mark.parametrize("origin", [(2, 0), (-2, 0)])
@pytest.mark.parametrize(("func", "args", "kwargs"), [
    pytest.param(ndimage.minimum_filter, (), {"footprint": ONE_BY_FIVE}, id="minimum"),
    pytest.param(ndimage.rank_filter, (1,), {"footprint": ONE_BY_FIVE}, id="rank"),
    pytest.param(ndimage.median_filter, (), {"size": (1, 5)}, id="median-size"),
    pytest.param(ndimage.grey_erosion, (), {"footprint": ONE_BY_FIVE}, id="grey-erosion"),
    *(pytest.param(func, (), {"structure": ONE_BY_FIVE}, id=func.__name__)
      for func in BINARY_FUNCS),
])
def test_unsorted_axes_with_shifted_window(assert_same, func, args, kwargs, origin):
    """scipy lays a (1, 5) window on axes (2, 0) as 1 along axis 0 and 5 along axis 2, but
    the origin (2, 0) as 2 along axis 2: a halo of 4 there, more than any pairing in the order
    given reaches."""
    x = random_array(SHAPE, "float64", seed=19)
    if func in BINARY_FUNCS:
        x = x > 0.4
    _check_blocked(assert_same, func, x, args, {**kwargs, "axes": (2, 0), "origin": origin},
                   [(3, 4, 3)])


@pytest.mark.parametrize("dtype", ["int16", "float32"])
def test_zarr_source_wider_than_a_byte(assert_same, tmp_path, dtype):
    x = _volume(dtype)
    store = str(tmp_path / "a.zarr")
    array = zarr.create_array(store=store, shape=x.shape, chunks=(2, 4, 3), dtype=x.dtype)
    array[:] = x
    result = blocks.apply(ndimage.median_filter, store, size=3, block_shape=(2, 3, 5))
    assert_same(result, ndimage.median_filter(x, size=3))


@pytest.mark.parametrize("char", ["q", "Q"])
def test_longlong_data_to_zarr(assert_same, tmp_path, char):
    """numpy spells int64 both 'l' and 'q' (tifffile reads 'q'); zarr takes only 'l'. A new
    output has scipy's spelling, the type's name, and a zarr output is made from the name."""
    x = np.arange(120).reshape(4, 5, 6).astype(char)
    expected = ndi.minimum_filter(x, 3)
    assert ndimage.minimum_filter(x, 3).dtype.char == expected.dtype.char != char
    store = str(tmp_path / "a.zarr")
    blocks.apply(ndimage.minimum_filter, x, size=3, out=store, block_shape=(2, 5, 6))
    assert_same(zarr.open_array(store, mode="r")[...], expected)
    blocks.apply(lambda block: block.astype(char), x, halo=0, out=str(tmp_path / "b.zarr"))
    da = pytest.importorskip("dask.array")
    chunked = ndimage.gaussian_filter(da.from_array(x, chunks=2), 1.0)
    computed = chunked.compute(scheduler="sync")
    assert computed.dtype.char == chunked.dtype.char == ndimage.gaussian_filter(x, 1.0).dtype.char


@pytest.mark.parametrize("kind", ["zlib", "glob"])
def test_tiffstack_leading_ellipsis(assert_same, tiff_sources, kind):
    x, paths = tiff_sources
    assert_same(blocks.TiffStack(paths[kind])[..., 0], x[..., 0])


@pytest.mark.parametrize("kind", ["zarr", "npy"])
def test_output_in_the_source_file_is_refused(tmp_path, kind):
    """An output path naming the source's own file would be created anew over it (silently
    wrong results before this check); an output array stored in the source's file is refused
    when blocks read a halo. Nothing is written either way."""
    x = random_array((12, 13, 14), "float32", seed=10)
    if kind == "zarr":
        path = str(tmp_path / "scan.zarr")
        zarr.create_array(store=path, shape=x.shape, chunks=(4, 13, 14), dtype=x.dtype)[...] = x
        stored = zarr.open_array(path, mode="r+")
        other_spelling = str(tmp_path / "." / "scan.zarr") + "/"
    else:
        path = str(tmp_path / "scan.npy")
        np.save(path, x)
        stored = np.load(path, mmap_mode="r+")
        other_spelling = str(tmp_path / "." / "scan.npy")
    for out in (path, other_spelling):
        with pytest.raises(ValueError, match="source's own storage"):
            blocks.apply(ndimage.gaussian_filter, path, 1.0, out=out, block_shape=(4, 13, 14))
        with pytest.raises(ValueError, match="source's own storage"):
            blocks.apply(ndimage.label, path, out=out, block_shape=(4, 13, 14))
        with pytest.raises(ValueError, match="source's own storage"):
            pipeline.Pipeline([pipeline.Stage("smooth", "gaussian_filter", sigma=1.0)]).run(
                path, out=out, block_shape=(4, 13, 14))
    with pytest.raises(ValueError, match="stored with the source"):
        blocks.apply(ndimage.gaussian_filter, stored, 1.0, out=stored, block_shape=(4, 13, 14))
    np.testing.assert_array_equal(np.asarray(blocks.open_array(path)), x)
    # a pointwise operation may write over its own file's array, block by block
    blocks.apply(np.negative, stored, halo=0, out=stored, block_shape=(4, 5, 6))
    np.testing.assert_array_equal(np.asarray(blocks.open_array(path)), -x)


def test_output_holding_or_sharing_the_source_is_refused(tmp_path):
    """Other ways an output is the source's storage (each once gave silently wrong results):
    an output path holding the source (a zarr group with the source array in it), the same
    in-memory zarr array, an HDF5 dataset, and a memmap over the file a view of another
    memmap reads."""
    x = random_array((12, 13, 14), "float32", seed=11)
    group = zarr.open_group(str(tmp_path / "group.zarr"), mode="w")
    group.create_array("a", shape=x.shape, chunks=(4, 13, 14), dtype=x.dtype)[...] = x
    for out in (str(tmp_path / "group.zarr"), str(tmp_path / "group.zarr" / "a" / "b.zarr")):
        with pytest.raises(ValueError, match="source's own storage"):
            blocks.apply(ndimage.gaussian_filter, str(tmp_path / "group.zarr" / "a"), 1.0,
                         out=out, block_shape=(4, 13, 14))
    np.testing.assert_array_equal(zarr.open_array(str(tmp_path / "group.zarr" / "a"))[...], x)
    in_memory = zarr.create_array(store={}, shape=x.shape, chunks=(4, 13, 14), dtype=x.dtype)
    in_memory[...] = x
    path = str(tmp_path / "x.npy")
    np.save(path, x)
    pairs = [(in_memory, in_memory),
             (np.asarray(np.load(path, mmap_mode="r")), np.load(path, mmap_mode="r+"))]
    h5py = None
    try:
        import h5py
    except ImportError:
        pass
    if h5py is not None:
        with h5py.File(tmp_path / "x.h5", "w") as f:
            f["a"] = x
        h5 = h5py.File(tmp_path / "x.h5", "r+")
        pairs.append((h5["a"], h5["a"]))
    for source, out in pairs:
        with pytest.raises(ValueError, match="stored with the source"):
            blocks.apply(ndimage.gaussian_filter, source, 1.0, out=out, block_shape=(4, 13, 14))
        np.testing.assert_array_equal(np.asarray(source[...]), x)
    if h5py is not None:
        h5.close()


def test_output_aliasing_the_source_is_refused_when_blocks_read_a_halo():
    x = np.random.default_rng(9).random((12, 13))
    with pytest.raises(ValueError, match="stored with the source"):
        blocks.apply(ndimage.gaussian_filter, x, sigma=1, out=x, block_shape=(4, 13))
    expected = ndimage.gaussian_filter(x, 1)
    assert blocks.apply(ndimage.gaussian_filter, x, sigma=1, out=x) is x  # one block: fine
    np.testing.assert_array_equal(x, expected)
    y = np.random.default_rng(9).random((12, 13))
    roots = np.sqrt(y)
    np.testing.assert_array_equal(blocks.apply(np.sqrt, y, halo=0, out=y, block_shape=(4, 5)),
                                  roots)  # no halo: in place is safe
