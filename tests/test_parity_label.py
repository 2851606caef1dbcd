"""Bit-for-bit parity of qbi_fast.ndimage.label, find_objects and sum_labels with scipy.ndimage,
and of qbi_fast.ndimage.label_sizes with ``np.bincount``.

Every label image is compared with scipy's byte for byte (dtype, shape and raw bytes, so scipy's
numbering too), every number of features by value and type, and every misuse with scipy's
exception class and message (and warnings). Covered:

* label: random volumes of densities 0.05 to 0.95 in 1-d to 4-d, with size-1 axes and odd
  shapes, under every connectivity of ``generate_binary_structure(ndim, k)`` and random
  symmetric structures (whose centre element must not matter); inputs of bool, 8- to 64-bit
  integers and floats (nonzero is foreground: negative values, 2**63 and above, NaN,
  infinities and subnormals are foreground, 0.0 and -0.0 background), C- and F-ordered,
  strided, transposed and reversed views, lists; 0-d and empty inputs;
* label's output: None, every integer dtype, float32 and bool (which qbi_fast hands to scipy),
  arrays of those (the return value is then just the number of features; F-ordered and strided
  arrays too), dtypes and arrays too small for the number of features (scipy's RuntimeError,
  exactly at the limits of int8, uint8, int16 and uint16), the input array itself (in place);
* label's misuse: complex input, structures of the wrong rank, of sides other than 3, not
  symmetric, output arrays of the wrong shape, bad ``workers``;
* find_objects on label images from label() and on hand-made ones with gaps in the label
  numbers, negative values and ``max_label`` below, at and above the largest label, in every
  integer dtype; float, bool, big-endian and 0-d input (which go to scipy);
* label_sizes against ``np.bincount`` (``max_label`` shorter and longer, negative labels not
  counted); sum_labels against scipy;
* results independent of ``workers=`` (components crossing the slabs' borders included);
* hypothesis property tests over shapes, densities, structures, dtypes, outputs and workers.

Differences from scipy checked without calling scipy:

* an integer output array that is read-only: scipy writes into it regardless (a bug: the array
  may be mapped read-only); qbi_fast raises ``ValueError('output array is read-only.')`` -- the
  message scipy's filters give -- and leaves it alone.

Regression cases kept from bugs found while writing this file: a merge of provisional labels
lost when another run of the same row re-linked a run's set between two earlier-row sweeps, and
find_objects accepting a non-integral ``max_label``.
"""

from __future__ import annotations

import gc
import itertools
import subprocess
import sys

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import qbi_fast.ndimage as qnd
from qbi_fast._testing import KERNEL_DTYPES as INPUT_DTYPES
from qbi_fast._testing import hypothesis_settings

INT_DTYPES = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]
GARBAGE = 0xA5  # output arrays start filled with this byte, to catch elements left unwritten

def shape_id(shape) -> str:
    return "x".join(map(str, shape)) if shape else "0d"


def random_mask(shape, p, seed) -> np.ndarray:
    return np.random.default_rng(seed).random(shape) < p


def blobs(shape, sigma, seed) -> np.ndarray:
    """A few large objects: smoothed noise, thresholded."""
    noise = np.random.default_rng(seed).standard_normal(shape)
    return ndi.gaussian_filter(noise, sigma, mode="wrap") > 0.0


def with_values(mask: np.ndarray, dtype, seed=0) -> np.ndarray:
    """``mask`` as ``dtype`` data: foreground samples hold assorted nonzero values (negative
    ones, the extremes, NaN, infinities, subnormals), background ones zeros (-0.0 among them)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return mask.copy()
    rng = np.random.default_rng(seed)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        pool = [1, 2, 255 % (info.max + 1) or 1, info.max, info.max - 1]
        if dtype.kind == "i":
            pool += [-1, -2, info.min, info.min + 1]
        if dtype == np.uint64:
            pool += [2**63, 2**63 + 1]
        fg = rng.choice(np.array(pool, dtype=dtype), size=mask.shape)
        full = rng.integers(info.min, info.max, size=mask.shape, dtype=dtype, endpoint=True)
        fg = np.where((rng.random(mask.shape) < 0.5) & (full != 0), full, fg)
        return np.where(mask, fg, dtype.type(0)).astype(dtype)
    info = np.finfo(dtype)
    pool = np.array([np.nan, -np.nan, np.inf, -np.inf, 1.0, -1.0, 0.5, info.max, -info.max,
                     info.tiny, info.smallest_subnormal, -info.smallest_subnormal], dtype=dtype)
    fg = np.where(rng.random(mask.shape) < 0.5, rng.choice(pool, size=mask.shape),
                  rng.standard_normal(mask.shape).astype(dtype))
    fg[fg == 0] = 1.0
    bg = np.where(rng.random(mask.shape) < 0.5, dtype.type(-0.0), dtype.type(0.0))
    return np.where(mask, fg, bg).astype(dtype)


def symmetric_structure(ndim, p, seed, centre=True) -> np.ndarray:
    s = np.random.default_rng(seed).random((3,) * ndim) < p
    s |= s[(slice(None, None, -1),) * ndim]
    s[(1,) * ndim] = centre
    return s


def garbage_like(shape, dtype, order="C") -> np.ndarray:
    if order == "F":
        return garbage_like(shape[::-1], dtype).T
    out = np.empty(shape, dtype=dtype)
    out.view(np.uint8)[...] = GARBAGE
    return out


def assert_same_labels(assert_same, actual, expected) -> None:
    """``(labels, n)`` pairs: labels bit-identical, n of the same value and type."""
    assert isinstance(actual, tuple)
    assert len(actual) == 2
    assert_same(actual[0], expected[0])
    assert type(actual[1]) is type(expected[1])
    assert actual[1] == expected[1]


def check_label(assert_same, a, structure=None, **kwargs) -> None:
    expected = ndi.label(a, structure)
    assert_same_labels(assert_same, qnd.label(a, structure, **kwargs), expected)


def check_label_outcome(assert_same_outcome, a, structure=None, output=None, **kwargs) -> None:
    """scipy's labels or exception (and warnings) for ``label(a, structure, output)``, and its
    number of features when it returns."""
    numbers = []

    def call(module, **kw):
        labels, n = module.label(a, structure, output, **kw)
        numbers.append(n)
        return labels

    assert_same_outcome(lambda: call(qnd, **kwargs), lambda: call(ndi))
    if len(numbers) == 2:
        assert type(numbers[0]) is type(numbers[1])
        assert numbers[0] == numbers[1]


def same_boxes(actual, expected) -> None:
    """find_objects' results: equal lists of tuples of slices (with int bounds) or None."""
    assert type(actual) is list
    assert actual == expected
    for box_a, box_e in zip(actual, expected, strict=True):
        if box_e is not None:
            assert type(box_a) is tuple
            for sa, se in zip(box_a, box_e, strict=True):
                assert (type(sa.start), type(sa.stop)) == (type(se.start), type(se.stop))


def check_find_objects(labels, max_label=0, **kwargs) -> None:
    """scipy's boxes, or its exception (class and message)."""
    outcomes = []
    for call in (lambda: qnd.find_objects(labels, max_label, **kwargs),
                 lambda: ndi.find_objects(labels, max_label)):
        try:
            outcomes.append((call(), None))
        except Exception as exc:  # noqa: BLE001 -- any exception is part of the outcome
            outcomes.append((None, exc))
    (actual, actual_error), (expected, expected_error) = outcomes
    if expected_error is not None:
        assert type(actual_error) is type(expected_error), (actual_error, expected_error)
        assert str(actual_error) == str(expected_error)
    else:
        assert actual_error is None, actual_error
        same_boxes(actual, expected)


# --------------------------------------------------------------------------------------------
# label: shapes x connectivities x densities

LABEL_SHAPES = [
    (1,),
    (2,),
    (7,),
    (1000,),
    (1, 1),
    (1, 9),
    (9, 1),
    (13, 17),
    (64, 65),
    (1, 1, 1),
    (3, 1, 40),
    (1, 7, 1),
    (9, 10, 11),
    (17, 19, 23),
    (1, 2, 1, 3),
    (2, 3, 4, 5),
    (5, 6, 7, 8),
]
DENSITIES = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95]


def _grid_cases():
    for shape in LABEL_SHAPES:
        for k in range(1, len(shape) + 1):
            for p in DENSITIES:
                yield pytest.param(shape, k, p, id=f"{shape_id(shape)}-k{k}-p{p}")


@pytest.mark.parametrize(("shape", "k", "p"), list(_grid_cases()))
def test_label_matches_scipy_shapes_connectivities_densities(shape, k, p, assert_same):
    a = random_mask(shape, p, seed=sum(shape) * 100 + k * 10 + int(p * 20))
    structure = ndi.generate_binary_structure(len(shape), k)
    check_label(assert_same, a, structure)
    if k == 1:
        check_label(assert_same, a)  # the default structure


@pytest.mark.parametrize("ndim", [1, 2, 3, 4])
def test_label_random_symmetric_structures(ndim, assert_same):
    """Random symmetric structures; the centre element does not change the result."""
    shape = {1: (200,), 2: (30, 41), 3: (11, 12, 13), 4: (5, 6, 7, 8)}[ndim]
    for seed in range(12):
        s = symmetric_structure(ndim, p=[0.2, 0.4, 0.7][seed % 3], seed=seed)
        for p in (0.15, 0.5, 0.85):
            a = random_mask(shape, p, seed=1000 * ndim + 10 * seed + int(p * 10))
            expected = ndi.label(a, s)
            assert_same_labels(assert_same, qnd.label(a, s), expected)
            hollow = s.copy()
            hollow[(1,) * ndim] = False
            assert_same_labels(assert_same, ndi.label(a, hollow), expected)  # scipy's own
            assert_same_labels(assert_same, qnd.label(a, hollow), expected)


@pytest.mark.parametrize(
    "structure",
    [
        pytest.param(np.zeros((3, 3, 3), bool), id="all-false"),
        pytest.param(np.eye(3, dtype=int)[:, :, None].repeat(3, axis=2), id="diagonal-planes"),
        pytest.param(np.array([[[0, 0, 0], [1, 1, 1], [0, 0, 0]]] * 3), id="rows-and-lines"),
        pytest.param([[[0, 1, 0]] * 3, [[0, 0, 0], [1, 1, 1], [0, 0, 0]], [[0, 1, 0]] * 3],
                     id="nested-lists"),
        pytest.param(np.ones((3, 3, 3), np.float64) * 0.5, id="float-weights"),
        pytest.param(np.ones((6, 6, 6), bool)[::2, ::2, ::2], id="strided"),
        pytest.param(np.asfortranarray(np.array([[[0, 0, 0], [1, 1, 1], [0, 0, 0]]] * 3, bool)),
                     id="fortran-order"),
        pytest.param(np.ones((3, 3, 3), np.uint8), id="uint8-cube"),
    ],
)
def test_label_structure_forms(structure, assert_same):
    for p in (0.3, 0.6):
        check_label(assert_same, random_mask((10, 11, 12), p, seed=int(p * 10)), structure)


# --------------------------------------------------------------------------------------------
# label: input dtypes and layouts

LAYOUTS = ["C", "F", "strided", "reversed", "transposed", "last-axis-strided", "list"]


def _layout(base: np.ndarray, layout: str):
    if layout == "C":
        return np.ascontiguousarray(base[:13, :17, :19])
    if layout == "F":
        return np.asfortranarray(base[:13, :17, :19])
    if layout == "strided":
        return base[::2, 1::2, ::1]
    if layout == "reversed":
        return base[::-1, :, ::-2]
    if layout == "transposed":
        return base[:13, :17, :19].transpose(2, 0, 1)
    if layout == "last-axis-strided":
        return base[:, :9, ::3]
    return base[:5, :6, :7].tolist()


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", INPUT_DTYPES)
def test_label_input_dtypes_and_layouts(dtype, layout, assert_same):
    for p in (0.25, 0.6):
        mask = random_mask((26, 34, 38), p, seed=int(p * 100))
        a = _layout(with_values(mask, dtype, seed=7), layout)
        before = np.array(a, copy=True)
        for k in (1, 3):
            check_label(assert_same, a, ndi.generate_binary_structure(3, k))
        assert_same(np.asarray(a), before)  # the input is left alone


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_label_float_special_values(dtype, assert_same):
    """NaN, infinities and subnormals are foreground; zeros of both signs background."""
    line = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, -0.0, 1e-45, 0.0, -np.nan, np.nan],
                    dtype=dtype)
    check_label(assert_same, line)
    check_label(assert_same, np.stack([line, line[::-1], np.roll(line, 3)]),
                ndi.generate_binary_structure(2, 2))
    zeros = np.array([[0.0, -0.0], [-0.0, 0.0]], dtype=dtype)
    check_label(assert_same, zeros)


# --------------------------------------------------------------------------------------------
# label: outputs


@pytest.mark.parametrize("output", [*INT_DTYPES, "float32", "bool", np.int32, "i8"])
def test_label_output_dtypes(output, assert_same_outcome):
    for shape, p in [((9, 10, 11), 0.3), ((40, 50), 0.5), ((3,), 1.0), ((4, 4), 0.0)]:
        a = random_mask(shape, p, seed=shape[0])
        for k in (1, len(shape)):
            s = ndi.generate_binary_structure(len(shape), k)
            check_label_outcome(assert_same_outcome, a, s, output)


@pytest.mark.parametrize("order", ["C", "F", "strided", "reversed"])
@pytest.mark.parametrize("dtype", [*INT_DTYPES, "float32", "float64", "bool"])
def test_label_output_arrays(dtype, order, assert_same):
    """An output array is filled in and the return value is just the number of features."""
    a = random_mask((9, 10, 11), 0.05 if dtype == "bool" else 0.35, seed=5)
    if dtype == "bool":
        a[:] = False
        a[2:5, 3:6, 4:9] = True  # one component: bool holds it
    s = ndi.generate_binary_structure(3, 2 if order in ("C", "F") else 3)

    def make():
        if order == "strided":
            return garbage_like((18, 10, 22), dtype)[::2, :, ::2]
        if order == "reversed":
            return garbage_like((9, 10, 11), dtype)[::-1, ::-1]
        return garbage_like((9, 10, 11), dtype, order=order)

    out_q, out_s = make(), make()
    n_q = qnd.label(a, s, out_q)
    n_s = ndi.label(a, s, out_s)
    assert type(n_q) is type(n_s)
    assert n_q == n_s
    assert_same(out_q, out_s)


OUTPUT_LAYOUTS = {
    "F": lambda shape, dtype: garbage_like(shape, dtype, order="F"),
    "axes (1, 2, 0) in memory": lambda shape, dtype: garbage_like(
        (shape[1], shape[2], shape[0]), dtype).transpose(2, 0, 1),
    "reversed axis 0": lambda shape, dtype: garbage_like(shape, dtype)[::-1],
    "reversed last axis": lambda shape, dtype: garbage_like(shape, dtype)[:, :, ::-1],
    "strided last axis": lambda shape, dtype: garbage_like((*shape[:2], 2 * shape[2]),
                                                          dtype)[:, :, ::2],
}


@pytest.mark.parametrize("layout", OUTPUT_LAYOUTS)
@pytest.mark.parametrize("k", [1, 3])
def test_label_numbering_follows_output_layout(layout, k, assert_same):
    """scipy labels along the output's smallest positive stride (numpy's choice of line axis)
    and numbers components in that scan order: a Fortran output is numbered along axis 0."""
    a = random_mask((7, 8, 9), 0.12, seed=3)
    s = ndi.generate_binary_structure(3, k)
    out_q, out_s = (OUTPUT_LAYOUTS[layout](a.shape, np.int32) for _ in range(2))
    assert qnd.label(a, s, out_q) == ndi.label(a, s, out_s) > 10
    assert_same(out_q, out_s)
    in_place_q, in_place_s = (OUTPUT_LAYOUTS[layout](a.shape, np.int64) for _ in range(2))
    for array in (in_place_q, in_place_s):
        array[...] = a
    assert qnd.label(in_place_q, s, in_place_q) == ndi.label(in_place_s, s, in_place_s)
    assert_same(in_place_q, in_place_s)
    if layout != "strided last axis":  # the layouts that scan along another axis
        assert not np.array_equal(out_s, ndi.label(a, s)[0])


UNIT_AXIS_OUTPUTS = {
    "new": lambda shape: None,
    "C": lambda shape: garbage_like(shape, np.int32),
    "F": lambda shape: garbage_like(shape, np.int32, order="F"),
    "reversed axis 0": lambda shape: garbage_like(shape, np.int64)[::-1],
}


@pytest.mark.parametrize("shape", [(30, 41, 1), (1, 30, 41), (30, 1, 41), (1, 1, 50), (1, 1, 1),
                                   (6, 1, 7, 1), (1, 40)], ids=shape_id)
@pytest.mark.parametrize("output", UNIT_AXIS_OUTPUTS)
@pytest.mark.parametrize("full", [False, True])
def test_label_unit_axes(shape, output, full, assert_same):
    """Axes of one sample are left out of the kernel's labelling (along the last axis they made
    every run one sample long): labels, numbering and the output layout's scan order stay
    scipy's."""
    a = random_mask(shape, 0.45, seed=sum(shape))
    s = ndi.generate_binary_structure(len(shape), len(shape) if full else 1)
    out_q, out_s = (UNIT_AXIS_OUTPUTS[output](shape) for _ in range(2))
    got, expected = qnd.label(a, s, out_q), ndi.label(a, s, out_s)
    if out_q is None:
        assert got[1] == expected[1]
        assert_same(got[0], expected[0])
    else:
        assert got == expected
        assert_same(out_q, out_s)


def _comb(teeth: int) -> np.ndarray:
    """One component with ``teeth`` teeth (a provisional label each in any scan), plus isolated
    samples that C and Fortran scans meet in different orders."""
    a = np.zeros((4, 2 * teeth + 3), bool)
    a[0:2, 0:2 * teeth:2] = True
    a[1, :2 * teeth] = True
    a[3, 0] = a[0, -1] = a[3, -2] = True
    return a


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_label_fortran_output_too_small_for_provisional_labels(dtype, assert_same):
    """scipy's Fortran-order scan writes provisional labels into the output; when they overflow
    its dtype, scipy labels again in C order and casts, so the numbering is C order's."""
    limit = np.iinfo(dtype).max
    for teeth, fortran_order in [(limit - 10, True), (limit + 10, False)]:
        a = _comb(teeth)
        out_q, out_s = np.zeros(a.shape, dtype, order="F"), np.zeros(a.shape, dtype, order="F")
        assert qnd.label(a, output=out_q) == ndi.label(a, output=out_s) == 4
        assert_same(out_q, out_s)
        c_order = ndi.label(a)[0].astype(dtype)
        assert np.array_equal(out_s, c_order) is not fortran_order


@pytest.mark.parametrize("dtype", ["int8", "uint8"])
def test_label_fortran_output_provisional_labels_at_the_limit(dtype, assert_same):
    """Around the exact count where scipy's provisional labels no longer fit the dtype (one
    more label than the largest value), teeth by teeth: both numberings occur, and each
    equals scipy's."""
    limit = np.iinfo(dtype).max
    orders = set()
    for teeth in range(limit - 6, limit + 2):
        a = _comb(teeth)
        out_q, out_s = np.zeros(a.shape, dtype, order="F"), np.zeros(a.shape, dtype, order="F")
        assert qnd.label(a, output=out_q) == ndi.label(a, output=out_s)
        assert_same(out_q, out_s)
        orders.add(np.array_equal(out_s, ndi.label(a)[0].astype(dtype)))
    assert orders == {True, False}


def _isolated(n: int, ndim: int) -> np.ndarray:
    """``n`` isolated foreground samples (n components under any connectivity)."""
    if ndim == 1:
        a = np.zeros(2 * n - 1, bool)
        a[::2] = True
        return a
    side = int(np.ceil(np.sqrt(n)))
    a = np.zeros((2 * side, 2 * side), bool)
    a[::2, ::2] = True
    a.reshape(-1)[np.flatnonzero(a)[n:]] = False
    return a


@pytest.mark.parametrize(
    ("dtype", "limit"),
    [("int8", 127), ("uint8", 255), ("int16", 32767), ("uint16", 65535)],
)
@pytest.mark.parametrize("ndim", [1, 2])
def test_label_insufficient_bit_depth(dtype, limit, ndim, assert_same, assert_same_outcome,
                                      assert_same_error):
    """Exactly at the limit the output dtype holds the labels; one more raises scipy's error."""
    s = ndi.generate_binary_structure(ndim, ndim)
    fits = _isolated(limit, ndim)
    check_label_outcome(assert_same_outcome, fits, s, dtype)
    out_q, out_s = np.empty(fits.shape, dtype), np.empty(fits.shape, dtype)
    assert qnd.label(fits, s, out_q) == ndi.label(fits, s, out_s) == limit
    assert_same(out_q, out_s)
    over = _isolated(limit + 1, ndim)
    assert_same_error(lambda: qnd.label(over, s, dtype), lambda: ndi.label(over, s, dtype))
    assert_same_error(lambda: qnd.label(over, s, np.empty(over.shape, dtype)),
                      lambda: ndi.label(over, s, np.empty(over.shape, dtype)))
    with pytest.raises(RuntimeError, match="^insufficient bit-depth in requested output type$"):
        qnd.label(over, s, dtype)


def test_label_bool_and_float_outputs_left_to_scipy(assert_same, assert_same_outcome):
    """Labels past 1 in a bool output: scipy keeps them as True (no bit-depth error)."""
    three = np.array([1, 0, 1, 0, 1])
    check_label_outcome(assert_same_outcome, three, output=bool)
    out_q, out_s = np.zeros(5, bool), np.zeros(5, bool)
    assert qnd.label(three, output=out_q) == ndi.label(three, output=out_s) == 3
    assert_same(out_q, out_s)
    many = _isolated(2**24 // 64 + 1, 2)
    check_label_outcome(assert_same_outcome, many, output=np.float32)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
@pytest.mark.parametrize("layout", ["C", "F", "reversed"])
def test_label_in_place(dtype, layout, assert_same):
    """The input array given as the output: labelled in place, like scipy."""
    base = with_values(random_mask((12, 13, 14), 0.45, seed=9), dtype, seed=9)
    s = ndi.generate_binary_structure(3, 2)
    results = []
    for module in (qnd, ndi):
        a = base.copy(order="F" if layout == "F" else "C")
        if layout == "reversed":
            a = a[::-1, :, ::-1]
        n = module.label(a, s, a)
        results.append((n, a))
    (n_q, a_q), (n_s, a_s) = results
    assert type(n_q) is type(n_s)
    assert n_q == n_s
    assert_same(a_q, a_s)
    view = base[::-1, :, ::-1] if layout == "reversed" else base
    labels, n = ndi.label(view, s)  # scipy in place agrees with scipy out of place
    assert n_s == n
    assert_same(np.ascontiguousarray(a_s), labels.astype(dtype))


def test_label_read_only_output_raises():
    """Documented difference: scipy writes into a read-only integer output array."""
    a = random_mask((6, 7), 0.5, seed=1)
    out = np.zeros(a.shape, np.int32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match=r"^output array is read-only\.$"):
        qnd.label(a, output=out)
    assert not out.any()


@pytest.mark.parametrize(
    "value", [0, 5, -1, 0.0, -0.0, np.nan, np.inf, 1e-320, True, False, np.uint64(2**63)],
    ids=str,
)
def test_label_0d(value, assert_same):
    a = np.array(value)
    check_label(assert_same, a)
    for output in ("int8", "uint64", "float32", "bool"):
        assert_same_labels(assert_same, qnd.label(a, output=output),
                           ndi.label(a, output=output))
    out_q, out_s = np.full((), 7, np.int16), np.full((), 7, np.int16)
    assert qnd.label(a, output=out_q) == ndi.label(a, output=out_s)
    assert_same(out_q, out_s)


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4, 5), (2, 0, 1, 3)], ids=shape_id)
def test_label_empty(shape, assert_same):
    a = np.zeros(shape, np.float32)
    check_label(assert_same, a)
    check_label(assert_same, a, ndi.generate_binary_structure(len(shape), len(shape)))
    assert_same_labels(assert_same, qnd.label(a, output=np.uint8), ndi.label(a, output=np.uint8))
    assert qnd.label(a, output=np.empty(shape, np.int64)) == 0
    asymmetric = np.zeros((3,) * len(shape), bool)
    asymmetric[(0,) * len(shape)] = True
    check_label(assert_same, a, asymmetric)  # scipy returns before checking symmetry


# --------------------------------------------------------------------------------------------
# label: misuse

A2 = random_mask((5, 6), 0.5, seed=2)
ASYMMETRIC = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 0]])
SYMMETRIC = np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]])

LABEL_MISUSE_CASES = [
    ("complex128", lambda m: m.label(A2 + 1j)),
    ("complex64", lambda m: m.label(A2.astype(np.complex64))),
    ("complex-0d", lambda m: m.label(np.array(1j))),
    ("complex-empty", lambda m: m.label(np.zeros((0, 3), complex))),
    ("structure-rank-high", lambda m: m.label(A2, np.ones((3, 3, 3)))),
    ("structure-rank-low", lambda m: m.label(A2, np.ones(3))),
    ("structure-rank-0d-input", lambda m: m.label(np.array(1), np.ones(3))),
    ("structure-side-5", lambda m: m.label(A2, np.ones((3, 5)))),
    ("structure-side-1", lambda m: m.label(A2, np.ones((1, 1)))),
    ("structure-side-2", lambda m: m.label(A2[0], np.ones(2))),
    ("structure-side-0", lambda m: m.label(A2, np.ones((3, 0)))),
    ("asymmetric", lambda m: m.label(A2, ASYMMETRIC)),
    ("asymmetric-single", lambda m: m.label(A2, [[1, 0, 0], [0, 0, 0], [0, 0, 0]])),
    ("asymmetric-1d", lambda m: m.label(A2[0], [0, 1, 1])),
    ("asymmetric-3d", lambda m: m.label(A2[None], np.triu(np.ones((3, 3)))[None].repeat(3, 0))),
    ("asymmetric-uint16", lambda m: m.label(A2.astype(np.uint16), ASYMMETRIC)),
    ("asymmetric-float64", lambda m: m.label(A2.astype(np.float64), ASYMMETRIC)),
    ("asymmetric-all-background", lambda m: m.label(np.zeros((4, 4)), ASYMMETRIC)),
    ("asymmetric-output-int8", lambda m: m.label(A2, ASYMMETRIC, np.int8)),
    ("output-wrong-shape", lambda m: m.label(A2, output=np.zeros((6, 5), np.int32))),
    ("output-wrong-shape-flat", lambda m: m.label(A2, output=np.zeros(30, np.int32))),
    ("output-wrong-shape-0d", lambda m: m.label(np.array(1), output=np.zeros(1, np.int32))),
    ("output-wrong-shape-empty", lambda m: m.label(np.zeros((0, 2)), output=np.zeros((2, 0)))),
    ("output-wrong-shape-and-asymmetric",
     lambda m: m.label(A2, ASYMMETRIC, np.zeros((5, 5), np.int32))),
    ("output-str-unknown", lambda m: m.label(A2, output="foo")),
    ("output-list", lambda m: m.label(A2, output=[0] * 30)),
    ("output-float16", lambda m: m.label(A2, output=np.float16)),
    ("output-complex", lambda m: m.label(A2, output=np.complex128)),
    ("output-big-endian", lambda m: m.label(A2, output=np.dtype(">i4"))),
    ("output-big-endian-array", lambda m: m.label(A2, output=np.zeros(A2.shape, ">u2"))),
    ("input-float16", lambda m: m.label(A2.astype(np.float16), SYMMETRIC)),
    ("input-float16-asymmetric", lambda m: m.label(A2.astype(np.float16), ASYMMETRIC)),
    ("input-big-endian", lambda m: m.label(A2.astype(">i8"), SYMMETRIC)),
    ("input-big-endian-asymmetric", lambda m: m.label(A2.astype(">i8"), ASYMMETRIC)),
    ("input-longdouble", lambda m: m.label(A2.astype(np.longdouble))),
    ("input-object", lambda m: m.label(A2.astype(object))),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=name) for name, c in LABEL_MISUSE_CASES])
def test_label_misuse_like_scipy(call, assert_same_outcome):
    """Misuse raises scipy's exception (class and message), for the dtypes qbi_fast leaves to
    scipy (float16, big-endian, longdouble, object) too."""
    assert_same_outcome(lambda: call(qnd)[0], lambda: call(ndi)[0])


def test_label_errors_named(assert_same_error):
    """The exceptions the brief names, spelled out."""
    with pytest.raises(TypeError, match="^Complex type not supported$"):
        qnd.label(A2 + 1j)
    with pytest.raises(RuntimeError, match="^structure and input must have equal rank$"):
        qnd.label(A2, np.ones((3, 3, 3)))
    with pytest.raises(ValueError, match="^structure dimensions must be equal to 3$"):
        qnd.label(A2, np.ones((3, 5)))
    with pytest.raises(AssertionError, match="^Structuring element is not symmetric$"):
        qnd.label(A2, ASYMMETRIC)
    with pytest.raises(ValueError, match="^output shape not correct$"):
        qnd.label(A2, output=np.zeros((6, 5), np.int32))


@pytest.mark.parametrize(
    ("workers", "error"),
    [(0, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)],
    ids=["0", "1.5", "True", "str"],
)
def test_workers_argument_errors(workers, error):
    labels = ndi.label(A2)[0]
    for call in (lambda: qnd.label(A2, workers=workers),
                 lambda: qnd.find_objects(labels, workers=workers),
                 lambda: qnd.label_sizes(labels, workers=workers)):
        with pytest.raises(error, match="workers"):
            call()


# --------------------------------------------------------------------------------------------
# label: known mismatches


@pytest.mark.parametrize("workers", [1, 2])
def test_label_lost_merge_default_structure(workers, assert_same):
    a = np.array([[[1, 0, 0, 0, 1], [0, 1, 1, 1, 0]], [[1, 0, 0, 1, 1], [1, 1, 0, 1, 0]]])
    assert_same_labels(assert_same, qnd.label(a, workers=workers), ndi.label(a))


def test_label_lost_merge_18_connectivity(assert_same):
    a = np.array([[[1, 0, 1], [0, 0, 0], [0, 1, 0]], [[0, 0, 0], [1, 0, 1], [1, 0, 1]]], bool)
    s = ndi.generate_binary_structure(3, 2)
    assert_same_labels(assert_same, qnd.label(a, s), ndi.label(a, s))


@pytest.mark.parametrize(("k", "p", "seed"), [(1, 0.25, 2), (2, 0.15, 2), (3, 0.1, 4)])
def test_label_lost_merge_random_volumes(k, p, seed, assert_same):
    """Random 23x31x37 volumes (6-, 18- and 26-connectivity) that once lost a merge."""
    a = random_mask((23, 31, 37), p, seed=seed)
    s = ndi.generate_binary_structure(3, k)
    assert_same_labels(assert_same, qnd.label(a, s, workers=1), ndi.label(a, s))


# --------------------------------------------------------------------------------------------
# label: workers


def _worker_volumes():
    # A thread takes at least 2**16 samples, so these are large enough to be cut into slabs
    # (up to 3-5 of them); "thin-blocks-26" gives each slab a single plane of 2x2x2 blocks.
    full3 = ndi.generate_binary_structure(3, 3)
    return {
        "p0.5-26": (random_mask((40, 90, 91), 0.5, seed=11), full3),
        "p0.08-26": (random_mask((41, 90, 91), 0.08, seed=18), full3),
        "thin-blocks-26": (random_mask((7, 200, 201), 0.1, seed=19), full3),
        # unit axes dropped: cut into slabs along the first long axis
        "one-plane-26": (random_mask((1, 400, 401), 0.5, seed=20), full3),
        "unit-last-26": (random_mask((300, 301, 1), 0.4, seed=21), full3),
        "blobs-6": (blobs((40, 90, 91), 3.0, seed=12), ndi.generate_binary_structure(3, 1)),
        "blobs-26": (blobs((41, 90, 91), 2.0, seed=13), full3),
        "blobs-4d": (blobs((9, 20, 30, 31), 1.5, seed=14), ndi.generate_binary_structure(4, 2)),
        "thin-axis0": (blobs((3, 300, 301), 2.0, seed=15), ndi.generate_binary_structure(3, 2)),
        "2d": (blobs((397, 389), 2.5, seed=16), ndi.generate_binary_structure(2, 2)),
        "1d": (random_mask((200001,), 0.6, seed=17), None),
    }


WORKER_VOLUMES = _worker_volumes()


@pytest.mark.parametrize("name", list(WORKER_VOLUMES))
def test_label_workers_do_not_change_results(name, assert_same):
    a, s = WORKER_VOLUMES[name]
    expected = ndi.label(a, s)
    if name.startswith("blobs") and a.ndim == 3:  # components do cross the slabs' borders
        labels = expected[0]
        spans = [box[0].stop - box[0].start for box in ndi.find_objects(labels)]
        assert max(spans) > a.shape[0] // 2
    for workers in (1, 2, 3, 7, -1, None):
        assert_same_labels(assert_same, qnd.label(a, s, workers=workers), expected)
    # and with a narrow output dtype and an output array
    out = garbage_like(a.shape, np.int64)
    assert qnd.label(a, s, out, workers=7) == expected[1]
    assert_same(out, expected[0].astype(np.int64))


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int16", "float32"])
@pytest.mark.parametrize("width", [63, 64, 65, 127, 128, 129, 200])
def test_label_runs_across_bitmap_words(width, dtype, assert_same):
    """Rows that meet only where their runs overlap (as under 6-connectivity) are matched on
    bitmaps of 64 samples a word: runs that cross, start or end at word borders."""
    rng = np.random.default_rng(width)
    for p in (0.3, 0.5, 0.8):
        mask = rng.random((5, 7, width)) < p
        if width > 70:
            mask[:, 1, 60:70] = True  # one run across the first border, others ending at it
            mask[:, 2, 63] = mask[:, 3, 64] = True
            mask[:, 2, 64] = mask[:, 3, 63] = False  # meet diagonally only: not 6-connected
        for a in (mask, mask[0]):
            a = with_values(a, dtype, seed=width)
            for k in range(1, a.ndim):
                check_label(assert_same, a, ndi.generate_binary_structure(a.ndim, k))


@pytest.mark.parametrize("ndim", [1, 2, 3])
def test_label_full_connectivity_every_offset_from_every_parity(ndim, assert_same):
    """A structure of ones is labelled on blocks of 2 samples per axis: two samples at any
    neighbour offset, from either sample of a block along each axis, are one component; two
    samples 2 apart along the same direction are two."""
    s = np.ones((3,) * ndim, bool)
    for offset in itertools.product((-1, 0, 1), repeat=ndim):
        if not any(offset):
            continue
        for parity in itertools.product((0, 1), repeat=ndim):
            start = tuple(2 + p for p in parity)
            for reach, components in ((1, 1), (2, 2)):
                a = np.zeros((7,) * ndim, bool)
                a[start] = True
                a[tuple(c + reach * d for c, d in zip(start, offset, strict=True))] = True
                assert qnd.label(a, s)[1] == components, (offset, parity, reach)
                check_label(assert_same, a, s)


# --------------------------------------------------------------------------------------------
# find_objects


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_find_objects_of_label_images(dtype, assert_same):
    for shape, p, k in [((40, 50), 0.4, 1), ((9, 10, 11), 0.3, 3), ((5, 6, 7, 8), 0.2, 1),
                        ((300,), 0.5, 1), ((1, 8, 1), 0.5, 1)]:
        a = random_mask(shape, p, seed=len(shape) + int(p * 10))
        labels, n = ndi.label(a, ndi.generate_binary_structure(len(shape), k))
        info = np.iinfo(dtype)
        if n > info.max:
            labels = np.where(labels <= info.max, labels, 0)
        labels = labels.astype(dtype)
        expected = ndi.find_objects(labels)
        same_boxes(qnd.find_objects(labels), expected)
        for max_label in (1, 2, n // 2, n, n + 3):
            same_boxes(qnd.find_objects(labels, max_label), ndi.find_objects(labels, max_label))
        same_boxes(qnd.find_objects(np.asfortranarray(labels)), expected)
        flipped = labels[::-1, ...]
        same_boxes(qnd.find_objects(flipped), ndi.find_objects(flipped))


def _hand_made(dtype) -> np.ndarray:
    """Labels 1, 3 and 7 (none of 2, 4, 5, 6), spread out; -1 and the type's minimum where
    signed; 0 background."""
    a = np.zeros((6, 7, 5), dtype)
    a[1, 2:4, 1] = 3
    a[4, 0, 0] = 1
    a[0, 6, 4] = 1  # label 1's box spans the whole array
    a[2:6, 5, 2:4] = 7
    a[3, 3, 3] = 3
    if np.dtype(dtype).kind == "i":
        a[5, 6, 4] = -1
        a[0, 0, 0] = np.iinfo(dtype).min
        a[2, 1, 1] = -7
    return a


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_find_objects_hand_made(dtype):
    a = _hand_made(dtype)
    for max_label in (0, -3, 1, 2, 3, 6, 7, 8, 20, np.int64(5), np.uint8(7)):
        same_boxes(qnd.find_objects(a, max_label), ndi.find_objects(a, max_label))
    for view in (a[::-1], a[:, ::2], a.transpose(2, 1, 0), a[1], a[:, 3, 2]):
        same_boxes(qnd.find_objects(view), ndi.find_objects(view))
        same_boxes(qnd.find_objects(view, 9), ndi.find_objects(view, 9))
    same_boxes(qnd.find_objects(a[2:2], 9), ndi.find_objects(a[2:2], 9))  # empty
    if np.dtype(dtype).kind == "i":
        negative = -np.abs(a.astype(np.int64)).astype(dtype)
        same_boxes(qnd.find_objects(negative), ndi.find_objects(negative))
        same_boxes(qnd.find_objects(negative, 4), ndi.find_objects(negative, 4))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_find_objects_runs_the_kernel(dtype, monkeypatch):
    """Integer label images, max_label given or not, are boxed by the compiled kernel (in
    parallel), not handed to scipy: results would be the same, the time not."""
    a = _hand_made(dtype)
    expected = {max_label: ndi.find_objects(a, max_label) for max_label in (0, 3, 20)}

    def refuse(*args, **kwargs):
        msg = "handed to scipy"
        raise AssertionError(msg)

    monkeypatch.setattr(qnd._measurements.ndi, "find_objects", refuse)
    for max_label, boxes in expected.items():
        same_boxes(qnd.find_objects(a, max_label), boxes)


def test_find_objects_leaves_garbage_collection_as_it_was():
    """The collector is paused while the slices are made, and left as the caller had it."""
    labels = _hand_made("int32")
    assert gc.isenabled()
    same_boxes(qnd.find_objects(labels), ndi.find_objects(labels))
    assert gc.isenabled()
    gc.disable()
    try:
        same_boxes(qnd.find_objects(labels), ndi.find_objects(labels))
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param(_hand_made("int32").astype(np.float32), id="float32"),
        pytest.param(_hand_made("int64").astype(np.float64) + 0.25, id="float64-fractional"),
        pytest.param(_hand_made("int16") != 0, id="bool"),
        pytest.param(_hand_made("int32").astype(">i4"), id="big-endian"),
        pytest.param(_hand_made("uint16").tolist(), id="list"),
        pytest.param(np.array(3), id="0d"),
        pytest.param(np.array(0, np.uint8), id="0d-zero"),
        pytest.param(np.zeros((0, 3), np.int32), id="empty"),
        pytest.param(np.full((2, 3), -4, np.int8), id="all-negative"),
    ],
)
def test_find_objects_left_to_scipy(labels):
    """(With max_label 0 scipy raises on float and bool input: it passes input.max() on.)"""
    for max_label in (0, 3, 9):
        check_find_objects(labels, max_label)


def test_find_objects_errors(assert_same_error):
    labels = _hand_made("int32")
    assert_same_error(lambda: qnd.find_objects(labels + 1j), lambda: ndi.find_objects(labels + 1j))
    assert_same_error(lambda: qnd.find_objects(np.zeros((0, 3), np.int32)),
                      lambda: ndi.find_objects(np.zeros((0, 3), np.int32)))


def test_find_objects_float_max_label(assert_same_error):
    labels = ndi.label(A2)[0]
    assert_same_error(lambda: qnd.find_objects(labels, 2.5),
                      lambda: ndi.find_objects(labels, 2.5))


@pytest.mark.parametrize("name", ["p0.5-26", "blobs-6", "blobs-4d"])
def test_find_objects_workers(name):
    labels = ndi.label(*WORKER_VOLUMES[name])[0]
    expected = ndi.find_objects(labels)
    for workers in (1, 2, 3, 7):
        same_boxes(qnd.find_objects(labels, workers=workers), expected)


# --------------------------------------------------------------------------------------------
# label_sizes and sum_labels


def bincount_sizes(labels, max_label=None) -> np.ndarray:
    flat = np.asarray(labels).reshape(-1)
    if max_label is None:
        max_label = int(flat.max()) if flat.size else 0
    max_label = max(int(max_label), 0)
    kept = flat[(flat >= 0) & (flat <= max_label)].astype(np.int64)
    return np.bincount(kept, minlength=max_label + 1).astype(np.int64)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_label_sizes_match_bincount(dtype, assert_same):
    a = random_mask((17, 19, 23), 0.4, seed=21)
    labels = ndi.label(a)[0]
    labels = np.where(labels <= np.iinfo(dtype).max, labels, 0).astype(dtype)
    top = int(labels.max())
    assert_same(qnd.label_sizes(labels), np.bincount(labels.reshape(-1)).astype(np.int64))
    for max_label in (0, 1, top // 2, top - 1, top, top + 1, top + 10, -2):
        assert_same(qnd.label_sizes(labels, max_label), bincount_sizes(labels, max_label))
    for view in (labels[::-1, :, ::2], np.asfortranarray(labels), labels.transpose(1, 2, 0)):
        assert_same(qnd.label_sizes(view), bincount_sizes(view))
        assert_same(qnd.label_sizes(view, top + 2), bincount_sizes(view, top + 2))


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "int64"])
def test_label_sizes_ignore_negative_labels(dtype, assert_same):
    rng = np.random.default_rng(22)
    info = np.iinfo(dtype)
    labels = rng.integers(max(info.min, -40), 40, size=(30, 31)).astype(dtype)
    labels[0, 0] = info.min
    assert_same(qnd.label_sizes(labels), bincount_sizes(labels))
    assert_same(qnd.label_sizes(labels, 10), bincount_sizes(labels, 10))
    assert_same(qnd.label_sizes(labels, 60), bincount_sizes(labels, 60))
    negative = np.where(labels >= 0, -labels - 1, labels).astype(dtype)
    assert_same(qnd.label_sizes(negative), np.zeros(1, np.int64))
    assert_same(qnd.label_sizes(negative, 3), np.zeros(4, np.int64))


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param(np.array(4, np.int32), id="0d"),
        pytest.param(np.array(-4, np.int32), id="0d-negative"),
        pytest.param(np.zeros((0, 5), np.int16), id="empty"),
        pytest.param(np.array([0, 0, 0], np.uint8), id="all-background"),
        pytest.param(np.arange(24, dtype=">i4").reshape(2, 3, 4) % 5, id="big-endian"),
        pytest.param(np.array([2**63, 1, 3], np.uint64), id="uint64-huge-label"),
    ],
)
def test_label_sizes_edge_cases(labels, assert_same):
    for max_label in (None, 0, 2, 6):
        if max_label is None and labels.dtype == np.uint64:
            continue  # 2**63 + 1 counts: no bincount reference
        assert_same(qnd.label_sizes(labels, max_label), bincount_sizes(labels, max_label))


def test_label_sizes_rejects_non_integers():
    for labels in (np.zeros(3), np.zeros(3, bool), np.zeros(3, complex)):
        with pytest.raises(TypeError, match="^labels must be an integer array$"):
            qnd.label_sizes(labels)


@pytest.mark.parametrize("name", ["p0.5-26", "blobs-4d", "1d"])
def test_label_sizes_workers(name, assert_same):
    labels = ndi.label(*WORKER_VOLUMES[name])[0]
    expected = bincount_sizes(labels)
    for workers in (1, 2, 3, 7):
        assert_same(qnd.label_sizes(labels, workers=workers), expected)
        assert_same(qnd.label_sizes(labels, 5, workers=workers), bincount_sizes(labels, 5))


def _sum_labels_cases():
    rng = np.random.default_rng(23)
    labels = ndi.label(rng.random((20, 21)) < 0.5)[0]
    values = rng.standard_normal((20, 21))
    ints = rng.integers(-50, 50, size=(20, 21)).astype(np.int16)
    return [
        ("no-labels", values, None, None),
        ("labels-no-index", values, labels, None),
        ("index-scalar", values, labels, 3),
        ("index-list", values, labels, [1, 2, 5, 999, 0]),
        ("index-array", values, labels, np.arange(int(labels.max()) + 2)),
        ("int-values", ints, labels, np.arange(1, 9)),
        ("bool-values", values > 0, labels, [1, 2, 3]),
        ("broadcast-labels", values, labels[:1], [1, 2]),
        ("float32-nan", np.where(values > 1, np.nan, values).astype(np.float32), labels, [1, 4]),
        ("label-image-as-values", labels, labels, np.arange(1, 6)),
    ]


@pytest.mark.parametrize(
    ("values", "labels", "index"),
    [pytest.param(v, lab, i, id=name) for name, v, lab, i in _sum_labels_cases()],
)
def test_sum_labels_matches_scipy(values, labels, index, assert_same):
    actual = qnd.sum_labels(values, labels, index)
    expected = ndi.sum_labels(values, labels, index)
    assert type(actual) is type(expected)
    assert_same(np.asarray(actual), np.asarray(expected))


def test_sum_labels_takes_workers():
    """workers= as every function takes it (checked; scipy's sum runs on one thread)."""
    values, labels = np.arange(6.0), np.array([0, 1, 1, 2, 2, 2])
    expected = ndi.sum_labels(values, labels, [1, 2])
    np.testing.assert_array_equal(qnd.sum_labels(values, labels, [1, 2], workers=1), expected)
    with pytest.raises(ValueError, match="workers"):
        qnd.sum_labels(values, labels, workers=0)


def test_sum_labels_misuse(assert_same_error):
    values = np.ones((3, 4))
    assert_same_error(lambda: qnd.sum_labels(values, np.ones((2, 2), int)),
                      lambda: ndi.sum_labels(values, np.ones((2, 2), int)))


# --------------------------------------------------------------------------------------------
# hypothesis properties

HYPOTHESIS_SETTINGS = hypothesis_settings(max_examples=200)


@st.composite
def label_cases(draw):
    """(input, structure, output, workers) for a label call."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=9))
    ndim = len(shape)
    p = draw(st.one_of(st.sampled_from([0.0, 0.05, 0.5, 0.95, 1.0]), st.floats(0.0, 1.0)))
    mask = random_mask(shape, p, seed=draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from(INPUT_DTYPES))
    data = with_values(mask, dtype, seed=draw(st.integers(0, 2**16)))
    kind = draw(st.sampled_from(["none", "standard", "random"]))
    if kind == "none":
        structure = None
    elif kind == "standard":
        structure = ndi.generate_binary_structure(ndim, draw(st.integers(1, ndim)))
    else:
        structure = draw(hnp.arrays(bool, (3,) * ndim))
        structure |= structure[(slice(None, None, -1),) * ndim]
        structure[(1,) * ndim] = draw(st.booleans())
    output = draw(st.one_of(st.none(), st.sampled_from(INT_DTYPES).map(np.dtype)))
    workers = draw(st.integers(1, 8))
    return data, structure, output, workers


@HYPOTHESIS_SETTINGS
@given(case=label_cases())
def test_label_hypothesis_matches_scipy(case, assert_same_outcome):
    data, structure, output, workers = case
    check_label_outcome(assert_same_outcome, data, structure, output, workers=workers)


@st.composite
def label_images(draw):
    dtype = np.dtype(draw(st.sampled_from(INT_DTYPES)))
    low = -3 if dtype.kind == "i" else 0
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=7))
    return draw(hnp.arrays(dtype, shape, elements=st.integers(low, 12)))


@HYPOTHESIS_SETTINGS
@given(labels=label_images(), max_label=st.integers(-1, 15), workers=st.integers(1, 8))
def test_find_objects_and_label_sizes_hypothesis(labels, max_label, workers, assert_same):
    same_boxes(qnd.find_objects(labels, max_label, workers=workers),
               ndi.find_objects(labels, max_label))
    assert_same(qnd.label_sizes(labels, max_label, workers=workers),
                bincount_sizes(labels, max_label))


SPARSE_LABEL_SCRIPT = """
import resource
import numpy as np
import qbi_fast.ndimage as qnd

x = np.zeros((4, 2048, 4096), np.uint8)  # 33.5 million samples, two objects
x[1, 5, 7:9] = x[3, 2047, 4095] = 1
out = np.empty(x.shape, np.int32)
for structure in (None, np.ones((3, 3, 3))):
    qnd.label(x, structure, out, workers=1)  # first calls: libraries and threads are loaded
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize"))
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (size + 64 * 2**20, hard))
    print(qnd.label(x, structure, out, workers=1), out[1, 5, 8], out[3, 2047, 4095])
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_label_of_sparse_volume_needs_little_scratch_memory(tmp_path):
    """Scratch memory follows the objects, not the volume: a sparse 33.5-million-sample volume
    labels within 64 MiB more address space (room for every possible run, 8 bytes a sample,
    could not be allocated for big volumes where memory is not overcommitted)."""
    script = tmp_path / "sparse.py"
    script.write_text(SPARSE_LABEL_SCRIPT)
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.stdout.split() == ["2", "1", "2"] * 2, done.stdout + done.stderr[-2000:]
