"""Axis orders for the kernels that work along rows of the last axis."""

from __future__ import annotations

# A last axis shorter than this leaves such kernels a few samples per row (the channels of a
# (Y, X, 3) image), each row paying a whole row's fixed costs.
SHORT_ROW = 16


def long_rows_order(shape, strides):
    """An order of the axes whose last axis is long, for data whose last axis is short: the
    most contiguous axis of at least SHORT_ROW samples goes last, the others keep their order.
    None where the last axis is long enough, or none is longer. A kernel whose result does not
    depend on the order of the axes (a footprint's set of samples does not) runs on the
    transposed views, with footprint, origins and mask transposed alike."""
    if len(shape) < 2 or shape[-1] >= SHORT_ROW:
        return None
    long = [d for d in range(len(shape) - 1) if shape[d] >= SHORT_ROW]
    if not long:
        return None
    row = min(long, key=lambda d: abs(strides[d]))
    return (*(d for d in range(len(shape)) if d != row), row)
