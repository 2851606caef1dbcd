"""Input in non-native byte order (data read from big-endian files) is copied into native order
and filtered by the kernels, not handed to scipy (which would be 5-50x slower): the results,
dtypes included, must still be scipy's. Outputs in non-native byte order still go to scipy.

Each kernel case runs with every scipy.ndimage function it could fall back to replaced by one
that fails, so a case that reached scipy would fail rather than pass unnoticed.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from qbi_fast import ndimage as qnd
from qbi_fast._testing import hypothesis_settings

pytestmark = pytest.mark.skipif(sys.byteorder != "little",
                                reason="big-endian data is native on this machine")

FALLBACKS = [
    "gaussian_filter", "gaussian_filter1d", "median_filter", "rank_filter",
    "percentile_filter", "minimum_filter", "maximum_filter", "minimum_filter1d",
    "maximum_filter1d", "grey_erosion", "grey_dilation", "grey_opening", "grey_closing",
    "find_objects",
]

FOOTPRINT = np.array([[1, 0, 1], [1, 1, 0]], bool)

FILTERS = {
    "gaussian": lambda m, x: m.gaussian_filter(x, 1.3),
    "gaussian-order-1-mode-wrap": lambda m, x: m.gaussian_filter(x, [1.0, 2.0], order=[0, 1],
                                                                 mode="wrap"),
    "gaussian-float64-output": lambda m, x: m.gaussian_filter(x, 1.3, output=np.float64),
    "gaussian1d": lambda m, x: m.gaussian_filter1d(x, 1.5, axis=0, mode="constant", cval=3),
    "median": lambda m, x: m.median_filter(x, 3),
    "rank-footprint": lambda m, x: m.rank_filter(x, 1, footprint=FOOTPRINT, mode="mirror"),
    "percentile": lambda m, x: m.percentile_filter(x, 30, size=(3, 4)),
    "minimum": lambda m, x: m.minimum_filter(x, (2, 3)),
    "maximum-footprint": lambda m, x: m.maximum_filter(x, footprint=FOOTPRINT),
    "minimum1d": lambda m, x: m.minimum_filter1d(x, 4, axis=0),
    "maximum1d": lambda m, x: m.maximum_filter1d(x, 3, mode="nearest"),
    "grey_erosion": lambda m, x: m.grey_erosion(x, (3, 2)),
    "grey_dilation": lambda m, x: m.grey_dilation(x, footprint=FOOTPRINT),
    "grey_opening": lambda m, x: m.grey_opening(x, 3),
    "grey_closing": lambda m, x: m.grey_closing(x, (2, 2)),
}

DTYPES = [">f4", ">f8", ">i2", ">u2", ">i4", ">u4", ">i8", ">u8"]


def big_endian(shape, dtype, seed) -> np.ndarray:
    """Seeded values in ``dtype`` (big-endian): no NaN and no negative zeros, which would send
    minimum and maximum filters to scipy whatever the byte order."""
    rng = np.random.default_rng(seed)
    native = np.dtype(dtype).newbyteorder("=")
    if native.kind == "f":
        values = rng.normal(0, 100, size=shape).astype(native)
    else:
        info = np.iinfo(native)
        values = rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape,
                              endpoint=True).astype(native)
    array = values.astype(dtype)
    assert not array.dtype.isnative
    return array


@pytest.fixture
def scipy_refused(monkeypatch):
    """Every scipy.ndimage fallback of the functions tested here fails when called."""
    def refuse(*args, **kwargs):
        msg = "handed to scipy"
        raise AssertionError(msg)

    def apply():
        for name in FALLBACKS:
            monkeypatch.setattr(ndi, name, refuse)
    return apply


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", FILTERS)
def test_big_endian_input_runs_the_kernels(assert_same, scipy_refused, case, dtype):
    x = big_endian((9, 11), dtype, seed=len(case))
    expected = FILTERS[case](ndi, x)
    scipy_refused()
    assert_same(FILTERS[case](qnd, x), expected)
    assert not x.dtype.isnative  # the caller's array is left as it was


@pytest.mark.parametrize("shape", [(7,), (1, 6), (5, 1, 4), (0, 3)])
@pytest.mark.parametrize("case", ["gaussian", "median", "minimum1d", "grey_opening"])
def test_big_endian_input_shapes(assert_same, scipy_refused, case, shape):
    # (scipy refuses 1-d big-endian floats in rank filters: see the next test)
    x = big_endian(shape, ">i2" if case == "median" else ">f4", seed=3)
    call = {
        "gaussian": lambda m: m.gaussian_filter(x, 1.1),
        "median": lambda m: m.median_filter(x, 3),
        "minimum1d": lambda m: m.minimum_filter1d(x, 3),
        "grey_opening": lambda m: m.grey_opening(x, 2),
    }[case]
    expected = call(ndi)
    scipy_refused()
    assert_same(call(qnd), expected)


@pytest.mark.parametrize("dtype", [">f4", ">f8"])
@pytest.mark.parametrize("call", [
    lambda m, x: m.median_filter(x, 3),
    lambda m, x: m.rank_filter(x, 1, footprint=[1, 0, 1, 1]),
    lambda m, x: m.percentile_filter(x, 40, 4, mode="wrap"),
])
def test_big_endian_1d_floats_in_rank_filters_raise_as_in_scipy(assert_same_error, call, dtype):
    """scipy's 1-d rank filter takes native float32 and float64 only ("Unsupported array
    type"); the n-d one takes them in either byte order."""
    x = big_endian((9,), dtype, seed=4)
    assert_same_error(lambda: call(qnd, x), lambda: call(ndi, x))


@pytest.mark.parametrize("dtype", [">i2", ">u4", ">i8"])
def test_big_endian_labels_are_measured_by_the_kernels(scipy_refused, dtype):
    labels = (big_endian((8, 10), dtype, seed=5) % 7).astype(dtype)
    expected_boxes = ndi.find_objects(labels)
    expected_sizes = np.bincount(labels.ravel().astype(np.int64), minlength=7)[:7]
    scipy_refused()
    assert qnd.find_objects(labels) == expected_boxes
    np.testing.assert_array_equal(qnd.label_sizes(labels, 6), expected_sizes)


@pytest.mark.parametrize("output", [">f4", np.dtype(">f8"), "in place"])
def test_big_endian_outputs_are_scipys(assert_same, output):
    """A big-endian output (array, dtype or the input itself) still goes to scipy, which writes
    it; the results are scipy's."""
    x, y = big_endian((6, 8), ">f4", seed=9), big_endian((6, 8), ">f4", seed=9)
    if output == "in place":
        assert_same(qnd.gaussian_filter(x, 1.2, output=x), ndi.gaussian_filter(y, 1.2, output=y))
        assert_same(x, y)
    else:
        assert_same(qnd.median_filter(x, 3, output=output), ndi.median_filter(y, 3, output=output))


def test_label_refuses_big_endian_input_as_scipy_does(assert_same_error):
    x = (big_endian((5, 6), ">i4", seed=2) % 2).astype(">i4")
    assert_same_error(lambda: qnd.label(x), lambda: ndi.label(x))


@st.composite
def swapped_arrays(draw):
    """Arrays of 1 to 3 dims (unit and empty axes included) in a big-endian kernel dtype, with
    any values but NaN (which sends minimum and maximum filters to scipy)."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=7))
    elements = hnp.from_dtype(dtype.newbyteorder("="), allow_nan=False)
    return draw(hnp.arrays(dtype, shape, elements=elements))


PROPERTY_CASES = {
    "gaussian": lambda m, x, mode: m.gaussian_filter(x, 0.9, mode=mode),
    "gaussian1d-order-1": lambda m, x, mode: m.gaussian_filter1d(x, 1.2, order=1, mode=mode),
    "median-2": lambda m, x, mode: m.median_filter(x, 2, mode=mode),
    "maximum-3": lambda m, x, mode: m.maximum_filter(x, 3, mode=mode),
    "minimum1d-2": lambda m, x, mode: m.minimum_filter1d(x, 2, axis=0, mode=mode),
}


@hypothesis_settings(max_examples=150)
@given(x=swapped_arrays(), case=st.sampled_from(sorted(PROPERTY_CASES)),
       mode=st.sampled_from(["reflect", "constant", "nearest", "mirror", "wrap"]))
def test_big_endian_input_property(assert_same, assert_same_outcome, x, case, mode):
    """Any big-endian input gives scipy's outcome: its result, or its exception (scipy's 1-d
    rank filter refuses big-endian floats)."""
    call = PROPERTY_CASES[case]
    assert_same_outcome(lambda: call(qnd, x, mode), lambda: call(ndi, x, mode))
