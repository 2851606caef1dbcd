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
from .._validate import kernel_dtype

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


@accepts_dask("label")
def label(input, structure=None, output=None, *, workers=None):
    """Connected-component labelling; a drop-in for ``scipy.ndimage.label``.

    Parameters, defaults, return forms (``(labels, n)``, or ``n`` when ``output`` is an array),
    output dtype rules (int32, or intp from 2**31 - 2 samples on; an array or dtype given as
    ``output``) and exceptions are scipy's, and so is the numbering: components are numbered in
    the order of their first sample in C order, whatever the memory layout.

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
    n = _core.label(input, output, np.ascontiguousarray(structure, dtype=np.uint8), n_threads)
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
    if not _integer_kernel_dtype(labels.dtype):  # non-native byte order
        labels = labels.astype(labels.dtype.newbyteorder("="))
    return _core.label_sizes(labels, max_label, n_threads)


@accepts_dask("find_objects")
def find_objects(input, max_label=0, *, workers=None):
    """Bounding boxes of labels; a drop-in for ``scipy.ndimage.find_objects`` (a list of tuples
    of slices, None for labels that do not occur), computed in parallel."""
    n_threads = resolve_workers(workers)
    input = np.asarray(input)
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
