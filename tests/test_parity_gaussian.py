"""Bit-for-bit parity of qbi_fast.ndimage.gaussian_filter / gaussian_filter1d with scipy.ndimage.

Every result is compared with scipy's byte for byte (dtype, shape and raw bytes; bool outputs may
hold bytes other than 0/1 and integer outputs wrap, exactly as scipy's C casts do). Covered:

* every supported dtype (bool, 8- to 64-bit signed and unsigned ints, float32, float64) under
  all eight boundary modes, on shapes from (1,) to 4-d and on axes shorter than the kernel;
* derivative orders 0..3 (scalar and per axis), sigma (scalar, per axis, zeros that skip axes),
  truncate, radius (scalar, per axis, 0), axes (int, negative, tuples in any order), cval;
* output given as an array of another dtype, as a dtype / type / dtype string, in place, not
  contiguous, partly overlapping the input, or unaligned; F-ordered, strided, reversed,
  broadcast and unaligned inputs; 0-d, empty and list inputs; NaN and infinities;
* gaussian_filter1d over axes and orders; arrays large enough for the kernel's blocked paths;
* the kernel's sub-range (outputs for part of each line, separate or in place, as for dask
  chunks and blocks) against the slice of scipy's whole-line result;
* results independent of ``workers=`` and of concurrent calls from several Python threads;
* misuse raising scipy's exception class and message; dtypes the kernels do not handle (complex,
  float16, longdouble, big-endian outputs) and big-endian input (copied into native order, see
  test_byte_order.py) giving scipy's results or exceptions; ``workers=`` checks;
* hypothesis property tests over dtypes, shapes, sigma, order, mode, cval, truncate, radius and
  output dtype.
"""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import qbi_fast.ndimage as qnd
from qbi_fast._testing import FILTER_MODES as MODES
from qbi_fast._testing import KERNEL_DTYPES as SUPPORTED_DTYPES
from qbi_fast._testing import hypothesis_settings

GARBAGE = 0xA5  # qbi outputs start filled with this byte, to catch elements left unwritten


def random_array(shape, dtype, seed=0) -> np.ndarray:
    """Seeded test data: integers mixing small values (negative ones too where signed) with values
    over the dtype's full range; floats mixing moderate values with magnitudes over many decades.
    """
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        full = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        small = rng.integers(max(info.min, -40), 41, size=shape).astype(dtype)
        return np.where(rng.random(size=shape) < 0.5, small, full)
    decades = 30 if dtype == np.float32 else 250
    moderate = rng.standard_normal(size=shape) * 100.0
    extreme = rng.standard_normal(size=shape) * 10.0 ** rng.uniform(-decades, decades, size=shape)
    return np.where(rng.random(size=shape) < 0.7, moderate, extreme).astype(dtype)


def garbage_like(shape, dtype) -> np.ndarray:
    out = np.empty(shape, dtype=dtype)
    out.view(np.uint8)[...] = GARBAGE
    return out


def shape_id(shape) -> str:
    return "x".join(map(str, shape)) if shape else "0d"


# --------------------------------------------------------------------------------------------
# dtypes x modes x shapes


SHAPE_SIGMAS = [
    ((1,), 1.5),
    ((7,), 1.5),
    ((5, 6), 1.5),
    ((17, 19, 23), 1.5),
    ((3, 1, 40), 1.5),
    ((2, 3, 4, 5), 1.0),
    ((2,), 6.0),  # radius 24 on an axis of 2
    ((3,), 6.0),
    ((2, 3), 6.0),
    ((1, 1), 6.0),
]


@pytest.mark.parametrize("order", [0, 1], ids=lambda o: f"order{o}")
@pytest.mark.parametrize(
    ("shape", "sigma"),
    SHAPE_SIGMAS,
    ids=[f"{shape_id(s)}-sigma{g}" for s, g in SHAPE_SIGMAS],
)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", SUPPORTED_DTYPES)
def test_gaussian_matches_scipy_dtypes_modes(dtype, mode, shape, sigma, order, assert_same):
    a = random_array(shape, dtype, seed=len(shape) * 31 + int(sigma))
    before = a.copy()
    expected = ndi.gaussian_filter(a, sigma, order=order, mode=mode, cval=1.25)
    actual = qnd.gaussian_filter(a, sigma, order=order, mode=mode, cval=1.25)
    assert_same(actual, expected)
    assert_same(a, before)  # the input is left alone


@pytest.mark.parametrize("mode", ["reflect", "constant", "nearest", "mirror", "wrap"])
@pytest.mark.parametrize("dtype", SUPPORTED_DTYPES)
def test_gaussian_filter1d_matches_scipy_dtypes_modes(dtype, mode, assert_same):
    a = random_array((6, 29), dtype, seed=5)
    for axis, order in [(0, 0), (-1, 1), (1, 2), (0, 3)]:
        expected = ndi.gaussian_filter1d(a, 2.2, axis, order, mode=mode, cval=-3.5)
        actual = qnd.gaussian_filter1d(a, 2.2, axis, order, mode=mode, cval=-3.5)
        assert_same(actual, expected)


# --------------------------------------------------------------------------------------------
# parameters: order, sigma, truncate, radius, axes, cval

ORDERS = [0, 1, 2, 3, [0, 1, 2], [3, 0, 1], (2, 2, 0)]


@pytest.mark.parametrize("mode", ["reflect", "constant"])
@pytest.mark.parametrize("order", ORDERS, ids=lambda o: f"order{o}".replace(" ", ""))
@pytest.mark.parametrize("dtype", SUPPORTED_DTYPES)
def test_gaussian_orders(dtype, order, mode, assert_same):
    a = random_array((6, 7, 8), dtype, seed=11)
    expected = ndi.gaussian_filter(a, 1.3, order=order, mode=mode, cval=2.0)
    actual = qnd.gaussian_filter(a, 1.3, order=order, mode=mode, cval=2.0)
    assert_same(actual, expected)


SIGMAS = [
    pytest.param(2, id="int"),
    pytest.param(0.8, id="float"),
    pytest.param(np.float32(1.3), id="np-float32"),
    pytest.param([1, 2.5, 0.7], id="per-axis-list"),
    pytest.param((0.5, 0, 3), id="per-axis-zero-middle"),
    pytest.param(np.array([1.0, 2.0, 3.0]), id="per-axis-ndarray"),
    pytest.param([0, 0, 0], id="all-zero-list"),
    pytest.param(0, id="zero"),
    pytest.param([1e-16, 1.0, 1e-15], id="below-threshold-skipped"),
    pytest.param([-1.0, 2.0, 1.0], id="negative-skipped"),
    pytest.param(1e-10, id="tiny-radius0"),
    pytest.param(20.0, id="radius80-longer-than-axes"),
]


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("sigma", SIGMAS)
@pytest.mark.parametrize("dtype", ["float64", "float32", "uint16", "int8", "bool"])
def test_gaussian_sigma_forms(dtype, sigma, order, assert_same):
    a = random_array((9, 10, 11), dtype, seed=12)
    expected = ndi.gaussian_filter(a, sigma, order=order)
    actual = qnd.gaussian_filter(a, sigma, order=order)
    assert_same(actual, expected)


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize(
    "truncate", [0.1, 0.5, 1.0, 2.5, 4.0, 7.3, np.float32(3.0), 3], ids=lambda t: f"truncate{t}"
)
@pytest.mark.parametrize("dtype", ["float64", "int16"])
def test_gaussian_truncate(dtype, truncate, order, assert_same):
    a = random_array((15, 16), dtype, seed=13)
    expected = ndi.gaussian_filter(a, 1.7, order=order, truncate=truncate)
    actual = qnd.gaussian_filter(a, 1.7, order=order, truncate=truncate)
    assert_same(actual, expected)
    expected = ndi.gaussian_filter1d(a, 2.3, 0, order, truncate=truncate)
    actual = qnd.gaussian_filter1d(a, 2.3, 0, order, truncate=truncate)
    assert_same(actual, expected)


RADII = [
    pytest.param(0, id="0"),
    pytest.param(1, id="1"),
    pytest.param(4, id="4"),
    pytest.param(25, id="25-longer-than-axes"),
    pytest.param(np.int64(3), id="np-int64"),
    pytest.param([0, 3, 7], id="per-axis"),
    pytest.param((2, 0, 5), id="per-axis-tuple"),
    pytest.param([None, 2, None], id="per-axis-with-None"),
]


@pytest.mark.parametrize("order", [0, 1, 2])
@pytest.mark.parametrize("radius", RADII)
@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8", "int32"])
def test_gaussian_radius(dtype, radius, order, assert_same):
    a = random_array((9, 10, 11), dtype, seed=14)
    expected = ndi.gaussian_filter(a, [1.5, 0.9, 2.0], order=order, radius=radius)
    actual = qnd.gaussian_filter(a, [1.5, 0.9, 2.0], order=order, radius=radius)
    assert_same(actual, expected)


@pytest.mark.parametrize("radius", [0, 1, 2, 9, np.int64(4)], ids=lambda r: f"radius{r}")
@pytest.mark.parametrize("order", [0, 1, 2, 3])
def test_gaussian_filter1d_radius(order, radius, assert_same):
    a = random_array((12, 13), "float64", seed=15)
    for axis in (0, 1):
        expected = ndi.gaussian_filter1d(a, 1.1, axis, order, radius=radius)
        actual = qnd.gaussian_filter1d(a, 1.1, axis, order, radius=radius)
        assert_same(actual, expected)


AXES_CASES = [
    pytest.param(None, 1.2, 0, "reflect", id="None"),
    pytest.param(0, 1.2, 1, "reflect", id="int0"),
    pytest.param(1, 1.2, 0, "wrap", id="int1"),
    pytest.param(2, 2.0, 2, "mirror", id="int2"),
    pytest.param(-1, 1.2, 1, "reflect", id="int-1"),
    pytest.param(-3, 1.2, 0, "nearest", id="int-3"),
    pytest.param(np.int64(1), 1.2, 0, "reflect", id="np-int64"),
    pytest.param((2, 0), [1.0, 2.0], [1, 0], ["wrap", "nearest"], id="tuple-2-0"),
    pytest.param((-1, 0), [2.0, 1.0], [0, 2], "constant", id="tuple-neg1-0"),
    pytest.param([1], [1.5], [1], ["mirror"], id="list-1"),
    pytest.param((2, 1, 0), [0.7, 1.1, 2.3], [0, 1, 2], "reflect", id="tuple-reversed"),
    pytest.param(range(1, 3), 1.4, 0, "reflect", id="range-1-3"),
    pytest.param((), [], [], [], id="empty-tuple-copies"),
]


@pytest.mark.parametrize(("axes", "sigma", "order", "mode"), AXES_CASES)
@pytest.mark.parametrize("dtype", ["float64", "uint16", "int8"])
def test_gaussian_axes(dtype, axes, sigma, order, mode, assert_same):
    a = random_array((8, 9, 10), dtype, seed=16)
    expected = ndi.gaussian_filter(a, sigma, order=order, mode=mode, cval=4.5, axes=axes)
    actual = qnd.gaussian_filter(a, sigma, order=order, mode=mode, cval=4.5, axes=axes)
    assert_same(actual, expected)


CVALS = [0, 1.5, -7.25, 300, 1e300, np.nan, np.inf, -np.inf, np.float32(0.1), 5, True]


@pytest.mark.parametrize("cval", CVALS, ids=lambda c: f"cval{c}")
@pytest.mark.parametrize("mode", ["constant", "grid-constant"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8", "int16"])
def test_gaussian_cval(dtype, mode, cval, assert_same):
    a = random_array((7, 8), dtype, seed=17)
    expected = ndi.gaussian_filter(a, 1.6, order=[0, 1], mode=mode, cval=cval)
    actual = qnd.gaussian_filter(a, 1.6, order=[0, 1], mode=mode, cval=cval)
    assert_same(actual, expected)
    expected = ndi.gaussian_filter1d(a, 3.0, 0, mode=mode, cval=cval)
    actual = qnd.gaussian_filter1d(a, 3.0, 0, mode=mode, cval=cval)
    assert_same(actual, expected)


# --------------------------------------------------------------------------------------------
# output argument

OUTPUT_ARRAY_CASES = [
    ("float64", "float32", 0),
    ("float32", "float64", 1),
    ("float64", "uint8", 1),  # negative derivatives wrap
    ("float32", "uint8", 2),
    ("float64", "int8", 1),
    ("int32", "bool", 0),
    ("uint8", "bool", 1),
    ("float64", "bool", 1),  # bytes other than 0 and 1
    ("int16", "uint16", 1),
    ("int64", "uint64", 1),
    ("float64", "uint32", 1),
    ("float64", "int64", 0),
    ("uint64", "float32", 1),
    ("bool", "float64", 1),
    ("int8", "int32", 3),
    ("uint16", "float32", 0),
    ("float32", "int32", 2),
    ("bool", "int8", 2),
]


@pytest.mark.parametrize(
    ("in_dtype", "out_dtype", "order"),
    OUTPUT_ARRAY_CASES,
    ids=[f"{i}-to-{o}-order{n}" for i, o, n in OUTPUT_ARRAY_CASES],
)
def test_gaussian_output_array_of_other_dtype(in_dtype, out_dtype, order, assert_same):
    a = random_array((8, 9, 10), in_dtype, seed=18)
    out_s = np.zeros(a.shape, out_dtype)
    out_q = garbage_like(a.shape, out_dtype)
    expected = ndi.gaussian_filter(a, 1.4, order=order, output=out_s)
    actual = qnd.gaussian_filter(a, 1.4, order=order, output=out_q)
    assert actual is out_q
    assert_same(actual, expected)

    out_s = np.zeros(a.shape, out_dtype)
    out_q = garbage_like(a.shape, out_dtype)
    expected = ndi.gaussian_filter1d(a, 2.1, 1, order, output=out_s)
    actual = qnd.gaussian_filter1d(a, 2.1, 1, order, output=out_q)
    assert actual is out_q
    assert_same(actual, expected)


OUTPUT_FORMS = [
    pytest.param(np.float32, id="type-float32"),
    pytest.param(np.dtype("float32"), id="dtype-float32"),
    pytest.param("float32", id="str-float32"),
    pytest.param("f4", id="str-f4"),
    pytest.param("=f8", id="str-native-f8"),
    pytest.param("uint8", id="str-uint8"),
    pytest.param("i2", id="str-i2"),
    pytest.param(np.uint64, id="type-uint64"),
    pytest.param(float, id="python-float"),
    pytest.param(int, id="python-int"),
    pytest.param(bool, id="python-bool"),
    pytest.param(np.bool_, id="type-bool_"),
    pytest.param(np.dtype(bool), id="dtype-bool"),
    pytest.param(np.dtype("int8"), id="dtype-int8"),
]


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("output", OUTPUT_FORMS)
@pytest.mark.parametrize("in_dtype", ["float64", "int16"])
def test_gaussian_output_as_dtype(in_dtype, output, order, assert_same):
    a = random_array((17, 19), in_dtype, seed=19)
    expected = ndi.gaussian_filter(a, 1.2, order=order, output=output)
    actual = qnd.gaussian_filter(a, 1.2, order=order, output=output)
    assert_same(actual, expected)
    expected = ndi.gaussian_filter1d(a, 1.2, 0, order, output=output)
    actual = qnd.gaussian_filter1d(a, 1.2, 0, order, output=output)
    assert_same(actual, expected)


IN_PLACE_VIEWS = {  # layout name -> (memory order of the base array, view of it to filter)
    "C": ("C", lambda b: b),
    "F": ("F", lambda b: b),
    "strided": ("C", lambda b: b[::2, 1::3]),
    "reversed": ("C", lambda b: b[::-1, ::-2]),
    "transposed": ("C", lambda b: b.T),
}


@pytest.mark.parametrize("layout", list(IN_PLACE_VIEWS))
@pytest.mark.parametrize("func", ["gaussian_filter", "gaussian_filter1d"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8", "int16", "uint64", "bool"])
def test_gaussian_in_place(dtype, func, layout, assert_same):
    source = random_array((24, 31), dtype, seed=20)
    memory_order, make_view = IN_PLACE_VIEWS[layout]
    order = 0 if dtype in ("bool", "float64") else 1
    kwargs = {"order": order} if func == "gaussian_filter" else {"axis": 0, "order": order}

    view_s = make_view(np.array(source, order=memory_order))
    expected = getattr(ndi, func)(view_s.copy(), 1.8, mode="mirror", **kwargs)

    base = np.array(source, order=memory_order)
    view = make_view(base)
    expected_base = base.copy(order="K")
    make_view(expected_base)[...] = expected
    actual = getattr(qnd, func)(view, 1.8, mode="mirror", output=view, **kwargs)

    assert actual is view
    assert_same(actual, expected)
    assert_same(base, expected_base)  # nothing outside the view was touched


def test_gaussian_in_place_matches_scipy_in_place(assert_same):
    """scipy's own in-place result equals the result on a copy; qbi's must equal both."""
    for dtype in ["float32", "int32"]:
        a_s = random_array((20, 21, 22), dtype, seed=21)
        a_q = a_s.copy()
        copy_result = ndi.gaussian_filter(a_s.copy(), 2.0, order=[0, 1, 0])
        ndi.gaussian_filter(a_s, 2.0, order=[0, 1, 0], output=a_s)
        qnd.gaussian_filter(a_q, 2.0, order=[0, 1, 0], output=a_q)
        assert_same(a_s, copy_result)
        assert_same(a_q, a_s)


INPUT_LAYOUTS = {
    "F-order": lambda a: np.asfortranarray(a),
    "strided": lambda a: a[::2, 1::3],
    "reversed-axis0": lambda a: a[::-1],
    "reversed-both": lambda a: a[::-1, ::-1],
    "transposed": lambda a: a.T,
    "column": lambda a: a[:, 5],
    "broadcast": lambda a: np.broadcast_to(a[0], (7,) + a.shape[1:]),
    "zero-stride-axis": lambda a: np.broadcast_to(a[:, :1], a.shape),
}


@pytest.mark.parametrize("layout", list(INPUT_LAYOUTS))
@pytest.mark.parametrize("dtype", ["float64", "float32", "uint16", "int8", "bool"])
def test_gaussian_input_layouts(dtype, layout, assert_same):
    a = INPUT_LAYOUTS[layout](random_array((26, 33), dtype, seed=22))
    for order in (0, 1):
        expected = ndi.gaussian_filter(a, 1.6, order=order, mode="nearest")
        actual = qnd.gaussian_filter(a, 1.6, order=order, mode="nearest")
        assert_same(actual, expected)
        for axis in range(a.ndim):
            expected = ndi.gaussian_filter1d(a, 2.5, axis, order, mode="wrap")
            actual = qnd.gaussian_filter1d(a, 2.5, axis, order, mode="wrap")
            assert_same(actual, expected)


# Lines along a short axis, or lines whose most contiguous neighbours are few (the channels of
# a (Y, X, 3) image), are filtered side by side along a wider dimension further apart in memory.
NARROW_LAYOUTS = {
    "channels-last": lambda: random_array((40, 37, 3), "float32", seed=5),
    "channels-first-F": lambda: np.asfortranarray(random_array((3, 40, 37), "float32", seed=6)),
    "narrow-view": lambda: random_array((12, 40, 37), "float64", seed=7)[:, :, 2:7],
    "narrow-strided-view": lambda: random_array((12, 40, 37), "int16", seed=8)[:, ::3, ::9],
    "short-rows": lambda: random_array((70, 9), "uint8", seed=9),
    "short-rows-transposed": lambda: random_array((9, 70), "float32", seed=10).T,
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layout", list(NARROW_LAYOUTS))
def test_gaussian_narrow_contiguous_axis(layout, mode, assert_same):
    a = NARROW_LAYOUTS[layout]()
    for sigma, order in [(1.0, 0), ((2.0, 0.7, 1.5)[: a.ndim], 1), (6.0, 0)]:
        expected = ndi.gaussian_filter(a, sigma, order=order, mode=mode, cval=0.5)
        for workers in (1, 3):
            actual = qnd.gaussian_filter(a, sigma, order=order, mode=mode, cval=0.5,
                                         workers=workers)
            assert_same(actual, expected)
        out = garbage_like(a.shape[::-1], np.float64).T
        qnd.gaussian_filter(a, sigma, order=order, mode=mode, cval=0.5, output=out)
        assert_same(out, ndi.gaussian_filter(a, sigma, order=order, mode=mode, cval=0.5,
                                             output=np.float64))
        for axis in range(a.ndim):
            assert_same(qnd.gaussian_filter1d(a, 2.5, axis, order, mode=mode),
                        ndi.gaussian_filter1d(a, 2.5, axis, order, mode=mode))


OUTPUT_LAYOUTS = {
    "F-order": lambda shape, dt: np.asfortranarray(garbage_like(shape, dt)),
    "strided": lambda shape, dt: garbage_like((shape[0] * 2, shape[1] * 3), dt)[::2, 1::3],
    "reversed": lambda shape, dt: garbage_like(shape, dt)[::-1, ::-1],
    "transposed": lambda shape, dt: garbage_like(shape[::-1], dt).T,
}


@pytest.mark.parametrize("layout", list(OUTPUT_LAYOUTS))
@pytest.mark.parametrize(
    ("in_dtype", "out_dtype"),
    [("float64", "float64"), ("float32", "float64"), ("uint8", "int16"), ("float64", "uint8")],
    ids=lambda d: d,
)
def test_gaussian_output_layouts(in_dtype, out_dtype, layout, assert_same):
    a = random_array((13, 14), in_dtype, seed=23)
    for func, args in [("gaussian_filter", (1.3,)), ("gaussian_filter1d", (1.3, 0))]:
        out = OUTPUT_LAYOUTS[layout](a.shape, out_dtype)
        expected = getattr(ndi, func)(a, *args, order=1, output=np.zeros(a.shape, out_dtype))
        actual = getattr(qnd, func)(a, *args, order=1, output=out)
        assert actual is out
        assert_same(actual, expected)


def _unaligned(shape, dtype, fill=None) -> np.ndarray:
    dtype = np.dtype(dtype)
    count = int(np.prod(shape))
    buf = bytearray(count * dtype.itemsize + 1)
    arr = np.frombuffer(buf, dtype=dtype, count=count, offset=1).reshape(shape)
    if fill is not None:
        arr[...] = fill
    return arr


@pytest.mark.parametrize(
    "dtype", ["uint16", "int16", "uint32", "int32", "uint64", "int64", "float32", "float64"]
)
def test_gaussian_unaligned_arrays(dtype, assert_same):
    source = random_array((11, 12, 13), dtype, seed=24)
    a = _unaligned(source.shape, dtype, fill=source)
    assert not a.flags.aligned and a.flags.writeable
    expected = ndi.gaussian_filter(source, 1.5, order=[1, 0, 0])
    assert_same(qnd.gaussian_filter(a, 1.5, order=[1, 0, 0]), expected)

    out = _unaligned(source.shape, dtype)
    assert qnd.gaussian_filter(source, 1.5, order=[1, 0, 0], output=out) is out
    assert_same(out, expected)

    expected = ndi.gaussian_filter1d(source, 2.0, 1, 2)
    out = _unaligned(source.shape, dtype)
    assert_same(qnd.gaussian_filter1d(a, 2.0, 1, 2, output=out), expected)

    # in place on unaligned memory
    qnd.gaussian_filter(a, 1.5, order=[1, 0, 0], output=a)
    assert_same(a, ndi.gaussian_filter(source, 1.5, order=[1, 0, 0]))


# --------------------------------------------------------------------------------------------
# input and output sharing memory without being the same array


def _overlap_cases():
    """(name, make) where make() returns (input, output) views of one writable buffer."""

    def shifted_1d(shift):
        def make(dtype):
            buf = random_array((60,), dtype, seed=25)
            return (buf[:-shift], buf[shift:]) if shift > 0 else (buf[-shift:], buf[:shift])

        return make

    def rows_2d(dtype):
        buf = random_array((9, 41), dtype, seed=26)
        return buf[:, :-1], buf[:, 1:]

    def transposed(dtype):
        buf = random_array((17, 17), dtype, seed=27)
        return buf, buf.T

    def reversed_1d(dtype):
        buf = random_array((50,), dtype, seed=28)
        return buf, buf[::-1]

    def interleaved(dtype):
        buf = random_array((15, 40), dtype, seed=29)
        return buf[:, ::2], buf[:, 1::2]

    return {
        "out-ahead-by-1": shifted_1d(1),
        "out-behind-by-3": shifted_1d(-3),
        "2d-columns-shifted": rows_2d,
        "transposed-square": transposed,
        "reversed": reversed_1d,
        "interleaved-columns": interleaved,
    }


OVERLAP_CASES = _overlap_cases()


@pytest.mark.parametrize("case", list(OVERLAP_CASES))
@pytest.mark.parametrize("func", ["gaussian_filter", "gaussian_filter1d"])
@pytest.mark.parametrize("dtype", ["float64", "int16", "uint8"])
def test_gaussian_output_overlapping_input(dtype, func, case, assert_same):
    """A partly overlapping output gives the result of filtering a copy of the input."""
    inp, out = OVERLAP_CASES[case](dtype)
    assert np.may_share_memory(inp, out)
    args = (1.7,) if func == "gaussian_filter" else (1.7, 0)
    order = 1 if dtype == "int16" else 0
    expected = getattr(ndi, func)(inp.copy(), *args, order=order, output=np.zeros_like(out))
    actual = getattr(qnd, func)(inp, *args, order=order, output=out)
    assert actual is out
    assert_same(out, expected)


@pytest.mark.parametrize(
    ("in_dtype", "out_dtype"),
    [("float32", "int32"), ("int32", "float32"), ("uint8", "bool"), ("int64", "float64")],
    ids=lambda d: d,
)
def test_gaussian_output_is_input_memory_as_other_dtype(in_dtype, out_dtype, assert_same):
    """Output a same-itemsize view of the input's memory with another dtype."""
    source = random_array((30, 40), in_dtype, seed=30)
    out_s = np.zeros(source.shape, out_dtype)
    expected = ndi.gaussian_filter(source.copy(), 2.0, order=[1, 0], output=out_s)
    buf = source.copy()
    actual = qnd.gaussian_filter(buf, 2.0, order=[1, 0], output=buf.view(out_dtype))
    assert_same(actual, expected)
    assert_same(buf.view(out_dtype), expected)


# --------------------------------------------------------------------------------------------
# degenerate inputs

DEGENERATE_INPUTS = [
    pytest.param(np.array(3.5), 1.0, id="0d-float64"),
    pytest.param(np.array(7, dtype=np.uint8), 2.0, id="0d-uint8"),
    pytest.param(np.array(True), 1.0, id="0d-bool"),
    pytest.param(np.float64(2.0), 1.0, id="numpy-scalar"),
    pytest.param(2.5, 1.0, id="python-float"),
    pytest.param(np.array(3.5), [], id="0d-empty-sigma-list"),
    pytest.param(np.zeros((0, 3)), 1.0, id="empty-0x3"),
    pytest.param(np.zeros((3, 0), dtype=np.uint8), 1.0, id="empty-3x0-uint8"),
    pytest.param(np.zeros((0,), dtype=np.int16), 2.0, id="empty-0"),
    pytest.param(np.zeros((2, 0, 4), dtype=np.float32), [1.0, 2.0, 3.0], id="empty-2x0x4"),
    pytest.param([[1, 2, 3], [4, 5, 6]], 1.0, id="list-int"),
    pytest.param([1.5, 2.5, -3.0, 1e10], 0.9, id="list-float"),
    pytest.param([True, False, True, True], 0.7, id="list-bool"),
    pytest.param([[-1, 200], [3, -4000]], [0.5, 1.0], id="list-per-axis-sigma"),
    pytest.param(((1.0, 2.0), (3.0, 4.0)), 1.0, id="tuple-of-tuples"),
]


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize(("data", "sigma"), DEGENERATE_INPUTS)
def test_gaussian_degenerate_inputs(data, sigma, order, assert_same_outcome):
    assert_same_outcome(
        lambda: qnd.gaussian_filter(data, sigma, order=order),
        lambda: ndi.gaussian_filter(data, sigma, order=order),
    )
    assert_same_outcome(
        lambda: qnd.gaussian_filter(data, sigma, order=order, output=np.float32),
        lambda: ndi.gaussian_filter(data, sigma, order=order, output=np.float32),
    )


@pytest.mark.parametrize(
    ("shape", "axis"),
    [((0, 3), 0), ((0, 3), 1), ((3, 0), 0), ((3, 0), -1), ((0,), 0), ((2, 0, 5), 2)],
    ids=lambda v: shape_id(v) if isinstance(v, tuple) else f"axis{v}",
)
@pytest.mark.parametrize("dtype", ["float64", "uint8", "bool"])
def test_gaussian_filter1d_empty(dtype, shape, axis, assert_same):
    a = np.zeros(shape, dtype)
    for order in (0, 1):
        expected = ndi.gaussian_filter1d(a, 1.5, axis, order)
        actual = qnd.gaussian_filter1d(a, 1.5, axis, order)
        assert_same(actual, expected)


@pytest.mark.parametrize("func", ["gaussian_filter", "gaussian_filter1d"])
def test_gaussian_bool_input_with_bytes_other_than_0_1(func, assert_same):
    """A bool array holding bytes 0..255 (as a derivative filter leaves) is read as scipy reads
    it: each byte's value."""
    raw = np.random.default_rng(31).integers(0, 256, size=(12, 13), dtype=np.uint8)
    a = raw.view(bool)
    args = (1.5,) if func == "gaussian_filter" else (1.5, 1)
    for output in (None, np.float64, np.uint8):
        expected = getattr(ndi, func)(a, *args, output=output)
        actual = getattr(qnd, func)(a, *args, output=output)
        assert_same(actual, expected)
        assert_same(actual.view(np.uint8), expected.view(np.uint8))


# --------------------------------------------------------------------------------------------
# gaussian_filter1d over axes and orders


@pytest.mark.parametrize("mode", ["reflect", "mirror", "constant"])
@pytest.mark.parametrize("order", [0, 1, 2, 3])
@pytest.mark.parametrize("axis", [0, 1, -1, 2, -2, -3])
@pytest.mark.parametrize("dtype", ["float64", "float32", "uint8", "int16", "int64", "bool"])
def test_gaussian_filter1d_axes_orders(dtype, axis, order, mode, assert_same):
    a = random_array((11, 12, 13), dtype, seed=32)
    expected = ndi.gaussian_filter1d(a, 1.9, axis, order, mode=mode, cval=-1.5)
    actual = qnd.gaussian_filter1d(a, 1.9, axis, order, mode=mode, cval=-1.5)
    assert_same(actual, expected)


# --------------------------------------------------------------------------------------------
# larger arrays: blocks of lines, bands and tiles of the compiled kernel

LARGE_CASES = [
    ((300, 600), "float64", 0, 2.0),  # several bands of rows along axis 0
    ((40, 2000), "uint8", 0, 2.0),  # several tiles of lines, the last one partial
    ((7, 13, 500), "int16", 1, 1.3),
    ((600, 37), "float32", 0, 5.0),  # line count not a multiple of the vector strip
    ((3, 20000), "float64", 1, 3.0),  # long lines, vectorised along each line
    ((2000, 3), "uint16", 0, 30.0),  # wide kernel, narrow block
]


@pytest.mark.parametrize(
    ("shape", "dtype", "axis", "sigma"),
    LARGE_CASES,
    ids=[f"{shape_id(s)}-{d}-axis{x}" for s, d, x, _ in LARGE_CASES],
)
def test_gaussian_larger_arrays(shape, dtype, axis, sigma, assert_same):
    a = random_array(shape, dtype, seed=33)
    for order in (0, 1):
        expected = ndi.gaussian_filter1d(a, sigma, axis, order, mode="reflect")
        for workers in (1, 2):
            actual = qnd.gaussian_filter1d(a, sigma, axis, order, workers=workers)
            assert_same(actual, expected)
    expected = ndi.gaussian_filter(a, sigma / 2, order=1, mode="constant", cval=1.0)
    assert_same(qnd.gaussian_filter(a, sigma / 2, order=1, mode="constant", cval=1.0), expected)


@pytest.mark.parametrize(("n", "lines"), [(20000, list(range(9, 25))), (100, [817, 1633])],
                         ids=["long-lines-narrow-tiles", "short-lines-wide-tiles"])
def test_gaussian_last_tile_of_any_width(n, lines, assert_same):
    """Lines filtered side by side come in tiles; the last tile may hold any number of lines,
    one included (a tile of one line was once read as one contiguous line: its results were
    wrong). Long lines make narrow tiles (16 lines), so 9..24 lines end on every remainder."""
    for count in lines:
        a = random_array((n, count), "float64", seed=count)
        for order in (0, 1):
            expected = ndi.gaussian_filter1d(a, 1.0, 0, order)
            assert_same(qnd.gaussian_filter1d(a, 1.0, 0, order, workers=2), expected)


# --------------------------------------------------------------------------------------------
# NaN and infinities

NONFINITE_OUTPUTS = [None, *SUPPORTED_DTYPES]
NEGATIVE_NAN = np.copysign(np.nan, -1.0)


def _with_nonfinite(a, specials):
    """``a`` with NaN and/or infinities written at fixed places."""
    if specials in ("nan", "mixed"):
        a[1, 3] = np.nan
        a[5, 17:19] = np.nan
    if specials in ("inf", "mixed"):
        a[4, 10] = np.inf
        a[7, 29] = np.inf
        a[0, 20:25] = np.inf
    if specials in ("-inf", "mixed"):
        a[6, 0] = -np.inf
        a[2, 8] = -np.inf
    if specials == "mixed":
        a[4, 11] = -np.inf  # next to +inf: inf - inf gives a NaN with the sign bit set
        a[8, ::7] = NEGATIVE_NAN
    return a


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("output", NONFINITE_OUTPUTS, ids=lambda o: f"out-{o}")
@pytest.mark.parametrize("specials", ["nan", "inf", "-inf", "mixed"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gaussian_nan_and_inf(dtype, specials, output, order, assert_same_outcome):
    """Non-finite input: same bytes as scipy, NaN sign bits included, in every output dtype.
    "mixed" has NaNs with and without the sign bit (np.nan, -NaN and inf - inf) in one window."""
    a = _with_nonfinite(random_array((9, 30), dtype, seed=34), specials)
    for mode, cval in [("reflect", 0.0), ("constant", np.nan), ("wrap", 0.0)]:
        assert_same_outcome(
            lambda m=mode, c=cval: qnd.gaussian_filter(
                a, 1.2, order=order, output=output, mode=m, cval=c
            ),
            lambda m=mode, c=cval: ndi.gaussian_filter(
                a, 1.2, order=order, output=output, mode=m, cval=c
            ),
        )
        assert_same_outcome(
            lambda m=mode, c=cval: qnd.gaussian_filter1d(a, 2.0, 1, order, output, m, c),
            lambda m=mode, c=cval: ndi.gaussian_filter1d(a, 2.0, 1, order, output, m, c),
        )


# --------------------------------------------------------------------------------------------
# workers and threads


@pytest.mark.parametrize(
    "workers",
    [1, 2, 3, -1, None, np.int64(2), 64],
    ids=["1", "2", "3", "-1", "None", "np-int64-2", "64-more-than-cpus"],
)
@pytest.mark.parametrize("dtype", ["float32", "uint16"])
def test_gaussian_workers_do_not_change_results(dtype, workers, assert_same):
    a = random_array((40, 50, 60), dtype, seed=35)
    expected = ndi.gaussian_filter(a, 2.0, order=[0, 1, 0])
    actual = qnd.gaussian_filter(a, 2.0, order=[0, 1, 0], workers=workers)
    assert_same(actual, expected)
    for axis in range(3):
        expected = ndi.gaussian_filter1d(a, 3.0, axis, 2)
        actual = qnd.gaussian_filter1d(a, 3.0, axis, 2, workers=workers)
        assert_same(actual, expected)


def test_gaussian_concurrent_calls_from_threads(assert_same):
    arrays = [
        random_array((30, 40, 50), "float32", seed=36),
        random_array((60, 70), "uint8", seed=37),
        random_array((20, 30, 40), "int16", seed=38),
        random_array((50, 51, 20), "float64", seed=39),
    ]
    params = [(2.0, 0), (1.5, 1), (3.0, [0, 2, 1]), (1.1, 0)]
    expected = [ndi.gaussian_filter(a, s, order=o) for a, (s, o) in zip(arrays, params)]

    def work(i):
        sigma, order = params[i]
        return [qnd.gaussian_filter(arrays[i], sigma, order=order, workers=2) for _ in range(3)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(4)))
    for got, want in zip(results, expected):
        for result in got:
            assert_same(result, want)


@pytest.mark.parametrize("func", ["gaussian_filter", "gaussian_filter1d"])
@pytest.mark.parametrize("dtype", ["float64", "complex128"])  # checked before any dispatch
@pytest.mark.parametrize(
    ("workers", "error"),
    [
        (0, ValueError),
        (1.5, TypeError),
        (True, TypeError),
        (False, TypeError),
        ("2", TypeError),
        (2.0, TypeError),
        (-(10**6), ValueError),
    ],
    ids=["0", "1.5", "True", "False", "str", "2.0", "minus-a-million"],
)
def test_gaussian_workers_argument_errors(func, dtype, workers, error):
    a = np.ones((4, 5), dtype)
    with pytest.raises(error, match="workers"):
        getattr(qnd, func)(a, 1.0, workers=workers)


# --------------------------------------------------------------------------------------------
# misuse: scipy's exception class and message

A1 = np.linspace(-2.0, 3.0, 9)
A2 = np.arange(30.0).reshape(5, 6)
A1.flags.writeable = False
A2.flags.writeable = False
READ_ONLY_OUT = np.zeros((5, 6))
READ_ONLY_OUT.flags.writeable = False

MISUSE_CASES = [
    ("sigma-seq-too-long", lambda m: m.gaussian_filter(A2, [1, 2, 3])),
    ("sigma-seq-too-short", lambda m: m.gaussian_filter(A2, [1])),
    ("order-seq-wrong-length", lambda m: m.gaussian_filter(A2, 1, order=[0, 1, 2])),
    ("mode-seq-wrong-length", lambda m: m.gaussian_filter(A2, 1, mode=["reflect"])),
    ("radius-seq-wrong-length", lambda m: m.gaussian_filter(A2, 1, radius=[1, 2, 3])),
    ("mode-unknown", lambda m: m.gaussian_filter(A2, 1, mode="foo")),
    ("mode-unknown-1d", lambda m: m.gaussian_filter1d(A2, 1, mode="circular")),
    ("mode-None", lambda m: m.gaussian_filter(A2, 1, mode=None)),
    ("mode-None-1d", lambda m: m.gaussian_filter1d(A1, 1, mode=None)),
    ("mode-bytes", lambda m: m.gaussian_filter(A2, 1, mode=b"reflect")),
    ("mode-seq-bad-entry", lambda m: m.gaussian_filter(A2, 1, mode=["reflect", "circular"])),
    ("mode-list-1d", lambda m: m.gaussian_filter1d(A2, 1, mode=["reflect"])),
    ("radius-negative", lambda m: m.gaussian_filter(A2, 1, radius=-1)),
    ("radius-negative-1d", lambda m: m.gaussian_filter1d(A1, 1, radius=-2)),
    ("radius-float", lambda m: m.gaussian_filter(A2, 1, radius=1.5)),
    ("radius-float-1d", lambda m: m.gaussian_filter1d(A1, 1, radius=1.5)),
    ("radius-seq-negative-entry", lambda m: m.gaussian_filter(A2, 1, radius=[2, -1])),
    ("sigma-negative-1d", lambda m: m.gaussian_filter1d(A1, -1.0)),
    ("order-negative", lambda m: m.gaussian_filter(A2, 1, order=-1)),
    ("order-negative-1d", lambda m: m.gaussian_filter1d(A1, 1, order=-1)),
    ("order-seq-negative-entry", lambda m: m.gaussian_filter(A2, 1, order=[0, -2])),
    ("order-float", lambda m: m.gaussian_filter1d(A1, 2, order=1.0)),
    ("order-str", lambda m: m.gaussian_filter(A2, 1, order="1")),
    ("axes-out-of-range", lambda m: m.gaussian_filter(A2, 1, axes=(0, 2))),
    ("axes-negative-out-of-range", lambda m: m.gaussian_filter(A2, 1, axes=(-3,))),
    ("axes-int-out-of-range", lambda m: m.gaussian_filter(A2, 1, axes=2)),
    ("axes-int-negative-out-of-range", lambda m: m.gaussian_filter(A2, 1, axes=-3)),
    ("axes-duplicate", lambda m: m.gaussian_filter(A2, 1, axes=(1, 1))),
    ("axes-duplicate-negative", lambda m: m.gaussian_filter(A2, 1, axes=(0, -2))),
    ("axes-float-in-tuple", lambda m: m.gaussian_filter(A2, 1, axes=(0.5,))),
    ("axes-float", lambda m: m.gaussian_filter(A2, 1, axes=1.5)),
    ("axes-str", lambda m: m.gaussian_filter(A2, 1, axes="0")),
    ("axes-object", lambda m: m.gaussian_filter(A2, 1, axes=object())),
    ("output-wrong-shape", lambda m: m.gaussian_filter(A2, 1, output=np.empty((6, 5)))),
    ("output-wrong-shape-1d", lambda m: m.gaussian_filter1d(A1, 1, output=np.empty(8))),
    ("output-read-only", lambda m: m.gaussian_filter(A2, 1, output=READ_ONLY_OUT)),
    ("output-read-only-1d", lambda m: m.gaussian_filter1d(A2, 1, output=READ_ONLY_OUT)),
    ("output-read-only-in-place", lambda m: m.gaussian_filter(A2, 1, output=A2)),
    # scipy checks the output before it reads cval
    ("output-read-only-and-bad-cval",
     lambda m: m.gaussian_filter(A2, 1, output=READ_ONLY_OUT, cval="a")),
    ("output-str-bool", lambda m: m.gaussian_filter(A2, 1, output="bool")),
    ("output-str-?", lambda m: m.gaussian_filter1d(A1, 1, output="?")),
    ("output-str-foo", lambda m: m.gaussian_filter(A2, 1, output="foo")),
    ("output-str-unicode", lambda m: m.gaussian_filter(A2, 1, output="U3")),
    ("1d-sigma-zero", lambda m: m.gaussian_filter1d(A1, 0)),
    ("1d-sigma-zero-float", lambda m: m.gaussian_filter1d(A1, 0.0)),
    ("1d-axis-out-of-range", lambda m: m.gaussian_filter1d(A2, 1, axis=2)),
    ("1d-axis-negative-out-of-range", lambda m: m.gaussian_filter1d(A2, 1, axis=-3)),
    ("1d-axis-float", lambda m: m.gaussian_filter1d(A2, 1, axis=1.0)),
    ("1d-axis-float-out-of-range", lambda m: m.gaussian_filter1d(A2, 1, axis=2.5)),
    ("1d-axis-str", lambda m: m.gaussian_filter1d(A2, 1, axis="0")),
    ("1d-axis-None", lambda m: m.gaussian_filter1d(A2, 1, axis=None)),
    ("1d-0d-input", lambda m: m.gaussian_filter1d(np.array(1.0), 1)),
    ("1d-sigma-nan", lambda m: m.gaussian_filter1d(A1, float("nan"))),
    ("1d-sigma-nan-with-radius", lambda m: m.gaussian_filter1d(A1, float("nan"), radius=2)),
    ("1d-sigma-inf", lambda m: m.gaussian_filter1d(A1, float("inf"))),
    ("1d-sigma-None", lambda m: m.gaussian_filter1d(A1, None)),
    ("1d-sigma-sequence", lambda m: m.gaussian_filter1d(A1, [1.0, 2.0])),
    ("1d-sigma-str", lambda m: m.gaussian_filter1d(A1, "abc")),
    ("sigma-None", lambda m: m.gaussian_filter(A2, None)),
    ("sigma-str", lambda m: m.gaussian_filter(A2, "1")),
    ("truncate-None", lambda m: m.gaussian_filter(A2, 1, truncate=None)),
    ("truncate-None-1d", lambda m: m.gaussian_filter1d(A1, 1, truncate=None)),
    ("cval-None", lambda m: m.gaussian_filter(A2, 1, mode="constant", cval=None)),
    ("cval-None-1d", lambda m: m.gaussian_filter1d(A1, 1, cval=None)),
    ("cval-str", lambda m: m.gaussian_filter(A2, 1, mode="constant", cval="1.5")),
    ("cval-complex", lambda m: m.gaussian_filter(A2, 1, cval=1 + 2j)),
    ("cval-array-1d", lambda m: m.gaussian_filter(A2, 1, cval=np.array([1.0]))),
    (
        "cval-None-then-bad-mode-on-second-axis",
        lambda m: m.gaussian_filter(A2, 1, mode=["reflect", "foo"], cval=None),
    ),
]


@pytest.mark.parametrize("call", [pytest.param(call, id=name) for name, call in MISUSE_CASES])
def test_gaussian_misuse_raises_like_scipy(call, assert_same_error):
    assert_same_error(lambda: call(qnd), lambda: call(ndi))


# --------------------------------------------------------------------------------------------
# dtypes left to scipy (and big-endian input, which is not: test_byte_order.py)

C128 = random_array((6, 7), "float64", seed=40) + 1j * random_array((6, 7), "float64", seed=41)
BIG_F8 = random_array((6, 7), "float64", seed=42).astype(">f8")
BIG_I4 = random_array((6, 7), "int32", seed=43).astype(">i4")
BIG_U2 = random_array((6, 7), "uint16", seed=44).astype(">u2")
F8 = random_array((6, 7), "float64", seed=45)

FALLBACK_CASES = [
    ("complex128", lambda m: m.gaussian_filter(C128, 1.2)),
    ("complex128-constant", lambda m: m.gaussian_filter(C128, 1.2, mode="constant", cval=2.0)),
    ("complex128-orders", lambda m: m.gaussian_filter(C128, [1.0, 2.0], order=[1, 2])),
    ("complex64", lambda m: m.gaussian_filter(C128.astype(np.complex64), 1.5, mode="wrap")),
    ("complex128-1d", lambda m: m.gaussian_filter1d(C128, 1.5, 0, 1)),
    ("complex-output-float64-type", lambda m: m.gaussian_filter(C128, 1.0, output=np.float64)),
    ("complex-output-float64-str", lambda m: m.gaussian_filter(C128, 1.0, output="float64")),
    ("complex-list", lambda m: m.gaussian_filter([1 + 1j, 2, 3 - 2j], 1.0)),
    ("float16", lambda m: m.gaussian_filter(F8.astype(np.float16), 1.0)),
    ("float16-1d", lambda m: m.gaussian_filter1d(F8.astype(np.float16), 1.0)),
    ("output-float16", lambda m: m.gaussian_filter(F8, 1.0, output=np.float16)),
    ("longdouble", lambda m: m.gaussian_filter(F8.astype(np.longdouble), 1.0)),
    ("big-endian-f8", lambda m: m.gaussian_filter(BIG_F8, 1.3)),
    ("big-endian-f8-order1", lambda m: m.gaussian_filter(BIG_F8, 1.3, order=1)),
    ("big-endian-i4", lambda m: m.gaussian_filter(BIG_I4, 1.3, order=[0, 1])),
    ("big-endian-u2", lambda m: m.gaussian_filter(BIG_U2, 2.0, order=1)),
    ("big-endian-f8-1d", lambda m: m.gaussian_filter1d(BIG_F8, 1.3, 0, 2)),
    ("output-big-endian-array", lambda m: m.gaussian_filter(F8, 1.3, output=np.zeros(F8.shape, ">f4"))),
    ("output-big-endian-dtype", lambda m: m.gaussian_filter(F8, 1.3, output=np.dtype(">i8"))),
    ("output-big-endian-str", lambda m: m.gaussian_filter(F8, 1.3, output=">f8")),
    ("output-complex128-type", lambda m: m.gaussian_filter(F8, 1.3, output=np.complex128)),
    ("output-complex-array", lambda m: m.gaussian_filter(F8, 1.3, output=np.zeros(F8.shape, "c16"))),
    ("output-complex128-1d", lambda m: m.gaussian_filter1d(F8, 1.3, output=np.complex128)),
    ("object-dtype", lambda m: m.gaussian_filter(F8.astype(object), 1.0)),
    ("output-object", lambda m: m.gaussian_filter(F8, 1.0, output=object)),
    ("output-list", lambda m: m.gaussian_filter(F8, 1.0, output=[0.0] * 42)),
]


@pytest.mark.parametrize("call", [pytest.param(call, id=name) for name, call in FALLBACK_CASES])
def test_gaussian_unsupported_dtypes_match_scipy(call, assert_same_outcome):
    assert_same_outcome(lambda: call(qnd), lambda: call(ndi))


# --------------------------------------------------------------------------------------------
# hypothesis properties

HYPOTHESIS_SETTINGS = hypothesis_settings(max_examples=150)


def _per_axis_or_scalar(element, ndim):
    return st.one_of(element, st.lists(element, min_size=ndim, max_size=ndim))


@st.composite
def filter_cases(draw, one_dimensional=False):
    """An input array and keyword arguments for gaussian_filter (or gaussian_filter1d)."""
    dtype = np.dtype(draw(st.sampled_from(SUPPORTED_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=12))
    elements = None
    if dtype.kind == "f":  # NaN and infinities often, not only now and then
        special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0])
        elements = st.one_of(st.floats(width=8 * dtype.itemsize), special)
    data = draw(hnp.arrays(dtype, shape, elements=elements))
    ndim = len(shape)
    sigma = st.one_of(st.floats(0.3, 4), st.floats(0, 4))  # [0, 4], mostly away from 0
    order = st.integers(0, 2)
    mode = st.sampled_from(MODES)
    radius = st.one_of(st.none(), st.integers(0, 6))
    kwargs = {
        "cval": draw(st.floats(allow_nan=True, allow_infinity=True)),
        "truncate": draw(st.floats(0.5, 5)),
        "output": draw(st.one_of(st.none(), st.sampled_from(SUPPORTED_DTYPES).map(np.dtype))),
    }
    if one_dimensional:
        kwargs |= {
            "sigma": draw(sigma),
            "axis": draw(st.integers(-ndim, ndim - 1)),
            "order": draw(order),
            "mode": draw(mode),
            "radius": draw(radius),
        }
        return data, kwargs
    n_axes = ndim
    if draw(st.booleans()):
        # a subset of the axes in any order, each named by its positive or negative number
        chosen = draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))]
        axes = tuple(ax - ndim if draw(st.booleans()) else ax for ax in chosen)
        kwargs["axes"] = axes[0] if len(axes) == 1 and draw(st.booleans()) else axes
        n_axes = len(axes)
    kwargs |= {
        "sigma": draw(_per_axis_or_scalar(sigma, n_axes)),
        "order": draw(_per_axis_or_scalar(order, n_axes)),
        "mode": draw(_per_axis_or_scalar(mode, n_axes)),
        "radius": draw(_per_axis_or_scalar(radius, n_axes)),
    }
    return data, kwargs


@HYPOTHESIS_SETTINGS
@given(case=filter_cases())
def test_gaussian_hypothesis_matches_scipy(case, assert_same_outcome):
    data, kwargs = case
    assert_same_outcome(
        lambda: qnd.gaussian_filter(data, **kwargs),
        lambda: ndi.gaussian_filter(data, **kwargs),
    )


@HYPOTHESIS_SETTINGS
@given(case=filter_cases(one_dimensional=True))
def test_gaussian_filter1d_hypothesis_matches_scipy(case, assert_same_outcome):
    data, kwargs = case
    assert_same_outcome(
        lambda: qnd.gaussian_filter1d(data, **kwargs),
        lambda: ndi.gaussian_filter1d(data, **kwargs),
    )


def test_gaussian_kernel_refuses_asymmetric_weights_and_scipy_takes_over(assert_same):
    """The compiled pass only sums symmetric or antisymmetric kernels (scipy's DBL_EPSILON test);
    any other kernel is left to scipy's correlate1d, with the same result."""
    from qbi_fast import _core
    from qbi_fast.ndimage._correlate import checked_pass, run_passes

    x = random_array((6, 9), "float64", seed=5)
    out = np.full_like(x, 7.0)
    weights = np.array([0.2, 0.5, 0.3])
    assert not _core.correlate1d_symmetric(x, out, 1, weights, 2, 0.0, 1)
    assert np.all(out == 7.0)  # refused before writing anything
    assert _core.correlate1d_symmetric(x, out, 1, np.array([0.25, 0.5, 0.25]), 2, 0.0, 1)
    result = run_passes(x, np.empty_like(x), [checked_pass(1, weights, "nearest", 0.0, out)], 1)
    assert_same(result, ndi.correlate1d(x, weights, 1, mode="nearest"))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("dtype", "output"), [(np.float32, None), (np.uint8, None),
                                               (np.int16, np.float64), (np.float64, np.int32)])
@pytest.mark.parametrize("axes", [None, (2, 0), (1,)], ids=str)
def test_core_only_equals_the_whole_result_cut(mode, dtype, output, axes):
    """gaussian_filter_core (used for dask chunks) skips the halo of axes already filtered;
    its result is the whole call's, cut to the core, byte for byte."""
    from qbi_fast.ndimage._gaussian import gaussian_filter_core

    x = (np.random.default_rng(7).random((11, 14, 9)) * 200).astype(dtype)
    core = (slice(2, 9), slice(0, 5), slice(4, 9))
    kwargs = {"sigma": (1.5, 0.7, 1.0)[:len(axes)] if axes else 1.2, "output": output,
              "mode": mode, "cval": 3.0, "axes": axes, "truncate": 3.0}
    expected = qnd.gaussian_filter(x, **kwargs)[core]
    result = gaussian_filter_core(x, core, **kwargs)
    assert result.dtype == expected.dtype
    np.testing.assert_array_equal(result, expected)


# The kernel's sub-range: outputs for line positions first .. first + count - 1 only, as the
# slice of the whole line's result (dask chunks and blocks filter only their core along each
# axis). Windows that reach an end of the line load the whole line; windows inside it load only
# the rows they read, which the interior ranges below exercise.
SUB_RANGE_SHAPE = (30, 21, 40)
SUB_RANGE_WEIGHTS = {
    "even": np.array([0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0.05]),
    "odd": np.array([-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3]),
    "radius 0": np.array([1.5]),
}


def _sub_range_cases(n, radius):
    """(first, count) pairs: the whole line, its ends, ranges just inside and just touching the
    window's reach of either end, and single positions."""
    pairs = {(0, n), (0, 1), (n - 1, 1), (radius, n - 2 * radius), (radius + 1, 3),
             (n // 2, 1), (radius - 1, 4), (n - radius - 4, 5), (n - radius - 3, 3), (2, n - 2)}
    return sorted((f, c) for f, c in pairs if f >= 0 and c >= 1 and f + c <= n)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "uint8", "int16"])
@pytest.mark.parametrize("weights", SUB_RANGE_WEIGHTS, ids=str)
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_kernel_sub_range_is_the_slice_of_the_whole_line(mode, dtype, weights, axis):
    from qbi_fast import _core
    from qbi_fast._validate import mode_code

    x = random_array(SUB_RANGE_SHAPE, dtype, seed=41)
    w = SUB_RANGE_WEIGHTS[weights]
    radius = len(w) // 2
    whole = ndi.correlate1d(x, w, axis, mode=mode, cval=2.5)
    n = x.shape[axis]
    for first, count in _sub_range_cases(n, radius):
        along = (slice(None),) * axis + (slice(first, first + count),)
        for workers in (1, 2):
            out = garbage_like(whole[along].shape, dtype)
            assert _core.correlate1d_symmetric(x, out, axis, w, mode_code(mode), 2.5, workers,
                                               first)
            np.testing.assert_array_equal(out, whole[along], err_msg=f"{first=} {count=}")
        # In place: the output is the input's own slice; nothing outside it is written.
        y = x.copy()
        assert _core.correlate1d_symmetric(y, y[along], axis, w, mode_code(mode), 2.5, 2, first)
        np.testing.assert_array_equal(y[along], whole[along], err_msg=f"in place {first=}")
        outside = np.ones(x.shape, bool)
        outside[along] = False
        np.testing.assert_array_equal(y[outside], x[outside])


@HYPOTHESIS_SETTINGS
@given(data=st.data())
def test_kernel_sub_range_hypothesis(data):
    from qbi_fast import _core
    from qbi_fast._validate import mode_code

    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=24))
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    radius = data.draw(st.integers(0, 6))
    half = data.draw(st.lists(st.floats(0.01, 1.0), min_size=radius, max_size=radius))
    sign = data.draw(st.sampled_from([1.0, -1.0]))
    centre = 0.0 if sign < 0 else 0.4
    w = np.array([*half, centre, *(sign * v for v in reversed(half))])
    mode = data.draw(st.sampled_from(MODES))
    dtype = data.draw(st.sampled_from(["float32", "float64", "uint16"]))
    first = data.draw(st.integers(0, n - 1))
    count = data.draw(st.integers(1, n - first))
    x = random_array(shape, dtype, seed=data.draw(st.integers(0, 99)))
    along = (slice(None),) * axis + (slice(first, first + count),)
    expected = ndi.correlate1d(x, w, axis, mode=mode, cval=-1.0)[along]
    out = garbage_like(expected.shape, dtype)
    assert _core.correlate1d_symmetric(x, out, axis, w, mode_code(mode), -1.0,
                                       data.draw(st.integers(1, 3)), first)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(("first", "length"), [(-1, 5), (3, 8), (0, 11)])
def test_kernel_sub_range_outside_the_line_is_refused(first, length):
    from qbi_fast import _core

    x = np.zeros((4, 10))
    out = np.full((4, length), 7.0)
    with pytest.raises(ValueError, match="first"):
        _core.correlate1d_symmetric(x, out, 1, np.array([0.25, 0.5, 0.25]), 2, 0.0, 1, first)
    assert np.all(out == 7.0)


@pytest.mark.parametrize("mode", MODES)
def test_core_inside_the_array_equals_the_whole_result_cut(mode):
    """A core whose windows stay inside the array along every axis: each pass loads only the
    rows its core reads."""
    from qbi_fast.ndimage._gaussian import gaussian_filter_core

    x = random_array((30, 26, 28), "float32", seed=8)
    core = (slice(9, 20), slice(8, 18), slice(7, 21))
    kwargs = {"sigma": (1.1, 1.6, 0.9), "mode": mode, "cval": 1.5}
    expected = qnd.gaussian_filter(x, **kwargs)[core]
    np.testing.assert_array_equal(gaussian_filter_core(x, core, **kwargs), expected)
