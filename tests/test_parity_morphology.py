"""Bit-for-bit parity of qbi_fast.ndimage's morphology with scipy.ndimage: binary_erosion,
binary_dilation, binary_opening, binary_closing, minimum_filter, maximum_filter,
minimum_filter1d, maximum_filter1d, grey_erosion, grey_dilation, grey_opening, grey_closing, and
rank_filter's extreme ranks (routed to the minimum / maximum filters); ``ball`` against
scikit-image's.

Every result is compared with scipy's byte for byte (dtype, shape and raw bytes), and every misuse
with scipy's exception class and message (and warnings). Covered:

* binary: structures (cross, 26-cube, balls of radius 1 to 8, 2-d disks, an anisotropic
  ellipsoid, boxes of odd and even sides, random symmetric and asymmetric ones, a centre that is
  false, an all-false one), iterations 1, 2, 3, 0 and -1 (until nothing changes), masks, both
  border values, origins (negative ones, even sides), shapes from (1,) to 4-d with size-1 axes,
  bool / uint8 / float32 / int64 input (nonzero and NaN count as true), output arrays of bool and
  uint8, in place, axes, brute_force;
* grey and minimum / maximum: every supported dtype under all eight modes with cval 0, -5.5 and
  300; sizes (scalar, per axis, 1, even), footprints (random, hollow, asymmetric), structures
  (integer-valued and not) for grey morphology; origins, axes, a mode per axis on the separable
  path, outputs of another dtype, in place, 1-d input, the 1-d filters over sizes, axes and
  origins; NaN and signed zeros (which qbi_fast hands to scipy);
* results independent of ``workers=``;
* hypothesis property tests over volumes, structures, iterations, border values and masks
  (binary), and over dtypes, windows, structures, modes, cval, origins, axes and outputs (grey).

scipy calls that are never made, because scipy misbehaves there:

* binary morphology with ``iterations != 1`` and ``brute_force=False``: scipy's iterative path
  (``binary_erosion2``, which tracks changed pixels through a coordinate list) corrupts memory
  when the structure is larger than the array. Its result does not depend on ``brute_force``, so
  the reference is always scipy with ``brute_force=True`` there; qbi_fast is called with both.
* binary morphology with an origin that puts the structure's centre at a negative index:
  scipy's centre lookup ``structure[origin + n // 2]`` wraps around instead of raising, and its
  C kernel then reads outside the structure (a crash, or a garbage result). qbi_fast raises a
  ValueError there; that is checked without calling scipy. The same happens with unsorted
  ``axes`` and per-axis origins: scipy puts the structure's axes in sorted order but the
  origins on the axes in the order given, so an origin can land on an axis where it points
  outside the structure; such calls are not made either.
"""

from __future__ import annotations

import operator
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import qbi_fast.ndimage as qnd
from qbi_fast._testing import FILTER_MODES as MODES
from qbi_fast._testing import (
    KERNEL_DTYPES,
    SHORT_LAST_AXIS_LAYOUTS,
    hypothesis_settings,
    random_array,
    short_last_axis_array,
)

GREY_DTYPES = [d for d in KERNEL_DTYPES if d != "bool"]
CVALS = [0, -5.5, 300]
BINARY_OPS = ["binary_erosion", "binary_dilation", "binary_opening", "binary_closing"]
FILTER_OPS = ["minimum_filter", "maximum_filter"]
GREY_OPS = ["grey_erosion", "grey_dilation", "grey_opening", "grey_closing"]
MINMAX_OPS = FILTER_OPS + GREY_OPS
GARBAGE = 0xA5  # qbi outputs start filled with this byte, to catch elements left unwritten


def shape_id(shape) -> str:
    return "x".join(map(str, shape)) if shape else "0d"


def garbage_like(shape, dtype) -> np.ndarray:
    out = np.empty(shape, dtype=dtype)
    out.view(np.uint8)[...] = GARBAGE
    return out


def blobs(shape, density=0.5, seed=0, sigma=1.2) -> np.ndarray:
    """A seeded bool volume of smooth blobs (so that erosions keep something), about ``density``
    of it true."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(shape)
    smooth = ndi.gaussian_filter(noise, sigma, mode="wrap") if noise.size > 1 else noise
    return smooth > np.quantile(smooth, 1.0 - density)


def ellipsoid(weights, radius2) -> np.ndarray:
    """{d : sum w_i d_i^2 <= radius2} in its bounding box."""
    half = [int(np.floor(np.sqrt(radius2 / w))) for w in weights]
    grid = np.indices([2 * h + 1 for h in half]) - np.array(half).reshape(-1, *[1] * len(half))
    dist2 = sum(w * g**2 for w, g in zip(weights, grid, strict=True))
    return dist2 <= radius2


def disk(radius) -> np.ndarray:
    return ellipsoid((1, 1), radius * radius)


# --------------------------------------------------------------------------------------------
# binary morphology: the scipy reference


def binary_reference(op, a, **kwargs):
    """scipy's ``op(a, **kwargs)``, run with ``brute_force=True`` whenever ``iterations != 1``:
    scipy's iterative path for brute_force=False (binary_erosion2) corrupts memory when the
    structure is larger than the array, and the result does not depend on brute_force."""
    try:
        several = operator.index(kwargs.get("iterations", 1)) != 1
    except TypeError:  # scipy raises on it before any kernel
        several = False
    if several:
        kwargs = dict(kwargs, brute_force=True)
    return getattr(ndi, op)(a, **kwargs)


def check_binary(assert_same_outcome, op, a, **kwargs) -> None:
    """qbi_fast's outcome equals scipy's, for both values of brute_force."""
    for brute_force in (False, True):
        assert_same_outcome(
            lambda bf=brute_force: getattr(qnd, op)(a, brute_force=bf, **kwargs),
            lambda: binary_reference(op, a, **kwargs),
        )


def _random_structure(shape, p, seed, symmetric=False, centre=True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    s = rng.random(shape) < p
    if symmetric:
        s |= s[(slice(None, None, -1),) * s.ndim]
    s[tuple(n // 2 for n in shape)] = centre
    return s


def _binary_structures():
    """name -> (structure, data shape)."""
    random_sym = _random_structure((5, 5, 5), 0.3, seed=1, symmetric=True)
    random_asym = _random_structure((3, 4, 2), 0.5, seed=2)
    no_centre = _random_structure((3, 3, 3), 0.5, seed=3, centre=False)
    hollow = np.ones((3, 3, 3), bool)
    hollow[1, 1, 1] = False
    structures = {
        "cross": (ndi.generate_binary_structure(3, 1), (14, 15, 16)),
        "cube26": (ndi.generate_binary_structure(3, 3), (14, 15, 16)),
        "ellipsoid-2-1-1-r9": (ellipsoid((2, 1, 1), 9), (12, 13, 14)),
        "ellipsoid-1-1-3-r12": (ellipsoid((1, 1, 3), 12), (12, 13, 14)),
        "box-2x3x4": (np.ones((2, 3, 4), bool), (13, 14, 15)),
        "box-2x2x2": (np.ones((2, 2, 2), bool), (13, 14, 15)),
        "box-4x4x4": (np.ones((4, 4, 4), bool), (13, 14, 15)),
        "box-1x1x5": (np.ones((1, 1, 5), bool), (13, 14, 15)),
        "box-1x1x1": (np.ones((1, 1, 1), bool), (5, 6, 7)),
        "random-symmetric-5": (random_sym, (12, 13, 14)),
        "random-asymmetric-3x4x2": (random_asym, (12, 13, 14)),
        "centre-false-3": (no_centre, (12, 13, 14)),
        "hollow-cube": (hollow, (12, 13, 14)),
        "all-false-3": (np.zeros((3, 3, 3), bool), (6, 7, 8)),
    }
    for r in range(1, 9):  # larger balls on smaller volumes (scipy's cost is the volume's)
        shape = (14, 15, 16) if r <= 2 else (11, 12, 13) if r <= 4 else (7, 9, 10)
        structures[f"ball-r{r}"] = (qnd.ball(r), shape)
    for r in range(1, 6):
        structures[f"disk-r{r}"] = (disk(r), (23, 29))
    structures["box-4x4"] = (np.ones((4, 4), bool), (23, 29))
    structures["box-2x3"] = (np.ones((2, 3), bool), (23, 29))
    structures["random-asymmetric-4x5"] = (_random_structure((4, 5), 0.5, seed=4), (23, 29))
    return structures


BINARY_STRUCTURES = _binary_structures()


# --------------------------------------------------------------------------------------------
# binary morphology: structures x iterations x border values


@pytest.mark.parametrize("name", list(BINARY_STRUCTURES))
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_structures_iterations_borders(op, name, assert_same):
    structure, shape = BINARY_STRUCTURES[name]
    big = structure.size > 400
    a = blobs(shape, density=0.6, seed=structure.size)
    before = a.copy()
    for iterations in (1, -1) if big else (1, 2, 0):
        for border_value in (0, 1):
            kwargs = {"structure": structure, "iterations": iterations,
                      "border_value": border_value}
            expected = binary_reference(op, a, **kwargs)
            for brute_force in (False, True):
                actual = getattr(qnd, op)(a, brute_force=brute_force, **kwargs)
                assert_same(actual, expected)
    assert_same(a, before)  # the input is left alone


# Data whose last axis is short (the channels of an image): the kernels run on the axes in
# another order, with a long axis last.
SHORT_LAST_AXIS = {
    "channels-last": lambda: blobs((20, 31, 3), density=0.6, seed=3),
    "short-rows-2d": lambda: blobs((40, 5), density=0.6, seed=4),
    "narrow-view": lambda: blobs((9, 30, 40), density=0.5, seed=5)[:, :, 3:10],
    "strided-narrow-view": lambda: blobs((9, 60, 20), density=0.5, seed=6)[:, ::2, ::5],
}


@pytest.mark.parametrize("layout", list(SHORT_LAST_AXIS))
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_short_last_axis(op, layout, assert_same):
    a = SHORT_LAST_AXIS[layout]()
    rng = np.random.default_rng(7)
    mask = rng.random(a.shape) < 0.8
    asymmetric = _random_structure((3, 2, 3)[-a.ndim:], 0.6, seed=8)
    asymmetric[tuple(n // 2 for n in asymmetric.shape)] = True
    cases = [{}, {"structure": np.ones((3,) * a.ndim, bool), "border_value": 1},
             {"structure": asymmetric, "origin": (1, 0, -1)[-a.ndim:]},
             {"structure": qnd.ball(1) if a.ndim == 3 else disk(1), "iterations": 2},
             {"iterations": 0, "mask": mask}]
    for kwargs in cases:
        if "mask" in kwargs and op not in ("binary_erosion", "binary_dilation"):
            continue
        expected = binary_reference(op, a, **kwargs)
        for workers in (1, 2):
            assert_same(getattr(qnd, op)(a, workers=workers, **kwargs), expected)


def _balls_with_margin():
    """Balls (or an ellipsoid's, a segment's shape) centred in a box with an all-false margin."""
    centre = np.zeros((3, 3, 3), bool)
    centre[1, 1, 1] = True
    padded_ball = np.pad(qnd.ball(2).astype(bool), 1)
    segment = np.zeros((3, 5), bool)
    segment[1, 1:4] = True
    return {"centre-only-3x3x3": centre, "ball-r2-padded": padded_ball,
            "segment-in-3x5": segment, "1d-00100": np.array([0, 0, 1, 0, 0], bool)}


BALLS_WITH_MARGIN = _balls_with_margin()


@pytest.mark.parametrize("name", list(BALLS_WITH_MARGIN))
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_ball_with_margin(op, name, assert_same_outcome):
    structure = BALLS_WITH_MARGIN[name]
    a = blobs((7, 8, 9)[3 - structure.ndim:], density=0.6, seed=6)
    check_binary(assert_same_outcome, op, a, structure=structure)


def test_binary_ball_with_margin_minimal(assert_same_outcome):
    """The centre alone of a 3x3x3 box: once taken for a ball whose box the kernel refused."""
    s = np.zeros((3, 3, 3), bool)
    s[1, 1, 1] = True
    a = np.ones((4, 5, 6), bool)
    check_binary(assert_same_outcome, "binary_erosion", a, structure=s)


@pytest.mark.parametrize("iterations", [1, 2, 3, 0, -1])
@pytest.mark.parametrize("name", ["cross", "cube26", "ball-r2", "box-2x3x4",
                                  "random-asymmetric-3x4x2", "centre-false-3", "disk-r2"])
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_iterations_masks(op, name, iterations, assert_same):
    structure, shape = BINARY_STRUCTURES[name]
    a = blobs(shape, density=0.5, seed=7)
    masks = [None, np.random.default_rng(8).random(shape) < 0.7, blobs(shape, 0.8, seed=9)]
    for mask in masks:
        for border_value in (0, 1):
            kwargs = {"structure": structure, "iterations": iterations,
                      "border_value": border_value, "mask": mask}
            expected = binary_reference(op, a, **kwargs)
            for brute_force in (False, True):
                actual = getattr(qnd, op)(a, brute_force=brute_force, **kwargs)
                assert_same(actual, expected)


def test_binary_default_structure_and_iterations_to_stability(assert_same_outcome):
    """No structure (the cross of connectivity 1), iterations until nothing changes, on volumes
    that take many passes."""
    for shape in [(40,), (25, 31), (9, 14, 17)]:
        a = blobs(shape, density=0.5, seed=len(shape))
        for op in BINARY_OPS:
            for iterations in (-1, 0, 5, -7):
                check_binary(assert_same_outcome, op, a, iterations=iterations)


# --------------------------------------------------------------------------------------------
# binary morphology: origins

BINARY_ORIGIN_CASES = [
    # structure, origins valid for scipy's erosion and dilation alike
    (np.ones((3, 3, 3), bool), [0, 1, -1, (1, -1, 0), [-1, 0, 1]]),
    (np.ones((2, 3, 4), bool), [0, -1, (0, 1, 1), (-1, -1, -2), [-1, 0, -2]]),
    (np.ones((2, 2, 2), bool), [0, -1, (-1, 0, -1)]),
    (np.ones((4, 4, 4), bool), [-2, -1, 0, 1, (1, -2, 0)]),
    (qnd.ball(2), [1, -2, (2, -1, 0)]),
    (ellipsoid((2, 1, 1), 9), [(1, -3, 2), -1]),
    (_random_structure((3, 4, 2), 0.5, seed=2), [(1, -2, 0), (-1, 1, -1), -1]),
]


@pytest.mark.parametrize(("structure", "origins"), BINARY_ORIGIN_CASES,
                         ids=[shape_id(s.shape) + f"-{i}"
                              for i, (s, _) in enumerate(BINARY_ORIGIN_CASES)])
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_origins(op, structure, origins, assert_same_outcome):
    a = blobs((11, 12, 13), density=0.6, seed=10)
    for origin in origins:
        for iterations in (1, 2):
            for border_value in (0, 1):
                check_binary(assert_same_outcome, op, a, structure=structure, origin=origin,
                             iterations=iterations, border_value=border_value)


@pytest.mark.parametrize(
    ("op", "shape", "origin"),
    [
        ("binary_erosion", (3, 3), 2),
        ("binary_erosion", (3, 3), [0, 2]),
        ("binary_erosion", (2, 2), 1),
        ("binary_erosion", (4, 4), (0, 2)),
        ("binary_dilation", (3, 3), -2),
        ("binary_dilation", (2, 2), -2),
        ("binary_dilation", (4, 4), -3),
        ("binary_dilation", (3, 3), (0, -3)),
        ("binary_opening", (3, 3), 2),
        ("binary_closing", (3, 3), -2),  # closing dilates first
    ],
)
def test_binary_bad_origin_index_error(op, shape, origin, assert_same_error):
    """Origins past the structure's end: scipy's centre lookup raises an IndexError."""
    a = blobs((6, 7), seed=11)
    for iterations in (1, 2):
        assert_same_error(
            lambda it=iterations: getattr(qnd, op)(a, np.ones(shape, bool), origin=origin,
                                                   iterations=it),
            lambda it=iterations: binary_reference(op, a, structure=np.ones(shape, bool),
                                                   origin=origin, iterations=it),
        )


@pytest.mark.parametrize(
    ("op", "shape", "origin"),
    [
        ("binary_erosion", (3, 3), -2),
        ("binary_erosion", (2, 2), -2),
        ("binary_erosion", (4, 4), (0, -3)),
        ("binary_dilation", (3, 3), 2),
        ("binary_dilation", (2, 2), 1),
        ("binary_dilation", (4, 4), 2),
    ],
)
def test_binary_origin_wrapping_in_scipy_raises(op, shape, origin):
    """Origins before the structure's start: scipy's centre lookup wraps around and its kernel
    reads outside the structure (a crash or garbage), so scipy is not called; qbi_fast raises."""
    a = blobs((6, 7), seed=11)
    with pytest.raises(ValueError, match="window"):
        getattr(qnd, op)(a, np.ones(shape, bool), origin=origin)


@pytest.mark.parametrize("width", [31, 32, 33, 47, 64, 65, 100])
@pytest.mark.parametrize("structure", ["ball-r1", "ball-r5", "box-4x4x4", "ellipsoid-1-1-3-r12"])
def test_binary_rows_longer_than_a_vector(structure, width, assert_same_outcome):
    """Balls and boxes are swept along rows 16 or 32 samples at a time, the last vector of a row
    overlapping the one before; rows of lengths around and beyond a vector (and a 2-byte-cell
    ball, radius2 >= 255, where the vector holds 16)."""
    footprint = BINARY_STRUCTURES[structure][0]
    a = blobs((7, 9, width), density=0.7, seed=width)
    check_binary(assert_same_outcome, "binary_erosion", a, structure=footprint)
    check_binary(assert_same_outcome, "binary_dilation", a, structure=footprint, iterations=2)
    big = qnd.ball(16)  # radius2 256: 16-bit cells
    ones = np.ones((5, 6, width), bool)
    ones[2, 3, 5] = False  # erodes the samples within 16 of it, the outside (border 1) none
    check_binary(assert_same_outcome, "binary_erosion", ones, structure=big, border_value=1)


# --------------------------------------------------------------------------------------------
# binary morphology: shapes, dtypes, output, in place, axes

BINARY_SHAPES = [
    ((1,), None),
    ((2,), None),
    ((7,), np.array([1, 1, 0, 1], bool)),
    ((1, 1), None),
    ((1, 9), np.ones((1, 3), bool)),
    ((9, 1), disk(1)),
    ((5, 6), disk(2)),
    ((3, 1, 5), None),
    ((1, 1, 1), qnd.ball(1)),
    ((1, 5, 6), qnd.ball(2)),
    ((2, 2, 2), qnd.ball(3)),
    ((3, 4, 2), np.ones((2, 2, 2), bool)),
    ((7, 1, 9), ellipsoid((2, 1, 1), 9)),
    ((3, 4, 5, 6), None),
    ((3, 4, 5, 6), ndi.generate_binary_structure(4, 4)),
    ((2, 1, 5, 4), ndi.generate_binary_structure(4, 2)),
    ((4, 5, 3, 6), _random_structure((3, 2, 3, 2), 0.5, seed=12)),
]


@pytest.mark.parametrize(
    ("shape", "structure"),
    BINARY_SHAPES,
    ids=[f"{shape_id(s)}-{'default' if f is None else shape_id(f.shape)}-{i}"
         for i, (s, f) in enumerate(BINARY_SHAPES)],
)
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_shapes(op, shape, structure, assert_same_outcome):
    a = blobs(shape, density=0.6, seed=13)
    for iterations in (1, 2, -1):
        for border_value in (0, 1):
            check_binary(assert_same_outcome, op, a, structure=structure, iterations=iterations,
                         border_value=border_value)


def _binary_inputs(shape, dtype, seed):
    """Data of ``dtype`` that is zero where a blob volume is false; nonzero values other than 1,
    negative ones, NaN, and -0.0 (which is zero) among the rest."""
    rng = np.random.default_rng(seed)
    truth = blobs(shape, density=0.6, seed=seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return truth
    if dtype.kind == "f":
        values = np.array([1.0, -2.5, np.nan, 1e-30, np.inf, 0.5], dtype=dtype)
        zeros = np.array([0.0, -0.0], dtype=dtype)
    elif dtype.kind == "u":
        values, zeros = np.array([1, 2, 255], dtype=dtype), np.zeros(2, dtype)
    else:
        info = np.iinfo(dtype)
        values, zeros = np.array([1, -1, info.max, info.min], dtype=dtype), np.zeros(2, dtype)
    return np.where(truth, values[rng.integers(0, values.size, shape)],
                    zeros[rng.integers(0, 2, shape)])


@pytest.mark.parametrize("dtype", ["bool", "uint8", "float32", "int64", "float64", "int8"])
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_input_dtypes(op, dtype, assert_same_outcome):
    """Nonzero (NaN included) is true; -0.0 is false."""
    for shape, structure in [((10, 11, 12), qnd.ball(2)), ((10, 11, 12), None),
                             ((17, 19), np.ones((2, 3), bool))]:
        a = _binary_inputs(shape, dtype, seed=14)
        for iterations in (1, 2):
            check_binary(assert_same_outcome, op, a, structure=structure, iterations=iterations)
        mask = _binary_inputs(shape, dtype, seed=15)  # a mask of the same dtype
        check_binary(assert_same_outcome, op, a, structure=structure, mask=mask)


def test_binary_bool_input_with_bytes_other_than_0_1(assert_same):
    raw = np.random.default_rng(16).integers(0, 256, size=(12, 13), dtype=np.uint8)
    raw[raw < 100] = 0
    a = raw.view(bool)
    for op in BINARY_OPS:
        for structure in (None, disk(2), np.ones((2, 3), bool)):
            expected = binary_reference(op, a, structure=structure)
            assert_same(getattr(qnd, op)(a, structure=structure), expected)


def test_binary_list_and_structure_forms(assert_same_outcome):
    a = [[0, 1, 1, 0, 1], [1, 1, 1, 1, 0], [0, 1, 1, 1, 1], [1, 1, 0, 1, 1]]
    for structure in ([[0, 1, 0], [1, 1, 1], [0, 1, 0]], np.ones((2, 2), np.uint8),
                      np.array([[0.5, 0.0], [2.0, -1.0]]), ((True, True, True),),
                      np.ones((6, 6), bool)[::2, ::3], np.ones((3, 2), bool).T):
        for op in BINARY_OPS:
            check_binary(assert_same_outcome, op, a, structure=structure, iterations=2)
            check_binary(assert_same_outcome, op, a, structure=structure)


@pytest.mark.parametrize("out_dtype", ["bool", "uint8", "int16", "float32", "float64"])
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_output_array(op, out_dtype, assert_same):
    a = blobs((11, 12, 13), density=0.6, seed=17)
    mask = blobs((11, 12, 13), density=0.7, seed=18)
    for structure in (None, qnd.ball(2), np.ones((2, 3, 2), bool)):
        for iterations, m in [(1, None), (2, None), (1, mask), (-1, mask)]:
            kwargs = {"structure": structure, "iterations": iterations, "mask": m}
            expected = binary_reference(op, a, output=np.zeros(a.shape, out_dtype), **kwargs)
            out = garbage_like(a.shape, out_dtype)
            actual = getattr(qnd, op)(a, output=out, **kwargs)
            assert actual is out
            assert_same(actual, expected)


@pytest.mark.parametrize("output", [np.uint8, "float32", np.dtype("int64"), bool, None])
def test_binary_output_dtype_ignored(output, assert_same_outcome):
    """A dtype given for output is ignored by scipy: the result is bool."""
    a = blobs((9, 10), seed=19)
    for op in BINARY_OPS:
        check_binary(assert_same_outcome, op, a, structure=disk(1), output=output)


@pytest.mark.parametrize("dtype", ["bool", "uint8"])
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_in_place(op, dtype, assert_same):
    """output is input: the result of filtering a copy, as in scipy."""
    source = blobs((12, 13, 14), density=0.6, seed=20).astype(dtype)
    for structure in (None, qnd.ball(2), np.ones((3, 2, 4), bool)):
        for iterations in (1, 2, -1):
            a_s, a_q = source.copy(), source.copy()
            expected = binary_reference(op, a_s, structure=structure, iterations=iterations,
                                        output=a_s)
            assert expected is a_s
            actual = getattr(qnd, op)(a_q, structure=structure, iterations=iterations,
                                      output=a_q)
            assert actual is a_q
            assert_same(actual, expected)


def test_binary_strided_views(assert_same):
    base = blobs((20, 26, 30), density=0.6, seed=21)
    views = [base[::2, 1::3, ::-1], base.T, np.asfortranarray(base), base[3],
             np.broadcast_to(base[0], (4, 26, 30))]
    for a in views:
        for op in BINARY_OPS:
            for structure in (None, np.ones((3,) * a.ndim, bool)):
                expected = binary_reference(op, a, structure=structure, iterations=2)
                assert_same(getattr(qnd, op)(a, structure=structure, iterations=2), expected)
        out = garbage_like(a.shape[::-1], bool).T  # a transposed output
        expected = ndi.binary_erosion(a)
        assert_same(qnd.binary_erosion(a, output=out), expected)


BINARY_AXES_CASES = [
    pytest.param(0, None, id="int0-default"),
    pytest.param(-1, np.array([1, 1, 0, 1]), id="int-1-holes"),
    pytest.param((0, 2), None, id="tuple-0-2-default"),
    pytest.param((2, 0), np.ones((2, 3), bool), id="tuple-2-0-box"),
    pytest.param((1, 2), disk(2), id="tuple-1-2-disk"),
    pytest.param((-1, -3), _random_structure((3, 4), 0.5, seed=22), id="negative-random"),
    pytest.param((2, 1, 0), qnd.ball(2), id="all-reversed-ball"),
    pytest.param((1,), [1, 1, 1, 1, 1], id="list-1-box5"),
]


@pytest.mark.parametrize(("axes", "structure"), BINARY_AXES_CASES)
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_axes(op, axes, structure, assert_same_outcome):
    a = blobs((9, 10, 11), density=0.6, seed=23)
    n_axes = len(np.atleast_1d(axes))
    origins = [0, -1]
    if list(np.atleast_1d(axes)) == sorted(np.atleast_1d(axes) % a.ndim):
        # scipy places a structure's axes in sorted order but an origin sequence's entries on
        # the axes in the order given: with unsorted axes, per-axis origins can land on an axis
        # of the structure where they point outside it (scipy then reads outside the structure)
        origins.append([0] * (n_axes - 1) + [1])
    for iterations in (1, 2):
        for origin in origins:
            check_binary(assert_same_outcome, op, a, structure=structure, axes=axes,
                         iterations=iterations, origin=origin)
        mask = blobs(a.shape, 0.7, seed=24)
        check_binary(assert_same_outcome, op, a, structure=structure, axes=axes,
                     iterations=iterations, mask=mask, border_value=1)


@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_degenerate_inputs(op, assert_same_outcome):
    cases = [(np.array(True), None), (np.array(0.0), None), (np.zeros((0, 3), bool), None),
             (np.zeros((3, 0), bool), np.ones((2, 2))), (np.zeros((0,), np.uint8), None)]
    for data, structure in cases:
        for iterations in (1, 2):
            check_binary(assert_same_outcome, op, data, structure=structure,
                         iterations=iterations)


# --------------------------------------------------------------------------------------------
# binary morphology: misuse

B2 = blobs((6, 7), seed=25)
B3 = blobs((5, 6, 7), seed=26)

BINARY_MISUSE_CASES = [
    ("structure-ndim-low", lambda m: m.binary_erosion(B3, np.ones((3, 3)))),
    ("structure-ndim-high", lambda m: m.binary_dilation(B2, np.ones((3, 3, 3)))),
    ("structure-ndim-high-opening", lambda m: m.binary_opening(B2, np.ones((3, 3, 3)))),
    ("structure-empty", lambda m: m.binary_erosion(B2, np.ones((0, 3)))),
    ("structure-empty-dilation", lambda m: m.binary_dilation(B2, np.ones((3, 0)))),
    ("structure-empty-closing", lambda m: m.binary_closing(B3, np.ones((3, 0, 3)))),
    ("structure-vs-axes", lambda m: m.binary_erosion(B3, np.ones((3, 3)), axes=0)),
    ("mask-shape", lambda m: m.binary_erosion(B2, mask=np.ones((7, 6), bool))),
    ("mask-shape-dilation", lambda m: m.binary_dilation(B2, mask=np.ones(42, bool))),
    ("mask-shape-opening", lambda m: m.binary_opening(B3, mask=np.ones((5, 6), bool))),
    ("origin-wrong-length", lambda m: m.binary_erosion(B2, origin=[0, 0, 0])),
    ("origin-wrong-length-dilation", lambda m: m.binary_dilation(B2, origin=[0, 0, 0])),
    ("origin-float", lambda m: m.binary_erosion(B2, origin=0.5)),
    ("iterations-float", lambda m: m.binary_erosion(B2, iterations=1.5)),
    ("iterations-float-integral", lambda m: m.binary_dilation(B2, iterations=2.0)),
    ("iterations-str", lambda m: m.binary_opening(B2, iterations="2")),
    ("iterations-None", lambda m: m.binary_closing(B2, iterations=None)),
    ("iterations-np-int", lambda m: m.binary_erosion(B2, iterations=np.int8(2))),
    ("complex-input", lambda m: m.binary_erosion(B2 + 1j)),
    ("complex-input-dilation", lambda m: m.binary_dilation(B2.astype(np.complex64))),
    ("complex-input-opening", lambda m: m.binary_opening(B2 + 0j)),
    ("complex-output", lambda m: m.binary_erosion(B2, output=np.zeros(B2.shape, complex))),
    ("output-wrong-shape", lambda m: m.binary_erosion(B2, output=np.zeros((7, 6), bool))),
    ("output-list", lambda m: m.binary_erosion(B2, output=[0] * 42)),
    ("axes-duplicate", lambda m: m.binary_erosion(B3, axes=(1, 1))),
    ("axes-out-of-range", lambda m: m.binary_dilation(B3, axes=3)),
    ("axes-float", lambda m: m.binary_erosion(B3, axes=0.5)),
    # scipy's C layer reads border_value as a C int, origins as integers (not bools)
    ("border-float", lambda m: m.binary_erosion(B2, border_value=1.0)),
    ("border-np-float", lambda m: m.binary_dilation(B2, border_value=np.float64(0))),
    ("border-None", lambda m: m.binary_opening(B2, border_value=None)),
    ("border-str", lambda m: m.binary_closing(B2, border_value="1")),
    ("border-too-large", lambda m: m.binary_erosion(B2, border_value=2**31)),
    ("border-too-small", lambda m: m.binary_dilation(B2, border_value=-(2**31) - 1)),
    ("border-largest", lambda m: m.binary_erosion(B2, border_value=2**31 - 1)),
    ("border-bool", lambda m: m.binary_erosion(B2, border_value=True)),
    ("origin-bool", lambda m: m.binary_erosion(B2, origin=True)),
    ("origin-np-bool", lambda m: m.binary_opening(B2, origin=np.True_)),
    ("origin-bool-in-list", lambda m: m.binary_closing(B2, origin=[0, False])),
    ("origin-bool-dilation", lambda m: m.binary_dilation(B2, origin=[True, 0])),
    # dtypes scipy's C layer does not read
    ("input-float16", lambda m: m.binary_erosion(B2.astype(np.float16))),
    ("input-object", lambda m: m.binary_dilation(B2.astype(object))),
    ("input-longdouble", lambda m: m.binary_opening(B2.astype(np.longdouble), iterations=2)),
    ("input-big-endian", lambda m: m.binary_erosion(B2.astype(">f8"), iterations=2)),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=n) for n, c in BINARY_MISUSE_CASES])
def test_binary_misuse_like_scipy(call, assert_same_outcome):
    assert_same_outcome(lambda: call(qnd), lambda: call(ndi))


@pytest.mark.parametrize("brute_force", [False, True])
@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_non_bool_mask_after_the_first_pass(op, brute_force, assert_same):
    """scipy's fast path (brute_force off, structure centre set) reads the mask as int8 after
    the first pass, where 0.5 and 256 become 0; its brute-force path reads it as given."""
    a = _binary_inputs((13, 14), "bool", seed=21)
    for mask in (np.full(a.shape, 0.5), np.where(a, 256, 1).astype(np.int16)):
        for iterations in (2, 3, -1):
            expected = getattr(ndi, op)(a, iterations=iterations, mask=mask, border_value=1,
                                        brute_force=brute_force)
            assert_same(getattr(qnd, op)(a, iterations=iterations, mask=mask, border_value=1,
                                         brute_force=brute_force), expected)
    three = np.zeros(3, bool)
    ones = qnd.binary_dilation(three, iterations=2, mask=[0.5] * 3, border_value=1,
                               brute_force=brute_force)
    assert ones.tolist() == ([True] * 3 if brute_force else [True, False, True])


def test_binary_mask_that_is_the_output():
    """Passes write the output while reading the mask: a mask sharing the output's memory is
    read as it was when the call began (scipy reads what it has written)."""
    a = np.array([1, 1, 1, 1, 0], bool)
    mask = np.array([1, 1, 0, 1, 1], bool)
    for brute_force in (False, True):
        shared = mask.copy()
        qnd.binary_erosion(a, iterations=2, mask=shared, output=shared, brute_force=brute_force)
        expected = ndi.binary_erosion(a, iterations=2, mask=mask.copy(), brute_force=brute_force)
        assert shared.tolist() == expected.tolist() == [False, False, True, False, False]


def test_binary_read_only_output_raises_like_scipy(assert_same_error):
    out = np.zeros(B2.shape, bool)
    out.flags.writeable = False
    for op in ("binary_erosion", "binary_dilation"):
        assert_same_error(lambda o=op: getattr(qnd, o)(B2, output=out),
                          lambda o=op: getattr(ndi, o)(B2, output=out))


# --------------------------------------------------------------------------------------------
# ball


@pytest.mark.parametrize("radius", range(11))
def test_ball_matches_skimage(radius, assert_same):
    morphology = pytest.importorskip("skimage.morphology")
    assert_same(qnd.ball(radius), morphology.ball(radius))


def test_ball_dtype_argument(assert_same):
    morphology = pytest.importorskip("skimage.morphology")
    for dtype in (bool, np.float64, np.int32):
        assert_same(qnd.ball(4, dtype=dtype), morphology.ball(4, dtype=dtype))


# --------------------------------------------------------------------------------------------
# binary morphology: hypothesis

HYPOTHESIS_SETTINGS = hypothesis_settings(max_examples=400)


@st.composite
def binary_cases(draw):
    """(op, data, kwargs) for a binary morphology call."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=10))
    dtype = draw(st.sampled_from(["bool", "bool", "uint8", "float32"]))
    values = {"bool": [False, True], "uint8": [0, 1, 2, 255],
              "float32": [0.0, -0.0, 1.0, np.nan, -0.5]}[dtype]
    data = draw(hnp.arrays(np.dtype(dtype), shape, elements=st.sampled_from(values)))
    ndim = len(shape)
    kwargs = {}
    n_axes = ndim
    if draw(st.booleans()) and ndim > 1:
        axes = tuple(draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))])
        kwargs["axes"] = axes
        n_axes = len(axes)
    kind = draw(st.sampled_from(["random", "random", "ball", "box", "default"]))
    if kind == "random":
        fshape = tuple(draw(st.lists(st.integers(1, 5), min_size=n_axes, max_size=n_axes)))
        structure = draw(hnp.arrays(bool, fshape))
    elif kind == "ball":
        r = draw(st.integers(1, 4))
        structure = ellipsoid([1] * n_axes, r * r)
    elif kind == "box":
        fshape = tuple(draw(st.lists(st.integers(1, 4), min_size=n_axes, max_size=n_axes)))
        structure = np.ones(fshape, bool)
    else:
        structure = None
    kwargs["structure"] = structure
    fshape = structure.shape if structure is not None else (3,) * n_axes
    if draw(st.booleans()):  # origins valid for erosion and dilation alike
        if "axes" in kwargs:
            # scipy puts an origin sequence's entries on the axes in the order given but the
            # structure's axes in sorted order (see test_binary_axes): sorted axes keep the two
            # together, so that no origin points outside the structure
            kwargs["axes"] = tuple(sorted(kwargs["axes"]))
        kwargs["origin"] = [draw(st.integers(-(n // 2), (n - 1) // 2)) for n in fshape]
    kwargs["iterations"] = draw(st.sampled_from([1, 2, 3, 0, -1]))
    kwargs["border_value"] = draw(st.sampled_from([0, 1]))
    if draw(st.booleans()):
        kwargs["mask"] = draw(hnp.arrays(bool, shape))
    op = draw(st.sampled_from(BINARY_OPS))
    return op, data, kwargs


@HYPOTHESIS_SETTINGS
@given(case=binary_cases(), brute_force=st.booleans(), workers=st.sampled_from([1, 2]))
def test_binary_hypothesis_matches_scipy(case, brute_force, workers, assert_same_outcome):
    op, data, kwargs = case
    assert_same_outcome(
        lambda: getattr(qnd, op)(data, brute_force=brute_force, workers=workers, **kwargs),
        lambda: binary_reference(op, data, **kwargs),
    )


# --------------------------------------------------------------------------------------------
# minimum / maximum filters and grey morphology: dtypes x modes x sizes


def run_minmax(module, op, a, **kwargs):
    return getattr(module, op)(a, **kwargs)


def check_minmax(assert_same_outcome, op, a, **kwargs) -> None:
    assert_same_outcome(lambda: run_minmax(qnd, op, a, **kwargs),
                        lambda: run_minmax(ndi, op, a, **kwargs))


def _cvals(mode):
    return CVALS if "constant" in mode else [0]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", GREY_DTYPES)
def test_minmax_dtypes_modes_sizes(dtype, mode, assert_same):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for shape, sizes in [((9, 10, 11), [3, (2, 5, 1), 4, 12]), ((23, 29), [1, (1, 7), 6]),
                             ((31,), [2, 5, 40])]:
            a = random_array(shape, dtype, seed=len(shape) + 30)
            before = a.copy()
            for size in sizes:
                for cval in _cvals(mode):
                    for op in MINMAX_OPS:
                        kwargs = {"size": size, "mode": mode, "cval": cval}
                        expected = run_minmax(ndi, op, a, **kwargs)
                        actual = run_minmax(qnd, op, a, **kwargs)
                        assert_same(actual, expected)
            assert_same(a, before)  # the input is left alone


def _grey_footprints():
    rng = np.random.default_rng(31)
    random_3d = rng.random((3, 4, 3)) < 0.5
    random_3d[1, 2, 1] = True
    shell = np.ones((3, 3, 3), bool)
    shell[1, 1, 1] = False
    ring = np.ones((5, 5), bool)
    ring[1:4, 1:4] = False
    single = np.zeros((2, 3), bool)
    single[1, 0] = True
    return {
        "random-3x4x3": random_3d,
        "shell-3x3x3": shell,
        "ball-r2": qnd.ball(2).astype(bool),
        "ellipsoid-2-1-1": ellipsoid((2, 1, 1), 9),
        "cross-3d": ndi.generate_binary_structure(3, 1),
        "ring-5x5": ring,
        "asymmetric-2x3": np.array([[1, 1, 0], [0, 1, 1]], bool),
        "L-4x2": np.array([[1, 0], [1, 0], [1, 0], [1, 1]], bool),
        "single-2x3": single,
        "disk-r3": disk(3),
        "full-2x4": np.ones((2, 4), bool),  # all true: the separable path
    }


GREY_FOOTPRINTS = _grey_footprints()


@pytest.mark.parametrize("name", list(GREY_FOOTPRINTS))
@pytest.mark.parametrize("dtype", GREY_DTYPES)
def test_minmax_footprints(dtype, name, assert_same):
    footprint = GREY_FOOTPRINTS[name]
    shape = (17, 19) if footprint.ndim == 2 else (9, 10, 11)
    a = random_array(shape, dtype, seed=footprint.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for mode in ("reflect", "constant", "wrap", "grid-constant", "mirror"):
            for cval in _cvals(mode):
                for op in MINMAX_OPS:
                    kwargs = {"footprint": footprint, "mode": mode, "cval": cval}
                    expected = run_minmax(ndi, op, a, **kwargs)
                    assert_same(run_minmax(qnd, op, a, **kwargs), expected)


def _structures():
    rng = np.random.default_rng(32)
    return {
        "ints-3x3x3": rng.integers(-3, 4, (3, 3, 3)).astype(np.float64),
        "ints-2x3x2": rng.integers(0, 6, (2, 3, 2)).astype(np.float64),
        "ints-5x5": rng.integers(-10, 11, (5, 5)).astype(np.float64),
        "zeros-3x3": np.zeros((3, 3)),
        "ints-as-int-array-3x4": rng.integers(-2, 3, (3, 4)),
        "halves-3x3x3": rng.integers(-6, 7, (3, 3, 3)) / 2.0,
        "random-3x3": rng.standard_normal((3, 3)) * 3.0,
        "tenths-2x2": np.array([[0.1, -0.3], [1.7, 0.0]]),
    }


GREY_STRUCTURES = _structures()

# scipy's n-d kernel (CASE_MIN_OR_MAX_POINT in ni_filters.c) computes, for every footprint element
# but the first, ``_tmp = v; _tmp += (T)s`` with ``_tmp`` of the input's type T (s negated for
# erosion): the structure value is cast to T first (truncated) and added in T's own arithmetic
# (exact, wrapping on overflow). The tests below cover fractional structures on integer data,
# int64 data beyond 2**53 and sums that leave the type's range.


@pytest.mark.parametrize("name", list(GREY_STRUCTURES))
@pytest.mark.parametrize("dtype", GREY_DTYPES)
def test_grey_structures(dtype, name, assert_same_outcome):
    """Non-flat structures: erosion takes min(input - s), dilation max(input + s), with scipy's
    casts back to the output dtype; integer-valued and fractional values, on data over each
    dtype's full range (int64 beyond 2**53, sums that wrap)."""
    structure = GREY_STRUCTURES[name]
    shape = (17, 19) if structure.ndim == 2 else (9, 10, 11)
    a = random_array(shape, dtype, seed=structure.size + 1)
    for mode in ("reflect", "constant", "nearest", "grid-wrap"):
        for cval in _cvals(mode):
            for op in GREY_OPS:
                check_minmax(assert_same_outcome, op, a, structure=structure, mode=mode,
                             cval=cval)
            # a footprint with a hole on top of the structure
            footprint = np.ones(structure.shape, bool)
            footprint.flat[:: 3] = False
            footprint.flat[footprint.size // 2] = True
            for op in ("grey_erosion", "grey_dilation"):
                check_minmax(assert_same_outcome, op, a, structure=structure,
                             footprint=footprint, mode=mode, cval=cval)


def _small_values(dtype, seed=33):
    return np.random.default_rng(seed).integers(0, 20, (12, 13, 14)).astype(dtype)


@pytest.mark.parametrize("dtype", GREY_DTYPES)
def test_grey_structure_small_values(dtype, assert_same):
    """Integer-valued structures on values in a small range, where the structure's offsets
    decide the result (the random data above is dominated by its full-range values)."""
    a = _small_values(dtype)
    for name in ("ints-3x3x3", "ints-2x3x2", "ints-5x5"):
        structure = GREY_STRUCTURES[name]
        axes = (1, 2) if structure.ndim == 2 else None
        for op in GREY_OPS:
            for mode in ("reflect", "constant"):
                kwargs = {"structure": structure, "mode": mode, "cval": 3, "axes": axes}
                expected = run_minmax(ndi, op, a, **kwargs)
                assert_same(run_minmax(qnd, op, a, **kwargs), expected)


@pytest.mark.parametrize("dtype", GREY_DTYPES)
def test_grey_fractional_structure_small_values(dtype, assert_same):
    """Structure values that are not integers (on integer data scipy truncates them before the
    addition)."""
    a = _small_values(dtype, seed=34)
    for name in ("halves-3x3x3", "tenths-2x2"):
        structure = GREY_STRUCTURES[name]
        axes = (0, 2) if structure.ndim == 2 else None
        for op in GREY_OPS:
            for mode in ("reflect", "constant"):
                kwargs = {"structure": structure, "mode": mode, "cval": 3, "axes": axes}
                expected = run_minmax(ndi, op, a, **kwargs)
                assert_same(run_minmax(qnd, op, a, **kwargs), expected)


def test_grey_fractional_structure_minimal(assert_same):
    """scipy truncates s before the addition: [3 3 3], not [2 2 2]."""
    a = np.array([3, 3, 3], np.uint8)
    assert_same(qnd.grey_erosion(a, structure=[0, 0.5, 0]),
                ndi.grey_erosion(a, structure=[0, 0.5, 0]))


def test_grey_structure_int64_beyond_2_53(assert_same):
    """scipy adds in int64 (exact): 2**53 + 2, not the double sum 2**53."""
    a = np.full(3, 2**53 + 1, np.int64)
    assert_same(qnd.grey_dilation(a, structure=[0.0, 1.0, 0.0]),
                ndi.grey_dilation(a, structure=[0.0, 1.0, 0.0]))


@pytest.mark.parametrize("op", GREY_OPS)
def test_grey_structure_int64_beyond_2_53_volume(op, assert_same):
    a = np.random.default_rng(35).integers(2**55, 2**58, (9, 10, 11))
    structure = GREY_STRUCTURES["ints-3x3x3"]
    assert_same(run_minmax(qnd, op, a, structure=structure),
                run_minmax(ndi, op, a, structure=structure))


def test_grey_structure_int32_overflow(assert_same):
    """scipy wraps in int32: -2**31 + 1 - 5 is 2**31 - 4, the erosion's minimum -2**31 + 1."""
    a = np.full(3, -(2**31) + 1, np.int32)
    assert_same(qnd.grey_erosion(a, structure=[0.0, 5.0, 0.0]),
                ndi.grey_erosion(a, structure=[0.0, 5.0, 0.0]))


def test_grey_structure_large_values(assert_same):
    """Large integer-valued structure values on float data and on int64 data, both within
    2**45 and over int64's full range (beyond 2**53, sums that wrap)."""
    rng = np.random.default_rng(35)
    structure = rng.integers(-(2**40), 2**40, (3, 3)).astype(np.float64)
    for dtype, high in (("float64", 2**45), ("float32", 2**45), ("int64", 2**45),
                        ("int64", 2**63 - 1)):
        a = rng.integers(-high, high, (15, 16), dtype=np.int64, endpoint=True).astype(dtype)
        for op in GREY_OPS:
            for mode in ("reflect", "constant"):
                kwargs = {"structure": structure, "mode": mode, "cval": -5.5}
                expected = run_minmax(ndi, op, a, **kwargs)
                assert_same(run_minmax(qnd, op, a, **kwargs), expected)


# --------------------------------------------------------------------------------------------
# minimum / maximum: origins, axes, modes per axis

MINMAX_ORIGIN_CASES = [
    ({"size": 3}, [0, 1, -1, (1, -1, 0)]),
    ({"size": (2, 4, 5)}, [0, -1, (0, 1, 2), (-1, -2, -2), (-1, 0, 1)]),
    ({"size": 4}, [-2, 1, (1, -2, 0)]),
    ({"footprint": GREY_FOOTPRINTS["random-3x4x3"]}, [0, -1, 1, (1, -2, 0), (-1, 1, 1)]),
    ({"footprint": GREY_FOOTPRINTS["ball-r2"]}, [2, -2, (2, 0, -1)]),
    ({"footprint": np.ones((2, 4, 2), bool)}, [-1, (0, 1, -1)]),
    ({"structure": GREY_STRUCTURES["ints-2x3x2"]}, [-1, (0, 1, -1), (-1, -1, 0)]),
    ({"structure": GREY_STRUCTURES["ints-3x3x3"]}, [1, (-1, 0, 1)]),
]


@pytest.mark.parametrize(("window", "origins"), MINMAX_ORIGIN_CASES,
                         ids=[f"{next(iter(w))}-{i}" for i, (w, _) in
                              enumerate(MINMAX_ORIGIN_CASES)])
@pytest.mark.parametrize("dtype", ["uint8", "int32", "float64"])
def test_minmax_origins(dtype, window, origins, assert_same_outcome):
    a = random_array((9, 10, 11), dtype, seed=34)
    ops = GREY_OPS if "structure" in window else MINMAX_OPS
    for origin in origins:
        for mode in ("reflect", "constant", "wrap"):
            for op in ops:
                check_minmax(assert_same_outcome, op, a, mode=mode, cval=-1, origin=origin,
                             **window)


MINMAX_AXES_CASES = [
    pytest.param(0, {"size": 4}, id="int0-size"),
    pytest.param(2, {"footprint": [1, 0, 1, 1]}, id="int2-footprint-holes"),
    pytest.param((0, 2), {"size": (3, 4)}, id="tuple-0-2-size"),
    pytest.param((2, 0), {"footprint": GREY_FOOTPRINTS["ring-5x5"]}, id="tuple-2-0-ring"),
    pytest.param((-1, -2), {"footprint": GREY_FOOTPRINTS["asymmetric-2x3"]}, id="neg-asym"),
    pytest.param((1, 2), {"structure": GREY_STRUCTURES["ints-5x5"]}, id="tuple-1-2-structure"),
    pytest.param((2, 1, 0), {"size": (2, 3, 1)}, id="all-reversed-size"),
    pytest.param([1], {"size": [6]}, id="list-1-size"),
]


@pytest.mark.parametrize(("axes", "window"), MINMAX_AXES_CASES)
@pytest.mark.parametrize("dtype", ["uint8", "int16", "float32"])
def test_minmax_axes(dtype, axes, window, assert_same_outcome):
    a = random_array((8, 9, 10), dtype, seed=35)
    ops = GREY_OPS if "structure" in window else MINMAX_OPS
    n_axes = len(np.atleast_1d(axes))
    for op in ops:
        for mode in ("reflect", "constant"):
            for origin in (0, [0] * (n_axes - 1) + [-1]):
                check_minmax(assert_same_outcome, op, a, mode=mode, cval=7, axes=axes,
                             origin=origin, **window)


@pytest.mark.parametrize(
    "op",
    ["minimum_filter", "maximum_filter", "grey_erosion", "grey_opening",
     "grey_closing",  # scipy's grey_erosion raises after its grey_dilation: both raise
     "grey_dilation"],  # scipy's grey_dilation normalises axes=-1 to (2,): a result
)
def test_minmax_scalar_negative_axes(op, assert_same_outcome):
    """A scalar negative axes: scipy normalises it in some call paths and not in others (its
    minimum_filter then raises for a footprint; its grey_dilation does not)."""
    a = random_array((8, 9, 10), "int16", seed=36)
    for window in ({"footprint": [1, 0, 1, 1]}, {"size": 3}, {"footprint": np.ones(3, bool)}):
        check_minmax(assert_same_outcome, op, a, axes=-1, **window)
    if op.startswith("grey"):
        check_minmax(assert_same_outcome, op, a, axes=-2, structure=[1.0, 0.0, 2.0])


@pytest.mark.parametrize(
    "modes",
    [["wrap", "constant", "nearest"], ("mirror", "reflect", "grid-constant"),
     ["grid-wrap", "grid-mirror", "constant"], ["nearest"] * 3],
    ids=lambda m: "-".join(m),
)
@pytest.mark.parametrize("dtype", ["uint8", "int64", "float32"])
def test_minmax_mode_per_axis(dtype, modes, assert_same_outcome):
    """A mode per axis on the separable (size) path."""
    a = random_array((9, 10, 11), dtype, seed=36)
    for op in MINMAX_OPS:
        for size in (3, (2, 5, 4), np.ones((3, 1, 4), bool)):
            window = {"footprint": size} if isinstance(size, np.ndarray) else {"size": size}
            check_minmax(assert_same_outcome, op, a, mode=modes, cval=-5.5, **window)
        check_minmax(assert_same_outcome, op, a, size=3, axes=(0, 2), mode=modes[:2], cval=300)


# --------------------------------------------------------------------------------------------
# minimum / maximum: output dtypes, in place, layouts

OUTPUT_CASES = [
    ("float32", "uint8"),
    ("uint8", "float32"),
    ("int16", "uint8"),
    ("float64", "int32"),
    ("int64", "float64"),
    ("uint16", "int8"),
    ("int32", "float32"),
    ("uint64", "int64"),
    ("float64", "float32"),
]


@pytest.mark.parametrize(("in_dtype", "out_dtype"), OUTPUT_CASES,
                         ids=[f"{i}-to-{o}" for i, o in OUTPUT_CASES])
def test_minmax_output_of_other_dtype(in_dtype, out_dtype, assert_same):
    """Values that every output dtype holds (the separable path writes each pass into the output
    and reads it back)."""
    rng = np.random.default_rng(37)
    a = rng.integers(0, 100, (10, 11, 12)).astype(in_dtype)
    if a.dtype.kind == "f":
        a += 0.25
    for op in MINMAX_OPS:
        for window in ({"size": 3}, {"size": (2, 1, 4)},
                       {"footprint": GREY_FOOTPRINTS["shell-3x3x3"]},
                       {"structure": GREY_STRUCTURES["ints-2x3x2"]}):
            if "structure" in window and op in FILTER_OPS:
                continue
            for mode, cval in (("reflect", 0), ("constant", 5.5)):
                out = garbage_like(a.shape, out_dtype)
                expected = run_minmax(ndi, op, a, output=np.zeros(a.shape, out_dtype),
                                      mode=mode, cval=cval, **window)
                actual = run_minmax(qnd, op, a, output=out, mode=mode, cval=cval, **window)
                assert actual is out
                assert_same(actual, expected)
                assert_same(run_minmax(qnd, op, a, output=out_dtype, mode=mode, cval=cval,
                                       **window), expected)


@pytest.mark.parametrize("out_dtype", GREY_DTYPES)
@pytest.mark.parametrize("in_dtype", ["uint8", "int16", "float32", "float64"])
def test_minmax_output_casts_out_of_range(in_dtype, out_dtype, assert_same):
    """Values the output dtype does not hold: scipy's casts (C casts, x86 semantics)."""
    a = random_array((13, 14), in_dtype, seed=38)
    if a.dtype.kind == "f":
        a = np.clip(a, -1e6, 1e6)  # finite and within every integer type's conversion range
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for op in ("minimum_filter", "grey_dilation"):
            for window in ({"size": 3}, {"footprint": GREY_FOOTPRINTS["ring-5x5"]}):
                expected = run_minmax(ndi, op, a, output=np.zeros(a.shape, out_dtype), **window)
                assert_same(run_minmax(qnd, op, a, output=out_dtype, **window), expected)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "int64", "float32", "float64"])
@pytest.mark.parametrize("op", MINMAX_OPS)
def test_minmax_in_place(op, dtype, assert_same):
    source = random_array((12, 13, 14), dtype, seed=39)
    windows = [{"size": 3}, {"size": (2, 1, 5)}, {"footprint": GREY_FOOTPRINTS["random-3x4x3"]}]
    if op in GREY_OPS:
        windows.append({"structure": GREY_STRUCTURES["ints-3x3x3"]})
    for window in windows:
        a_s, a_q = source.copy(), source.copy()
        expected = run_minmax(ndi, op, a_s, output=a_s, mode="mirror", **window)
        actual = run_minmax(qnd, op, a_q, output=a_q, mode="mirror", **window)
        assert actual is a_q
        assert_same(actual, expected)
    # a view as its own output, and a shifted overlapping output
    base_s, base_q = source[0].copy(), source[0].copy()
    run_minmax(ndi, op, base_s[::2, 1:], output=base_s[::2, 1:], size=3)
    run_minmax(qnd, op, base_q[::2, 1:], output=base_q[::2, 1:], size=3)
    assert_same(base_q, base_s)
    buf = source[:, 0, 0].copy()
    expected = run_minmax(ndi, op, buf[:-1].copy(), size=3)
    out = buf[1:]
    run_minmax(qnd, op, buf[:-1], output=out, size=3)
    assert_same(out, expected)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float64"])
def test_minmax_input_layouts(dtype, assert_same):
    base = random_array((20, 26, 30), dtype, seed=40)
    for a in (base[::2, 1::3, ::-1], base.T, np.asfortranarray(base), base[3],
              np.broadcast_to(base[0], (4, 26, 30))):
        footprint = GREY_FOOTPRINTS["ring-5x5" if a.ndim == 2 else "shell-3x3x3"]
        for op in MINMAX_OPS:
            for window in ({"size": 3}, {"footprint": footprint}):
                expected = run_minmax(ndi, op, a, **window)
                assert_same(run_minmax(qnd, op, a, **window), expected)


# --------------------------------------------------------------------------------------------
# 1-d input and the 1-d filters


@pytest.mark.parametrize("dtype", GREY_DTYPES)
def test_minmax_1d_input(dtype, assert_same_outcome):
    for length in (1, 2, 5, 17):
        a = random_array((length,), dtype, seed=41 + length)
        for mode in MODES:
            for size in (1, 2, 3, 6, 20):
                for origin in {0, -(size // 2), (size - 1) // 2}:
                    for op in MINMAX_OPS:
                        check_minmax(assert_same_outcome, op, a, size=size, mode=mode,
                                     cval=-5.5, origin=origin)
            for op in MINMAX_OPS:
                check_minmax(assert_same_outcome, op, a, footprint=[1, 0, 1, 1], mode=mode)
            for op in GREY_OPS:
                check_minmax(assert_same_outcome, op, a, structure=[1.0, 0.0, -2.0], mode=mode)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", GREY_DTYPES)
def test_minmax_filter1d(dtype, mode, assert_same_outcome):
    a = random_array((7, 8, 19), dtype, seed=42)
    for op in ("minimum_filter1d", "maximum_filter1d"):
        for axis in (0, 1, 2, -1, -3):
            for size in (1, 2, 3, 4, 8, 25):
                for origin in sorted({0, -(size // 2), (size - 1) // 2, 1 if size > 2 else 0}):
                    for cval in _cvals(mode):
                        check_minmax(assert_same_outcome, op, a, size=size, axis=axis,
                                     mode=mode, cval=cval, origin=origin)


@pytest.mark.parametrize("dtype", ["uint8", "int64", "float32"])
def test_minmax_filter1d_output_and_in_place(dtype, assert_same):
    a = random_array((9, 31), dtype, seed=43)
    for op in ("minimum_filter1d", "maximum_filter1d"):
        for out_dtype in ("float64", "int16", dtype):
            out = garbage_like(a.shape, out_dtype)
            src = np.clip(a, 0, 100) if a.dtype.kind != "f" else np.clip(a, -100, 100)
            expected = getattr(ndi, op)(src, 4, 0, output=np.zeros(a.shape, out_dtype))
            assert getattr(qnd, op)(src, 4, 0, output=out) is out
            assert_same(out, expected)
        a_s, a_q = a.copy(), a.copy()
        getattr(ndi, op)(a_s, 5, -1, output=a_s, mode="wrap")
        getattr(qnd, op)(a_q, 5, -1, output=a_q, mode="wrap")
        assert_same(a_q, a_s)
        row = a[3]
        assert_same(getattr(qnd, op)(row, 7), getattr(ndi, op)(row, 7))


def test_minmax_long_lines_and_large_sizes(assert_same):
    """Sizes far over the lines' lengths and long lines (the van Herk / Gil-Werman blocks)."""
    rng = np.random.default_rng(44)
    for dtype in ("uint8", "int32", "float64"):
        a = random_array((5000,), dtype, seed=45)
        for size in (7, 64, 101, 4999, 6000):
            for mode in ("reflect", "constant", "wrap", "nearest"):
                for op in FILTER_OPS:
                    expected = run_minmax(ndi, op, a, size=size, mode=mode, cval=1)
                    assert_same(run_minmax(qnd, op, a, size=size, mode=mode, cval=1, workers=2),
                                expected)
    a = rng.integers(0, 1000, (60, 70, 80)).astype(np.int16)
    for op in MINMAX_OPS:
        expected = run_minmax(ndi, op, a, size=(9, 1, 15))
        assert_same(run_minmax(qnd, op, a, size=(9, 1, 15), workers=2), expected)


# --------------------------------------------------------------------------------------------
# NaN, infinities and signed zeros (left to scipy)

NEGATIVE_NAN = np.copysign(np.nan, -1.0)


def special_floats(shape, dtype, flavour, seed) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = {
        "nan": [np.nan, NEGATIVE_NAN, 1.0, -2.0, 3.5, 0.0],
        "zeros": [0.0, -0.0, 0.0, -0.0, 1.0, -1.0],
        "mixed": [np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -3.0],
        "infs": [np.inf, -np.inf, 1.0, -1.0, 5.0],
        "negative-zeros": [-0.0, 1.0, -1.0],
    }[flavour]
    return np.array(values, dtype=np.float64)[rng.integers(0, len(values), size=shape)].astype(
        dtype
    )


# Regression: a flat footprint on float64 data once went through the structure branch of the
# kernel, where -0.0 + 0.0 gave +0.0.
def test_max_footprint_float64_negative_zeros_minimal(assert_same):
    a = np.array([-0.0, -0.0, -0.0])
    assert_same(qnd.maximum_filter(a, footprint=[1, 0, 1]),
                ndi.maximum_filter(a, footprint=[1, 0, 1]))


def _special_params():
    params = []
    for dtype in ("float32", "float64"):
        for flavour in ("nan", "zeros", "mixed", "infs", "negative-zeros"):
            params.append(pytest.param(dtype, flavour, id=f"{dtype}-{flavour}"))
    return params


@pytest.mark.parametrize(("dtype", "flavour"), _special_params())
def test_minmax_nan_inf_and_signed_zeros(dtype, flavour, assert_same):
    a = special_floats((9, 10, 11), dtype, flavour, seed=len(flavour))
    for mode, cval in [("reflect", 0.0), ("constant", np.nan), ("constant", -0.0),
                       ("constant", 0.0), ("grid-constant", np.inf), ("wrap", 0.0)]:
        for op in MINMAX_OPS:
            for window in ({"size": 3}, {"size": (2, 1, 4)},
                           {"footprint": GREY_FOOTPRINTS["random-3x4x3"]},
                           {"footprint": GREY_FOOTPRINTS["shell-3x3x3"]}):
                expected = run_minmax(ndi, op, a, mode=mode, cval=cval, **window)
                assert_same(run_minmax(qnd, op, a, mode=mode, cval=cval, **window), expected)
            if op in GREY_OPS:
                for structure in (GREY_STRUCTURES["ints-2x3x2"], np.zeros((3, 3, 3)),
                                  GREY_STRUCTURES["halves-3x3x3"]):
                    expected = run_minmax(ndi, op, a, structure=structure, mode=mode, cval=cval)
                    assert_same(run_minmax(qnd, op, a, structure=structure, mode=mode,
                                           cval=cval), expected)
        for op in ("minimum_filter1d", "maximum_filter1d"):
            expected = getattr(ndi, op)(a, 4, 1, mode=mode, cval=cval)
            assert_same(getattr(qnd, op)(a, 4, 1, mode=mode, cval=cval), expected)


def test_minmax_nan_in_cval_only(assert_same):
    """NaN or -0.0 only as the border value (no special values in the data)."""
    a = random_array((11, 12), "float64", seed=46)
    for cval in (np.nan, -0.0, np.inf):
        for mode in ("constant", "grid-constant"):
            for op in MINMAX_OPS:
                for window in ({"size": 3}, {"footprint": GREY_FOOTPRINTS["ring-5x5"]}):
                    expected = run_minmax(ndi, op, a, mode=mode, cval=cval, **window)
                    assert_same(run_minmax(qnd, op, a, mode=mode, cval=cval, **window), expected)


def test_grey_non_finite_structure(assert_same):
    a = random_array((10, 11), "float64", seed=47)
    s = np.array([[0.0, -np.inf, 1.0], [np.inf, 0.0, 2.0], [np.nan, 1.0, 0.0]])
    for op in GREY_OPS:
        expected = run_minmax(ndi, op, a, structure=s)
        assert_same(run_minmax(qnd, op, a, structure=s), expected)


# --------------------------------------------------------------------------------------------
# rank_filter's extreme ranks


@pytest.mark.parametrize("dtype", ["uint8", "int16", "uint64", "float32", "float64"])
def test_rank_filter_extreme_ranks_are_min_max(dtype, assert_same_outcome, assert_same):
    a = random_array((9, 10, 11), dtype, seed=48)
    for window in ({"size": 3}, {"size": (2, 1, 4)},
                   {"footprint": GREY_FOOTPRINTS["random-3x4x3"]}):
        if "size" in window:
            count = int(np.prod(np.broadcast_to(window["size"], (a.ndim,))))
        else:
            count = int(np.count_nonzero(window["footprint"]))
        for rank in (0, -1, count - 1, -count):
            for mode in ("reflect", "constant", ["wrap", "nearest", "constant"]):
                kwargs = dict(window, mode=mode, cval=-5.5)
                assert_same_outcome(lambda r=rank, k=kwargs: qnd.rank_filter(a, r, **k),
                                    lambda r=rank, k=kwargs: ndi.rank_filter(a, r, **k))
        expected = ndi.minimum_filter(a, **window)
        assert_same(qnd.rank_filter(a, 0, **window), expected)
        expected = ndi.maximum_filter(a, **window)
        assert_same(qnd.rank_filter(a, -1, **window), expected)


# --------------------------------------------------------------------------------------------
# minimum / maximum: misuse

A1 = np.linspace(-2.0, 3.0, 9)
A2 = np.arange(30.0).reshape(5, 6)
A3 = np.arange(60, dtype=np.int16).reshape(3, 4, 5)
C2 = A2 + 1j

MINMAX_MISUSE_CASES = [
    ("all-zero-footprint", lambda m: m.minimum_filter(A2, footprint=np.zeros((3, 3)))),
    ("all-zero-footprint-max", lambda m: m.maximum_filter(A3, footprint=np.zeros((2, 2, 2)))),
    ("all-zero-footprint-grey", lambda m: m.grey_erosion(A2, footprint=[[0, 0], [0, 0]])),
    ("all-zero-footprint-dilation", lambda m: m.grey_dilation(A2, footprint=np.zeros((3, 1)))),
    ("all-zero-footprint-opening", lambda m: m.grey_opening(A2, footprint=np.zeros((3, 3)))),
    ("no-size-no-footprint", lambda m: m.minimum_filter(A2)),
    ("no-size-no-footprint-max", lambda m: m.maximum_filter(A1)),
    ("no-window-grey-erosion", lambda m: m.grey_erosion(A2)),
    ("no-window-grey-dilation", lambda m: m.grey_dilation(A2)),
    ("no-window-grey-opening", lambda m: m.grey_opening(A2)),
    ("no-window-grey-closing", lambda m: m.grey_closing(A2)),
    ("size-and-footprint", lambda m: m.minimum_filter(A2, 3, np.ones((2, 2)))),
    ("size-and-footprint-grey-opening", lambda m: m.grey_opening(A2, 3, [[1, 0], [1, 1]])),
    ("size-and-footprint-grey-closing", lambda m: m.grey_closing(A2, (2, 3), np.ones((2, 2)))),
    ("size-and-footprint-then-error", lambda m: m.maximum_filter(A2, 3, np.ones(3))),
    ("size-too-long", lambda m: m.minimum_filter(A2, [3, 3, 3])),
    ("size-zero", lambda m: m.minimum_filter(A2, 0)),
    ("size-negative-per-axis", lambda m: m.maximum_filter(A2, (3, -2))),
    ("footprint-ndim-low", lambda m: m.minimum_filter(A3, footprint=[[1, 0], [0, 1]])),
    ("footprint-ndim-high", lambda m: m.maximum_filter(A2, footprint=np.eye(3)[None])),
    ("footprint-empty", lambda m: m.minimum_filter(A2, footprint=np.ones((0, 3)))),
    ("origin-invalid-size", lambda m: m.minimum_filter(A2, 3, origin=2)),
    ("origin-invalid-size-low", lambda m: m.maximum_filter(A2, 4, origin=-3)),
    ("origin-invalid-per-axis", lambda m: m.minimum_filter(A2, (3, 4), origin=[0, 2])),
    ("origin-invalid-footprint", lambda m: m.minimum_filter(A2, footprint=[[1, 0], [0, 1]],
                                                            origin=1)),
    ("origin-invalid-grey-dilation", lambda m: m.grey_dilation(A2, size=3, origin=-2)),
    ("origin-invalid-grey-structure", lambda m: m.grey_erosion(A2, structure=np.ones((3, 3)),
                                                               origin=(0, 2))),
    ("origin-invalid-1d", lambda m: m.minimum_filter1d(A1, 3, origin=2)),
    ("origin-invalid-1d-low", lambda m: m.maximum_filter1d(A1, 4, origin=-3)),
    ("origin-wrong-length", lambda m: m.minimum_filter(A2, 3, origin=[0, 0, 0])),
    ("modes-sequence-footprint", lambda m: m.minimum_filter(
        A2, footprint=[[1, 0], [1, 1]], mode=["wrap", "reflect"])),
    ("modes-sequence-footprint-max", lambda m: m.maximum_filter(
        A3, footprint=GREY_FOOTPRINTS["shell-3x3x3"], mode=["wrap"] * 3)),
    ("modes-sequence-structure", lambda m: m.grey_erosion(
        A2, structure=np.ones((3, 3)), mode=("nearest", "nearest"))),
    ("modes-sequence-wrong-length", lambda m: m.minimum_filter(A2, 3, mode=["wrap"])),
    ("modes-sequence-bad-entry", lambda m: m.maximum_filter(A2, 3, mode=["wrap", "foo"])),
    ("mode-unknown", lambda m: m.minimum_filter(A2, 3, mode="circular")),
    ("mode-unknown-footprint", lambda m: m.minimum_filter(A2, footprint=[[1, 0], [1, 1]],
                                                          mode="foo")),
    ("mode-unknown-1d", lambda m: m.maximum_filter1d(A1, 3, mode="foo")),
    ("complex-input", lambda m: m.minimum_filter(C2, 3)),
    ("complex-input-footprint", lambda m: m.maximum_filter(C2, footprint=[[1, 0], [1, 1]])),
    ("complex-input-grey", lambda m: m.grey_erosion(C2, size=3)),
    ("complex-input-grey-structure", lambda m: m.grey_dilation(C2, structure=np.ones((2, 2)))),
    ("complex-input-1d", lambda m: m.minimum_filter1d(C2, 3)),
    ("complex-input-no-size", lambda m: m.minimum_filter(C2)),
    ("structure-ndim", lambda m: m.grey_erosion(A2, structure=np.ones((3, 3, 3)))),
    ("structure-ndim-low", lambda m: m.grey_dilation(A3, structure=np.ones((3, 3)))),
    ("structure-vs-footprint-size", lambda m: m.grey_erosion(
        A2, structure=np.ones((2, 2)), footprint=np.ones((3, 3)))),
    ("filter1d-size-zero", lambda m: m.minimum_filter1d(A1, 0)),
    ("filter1d-axis", lambda m: m.maximum_filter1d(A2, 3, axis=2)),
    ("filter1d-axis-low", lambda m: m.minimum_filter1d(A2, 3, axis=-3)),
    ("output-wrong-shape", lambda m: m.minimum_filter(A2, 3, output=np.zeros((6, 5)))),
    ("output-wrong-shape-1d", lambda m: m.minimum_filter1d(A1, 3, output=np.zeros(8))),
    ("output-str-bool", lambda m: m.maximum_filter(A2, 3, output="bool")),
    ("axes-duplicate", lambda m: m.minimum_filter(A3, 3, axes=(1, 1))),
    ("axes-tuple-out-of-range", lambda m: m.maximum_filter(A3, 3, axes=(0, 3))),
    ("axes-out-of-range-footprint", lambda m: m.minimum_filter(A3, footprint=[1, 1, 0], axes=3)),
    ("footprint-vs-axes", lambda m: m.minimum_filter(A3, footprint=np.eye(3), axes=1)),
    ("cval-str", lambda m: m.minimum_filter(A2, 3, mode="constant", cval="abc")),
    ("cval-str-footprint", lambda m: m.minimum_filter(A2, footprint=np.eye(3), cval="abc")),
    ("origin-float", lambda m: m.minimum_filter(A2, 3, origin=1.5)),
    ("origin-float-1d", lambda m: m.maximum_filter1d(A2, 3, origin=0.5)),
    ("origin-float-footprint", lambda m: m.maximum_filter(A2, footprint=np.eye(3), origin=0.5)),
    ("origin-float-grey", lambda m: m.grey_dilation(A2, 3, origin=0.5)),
    ("origin-float-opening", lambda m: m.grey_opening(A2, 3, origin=1.5)),
    ("axis-float-1d", lambda m: m.minimum_filter1d(A2, 3, axis=1.0)),
    ("axis-float-out-of-range-1d", lambda m: m.maximum_filter1d(A1, 3, axis=1.5)),
    ("axis-huge-1d", lambda m: m.minimum_filter1d(A2, 3, axis=2**40)),
    # scipy's n-d kernel reads origins as a sequence of integers: bools refused (not by the
    # 1-d kernel of boxes)
    ("origin-bool-footprint", lambda m: m.minimum_filter(A1, footprint=[1, 0, 1], origin=True)),
    ("origin-np-bool-footprint", lambda m: m.maximum_filter(A2, footprint=np.eye(3),
                                                            origin=np.True_)),
    ("origin-bool-in-list-grey", lambda m: m.grey_erosion(A2, structure=np.ones((3, 3)),
                                                          origin=[0, True])),
    ("origin-bool-box", lambda m: m.minimum_filter(A2, 3, origin=True)),
]

# Cases once answered differently from scipy (found by a differential fuzzer).
ZERO_INT8 = np.zeros(3, np.int8)
OUT_OF_RANGE = np.array([[-np.inf, -5.0], [-1e300, 3.0]])
MINMAX_EDGE_CASES = [
    # -0.0 at the border against integer zeros: the sign depends on scipy's order
    ("negative-zero-cval", lambda m: m.minimum_filter(ZERO_INT8, 3, mode="constant", cval=-0.0,
                                                      output=np.float64)),
    ("negative-zero-cval-1d", lambda m: m.maximum_filter1d(
        np.zeros((2, 3), np.uint32), 3, mode="constant", cval=-0.0, output=np.float32)),
    ("negative-zero-cval-grey", lambda m: m.grey_closing(ZERO_INT8, size=2, mode="constant",
                                                         cval=-0.0, output=np.float64)),
    # float values outside uint64 through a footprint: scipy's own (undefined) cast
    ("uint64-out-of-range", lambda m: m.minimum_filter(OUT_OF_RANGE, footprint=[[1], [0]],
                                                       mode="nearest", output=np.uint64)),
    ("uint64-out-of-range-cval", lambda m: m.maximum_filter(
        OUT_OF_RANGE, footprint=[[1], [0]], mode="constant", cval=-1e300, output=np.uint64)),
    ("uint64-out-of-range-grey", lambda m: m.grey_erosion(OUT_OF_RANGE, footprint=[[1, 0]],
                                                          output=np.uint64)),
]


@pytest.mark.parametrize("op", ["grey_erosion", "grey_dilation", "grey_opening", "grey_closing"])
def test_grey_0d_with_empty_footprint_and_structure(op):
    """scipy reads outside an all-False footprint given with a structure (a crash on 0-d data);
    qbi_fast refuses it as it does for n-d data."""
    for data in (np.array(1.0), np.ones((3, 3))):
        footprint = np.zeros(data.shape, bool)
        with pytest.raises(ValueError, match="^footprint has no elements$"):
            getattr(qnd, op)(data, footprint=footprint, structure=np.full(data.shape, 0.5))


@pytest.mark.parametrize("mode", ["reflect", "mirror", "nearest", "wrap", "constant",
                                  "grid-wrap", "grid-mirror", "grid-constant"])
def test_minmax_windows_longer_than_the_line(mode, assert_same):
    """A window longer than 2n + 1 on a side of its centre is cut to that (the extended line
    adds no new value past it), so that even 2**31 samples need no memory: scipy's results."""
    rng = np.random.default_rng(22)
    for n in (1, 2, 5):
        x = (rng.random((3, n)) * 100).astype(np.float32)
        for size in (2 * n + 3, 4 * n + 4, 7 * n + 8):
            for origin in (-(size // 2), 0, (size - 1) // 2):
                for op in ("minimum_filter1d", "maximum_filter1d"):
                    assert_same(getattr(qnd, op)(x, size, mode=mode, cval=50.0, origin=origin),
                                getattr(ndi, op)(x, size, mode=mode, cval=50.0, origin=origin))
                for op in ("minimum_filter", "grey_dilation"):
                    kwargs = {"size": (1, size), "mode": mode, "cval": 50.0,
                              "origin": (0, origin)}
                    assert_same(getattr(qnd, op)(x, **kwargs), getattr(ndi, op)(x, **kwargs))
    small = np.arange(16.0).reshape(4, 4)
    assert_same(qnd.minimum_filter(small, 10**5, mode=mode),
                ndi.minimum_filter(small, 10**5, mode=mode))
    assert_same(qnd.maximum_filter1d(small[0], 2**31 + 1, mode=mode), np.full(4, 3.0))


@pytest.mark.parametrize(("op", "kwargs"), [
    ("minimum_filter", {"footprint": [1, 0, 1]}),
    ("maximum_filter", {"footprint": [1, 1, 0, 1]}),
    ("grey_erosion", {"structure": [1.0, 0.0, 2.0]}),
    ("grey_dilation", {"footprint": [1, 0, 1]}),
    ("median_filter", {"footprint": [1, 0, 1]}),
    ("rank_filter", {"rank": 0, "footprint": [1, 0, 1]}),
    ("percentile_filter", {"percentile": 100, "footprint": [1, 0, 1, 1]}),
])
def test_broadcast_data_left_to_scipy(op, kwargs, assert_same):
    """Data only scipy filters (NaN here) in a broadcast view (zero strides), which scipy's
    footprint kernels misread: scipy's result on a copy."""
    for value in (np.nan, 5.0):
        view = np.broadcast_to(np.float64(value), (13,))
        assert_same(getattr(qnd, op)(view, **kwargs),
                    getattr(ndi, op)(np.ascontiguousarray(view), **kwargs))


@pytest.mark.parametrize("call", [pytest.param(c, id=n) for n, c in MINMAX_MISUSE_CASES])
def test_minmax_misuse_like_scipy(call, assert_same_outcome):
    assert_same_outcome(lambda: call(qnd), lambda: call(ndi))


@pytest.mark.parametrize("call", [pytest.param(c, id=n) for n, c in MINMAX_EDGE_CASES])
def test_minmax_edge_cases_like_scipy(call, assert_same_outcome):
    assert_same_outcome(lambda: call(qnd), lambda: call(ndi))


@pytest.mark.parametrize("op", MINMAX_OPS)
def test_minmax_scalar_axes_out_of_range(op, assert_same_outcome):
    """A scalar axes out of range on the separable (size) path: numpy's AxisError, as scipy's
    minimum_filter1d raises it."""
    assert_same_outcome(lambda: getattr(qnd, op)(A3, 3, axes=3),
                        lambda: getattr(ndi, op)(A3, 3, axes=3))


@pytest.mark.parametrize("op", MINMAX_OPS)
def test_minmax_all_true_footprint_fallback_warns(op, assert_same_outcome):
    """An all-true footprint on data left to scipy (NaN, signed zeros): no warning that scipy
    alone would not give ('ignoring size because footprint is set')."""
    a = np.array([[np.nan, 1.0, 2.0], [0.0, -0.0, 3.0]], np.float32)
    assert_same_outcome(lambda: getattr(qnd, op)(a, footprint=np.ones((1, 2), bool)),
                        lambda: getattr(ndi, op)(a, footprint=np.ones((1, 2), bool)))


def test_minmax_read_only_output_raises_like_scipy(assert_same_error):
    out = np.zeros(A2.shape)
    out.flags.writeable = False
    for call in (lambda m: m.minimum_filter(A2, 3, output=out),
                 lambda m: m.maximum_filter(A2, footprint=np.eye(3), output=out),
                 lambda m: m.grey_erosion(A2, structure=np.ones((2, 2)), output=out),
                 lambda m: m.minimum_filter1d(A2, 3, output=out)):
        assert_same_error(lambda c=call: c(qnd), lambda c=call: c(ndi))


FALLBACK_CASES = [
    ("float16", lambda m: m.minimum_filter(A2.astype(np.float16), 3)),
    ("float16-footprint", lambda m: m.maximum_filter(A2.astype(np.float16), footprint=np.eye(3))),
    ("bool", lambda m: m.minimum_filter(A2 > 10, 3)),
    ("bool-footprint", lambda m: m.grey_dilation(A2 > 10, footprint=np.eye(3))),
    ("longdouble", lambda m: m.grey_erosion(A2.astype(np.longdouble), size=(2, 3))),
    ("big-endian", lambda m: m.maximum_filter(A2.astype(">f8"), footprint=np.eye(2))),
    ("big-endian-1d", lambda m: m.minimum_filter1d(A3.astype(">i2"), 3)),
    ("output-float16", lambda m: m.minimum_filter(A2, 3, output=np.float16)),
    ("0d", lambda m: m.minimum_filter(np.array(3.5), 1)),
    ("empty", lambda m: m.maximum_filter(np.zeros((0, 3)), 3)),
    ("empty-footprint", lambda m: m.maximum_filter(np.zeros((3, 0)), footprint=np.eye(2))),
    ("list", lambda m: m.minimum_filter([[1, 5, 2], [7, 0, 3]], 2)),
    ("list-grey", lambda m: m.grey_closing([[1, 5, 2], [7, 0, 3]], structure=[[0, 1], [2, 0]])),
    ("uint64-structure", lambda m: m.grey_dilation(
        np.array([[2**64 - 1, 5, 2**63], [7, 0, 3]], np.uint64), structure=[[0, 1], [2, 0]])),
]


@pytest.mark.parametrize("call", [pytest.param(c, id=n) for n, c in FALLBACK_CASES])
def test_minmax_other_inputs_match_scipy(call, assert_same_outcome):
    assert_same_outcome(lambda: call(qnd), lambda: call(ndi))


# --------------------------------------------------------------------------------------------
# minimum / maximum: hypothesis


@st.composite
def minmax_cases(draw):
    """(op, data, kwargs) for a minimum / maximum filter or grey morphology call."""
    dtype = np.dtype(draw(st.sampled_from(GREY_DTYPES)))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=10))
    if dtype.kind == "f":
        special = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0])
        elements = st.one_of(st.floats(width=8 * dtype.itemsize), special)
    else:
        info = np.iinfo(dtype)
        elements = st.one_of(st.integers(info.min, info.max), st.integers(max(info.min, -3), 3))
    data = draw(hnp.arrays(dtype, shape, elements=elements))
    ndim = len(shape)
    op = draw(st.sampled_from(MINMAX_OPS))

    kwargs = {}
    n_axes = ndim
    if draw(st.booleans()):
        axes = tuple(draw(st.permutations(range(ndim)))[: draw(st.integers(1, ndim))])
        kwargs["axes"] = axes
        n_axes = len(axes)
    fshape = tuple(draw(st.lists(st.integers(1, 5), min_size=n_axes, max_size=n_axes)))
    kind = draw(st.sampled_from(["size", "footprint", "structure"] if op in GREY_OPS
                                else ["size", "footprint"]))
    separable = kind == "size"
    if kind == "size":
        kwargs["size"] = fshape if draw(st.booleans()) or n_axes > 1 else fshape[0]
    else:
        footprint = draw(hnp.arrays(bool, fshape))
        footprint[tuple(draw(st.integers(0, n - 1)) for n in fshape)] = True
        separable = bool(footprint.all())
        if kind == "structure":
            values = st.one_of(st.integers(-5, 5).map(float),
                               st.floats(-10, 10, allow_nan=False),
                               st.sampled_from([0.5, -0.25, np.inf, -np.inf]))
            kwargs["structure"] = draw(hnp.arrays(np.float64, fshape, elements=values))
            separable = False
            if draw(st.booleans()):
                kwargs["footprint"] = footprint
        else:
            kwargs["footprint"] = footprint
    if draw(st.booleans()):  # one origin per axis, each within its range (both directions)
        kwargs["origin"] = [draw(st.integers(-(n // 2), (n - 1) // 2)) for n in fshape]
    if separable and draw(st.booleans()):
        kwargs["mode"] = draw(st.lists(st.sampled_from(MODES), min_size=n_axes,
                                       max_size=n_axes))
    else:
        kwargs["mode"] = draw(st.sampled_from(MODES))
    kwargs["cval"] = draw(st.one_of(st.sampled_from([0, -5.5, 300, np.nan, -0.0]),
                                    st.floats(-1e6, 1e6)))
    if draw(st.booleans()):
        kwargs["output"] = np.dtype(draw(st.sampled_from(GREY_DTYPES)))
    kwargs["workers"] = draw(st.sampled_from([1, 2]))
    return op, data, kwargs


@HYPOTHESIS_SETTINGS
@given(case=minmax_cases())
def test_minmax_hypothesis_matches_scipy(case, assert_same_outcome):
    op, data, kwargs = case
    scipy_kwargs = {k: v for k, v in kwargs.items() if k != "workers"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # casts of out-of-range values
        assert_same_outcome(lambda: run_minmax(qnd, op, data, **kwargs),
                            lambda: run_minmax(ndi, op, data, **scipy_kwargs))


@HYPOTHESIS_SETTINGS
@given(
    data=hnp.arrays(st.sampled_from([np.dtype(d) for d in GREY_DTYPES]),
                    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=12)),
    size=st.integers(1, 14),
    axis=st.integers(-3, 2),
    origin_fraction=st.floats(0, 1),
    mode=st.sampled_from(MODES),
    cval=st.sampled_from([0, -5.5, 300]),
    op=st.sampled_from(["minimum_filter1d", "maximum_filter1d"]),
)
def test_minmax_filter1d_hypothesis(data, size, axis, origin_fraction, mode, cval, op,
                                    assert_same_outcome):
    origin = -(size // 2) + int(origin_fraction * (size - 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_same_outcome(
            lambda: getattr(qnd, op)(data, size, axis, mode=mode, cval=cval, origin=origin,
                                     workers=2),
            lambda: getattr(ndi, op)(data, size, axis, mode=mode, cval=cval, origin=origin),
        )


# --------------------------------------------------------------------------------------------
# workers


def _workers_cases():
    """name -> (module, workers keyword arguments) -> result, on a (20, 37, 41) volume."""
    shape = (20, 37, 41)
    a = blobs(shape, density=0.6, seed=50)
    mask = blobs(shape, density=0.8, seed=51)
    grey = random_array(shape, "uint16", seed=52)
    grey_f = random_array(shape, "float32", seed=53)
    footprint = _random_structure((5, 4, 5), 0.4, seed=54)

    def binary(op, structure, **kwargs):
        def call(m, w):
            if m is ndi:  # scipy with brute_force=True where iterations != 1 (module doc)
                return binary_reference(op, a, structure=structure, **kwargs)
            return getattr(m, op)(a, structure=structure, **kwargs, **w)

        return call

    return {
        "binary_erosion-ball3": binary("binary_erosion", qnd.ball(3)),
        "binary_dilation-ball3-iter2-mask": binary("binary_dilation", qnd.ball(3),
                                                   iterations=2, mask=mask),
        "binary_erosion-random-border1": binary("binary_erosion", footprint, border_value=1),
        "binary_closing-random": binary("binary_closing", footprint),
        "binary_opening-box-origin": binary("binary_opening", np.ones((2, 5, 4), bool),
                                            origin=(0, 1, -1)),
        "grey_erosion-size5": lambda m, w: m.grey_erosion(grey, size=5, **w),
        "grey_erosion-size5-float32-constant": lambda m, w: m.grey_erosion(
            grey_f, size=5, mode="constant", cval=-5.5, **w),
        "grey_dilation-random": lambda m, w: m.grey_dilation(grey, footprint=footprint, **w),
        "grey_opening-structure": lambda m, w: m.grey_opening(
            grey, structure=GREY_STRUCTURES["ints-3x3x3"], **w),
        "maximum_filter1d-axis0": lambda m, w: m.maximum_filter1d(grey_f, 6, axis=0, **w),
    }


WORKERS_CASES = _workers_cases()


@pytest.mark.parametrize("name", list(WORKERS_CASES))
def test_workers_invariance(name, assert_same):
    """workers=1, 2 and 3 give the same bytes (and scipy's) on a volume shared among threads."""
    call = WORKERS_CASES[name]
    expected = call(ndi, {})
    results = [call(qnd, {"workers": w}) for w in (1, 2, 3)]
    for result in results[1:]:
        assert_same(result, results[0])
    assert_same(results[0], expected)


def test_workers_invariance_iterations(assert_same):
    """Iterated binary morphology with several workers (scipy with brute_force=True)."""
    shape = (20, 37, 41)
    a = blobs(shape, density=0.5, seed=55)
    for op in BINARY_OPS:
        for structure, iterations in [(qnd.ball(3), 2), (None, -1)]:
            expected = binary_reference(op, a, structure=structure, iterations=iterations)
            for workers in (1, 2, 3):
                actual = getattr(qnd, op)(a, structure, iterations, workers=workers)
                assert_same(actual, expected)


CYCLING_EROSION = """
import numpy as np
import qbi_fast.ndimage as qnd
x = np.array([0, 1, 1, 32767], ">i2")
for op in (qnd.binary_erosion, qnd.binary_opening):
    try:
        op(x, structure=[1, 0, 1], iterations=0, border_value=1)
    except ValueError as error:
        assert "cycles for ever" in str(error)
    else:
        raise AssertionError("returned")
"""


def test_iterations_until_settled_that_cycle_are_refused(tmp_path):
    """iterations < 1 with a structure whose centre is not set can cycle for ever (scipy's
    loop never ends); qbi_fast finds the cycle and raises. Run apart, with a time limit (and
    away from the source tree, which would shadow the installed package)."""
    subprocess.run([sys.executable, "-c", CYCLING_EROSION], check=True, timeout=120,
                   cwd=tmp_path)


@hypothesis_settings(max_examples=150)
@given(data=st.data())
def test_iterations_until_settled_without_centre(data):
    """A structure without its centre: where the passes settle, scipy's result; where they
    cycle, a ValueError (scipy would never return, so it is not called then)."""
    x = data.draw(hnp.arrays(bool, st.integers(3, 24)))
    structure = np.array(data.draw(st.lists(st.booleans(), min_size=3, max_size=3)))
    structure[1] = False
    assume(structure.any())
    border = data.draw(st.integers(0, 1))
    try:
        result = qnd.binary_erosion(x, structure, iterations=0, border_value=border)
    except ValueError as error:
        message = str(error)
    else:
        message = None
        expected = ndi.binary_erosion(x, structure, iterations=0, border_value=border)
        np.testing.assert_array_equal(result, expected)
    assert message is None or "cycles for ever" in message


def test_workers_beyond_any_machine_are_cut():
    """A thread count no machine has runs (on the threads there are) instead of failing in
    the binding layer."""
    a = np.arange(20.0).reshape(4, 5)
    for workers in (2**31, 2**63):
        np.testing.assert_array_equal(qnd.minimum_filter(a, 3, workers=workers),
                                      ndi.minimum_filter(a, 3))
        np.testing.assert_array_equal(qnd.gaussian_filter(a, 1.0, workers=workers),
                                      ndi.gaussian_filter(a, 1.0))


@pytest.mark.parametrize(
    ("workers", "error"),
    [(0, ValueError), (1.5, TypeError), (True, TypeError), ("2", TypeError)],
    ids=["0", "1.5", "True", "str"],
)
def test_workers_argument_errors(workers, error):
    a = np.ones((4, 5))
    for call in (lambda: qnd.binary_erosion(a, workers=workers),
                 lambda: qnd.minimum_filter(a, 3, workers=workers),
                 lambda: qnd.grey_dilation(a, footprint=np.eye(2), workers=workers),
                 lambda: qnd.maximum_filter1d(a, 3, workers=workers)):
        with pytest.raises(error, match="workers"):
            call()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layout", SHORT_LAST_AXIS_LAYOUTS)
@pytest.mark.parametrize("dtype", ["uint8", "float32", "int64"])
def test_minmax_short_last_axis(dtype, layout, mode, assert_same):
    a = short_last_axis_array(layout, dtype)
    footprint = np.random.default_rng(9).random((3, 2, 3)[-a.ndim:]) < 0.7
    footprint.flat[0] = True
    structure = np.random.default_rng(10).integers(0, 3, footprint.shape).astype(float)
    origin = (1, 0, -1)[-a.ndim:]
    calls = [("minimum_filter", {"size": 3}),
             ("maximum_filter", {"footprint": footprint, "origin": origin}),
             ("grey_erosion", {"size": (3, 5, 1)[-a.ndim:]}),
             ("grey_dilation", {"footprint": footprint, "structure": structure}),
             ("minimum_filter1d", {"size": 4, "axis": 0}),
             ("maximum_filter1d", {"size": 3, "axis": -1, "origin": 1})]
    for name, kwargs in calls:
        expected = getattr(ndi, name)(a, mode=mode, cval=3, **kwargs)
        for workers in (1, 2):
            assert_same(getattr(qnd, name)(a, mode=mode, cval=3, workers=workers, **kwargs),
                        expected)
    if a.dtype.kind == "f":  # with zeros of both signs scipy's visiting order decides
        b = a.copy()
        b.flat[::5] = -0.0
        b.flat[1::5] = 0.0
        assert_same(qnd.minimum_filter(b, 3, mode=mode), ndi.minimum_filter(b, 3, mode=mode))
