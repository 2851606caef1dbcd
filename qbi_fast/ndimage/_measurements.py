"""Labelling and per-label measurements -- label, find_objects, sum_labels, label_sizes -- with
scipy.ndimage's semantics (numbering included) on threaded kernels."""

from __future__ import annotations

import gc
import operator

import numpy as np
import scipy.ndimage as ndi

from .. import _core
from .._dispatch import accepts_dask
from .._threads import resolve_workers
from .._validate import in_native_order, kernel_dtype

__all__ = ["find_objects", "label", "label_sizes", "sum_labels"]

# Per-thread tables of find_objects are this many labels at most; more go to scipy.
_MAX_BOX_LABELS = 1 << 24
# label_sizes returns a count for every label value up to the largest: refuse absurd tables.
_MAX_SIZES_LABELS = 1 << 31


def _integer_kernel_dtype(dtype: np.dtype) -> bool:
    return kernel_dtype(dtype) and dtype.kind in "iu"


def label_structure(input, structure, *, check_symmetry: bool) -> np.ndarray:
    """``structure`` (default: connectivity 1) as a bool array, after scipy's checks against
    ``input`` (any array with ``ndim`` and ``dtype``), raising what scipy raises."""
    if np.iscomplexobj(input):
        msg = "Complex type not supported"
        raise TypeError(msg)
    if structure is None:
        structure = ndi.generate_binary_structure(input.ndim, 1)
    structure = np.asarray(structure, dtype=bool)
    if structure.ndim != input.ndim:
        msg = "structure and input must have equal rank"
        raise RuntimeError(msg)
    for n in structure.shape:
        if n != 3:
            msg = "structure dimensions must be equal to 3"
            raise ValueError(msg)
    if check_symmetry and not np.array_equal(
            structure, structure[(slice(None, None, -1),) * structure.ndim]):
        msg = "Structuring element is not symmetric"
        raise AssertionError(msg)  # scipy's (a failed assert in its Cython kernel)
    return structure


def _scipy_line_axis(strides: tuple[int, ...]) -> int:
    """The axis scipy's label reads lines along: numpy's ``PyArray_IterAllButAxis`` choice for
    its output, the first axis of the smallest positive stride, where "smallest" starts from the
    first non-zero stride but the axis from 0 (a negative first stride keeps axis 0)."""
    smallest = next((stride for stride in strides if stride != 0), 0)
    axis = 0
    for d in range(1, len(strides)):
        if 0 < strides[d] < smallest:
            axis, smallest = d, strides[d]
    return axis


def _first_samples(input, structure) -> int:
    """How many provisional labels scipy's scan makes: foreground samples with no foreground
    neighbour (under ``structure``) before them in C order."""
    foreground = input != 0
    first = foreground.copy()
    for index in np.argwhere(structure):
        offset = tuple(int(i) - 1 for i in index)
        if offset >= (0,) * input.ndim:  # not before the sample in C order
            continue
        # first[p] &= ~foreground[p + offset], for every p whose neighbour is inside
        at = tuple(slice(max(-o, 0), n - max(o, 0)) for o, n in zip(offset, input.shape,
                                                                       strict=True))
        neighbour = tuple(slice(max(o, 0), n + min(o, 0)) for o, n in zip(offset, input.shape,
                                                                             strict=True))
        first[at] &= ~foreground[neighbour]
    return int(np.count_nonzero(first))


def _scan_order(input, structure, output) -> tuple[int, ...]:
    """The axis order whose C order is scipy's numbering order for ``output``: every axis in
    order, then the line axis (C order itself for a C-ordered output). scipy's first pass writes
    provisional labels into the output; when they overflow its dtype it labels again into a
    C-ordered int32 array, so a small output dtype can bring back C order."""
    line = _scipy_line_axis(output.strides)
    order = (*(d for d in range(input.ndim) if d != line), line)
    if [d for d in order if input.shape[d] > 1] == [d for d in range(input.ndim)
                                                     if input.shape[d] > 1]:
        return tuple(range(input.ndim))
    if np.iinfo(output.dtype).max <= input.size:
        scanned_first = _first_samples(input.transpose(order), structure.transpose(order))
        if scanned_first + 1 > np.iinfo(output.dtype).max:
            return tuple(range(input.ndim))
    return order


def without_unit_axes(input, output, structure):
    """``input`` and ``output`` (views) and ``structure`` without the axes ``input`` has one
    sample along (one axis is kept): the components and their order in C order are the same.
    The kernel joins runs along the last axis and cuts slabs along the first, so a unit axis
    there makes every run one sample long, or leaves one slab for all threads: a (4000, 4000, 1)
    mask took 20 times as long as the (4000, 4000) one."""
    keep = [d for d in range(input.ndim) if input.shape[d] > 1] or [input.ndim - 1]
    if len(keep) == input.ndim:
        return input, output, structure
    first = tuple(slice(None) if d in keep else 0 for d in range(input.ndim))
    middle = tuple(slice(None) if d in keep else 1 for d in range(input.ndim))
    return input[first], output[first], structure[middle]


@accepts_dask("label")
def label(input, structure=None, output=None, *, workers=None):
    """Connected-component labelling; a drop-in for ``scipy.ndimage.label``.

    Parameters, defaults, return forms (``(labels, n)``, or ``n`` when ``output`` is an array),
    output dtype rules (int32, or intp from 2**31 - 2 samples on; an array or dtype given as
    ``output``) and exceptions are scipy's, and so is the numbering: components are numbered in
    the order of their first sample in C order, whatever the input's memory layout. (An output
    array whose smallest positive stride is not along its last axis, e.g. Fortran-ordered, is
    scanned by scipy with that axis innermost, and numbered in that order; so it is here.)

    workers : int or None, keyword-only
        Threads to use; None means :func:`qbi_fast.get_workers`, -1 all CPUs, -2 all but one.
        The result does not depend on it.

    The volume is cut into slabs along axis 0, each labelled on its own (runs of foreground
    samples along the last axis, joined by union-find), then the slabs' provisional labels are
    merged across their faces and renumbered in scipy's order. A requested output dtype too
    small for the number of components raises scipy's RuntimeError. Output dtypes other than
    integers (bool, float) and inputs the kernels do not read (float16, complex) go to scipy.
    """
    n_threads = resolve_workers(workers)
    input = np.asarray(input)
    structure = label_structure(input, structure, check_symmetry=False)
    need_64bits = input.size >= 2**31 - 2
    default_dtype = np.intp if need_64bits else np.int32
    if isinstance(output, np.ndarray):
        if output.shape != input.shape:
            msg = "output shape not correct"
            raise ValueError(msg)
        caller_output = True
    else:
        caller_output = False
        output = np.empty(input.shape, default_dtype if output is None else output)
    if input.ndim == 0 or input.size == 0:
        n = (1 if input != 0 else 0) if input.ndim == 0 else 0
        if input.ndim == 0:
            output[...] = n
        return n if caller_output else (output, n)
    if not kernel_dtype(input.dtype) or not _integer_kernel_dtype(output.dtype):
        n = ndi.label(input, structure, output)
        return n if caller_output else (output, n)
    label_structure(input, structure, check_symmetry=True)
    if not output.flags.writeable:
        msg = "output array is read-only."
        raise ValueError(msg)
    target = output
    if np.may_share_memory(input, output):
        output = np.empty(output.shape, output.dtype)
    order = _scan_order(input, structure, target)
    source, labels, connectivity = without_unit_axes(input.transpose(order),
                                                     output.transpose(order),
                                                     structure.transpose(order))
    n = _core.label(source, labels, np.ascontiguousarray(connectivity, dtype=np.uint8), n_threads)
    if output is not target:
        target[...] = output
    if n > np.iinfo(target.dtype).max:
        msg = "insufficient bit-depth in requested output type"
        raise RuntimeError(msg)
    return n if caller_output else (target, n)


@accepts_dask("label_sizes")
def label_sizes(labels, max_label=None, *, workers=None) -> np.ndarray:
    """Samples per label: ``counts[l]`` for ``l`` in ``0 .. max_label`` (default: the largest
    label), as int64; ``counts[0]`` is the background. Negative labels and labels above
    ``max_label`` are not counted. The same numbers as ``np.bincount(labels.ravel())`` (or
    ``scipy.ndimage.sum_labels(np.ones_like(labels), labels, range(max_label + 1))``), in
    parallel and without a flattened copy."""
    n_threads = resolve_workers(workers)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        msg = "labels must be an integer array"
        raise TypeError(msg)
    if max_label is None:
        max_label = int(labels.max()) if labels.size else 0
    max_label = max(int(max_label), 0)
    if max_label >= _MAX_SIZES_LABELS:
        msg = f"label {max_label} needs a table of more than {_MAX_SIZES_LABELS} counts"
        raise ValueError(msg)
    if labels.ndim == 0:
        labels = labels.reshape(1)
    labels = in_native_order(labels)
    return _core.label_sizes(labels, max_label, n_threads)


@accepts_dask("find_objects")
def find_objects(input, max_label=0, *, workers=None):
    """Bounding boxes of labels; a drop-in for ``scipy.ndimage.find_objects`` (a list of tuples
    of slices, None for labels that do not occur), computed in parallel."""
    n_threads = resolve_workers(workers)
    input = in_native_order(np.asarray(input))
    if not _integer_kernel_dtype(input.dtype) or input.ndim == 0:
        return ndi.find_objects(input, max_label)
    max_label = operator.index(max_label)
    if max_label < 1:
        max_label = int(input.max()) if input.size else 0
    if max_label < 1 or max_label > _MAX_BOX_LABELS:
        return ndi.find_objects(input, max_label)
    # Millions of labels make millions of tuples, which the cyclic garbage collector would scan
    # over and over while they are made (4x the time of making them); they hold no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _core.find_objects(input, int(max_label), n_threads)
    finally:
        if collecting:
            gc.enable()


@accepts_dask("sum_labels", array_arguments=2)
def sum_labels(input, labels=None, index=None, *, workers=None):
    """``scipy.ndimage.sum_labels`` itself (re-exported so the module offers the whole
    measure-after-label step; sums of floats depend on their order, which scipy fixes).
    ``workers`` is checked like every function's, then unused: scipy's sum runs on one
    thread."""
    resolve_workers(workers)
    return ndi.sum_labels(input, labels, index)
