"""qbi_fast on dask arrays (issue 8): every public function of ``qbi_fast.ndimage`` (but
``ball``) and ``qbi_fast.tomo`` takes a dask array.

* Filters, morphology and ring removal return a lazy dask array whose ``dtype`` is the computed
  one and whose value is the numpy call's, byte for byte, for any chunking (chunks of one or two
  samples, shorter than the halo, uneven chunks), 1-d to 4-d, size-1 axes, every scipy mode,
  ``cval``, ``origin``, ``axes=``, ``output=`` as a dtype, ``iterations`` and ``mask=`` (numpy or
  dask). Each chunk runs with ``workers=1`` unless ``workers=`` is given.
* ``label`` returns lazy ``(labels, count)`` equal to scipy's on the whole array (numbering
  included), without a task that gathers the volume; ``find_objects`` a computed list equal to
  scipy's; ``label_sizes`` and ``sum_labels`` lazy arrays equal to the numpy results.
* Errors: output arrays refused at call time, NaN refused by the min/max/rank kernels when the
  array is cut, scipy's label errors at call time and its bit-depth error on compute.

Everything runs on the threaded scheduler, and a handful of cases on a real two-process
``dask.distributed.LocalCluster``.
"""

from __future__ import annotations

import collections
import itertools
import math

import dask
import dask.array as da
import distributed
import numpy as np
import pytest
import scipy.ndimage as ndi
from dask.core import get_dependencies
from dask.utils import key_split
from hypothesis import given
from hypothesis import strategies as st

from qbi_fast import data, labelling, ndimage, tomo
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

DTYPES = ["uint8", "int16", "float32", "float64"]
WRAP_MODES = ("wrap", "grid-wrap")

# Every public function tested in this file, added to by each section (see
# test_every_public_function_is_tested).
TESTED: set = set()


def _compute(*lazy):
    """Compute on the threaded scheduler (one result, or a tuple of them)."""
    results = dask.compute(*lazy, scheduler="threads")
    return results[0] if len(results) == 1 else results


def _check_lazy(assert_same, func, x, args=(), kwargs=None, chunkings=(), *, split=None):
    """``func`` on ``x`` as a dask array of each chunking: a lazy array of x's shape whose dtype
    is the computed one, equal byte for byte to ``func`` on the numpy array. ``split``: assert
    that the lazy result has more than one chunk (that the test really cuts the array).
    Returns the numpy result."""
    kwargs = kwargs or {}
    expected = func(x, *args, **kwargs)
    assert isinstance(expected, np.ndarray)
    for chunks in chunkings:
        source = da.from_array(x, chunks=chunks)
        lazy = func(source, *args, **kwargs)
        where = f"chunks={source.chunks}"
        assert isinstance(lazy, da.Array), f"{where}: {type(lazy).__name__}"
        assert lazy.shape == x.shape, where
        result = _compute(lazy)
        assert isinstance(result, np.ndarray), where
        assert lazy.dtype == result.dtype, f"{where}: lazy {lazy.dtype}, computed {result.dtype}"
        try:
            assert_same(result, expected)
        except AssertionError as error:
            msg = f"{where}: {error}"
            raise AssertionError(msg) from None
        if split:
            assert math.prod(lazy.numblocks) > 1, f"{where}: result in one chunk"
    return expected


FOOTPRINT_A = asymmetric_footprint((3, 2, 3), seed=1)  # valid origins: (-1..1, -1..0, -1..1)
FOOTPRINT_B = MODE_FOOTPRINT  # valid origins: (-1..0, -1..1, -1..1)
STRUCTURE = MODE_STRUCTURE


# ---------------------------------------------------------------------------------------------
# 1. filters: every mode, byte for byte

SHAPE = (9, 10, 16)
# small and uneven, with chunks of one and two samples (shorter than most halos); each leaves
# axis 2 cut into several chunks for the longest halo of MODE_CASES (5)
CHUNKINGS = [
    (3, 5, 4),
    ((3, 6), (1, 4, 5), (7, 1, 8)),
    ((1, 3, 5), (10,), (2, 2, 1, 5, 6)),
]

MODE_CASES = [
    pytest.param(ndimage.gaussian_filter, (), {"sigma": 1.0, "radius": 2}, id="gaussian"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": (0.7, 0.0, 1.2), "truncate": 2.0,
                                               "order": (1, 0, 2)}, id="gaussian-per-axis"),
    pytest.param(ndimage.gaussian_filter, (), {"sigma": (1.0, 0.6), "axes": (2, 0),
                                               "truncate": 3.0}, id="gaussian-axes"),
    pytest.param(ndimage.gaussian_filter1d, (1.3,), {"axis": 1, "truncate": 2.5},
                 id="gaussian1d"),
    pytest.param(ndimage.gaussian_filter1d, (), {"sigma": 0.8, "order": 1, "radius": 3},
                 id="gaussian1d-order"),
    pytest.param(ndimage.median_filter, (), {"footprint": FOOTPRINT_A, "origin": (1, -1, -1)},
                 id="median-footprint"),
    pytest.param(ndimage.grey_dilation, (), {"footprint": FOOTPRINT_A, "origin": (1, -1, -1)},
                 id="grey-dilation-footprint"),
    pytest.param(ndimage.grey_closing, (), {"structure": STRUCTURE}, id="grey-closing-structure"),
    # the rank, minimum/maximum and grey cases both chunked tests run (blocks, dask)
    *(pytest.param(getattr(ndimage, name), args, kwargs, id=case_id)
      for case_id, name, args, kwargs in MODE_WINDOW_CASES),
]
TESTED |= {p.values[0] for p in MODE_CASES}


@pytest.mark.parametrize("mode_index", range(len(FILTER_MODES)), ids=lambda i: FILTER_MODES[i])
@pytest.mark.parametrize(("func", "args", "kwargs"), MODE_CASES)
def test_filter_equals_numpy_call(assert_same, func, args, kwargs, mode_index):
    mode = FILTER_MODES[mode_index]
    x = random_array(SHAPE, DTYPES[mode_index % len(DTYPES)], seed=mode_index)
    _check_lazy(assert_same, func, x, args, {**kwargs, "mode": mode},
                [CHUNKINGS[mode_index % len(CHUNKINGS)]], split=mode not in WRAP_MODES)


def test_wrapped_axes_are_one_chunk(assert_same):
    """Wrap modes read the far side of the array: those axes become one chunk, others stay cut."""
    x = random_array(SHAPE, "float32", seed=1)
    chunks = (2, 3, 4)
    lazy = ndimage.gaussian_filter(da.from_array(x, chunks), 0.8, mode="wrap")
    assert lazy.numblocks == (1, 1, 1)
    assert_same(_compute(lazy), ndimage.gaussian_filter(x, 0.8, mode="wrap"))
    for mode in ["wrap", "grid-wrap"]:
        modes = [mode, "nearest", "grid-wrap"]
        for func, kwargs in [(ndimage.gaussian_filter, {"sigma": (1.0, 0.8, 0.6), "radius": 2}),
                             (ndimage.minimum_filter, {"size": (3, 2, 4)})]:
            kwargs = {**kwargs, "mode": modes}
            lazy = func(da.from_array(x, chunks), **kwargs)
            assert lazy.chunks[0] == (9,)
            assert lazy.chunks[2] == (16,)
            assert len(lazy.chunks[1]) > 1
            assert_same(_compute(lazy), func(x, **kwargs))


@pytest.mark.parametrize("dtype", DTYPES)
def test_constant_mode_cval(assert_same, dtype):
    x = random_array(SHAPE, dtype, seed=5)
    for func, args, kwargs in [(ndimage.gaussian_filter, (0.9,), {"radius": 2}),
                               (ndimage.median_filter, (), {"size": 3}),
                               (ndimage.rank_filter, (1,), {"size": (2, 3, 2)}),
                               (ndimage.maximum_filter, (), {"footprint": FOOTPRINT_A}),
                               (ndimage.minimum_filter1d, (3,), {"axis": 2}),
                               (ndimage.grey_closing, (), {"size": 2})]:
        _check_lazy(assert_same, func, x, args, {**kwargs, "mode": "constant", "cval": -7.5},
                    [CHUNKINGS[1]], split=True)


@pytest.mark.parametrize(("func", "args", "kwargs", "dtype", "output"), [
    (ndimage.gaussian_filter, (1.0,), {"radius": 2}, "uint8", np.float64),
    (ndimage.gaussian_filter1d, (0.7,), {"axis": 0}, "float64", np.float32),
    (ndimage.median_filter, (), {"size": 3}, "uint8", "int16"),
    (ndimage.percentile_filter, (70,), {"size": 2}, "int16", np.float64),
    (ndimage.minimum_filter, (), {"size": (2, 3, 2)}, "int16", np.float32),
    (ndimage.maximum_filter1d, (3,), {}, "float32", np.float64),
    (ndimage.grey_dilation, (), {"size": 2}, "uint8", np.int32),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_output_dtype(assert_same, func, args, kwargs, dtype, output):
    """output= as a dtype: the lazy array and the result take that dtype."""
    x = random_array(SHAPE, dtype, seed=6)
    kwargs = {**kwargs, "output": output}
    expected = _check_lazy(assert_same, func, x, args, kwargs, CHUNKINGS[:2], split=True)
    assert expected.dtype == np.dtype(output)


@pytest.mark.parametrize(("func", "args", "kwargs"), [
    (ndimage.gaussian_filter, (1.0,), {"radius": 2}),
    (ndimage.median_filter, (), {"size": 3}),
    (ndimage.maximum_filter, (), {"size": (2, 3, 2)}),
    (ndimage.binary_erosion, (), {}),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i2"])
def test_big_endian_input(assert_same, func, args, kwargs, dtype):
    """Input in the other byte order: the result takes scipy's dtype (the input's type in
    native byte order), lazy and computed, as on the numpy array."""
    x = random_array(SHAPE, dtype.replace(">", ""), seed=7).astype(dtype)
    expected = _check_lazy(assert_same, func, x, args, kwargs, CHUNKINGS[:2], split=True)
    assert expected.dtype.isnative


def test_big_endian_sinograms(assert_same, stack):
    expected = _check_lazy(assert_same, tomo.remove_stripe_based_sorting, stack.astype(">f8"),
                           (), {"size": 5}, [(24, 2, 40)], split=True)
    assert expected.dtype == np.float64


@pytest.mark.parametrize(("name", "args", "kwargs"),
                         [pytest.param(*case[1:], id=case[0]) for case in INVALID_ARGUMENT_CASES])
def test_invalid_arguments_raise_as_on_numpy(assert_same_error, name, args, kwargs):
    """Invalid arguments: the exception and message of the numpy call, when the call is made
    (nothing is computed here)."""
    func, x = getattr(ndimage, name), random_array((6, 8), "float32", seed=9)
    assert_same_error(lambda: func(da.from_array(x, chunks=3), *args, **kwargs),
                      lambda: func(x, *args, **kwargs))


def test_gaussian_nan_sigma_leaves_the_input(assert_same):
    """scipy filters only axes where sigma > 1e-15: a NaN sigma leaves that axis alone."""
    x = random_array(SHAPE, "float32", seed=10)
    _check_lazy(assert_same, ndimage.gaussian_filter, x, (np.nan,), {}, CHUNKINGS[:1])
    _check_lazy(assert_same, ndimage.gaussian_filter, x, ((1.0, np.nan, 0.5),), {},
                CHUNKINGS[:1], split=True)


def test_unknown_chunk_sizes_are_refused():
    x = da.from_array(random_array((6, 8), "float32", seed=11), chunks=3)
    unknown = x[x > 0.3]
    for call in (lambda: ndimage.label(unknown > 0.5), lambda: ndimage.median_filter(unknown, 3)):
        with pytest.raises(ValueError, match="compute_chunk_sizes"):
            call()


@pytest.mark.parametrize(("func", "args"), [
    pytest.param(ndimage.gaussian_filter, (2.0,), id="gaussian_filter"),
    pytest.param(ndimage.median_filter, (3,), id="median_filter"),
    pytest.param(ndimage.grey_erosion, ((3, 1, 5),), id="grey_erosion"),
    pytest.param(ndimage.binary_erosion, (), id="binary_erosion"),
])
@pytest.mark.parametrize("chunks", [(10, 12, 14), (10, 24, 28)], ids=["cubes", "slabs"])
def test_chunks_hold_only_their_own_samples(func, args, chunks):
    """A chunk is computed on its span (the chunk with its halo); what is stored is the chunk
    alone, C-contiguous, not a view that keeps the span alive (dask would count the view's
    bytes only). Slabs along axis 0 make cores that are contiguous views of their spans."""
    x = np.random.default_rng(2).random((20, 24, 28)).astype(np.float32)
    if func is ndimage.binary_erosion:
        x = x > 0.3
    blocks = func(da.from_array(x, chunks=chunks), *args).to_delayed().ravel()
    for block in dask.compute(*blocks, scheduler="sync"):
        assert block.flags.c_contiguous
        assert block.base is None or block.base.nbytes == block.nbytes


# 1-d, 2-d and size-1 axes

SMALL_SHAPES = [(1,), (2,), (23,), (1, 17), (15, 1), (9, 13), (6, 1, 9), (1, 1, 1)]
SMALL_CASES = [pytest.param(getattr(ndimage, name), args, kwargs, id=case_id)
               for case_id, name, args, kwargs in SMALL_WINDOW_CASES]


@pytest.mark.parametrize(("func", "args", "kwargs"), SMALL_CASES)
@pytest.mark.parametrize("shape", SMALL_SHAPES, ids=str)
def test_low_dimensional_and_unit_axes(assert_same, shape, func, args, kwargs):
    ndim = len(shape)
    chunkings = [(1,) * ndim, (2, 3, 1)[:ndim], (4,) * ndim]
    first = SMALL_SHAPES.index(shape) % 2  # every mode on every other shape
    for i, mode in enumerate(FILTER_MODES[first::2]):
        x = random_array(shape, DTYPES[(i + first) % len(DTYPES)], seed=i)
        _check_lazy(assert_same, func, x, args, {**kwargs, "mode": mode},
                    [chunkings[i % len(chunkings)]])


FOUR_D_CASES = [
    pytest.param(ndimage.gaussian_filter, (0.8,), {"radius": 1}, id="gaussian"),
    pytest.param(ndimage.median_filter, (), {"size": (2, 3, 1, 3)}, id="median"),
    pytest.param(ndimage.percentile_filter, (25,), {"size": 2, "mode": "mirror"},
                 id="percentile"),
    pytest.param(ndimage.minimum_filter, (), {"size": 3, "mode": "constant", "cval": 3},
                 id="minimum"),
    pytest.param(ndimage.maximum_filter1d, (2,), {"axis": 1, "mode": "nearest"}, id="maximum1d"),
    pytest.param(ndimage.grey_opening, (), {"size": (2, 2, 2, 3), "mode": "grid-wrap"},
                 id="grey-opening-wrap"),
]


FOUR_D_SHAPE = (4, 5, 3, 6)


@pytest.mark.parametrize(("func", "args", "kwargs"), FOUR_D_CASES)
def test_four_dimensional(assert_same, func, args, kwargs):
    dtype = DTYPES[len(kwargs) + len(args)]
    x = random_array(FOUR_D_SHAPE, dtype, seed=7)
    _check_lazy(assert_same, func, x, args, kwargs, [(1, 2, 1, 3), ((3, 1), (2, 3), (3,), (4, 2))])


@pytest.mark.parametrize(("func", "kwargs"), [
    pytest.param(ndimage.gaussian_filter, {"sigma": 1.0}, id="gaussian"),
    pytest.param(ndimage.median_filter, {"size": 3}, id="median"),
    pytest.param(ndimage.binary_dilation, {}, id="binary-dilation"),
    pytest.param(ndimage.maximum_filter1d, {"size": 3, "axis": 1}, id="maximum1d-along-5"),
])
def test_empty_array(assert_same, func, kwargs):
    x = np.zeros((0, 5), np.float32)
    result = _check_lazy(assert_same, func, x, (), kwargs, [(1, 2)])
    assert result.shape == (0, 5)


# ---------------------------------------------------------------------------------------------
# 2. binary morphology, masks as numpy or dask arrays

BINARY_FUNCS = [ndimage.binary_erosion, ndimage.binary_dilation, ndimage.binary_opening,
                ndimage.binary_closing]
TESTED |= set(BINARY_FUNCS)
BINARY_SHAPE = (8, 9, 28)  # axis 2 long enough to be cut for a halo of 12 (opening, 3 iterations)
BINARY_CHUNKINGS = [(3, 4, 5), ((1, 7), (5, 1, 3), (2, 11, 1, 14))]


BINARY_VARIANTS = ["plain", "iterations2-border1", "iterations3-origin", "ball-structure",
                   "numpy-mask", "dask-mask", "uint8-input", "output-dtype", "axes"]


@pytest.mark.parametrize("variant", BINARY_VARIANTS)
@pytest.mark.parametrize("func", BINARY_FUNCS, ids=lambda f: f.__name__)
def test_binary_morphology(assert_same, func, variant):
    rng = np.random.default_rng(len(variant))
    density = 0.7 if func in (ndimage.binary_erosion, ndimage.binary_opening) else 0.25
    x = rng.random(BINARY_SHAPE) < density
    kwargs = {}
    if variant == "iterations2-border1":
        kwargs = {"iterations": 2, "border_value": 1}
    elif variant == "iterations3-origin":
        kwargs = {"structure": ndi.generate_binary_structure(3, 2), "iterations": 3,
                  "origin": (1, 0, -1)}
    elif variant == "ball-structure":
        kwargs = {"structure": ndimage.ball(2), "origin": (0, -1, 1)}
    elif variant == "numpy-mask":
        kwargs = {"mask": rng.random(BINARY_SHAPE) < 0.7, "border_value": 1,
                  "structure": asymmetric_footprint((2, 3, 3), seed=4)}
    elif variant == "dask-mask":
        mask = rng.random(BINARY_SHAPE) < 0.7
        expected = func(x, iterations=2, mask=mask)
        for chunks, mask_chunks in [(BINARY_CHUNKINGS[0], (5, 5, 9)),
                                    (BINARY_CHUNKINGS[1], BINARY_CHUNKINGS[1])]:
            lazy = func(da.from_array(x, chunks), iterations=2,
                        mask=da.from_array(mask, mask_chunks))
            assert isinstance(lazy, da.Array)
            assert lazy.dtype == bool
            assert math.prod(lazy.numblocks) > 1
            assert_same(_compute(lazy), expected)
        return
    elif variant == "uint8-input":
        x = (x * rng.integers(1, 256, size=BINARY_SHAPE)).astype(np.uint8)
    elif variant == "output-dtype":
        kwargs = {"output": np.uint8, "iterations": 2}
    elif variant == "axes":
        kwargs = {"structure": ndi.generate_binary_structure(2, 2), "axes": (0, 2),
                  "iterations": 2}
    chunks = BINARY_CHUNKINGS[BINARY_VARIANTS.index(variant) % len(BINARY_CHUNKINGS)]
    result = _check_lazy(assert_same, func, x, (), kwargs, [chunks], split=True)
    assert result.dtype == bool


@pytest.mark.parametrize("shape", [(1,), (23,), (1, 17), (9, 13), (6, 1, 9), (3, 4, 2, 5)],
                         ids=str)
def test_binary_low_and_high_dimensional(assert_same, shape):
    ndim = len(shape)
    rng = np.random.default_rng(sum(shape))
    x = rng.random(shape) < 0.5
    mask = rng.random(shape) < 0.7
    chunkings = [(1,) * ndim, (2, 3, 1, 2)[:ndim]]
    for i, func in enumerate(BINARY_FUNCS):
        for j, kwargs in enumerate([
                {}, {"iterations": 2, "border_value": 1},
                {"structure": ndi.generate_binary_structure(ndim, ndim), "mask": mask}]):
            _check_lazy(assert_same, func, x, (), kwargs, [chunkings[(i + j) % 2]])


# ---------------------------------------------------------------------------------------------
# 3. ring removal: sinograms whole, stacks cut along their rows

REMOVERS = [name for name in tomo.__all__ if name.startswith("remove_")]
TESTED |= {getattr(tomo, name) for name in tomo.__all__}


@pytest.fixture(scope="module")
def stack():
    """A (angles, rows, columns) stack of striped sinograms."""
    return data.striped_sinograms(n_angles=24, n_columns=40, n_rows=6)


def _tomo_input(name, x):
    return -np.log(x) if name == "remove_stripe_fw" else x


@pytest.mark.parametrize("name", REMOVERS)
def test_ring_removal(assert_same, stack, name):
    func = getattr(tomo, name)
    x = _tomo_input(name, stack)
    _check_lazy(assert_same, func, x, (), {}, [(5, 1, 7), ((20, 4), (2, 3, 1), (40,))],
                split=True)
    # float64 stays float64; integers give float32
    x64 = x.astype(np.float64)
    assert _check_lazy(assert_same, func, x64, (), {}, [(24, 2, 9)]).dtype == np.float64
    if name != "remove_stripe_fw":
        counts = (stack * 60000).astype(np.uint16)
        assert _check_lazy(assert_same, func, counts, (), {}, [(7, 4, 40)]).dtype == np.float32
    # one sinogram: nothing can be cut
    sinogram = np.ascontiguousarray(x[:, 2])
    _check_lazy(assert_same, func, sinogram, (), {}, [(5, 7)])


@pytest.mark.parametrize(("name", "kwargs"), [
    ("remove_stripe_based_sorting", {"size": 5, "dim": 2}),
    ("remove_stripe_based_filtering", {"sigma": 2, "size": 7, "sort": False}),
    ("remove_stripe_based_fitting", {"order": 1, "sigma": 5, "num_chunk": 2}),
    ("remove_large_stripe", {"snr": 2.0, "size": 11, "norm": False}),
    ("remove_dead_stripe", {"snr": 2.5, "size": 9, "residual": False}),
    ("remove_all_stripe", {"la_size": 11, "sm_size": 5, "dim": 2}),
    ("remove_stripe_fw", {"level": 2, "wname": "haar", "sigma": 1, "pad": False}),
])
def test_ring_removal_arguments(assert_same, stack, name, kwargs):
    func = getattr(tomo, name)
    _check_lazy(assert_same, func, _tomo_input(name, stack), (), kwargs, [(3, 2, 5)], split=True)


def test_remove_stripe_fw_default_level_from_whole_stack(assert_same):
    """The default wavelet level comes from the whole stack's largest axis (here the rows),
    not from a chunk's."""
    x = -np.log(data.striped_sinograms(n_angles=16, n_columns=32, n_rows=70))
    _check_lazy(assert_same, tomo.remove_stripe_fw, x, (), {}, [(16, 7, 32)], split=True)


def _profiles(rows=6, columns=60, seed=8):
    """Normalised per-column profiles (one per row), noisy, with outliers above and below."""
    rng = np.random.default_rng(seed)
    profiles = 1.0 + 0.01 * rng.standard_normal((rows, columns))
    profiles[:, [5, 6, 40]] += [0.2, 0.15, -0.2]
    return profiles


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_detect_stripe(assert_same, dtype):
    profiles = _profiles().astype(dtype)
    result = _check_lazy(assert_same, tomo.detect_stripe, profiles, (3.0,), {},
                         [(1, 7), ((4, 2), (50, 10))], split=True)
    assert result.dtype == np.float32
    assert result.any()
    _check_lazy(assert_same, tomo.detect_stripe, profiles[0], (), {"snr": 2.0}, [(7,)])
    stack = np.stack([profiles, profiles[::-1]])
    _check_lazy(assert_same, tomo.detect_stripe, stack, (1.5,), {}, [(1, 2, 9)], split=True)


# ---------------------------------------------------------------------------------------------
# 4. workers, laziness and refused arguments


@pytest.fixture
def workers_seen(monkeypatch):
    """The ``workers=`` values qbi_fast's functions receive (through resolve_workers), in this
    process (threaded scheduler)."""
    import qbi_fast._threads as threads
    import qbi_fast.ndimage._gaussian as gaussian
    import qbi_fast.ndimage._measurements as measurements
    import qbi_fast.ndimage._minmax as minmax
    import qbi_fast.ndimage._morphology as morphology
    import qbi_fast.ndimage._rank as rank
    import qbi_fast.tomo._munch as munch
    import qbi_fast.tomo._vo as vo

    seen = []

    def spy(workers):
        seen.append(workers)
        return threads.resolve_workers(workers)

    for module in (gaussian, measurements, minmax, morphology, rank, munch, vo, labelling):
        monkeypatch.setattr(module, "resolve_workers", spy)
    return seen


WORKER_CASES = [
    pytest.param(ndimage.gaussian_filter, (1.0,), {"radius": 2}, id="gaussian"),
    pytest.param(ndimage.median_filter, (), {"size": 3}, id="median"),
    pytest.param(ndimage.minimum_filter1d, (3,), {}, id="minimum1d"),
    pytest.param(ndimage.grey_closing, (), {"size": 2}, id="grey-closing"),
    pytest.param(ndimage.binary_opening, (), {"iterations": 2}, id="binary-opening"),
    pytest.param(tomo.remove_stripe_based_sorting, (), {}, id="sorting"),
    pytest.param(tomo.remove_stripe_fw, (), {"level": 2}, id="fw"),
]


@pytest.mark.parametrize(("func", "args", "kwargs"), WORKER_CASES)
def test_workers_one_per_chunk_unless_given(assert_same, workers_seen, func, args, kwargs):
    if func.__module__.startswith("qbi_fast.tomo"):
        x, chunks = data.striped_sinograms(n_angles=12, n_columns=32, n_rows=5), (12, 2, 32)
    else:
        x, chunks = random_array((8, 9, 10), "float32", seed=9), (4, 5, 5)
    if func is ndimage.binary_opening:
        x = x > 0
    expected = func(x, *args, **kwargs)
    for workers, passed in [(None, 1), (2, 2), (-1, -1)]:
        extra = {} if workers is None else {"workers": workers}
        lazy = func(da.from_array(x, chunks), *args, **kwargs, **extra)
        workers_seen.clear()
        assert_same(_compute(lazy), expected)
        assert workers_seen, "no chunk was computed"
        assert set(workers_seen) == {passed}


def test_workers_label_and_measurements(workers_seen):
    x = np.random.default_rng(10).random((9, 10, 11)) < 0.4
    expected, n = ndi.label(x)
    for workers, passed in [(None, 1), (3, 3)]:
        extra = {} if workers is None else {"workers": workers}
        labels, count = ndimage.label(da.from_array(x, (4, 5, 6)), **extra)
        sizes = ndimage.label_sizes(da.from_array(expected, (4, 5, 6)), **extra)
        workers_seen.clear()
        labels, count, sizes = _compute(labels, count, sizes)
        assert set(workers_seen) == {passed}
        np.testing.assert_array_equal(labels, expected)
        assert int(count) == n
        np.testing.assert_array_equal(sizes, np.bincount(expected.ravel()))


def test_workers_find_objects(workers_seen):
    labels = ndi.label(np.random.default_rng(10).random((9, 10, 11)) < 0.4)[0]
    expected = ndi.find_objects(labels)
    for workers, passed in [(None, 1), (3, 3)]:
        extra = {} if workers is None else {"workers": workers}
        workers_seen.clear()
        with dask.config.set(scheduler="threads"):
            assert ndimage.find_objects(da.from_array(labels, (4, 5, 6)), **extra) == expected
        assert set(workers_seen) == {passed}


def _explode(block):
    msg = "the source was computed"
    raise OSError(msg)


def _poisoned(shape, chunks, dtype):
    """A dask array that raises OSError when any chunk is computed."""
    return da.map_blocks(_explode, da.zeros(shape, dtype=dtype, chunks=chunks), dtype=dtype)


@pytest.mark.parametrize(("func", "args", "kwargs", "dtype"), [
    (ndimage.gaussian_filter, (1.0,), {}, "float32"),
    (ndimage.median_filter, (), {"size": 3}, "uint8"),
    (ndimage.maximum_filter1d, (3,), {"mode": "wrap"}, "float64"),
    (ndimage.grey_opening, (), {"size": 2}, "int16"),
    (ndimage.binary_closing, (), {"iterations": 2}, "bool"),
    (tomo.remove_all_stripe, (), {}, "float32"),
    (tomo.detect_stripe, (3.0,), {}, "float64"),
    (ndimage.label, (), {}, "bool"),
    (ndimage.label_sizes, (), {}, "int32"),
    (ndimage.label_sizes, (), {"max_label": 4}, "int32"),
    (ndimage.sum_labels, (), {"labels": np.ones((6, 7, 8), np.int32), "index": [1, 2]},
     "float64"),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_calls_are_lazy(func, args, kwargs, dtype):
    """The call builds a graph and reads no data; computing it does."""
    source = _poisoned((6, 7, 8), (3, 4, 5), dtype)
    result = func(source, *args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    assert all(isinstance(r, da.Array) for r in results)
    with pytest.raises(OSError, match="the source was computed"):
        _compute(*results)


def test_one_slab_task_per_chunk_face():
    """Halos travel as one slab task per chunk face that a neighbour reads, shared by the edge
    and corner neighbours on that side: not one task per pair of neighbouring chunks, which
    costs the scheduler more than cutting the slabs."""
    numblocks = (4, 2, 2)
    x = da.zeros((16, 16, 16), chunks=(4, 8, 8), dtype=np.float32)
    result = ndimage.gaussian_filter(x, 0.5)  # radius 2: every neighbour reads from each face
    slabs = [layer for name, layer in result.__dask_graph__().layers.items() if "-halo-" in name]
    faces = sum(2 * (numblocks[d] - 1) * math.prod(numblocks) // numblocks[d] for d in range(3))
    assert [len(layer) for layer in slabs] == [faces]  # 24 + 16 + 16; pairs would be 144


def _slab_dependency_tasks(lazy: da.Array) -> int:
    """The tasks, in all, of the task groups that the face slab tasks depend on: what
    distributed's root-ish rule counts (tasks are grouped by their key's name prefix)."""
    graph = dict(lazy.__dask_graph__())
    groups = collections.Counter(key_split(key) for key in graph)
    slabs = [key for key in graph if key_split(key).endswith("-halo")]
    assert slabs
    return sum(groups[g] for g in {key_split(d) for k in slabs for d in get_dependencies(graph, k)})


@pytest.mark.parametrize("chunks", [(8, 16, 16), (8, 8, 16), (8, 8, 8), (4, 8, 8), (8, 4, 4)])
def test_slab_tasks_are_not_root_ish(chunks):
    """distributed runs a large group of tasks that depends on fewer than 5 tasks in all on any
    free worker, not where its inputs are (its root-ish rule): the face slabs of an array of few
    chunks each pulled a whole chunk to the other worker, for a slice of it. Empty tasks make
    their dependencies up to the rule's threshold (a dask config value)."""
    x = da.zeros((16, 16, 16), chunks=chunks, dtype=np.float32)
    assert _slab_dependency_tasks(ndimage.gaussian_filter(x, 1.0)) >= 5
    with dask.config.set({"distributed.scheduler.rootish-taskgroup-dependencies": 40}):
        assert _slab_dependency_tasks(ndimage.median_filter(x, 3)) >= 40
    if x.npartitions >= 5:  # enough chunks: no empty tasks
        graph = ndimage.gaussian_filter(x, 1.0).__dask_graph__()
        assert not [name for name in graph.layers if "-anchor-" in name]


def test_anchored_graphs_compute_as_numpy(assert_same):
    """Graphs with anchor tasks (fewer than 5 chunks in all), one with a mask as a second
    chunked array, give the numpy results."""
    rng = np.random.default_rng(24)
    x, mask = rng.random((16, 16, 16)) < 0.6, rng.random((16, 16, 16)) < 0.8
    y = random_array((16, 16, 16), "float32", seed=25)
    for lazy, expected in [
        (ndimage.binary_erosion(da.from_array(x, (8, 16, 16)), iterations=2,
                                mask=da.from_array(mask, (8, 16, 16))),
         ndimage.binary_erosion(x, iterations=2, mask=mask)),
        (ndimage.gaussian_filter(da.from_array(y, (8, 8, 16)), 1.3),
         ndimage.gaussian_filter(y, 1.3)),
    ]:
        assert [name for name in lazy.__dask_graph__().layers if "-anchor-" in name]
        assert_same(_compute(lazy), expected)


@pytest.mark.parametrize(("chunks", "kwargs"), [
    ((7, 10, 13), {"sigma": 1.5}),
    ((2, 3, 40), {"sigma": (1.0, 0.7, 0.0), "mode": "nearest"}),  # chunks shorter than halos
    ((20, 15, 9), {"sigma": 2.0, "output": np.float64, "axes": (2, 0)}),
], ids=str)
def test_gaussian_chunks_are_filtered_from_their_pieces(monkeypatch, assert_same, chunks,
                                                        kwargs):
    """No chunk's span is assembled for the gaussians: each chunk is filtered from itself and
    the slices of its neighbours as they are (no copy, no memory for the span)."""
    import qbi_fast._dask

    def refuse(*args):
        msg = "a span was assembled"
        raise AssertionError(msg)

    monkeypatch.setattr(qbi_fast._dask, "_assembled", refuse)
    x = random_array((20, 30, 40), "float32", seed=27)
    lazy = ndimage.gaussian_filter(da.from_array(x, chunks), **kwargs)
    assert_same(dask.compute(lazy, scheduler="sync")[0], ndimage.gaussian_filter(x, **kwargs))
    sigma = kwargs["sigma"] if np.ndim(kwargs["sigma"]) == 0 else kwargs["sigma"][0]
    for axis in range(3):
        lazy = ndimage.gaussian_filter1d(da.from_array(x, chunks), sigma, axis, order=1)
        assert_same(dask.compute(lazy, scheduler="sync")[0],
                    ndimage.gaussian_filter1d(x, sigma, axis, order=1))
    with pytest.raises(AssertionError, match="assembled"):  # which other filters still do
        dask.compute(ndimage.median_filter(da.from_array(x, chunks), 3), scheduler="sync")


@pytest.mark.parametrize(("func", "args"), [
    (ndimage.gaussian_filter, (1.0,)),
    (ndimage.gaussian_filter1d, (1.0,)),
    (ndimage.median_filter, ()),
    (ndimage.percentile_filter, (50,)),
    (ndimage.rank_filter, (0,)),
    (ndimage.minimum_filter, ()),
    (ndimage.maximum_filter1d, (3,)),
    (ndimage.grey_dilation, ()),
    (ndimage.binary_erosion, ()),
    (ndimage.binary_closing, ()),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else None)
def test_output_array_is_refused(func, args):
    x = random_array((6, 7), "float32", seed=11)
    sized = (ndimage.median_filter, ndimage.percentile_filter, ndimage.rank_filter,
             ndimage.minimum_filter, ndimage.grey_dilation)
    kwargs = {"size": 3} if func in sized else {}
    source = da.from_array(x, (3, 4))
    for output in [np.empty(x.shape, x.dtype), da.zeros(x.shape, dtype=x.dtype, chunks=3)]:
        with pytest.raises(TypeError, match="output"):
            func(source, *args, output=output, **kwargs)
    with pytest.raises(TypeError, match="output"):
        ndimage.label(source > 0, output=np.empty(x.shape, np.int32))


@pytest.mark.parametrize("name", REMOVERS)
def test_tomo_out_array_is_refused(stack, name):
    source = da.from_array(stack, (24, 2, 40))
    with pytest.raises(TypeError, match="give no out="):
        getattr(tomo, name)(source, out=np.empty(stack.shape, np.float32))


# NaN: scipy's min/max/rank kernels give results that depend on samples outside the window

NAN_CASES = [
    pytest.param(ndimage.minimum_filter, (), {"size": 3}, id="minimum"),
    pytest.param(ndimage.maximum_filter, (), {"size": (2, 3)}, id="maximum"),
    pytest.param(ndimage.minimum_filter1d, (3,), {"axis": 0}, id="minimum1d"),
    pytest.param(ndimage.maximum_filter1d, (3,), {}, id="maximum1d"),
    pytest.param(ndimage.median_filter, (), {"size": 3, "mode": "constant"}, id="median"),
    pytest.param(ndimage.rank_filter, (2,), {"size": 3}, id="rank"),
    pytest.param(ndimage.percentile_filter, (20,), {"size": 3}, id="percentile"),
    pytest.param(ndimage.grey_erosion, (), {"size": 2}, id="grey-erosion"),
    pytest.param(ndimage.grey_dilation, (), {"size": 3}, id="grey-dilation"),
    pytest.param(ndimage.grey_opening, (), {"size": 2}, id="grey-opening"),
    pytest.param(ndimage.grey_closing, (), {"size": 3}, id="grey-closing"),
]


@pytest.mark.parametrize(("func", "args", "kwargs"), NAN_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_data_refused_when_cut(assert_same, func, args, kwargs, dtype):
    x = np.random.default_rng(12).random((14, 16)).astype(dtype)
    x[[1, 3, 4, 9, 12], [2, 15, 7, 0, 8]] = np.nan
    lazy = func(da.from_array(x, (5, 6)), *args, **kwargs)  # the call itself is fine
    assert math.prod(lazy.numblocks) > 1
    with pytest.raises(ValueError, match="NaN"):
        _compute(lazy)
    # one chunk: the whole array's result, NaN included
    _check_lazy(assert_same, func, x, args, kwargs, [x.shape])
    # no NaN: fine when cut
    clean = np.nan_to_num(x, nan=0.5)
    _check_lazy(assert_same, func, clean, args, kwargs, [(5, 6)], split=True)


@pytest.mark.parametrize(("func", "kwargs"), [
    (ndimage.gaussian_filter, {"sigma": 1.0, "radius": 2}),
    (ndimage.gaussian_filter1d, {"sigma": 0.7, "axis": 0}),
])
def test_nan_data_in_gaussian_is_exact(assert_same, func, kwargs):
    """A Gaussian reads only its window: NaN spreads as in the whole-array call."""
    x = np.random.default_rng(13).random((14, 16))
    x[[1, 9, 12], [2, 0, 8]] = np.nan
    _check_lazy(assert_same, func, x, (), kwargs, [(3, 4)], split=True)


# ---------------------------------------------------------------------------------------------
# 5. labelling

TESTED |= {ndimage.label}

LABEL_SHAPES = {1: (40,), 2: (13, 17), 3: (9, 10, 11), 4: (5, 6, 4, 7)}
LABEL_CHUNKINGS = {
    1: [1, 3, ((5, 1, 1, 20, 13),)],
    2: [(1, 17), (2, 3), ((13,), (1, 1, 15))],
    3: [(2, 3, 5), (9, 1, 11), ((1, 8), (3, 7), (5, 1, 5))],
    4: [(2, 3, 2, 2), (5, 6, 1, 7), ((1, 4), (6,), (1, 3), (3, 4))],
}
CONNECTIVITIES = [(ndim, c) for ndim in LABEL_SHAPES for c in range(1, ndim + 1)]


def _check_label(x, structure=None, chunkings=(), output=None, expected_dtype=np.int32):
    """label on each dask chunking of x: lazy labels and 0-d count equal to scipy's."""
    expected, n = ndi.label(x, structure, output)
    for chunks in chunkings:
        source = da.from_array(x, chunks)
        labels, count = ndimage.label(source, structure, output)
        where = f"chunks={source.chunks}"
        assert isinstance(labels, da.Array), where
        assert isinstance(count, da.Array), where
        assert count.shape == (), where
        assert labels.shape == x.shape, where
        assert labels.dtype == expected_dtype, where
        assert int(count) == n, where  # a 0-d array converts as numpy's do
        labels, count = _compute(labels, count)
        assert labels.dtype == expected_dtype, where
        assert labels.dtype == expected.dtype, where
        assert np.asarray(count).dtype == np.intp, where
        assert int(count) == n, where
        np.testing.assert_array_equal(labels, expected, err_msg=where)


@pytest.mark.parametrize(("ndim", "connectivity"), CONNECTIVITIES, ids=str)
def test_label_equals_scipy(ndim, connectivity):
    density = [0.3, 0.65][connectivity % 2]  # alternately dense and sparse
    x = np.random.default_rng(ndim * 10 + connectivity).random(LABEL_SHAPES[ndim]) < density
    structure = ndi.generate_binary_structure(ndim, connectivity)
    _check_label(x, structure, LABEL_CHUNKINGS[ndim])


def test_label_random_symmetric_structures():
    for ndim in (2, 3):
        for seed in range(3):
            rng = np.random.default_rng(seed)
            structure = rng.random((3,) * ndim) < 0.4
            structure |= structure[(slice(None, None, -1),) * ndim]
            x = rng.random(LABEL_SHAPES[ndim]) < 0.4
            _check_label(x, structure, [LABEL_CHUNKINGS[ndim][seed]])


def test_label_inputs_of_other_dtypes():
    rng = np.random.default_rng(14)
    ints = rng.integers(0, 3, size=(9, 10, 11)).astype(np.uint8)  # nonzero is foreground
    _check_label(ints, None, [(2, 3, 5)])
    floats = np.where(rng.random((13, 17)) < 0.4, rng.standard_normal((13, 17)), 0.0)
    _check_label(floats, np.ones((3, 3)), [(2, 3)])
    _check_label(floats.astype(np.int64), [[0, 1, 0], [1, 1, 1], [0, 1, 0]], [(4, 4)])


@pytest.mark.parametrize("output", [np.int16, np.uint16, np.uint8, np.int64, "int32", np.float64])
def test_label_output_dtype(output):
    x = np.random.default_rng(15).random((13, 17)) < 0.5
    _check_label(x, None, [(2, 5)], output, np.dtype(output))


@pytest.mark.parametrize(("output", "shape", "chunks"), [
    (np.int8, (30, 30), (7, 8)),  # 225 components
    (np.uint8, (40, 40), (10, 15)),  # 400
    (np.int16, (364, 364), (91, 100)),  # 33124
], ids=str)
def test_label_output_too_small(output, shape, chunks):
    """More components than the output dtype holds: scipy's RuntimeError, on compute."""
    x = np.zeros(shape, bool)
    x[::2, ::2] = True  # isolated samples
    with pytest.raises(RuntimeError, match="insufficient bit-depth"):
        ndi.label(x, output=output)
    labels, count = ndimage.label(da.from_array(x, chunks), output=output)  # lazy: no error
    assert labels.dtype == output
    with pytest.raises(RuntimeError, match="insufficient bit-depth"):
        _compute(labels)
    assert int(_compute(count)) == ndi.label(x)[1]


@pytest.mark.parametrize("output", [np.int8, np.uint8])
def test_label_output_at_its_limit(output):
    """As many components as the dtype's largest value fit; one more raises, as scipy."""
    limit = int(np.iinfo(output).max)
    for n in (limit, limit + 1):
        x = np.zeros(2 * n, bool)
        x[::2] = True
        labels, _ = ndimage.label(da.from_array(x, 64), output=output)
        if n == limit:
            np.testing.assert_array_equal(_compute(labels), ndi.label(x, output=output)[0])
        else:
            with pytest.raises(RuntimeError, match="insufficient bit-depth"):
                ndi.label(x, output=output)
            with pytest.raises(RuntimeError, match="insufficient bit-depth"):
                _compute(labels)


@pytest.mark.parametrize("fill", [False, True])
def test_label_empty_and_full(fill):
    _check_label(np.full((6, 7, 5), fill), None, [(2, 3, 2), (1, 7, 5)])


def test_label_zero_dimensional_and_zero_size():
    for x in [np.array(True), np.array(False), np.array(3.5)]:
        _check_label(x, None, [()])
    _check_label(np.zeros((0, 4), bool), None, [(1, 2)])
    _check_label(np.zeros((3, 0, 2), np.uint8), np.ones((3, 3, 3)), [(1, 1, 1)])


ASYMMETRIC = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize(("x", "structure"), [
    pytest.param(np.ones((5, 6)) + 1j, None, id="complex"),
    pytest.param(np.ones((5, 6), np.complex64), np.ones((3, 3)), id="complex64"),
    pytest.param(np.ones((5, 6), np.float16), None, id="float16"),
    pytest.param(np.ones((5, 6), object), None, id="object"),
    pytest.param(np.ones((5, 6), ">f8"), None, id="big-endian"),
    pytest.param(np.ones((5, 6), bool), np.ones((3, 3, 3)), id="structure-rank-high"),
    pytest.param(np.ones((5, 6), bool), np.ones(3), id="structure-rank-low"),
    pytest.param(np.ones((5, 6), bool), np.ones((3, 5)), id="structure-side-5"),
    pytest.param(np.ones((5, 6), bool), np.ones((1, 1)), id="structure-side-1"),
    pytest.param(np.ones((5, 6), bool), ASYMMETRIC, id="asymmetric"),
    pytest.param(np.zeros((5, 6)), ASYMMETRIC, id="asymmetric-all-background"),
    pytest.param(np.ones((4, 5, 6), np.uint16), np.triu(np.ones((3, 3)))[None].repeat(3, 0),
                 id="asymmetric-3d"),
])
def test_label_errors_at_call_like_scipy(assert_same_error, x, structure):
    source = da.from_array(x, 2)
    assert_same_error(lambda: ndimage.label(source, structure), lambda: ndi.label(x, structure))


def test_label_with_chunks_of_length_zero():
    x = np.random.default_rng(16).random((10, 9)) < 0.5
    source = da.from_array(x, chunks=((4, 0, 6), (3, 0, 0, 6)))
    expected, n = ndi.label(x)
    labels, count = _compute(*ndimage.label(source))
    assert int(count) == n
    np.testing.assert_array_equal(labels, expected)


def test_label_zero_size_with_asymmetric_structure():
    asymmetric = np.zeros((3, 3), bool)
    asymmetric[0, 0] = True
    x = np.zeros((0, 4), bool)
    expected, n = ndi.label(x, asymmetric)
    labels, count = ndimage.label(da.from_array(x, 2), asymmetric)
    labels, count = _compute(labels, count)
    assert int(count) == n
    np.testing.assert_array_equal(labels, expected)


def _layer_name(key) -> str:
    return str(key[0] if isinstance(key, tuple) else key)


@pytest.mark.parametrize("chunks", [(3, 4), (1, 17), (13, 17)], ids=str)
def test_label_graph_merges_summaries_only(chunks):
    """No task gathers the volume: the one merge task reads only the chunks' summaries, each
    summary one labelled chunk, each labelled chunk one chunk of the input."""
    x = np.random.default_rng(16).random((13, 17)) < 0.5
    source = da.from_array(x, chunks)
    labels, count = ndimage.label(source)
    graph = dict(labels.__dask_graph__())
    input_keys = {k for k in graph if _layer_name(k) == source.name}
    assert len(input_keys) == source.npartitions

    def by_layer(prefix):
        return [k for k in graph if _layer_name(k).startswith(prefix)]

    merges = by_layer("merge_chunks")
    assert len(merges) == 1
    summaries = get_dependencies(graph, merges[0])
    assert summaries
    assert all(_layer_name(k).startswith("summary") for k in summaries), summaries
    assert len(summaries) == source.npartitions
    assert set(summaries) == set(by_layer("summary"))
    chunk_tasks = set()
    for summary in summaries:
        (labelled,) = get_dependencies(graph, summary)
        assert _layer_name(labelled).startswith("label_chunk")
        chunk_tasks.add(labelled)
        (piece,) = get_dependencies(graph, labelled)
        assert piece in input_keys
    assert len(chunk_tasks) == source.npartitions
    # the count's graph has the same merge task
    assert merges[0] in dict(count.__dask_graph__())
    # and the merge task really is there to be computed
    np.testing.assert_array_equal(_compute(labels), ndi.label(x)[0])


# find_objects, label_sizes, sum_labels

TESTED |= {ndimage.find_objects, ndimage.label_sizes, ndimage.sum_labels}

MEASURE_SHAPES = {2: (13, 17), 3: (9, 10, 11)}
MEASURE_CHUNKINGS = {2: [(2, 3), ((13,), (1, 16)), (5, 17)],
                     3: [(2, 3, 5), ((1, 8), (10,), (5, 1, 5))]}


def _labels(ndim, seed=17, dtype=np.int32):
    x = np.random.default_rng(seed).random(MEASURE_SHAPES[ndim]) < 0.35
    return ndi.label(x)[0].astype(dtype)


@pytest.mark.parametrize(("ndim", "dtype"), [(2, np.int32), (2, np.uint8), (3, np.int64),
                                             (3, np.uint16)], ids=str)
def test_find_objects_equals_scipy(ndim, dtype):
    labels = _labels(ndim, dtype=dtype)
    n = int(labels.max())
    for chunks in MEASURE_CHUNKINGS[ndim]:
        source = da.from_array(labels, chunks)
        for max_label in [0, 3, n + 5]:
            with dask.config.set(scheduler="threads"):
                found = ndimage.find_objects(source, max_label)
            assert type(found) is list
            assert found == ndi.find_objects(labels, max_label), f"{chunks}, {max_label}"
    with dask.config.set(scheduler="threads"):
        assert ndimage.find_objects(da.from_array(labels, chunks=4), max_label=n + 2) \
            == ndi.find_objects(labels, max_label=n + 2)


def test_find_objects_sparse_and_empty():
    labels = np.zeros((12, 14), np.int32)
    labels[0, 0] = 1
    labels[11, 13] = labels[5, 2] = 4  # one object spread over far chunks; labels 2, 3 absent
    labels[6:8, 6:9] = 2
    labels[6, 6] = 0
    with dask.config.set(scheduler="threads"):
        assert ndimage.find_objects(da.from_array(labels, (3, 4))) == ndi.find_objects(labels)
        zeros = np.zeros((5, 6), np.int16)
        assert ndimage.find_objects(da.from_array(zeros, 2)) == ndi.find_objects(zeros) == []


@pytest.mark.parametrize("ndim", [2, 3])
def test_label_sizes(ndim):
    labels = _labels(ndim)
    n = int(labels.max())
    for chunks in MEASURE_CHUNKINGS[ndim]:
        source = da.from_array(labels, chunks)
        lazy = ndimage.label_sizes(source)
        assert isinstance(lazy, da.Array)
        assert lazy.ndim == 1
        assert lazy.dtype == np.int64
        assert math.isnan(lazy.shape[0])  # the largest label is known once computed
        sizes = _compute(lazy)
        assert sizes.dtype == np.int64
        np.testing.assert_array_equal(sizes, np.bincount(labels.ravel()))
        np.testing.assert_array_equal(sizes, ndimage.label_sizes(labels))
        for max_label in [0, 2, n, n + 4]:
            lazy = ndimage.label_sizes(source, max_label)
            assert lazy.shape == (max_label + 1,)
            sizes = _compute(lazy)
            assert sizes.shape == (max_label + 1,)
            assert sizes.dtype == np.int64
            np.testing.assert_array_equal(sizes, ndimage.label_sizes(labels, max_label))


def test_label_sizes_negative_labels_and_errors():
    labels = _labels(2, dtype=np.int16) - 3
    source = da.from_array(labels, (4, 5))
    np.testing.assert_array_equal(_compute(ndimage.label_sizes(source)),
                                  ndimage.label_sizes(labels))
    np.testing.assert_array_equal(_compute(ndimage.label_sizes(source, 2)),
                                  ndimage.label_sizes(labels, 2))
    with pytest.raises(TypeError, match="integer"):
        ndimage.label_sizes(da.from_array(labels.astype(np.float32), 4))


SUM_INDICES = [None, 3, [1, 2, 5, 100], np.array([[1, 2], [3, 0]])]


@pytest.mark.parametrize("index", SUM_INDICES, ids=["none", "scalar", "list", "2d"])
@pytest.mark.parametrize("dtype", ["uint8", "int64"])
def test_sum_labels_integer_exact(index, dtype):
    rng = np.random.default_rng(18)
    x = random_array((13, 17), dtype, seed=18)
    if dtype == "int64":  # sums by label are float64 (np.bincount): exact below 2**53
        x >>= 24
    labels = ndi.label(rng.random((13, 17)) < 0.4)[0]
    expected = np.asarray(ndi.sum_labels(x, labels, index))
    for xi, li in [(da.from_array(x, (3, 5)), labels),
                   (x, da.from_array(labels, (4, 4))),
                   (da.from_array(x, (3, 5)), da.from_array(labels, (7, 2)))]:
        lazy = ndimage.sum_labels(xi, li, index)
        assert isinstance(lazy, da.Array)
        assert lazy.shape == expected.shape
        assert lazy.dtype == expected.dtype
        result = _compute(lazy)
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result, expected)


def test_sum_labels_without_labels_and_floats():
    x = random_array((13, 17), "int16", seed=19)
    lazy = ndimage.sum_labels(da.from_array(x, (4, 4)))
    assert lazy.dtype == np.asarray(ndi.sum_labels(x)).dtype
    assert _compute(lazy) == ndi.sum_labels(x)
    floats = np.random.default_rng(19).standard_normal((13, 17))
    labels = ndi.label(floats > 0.2)[0]
    for index in SUM_INDICES:
        expected = np.asarray(ndi.sum_labels(floats, labels, index))
        lazy = ndimage.sum_labels(da.from_array(floats, (2, 3)), da.from_array(labels, 5), index)
        assert lazy.dtype == expected.dtype
        result = _compute(lazy)
        assert result.shape == expected.shape
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


def test_sum_labels_broadcasting():
    x = np.arange(10).reshape(10, 1)
    labels = np.arange(120).reshape(10, 12) % 4
    expected = ndi.sum_labels(x, labels, [1, 2])
    np.testing.assert_array_equal(
        _compute(ndimage.sum_labels(da.from_array(x, 3), labels, [1, 2])), expected)
    np.testing.assert_array_equal(
        _compute(ndimage.sum_labels(x, da.from_array(labels, 3), [1, 2])), expected)


def test_every_public_function_is_tested():
    public = {getattr(ndimage, name) for name in ndimage.__all__ if name != "ball"}
    public |= {getattr(tomo, name) for name in tomo.__all__}
    assert public == TESTED


# ---------------------------------------------------------------------------------------------
# 6. properties


@st.composite
def _chunks_for(draw, shape, max_cuts):
    """Explicit, possibly uneven chunks: up to ``max_cuts`` cuts per axis."""
    chunks = []
    for n in shape:
        cuts = sorted(draw(st.sets(st.integers(1, max(1, n - 1)), max_size=max_cuts))
                      if n > 1 else [])
        bounds = [0, *cuts, n]
        chunks.append(tuple(b - a for a, b in itertools.pairwise(bounds)))
    return tuple(chunks)


@st.composite
def _label_cases(draw):
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 8), min_size=ndim, max_size=ndim)))
    chunks = draw(_chunks_for(shape, {1: 7, 2: 4, 3: 3, 4: 2}[ndim]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.random(shape) < draw(st.floats(0.05, 0.95))
    structure = rng.random((3,) * ndim) < 0.5
    structure |= structure[(slice(None, None, -1),) * ndim]
    return x, structure, chunks


@hypothesis_settings(max_examples=50)
@given(case=_label_cases())
def test_property_label(case):
    x, structure, chunks = case
    _check_label(x, structure, [chunks])


@st.composite
def _filter_cases(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 10), min_size=ndim, max_size=ndim)))
    chunks = draw(_chunks_for(shape, 3))
    x = random_array(shape, draw(st.sampled_from(DTYPES)), seed=draw(st.integers(0, 2**16)))
    mode = draw(st.sampled_from(FILTER_MODES))
    sizes = draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim))
    origins = [draw(st.integers(-(n // 2), (n - 1) // 2)) for n in sizes]
    kind = draw(st.sampled_from(["gaussian", "median", "minimum", "grey_closing", "binary"]))
    if kind == "gaussian":
        kwargs = {"sigma": draw(st.lists(st.floats(0.0, 2.0), min_size=ndim, max_size=ndim)),
                  "truncate": draw(st.floats(0.5, 3.0)), "mode": mode}
        return ndimage.gaussian_filter, x, kwargs, chunks
    if kind == "binary":
        func = draw(st.sampled_from(BINARY_FUNCS))
        kwargs = {"structure": ndi.generate_binary_structure(ndim, draw(st.integers(1, ndim))),
                  "iterations": draw(st.integers(1, 3)),
                  "border_value": draw(st.integers(0, 1)),
                  "origin": [draw(st.integers(-1, 1)) for _ in range(ndim)]}
        return func, x > x.flat[0], kwargs, chunks
    func = {"median": ndimage.median_filter, "minimum": ndimage.minimum_filter,
            "grey_closing": ndimage.grey_closing}[kind]
    return func, x, {"size": sizes, "origin": origins, "mode": mode}, chunks


@hypothesis_settings(max_examples=60)
@given(case=_filter_cases())
def test_property_filters(assert_same, case):
    func, x, kwargs, chunks = case
    _check_lazy(assert_same, func, x, (), kwargs, [chunks])


@pytest.mark.parametrize(("func", "kwargs", "shape"), [
    (ndimage.gaussian_filter, {"sigma": 1.0}, (1, 17)),
    (ndimage.median_filter, {"size": 9}, (3, 17)),
    (ndimage.grey_opening, {"size": 3, "mode": "wrap"}, (1, 12)),
    (ndimage.binary_erosion, {"iterations": 2}, (1, 12)),
    (ndimage.binary_closing, {"iterations": 3}, (2, 30)),
], ids=lambda v: getattr(v, "__name__", None) if callable(v) else str(v))
def test_axis_shorter_than_halo(assert_same, func, kwargs, shape):
    """An axis shorter than the halo (a window wider than the axis, reflected more than once)
    is computed whole; the other axes are still cut."""
    rng = np.random.default_rng(23)
    x = rng.random(shape) < 0.6 if func.__name__.startswith("binary") else rng.random(shape)
    result = _check_lazy(assert_same, func, x, (), kwargs, [(1, 4), (2, 3)])
    assert result.shape == shape
    lazy = func(da.from_array(x, (1, 4)), **kwargs)
    assert lazy.chunks[0] == (shape[0],)
    if "wrap" not in kwargs.get("mode", ""):
        assert len(lazy.chunks[1]) > 1


# ---------------------------------------------------------------------------------------------
# 7. a real cluster: two worker processes

@pytest.fixture(scope="module")
def client():
    """One two-process cluster for the module. It raises no warning here, so no filter."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster, set_as_default=False) as client:
        yield client


def _on_cluster(client, *lazy):
    """Compute on the cluster; assert the tasks ran on its workers."""
    with distributed.get_task_stream(client) as stream:
        results = dask.compute(*lazy, scheduler=client)
    workers = {task["worker"] for task in stream.data}
    assert workers, "no task ran on the cluster"
    assert workers <= set(client.scheduler_info()["workers"])
    return results[0] if len(results) == 1 else results


def test_distributed_filters(assert_same, client):
    x = random_array((12, 13, 14), "float32", seed=20)
    for func, kwargs in [(ndimage.gaussian_filter, {"sigma": 1.2, "mode": "mirror"}),
                         (ndimage.median_filter, {"size": (3, 2, 3), "origin": (0, -1, 1)})]:
        lazy = func(da.from_array(x, (6, 13, 7)), **kwargs)
        assert math.prod(lazy.numblocks) > 1
        result = _on_cluster(client, lazy)
        assert lazy.dtype == result.dtype
        assert_same(result, func(x, **kwargs))


def _pinned_quarters(client, x: np.ndarray) -> da.Array:
    """``x`` as a dask array of 2 x 2 chunks along its first two axes, held on the cluster's
    two workers alternately (new keys on every call)."""
    workers = sorted(client.scheduler_info()["workers"])
    h, w = x.shape[0] // 2, x.shape[1] // 2
    def chunk(i, j):
        future = client.scatter(x[h * i:h * i + h, w * j:w * j + w],
                                workers=[workers[(i + j) % 2]])
        return da.from_delayed(dask.delayed(future), (h, w, *x.shape[2:]), dtype=x.dtype)

    blocks = [[[chunk(i, j)] for j in range(2)] for i in range(2)]
    source = client.persist(da.block(blocks))
    distributed.wait(source)
    assert len({where[0] for where in client.who_has(source).values()}) == 2
    return source


def test_distributed_slabs_are_cut_where_their_chunks_are(assert_same, client):
    """Face slab tasks of an array of four 1 MiB chunks, two on each worker, run where their
    chunk is (see test_slab_tasks_are_not_root_ish): no chunk travels for a slice of it. Checked
    on a second array, once the scheduler knows how long these tasks take (until then it
    guesses half a second each, and its work stealing may move one by that guess)."""
    x = random_array((128, 128, 64), "float32", seed=23)
    with client.as_current():
        ndimage.gaussian_filter(_pinned_quarters(client, x), 1.5).compute(scheduler=client)
        lazy = ndimage.gaussian_filter(_pinned_quarters(client, x), 1.5)
        with distributed.get_task_stream(client) as stream:
            result = lazy.compute(scheduler=client)
    assert_same(result, ndimage.gaussian_filter(x, 1.5))
    slabs = [task for task in stream.data if "-halo-" in str(task["key"])]
    assert len(slabs) == 8  # one per inner face, 2 per chunk
    moved = [task["key"] for task in stream.data
             if ("-halo-" in str(task["key"]) or "-anchor-" in str(task["key"]))
             and any(step["action"] == "transfer" for step in task["startstops"])]
    assert not moved


def test_distributed_binary_erosion_with_mask(assert_same, client):
    rng = np.random.default_rng(21)
    x = rng.random((12, 13, 14)) < 0.7
    mask = rng.random(x.shape) < 0.8
    expected = ndimage.binary_erosion(x, iterations=2, mask=mask, border_value=1)
    for m in [mask, da.from_array(mask, (5, 13, 7))]:
        lazy = ndimage.binary_erosion(da.from_array(x, (6, 7, 7)), iterations=2, mask=m,
                                      border_value=1)
        assert math.prod(lazy.numblocks) > 1
        assert_same(_on_cluster(client, lazy), expected)


def test_distributed_ring_removal(assert_same, client, stack):
    lazy = tomo.remove_all_stripe(da.from_array(stack, (5, 3, 7)))
    result = _on_cluster(client, lazy)
    assert lazy.dtype == result.dtype == np.float32
    assert_same(result, tomo.remove_all_stripe(stack))
    x = -np.log(stack)
    assert_same(_on_cluster(client, tomo.remove_stripe_fw(da.from_array(x, (24, 3, 40)))),
                tomo.remove_stripe_fw(x))


def test_distributed_label(client):
    rng = np.random.default_rng(22)
    x = rng.random((9, 10, 11)) < 0.45
    structure = ndi.generate_binary_structure(3, 2)
    expected, n = ndi.label(x, structure)
    for chunks in [(5, 4, 6), (9, 1, 11), ((1, 8), (3, 7), (5, 6)), (9, 10, 11)]:
        labels, count = ndimage.label(da.from_array(x, chunks), structure)
        labels, count = _on_cluster(client, labels, count)
        assert labels.dtype == np.int32
        assert int(count) == n
        np.testing.assert_array_equal(labels, expected, err_msg=str(chunks))


def test_distributed_find_objects_and_label_sizes(client):
    labels = _labels(3)
    source = da.from_array(labels, (4, 5, 6))
    with distributed.get_task_stream(client) as stream, dask.config.set(scheduler=client):
        found = ndimage.find_objects(source)
    assert stream.data, "find_objects did not run on the cluster"
    assert found == ndi.find_objects(labels)
    sizes = _on_cluster(client, ndimage.label_sizes(source))
    np.testing.assert_array_equal(sizes, np.bincount(labels.ravel()))
    sizes = _on_cluster(client, ndimage.label_sizes(source, max_label=3))
    np.testing.assert_array_equal(sizes, ndimage.label_sizes(labels, 3))
