"""How far each qbi_fast operation reads around an output sample: the halo a block needs so
that its core is computed exactly as in the whole-array call.

A rule gets the operation's bound arguments and the array's number of dimensions and returns a
:class:`Reach`: the halo per axis, and the axes that must not be split at all (wrap modes read
the far side of the whole array; ring cleaning works on whole sinograms).
"""

from __future__ import annotations

import inspect
import operator
from dataclasses import dataclass

import numpy as np

from . import ndimage, tomo
from ._pointwise import invert, threshold

__all__ = ["Reach", "knows", "reach_of", "whole_array_defaults"]

_WRAP_MODES = {"wrap", "grid-wrap"}


@dataclass(frozen=True)
class Reach:
    """``halo[d]`` samples of context on each side along axis d; ``whole[d]``: never split d."""

    halo: tuple[int, ...]
    whole: tuple[bool, ...]

    def __add__(self, other: Reach) -> Reach:
        return Reach(tuple(a + b for a, b in zip(self.halo, other.halo, strict=True)),
                     tuple(a or b for a, b in zip(self.whole, other.whole, strict=True)))

    @classmethod
    def none(cls, ndim: int) -> Reach:
        return cls((0,) * ndim, (False,) * ndim)


def _per_axis(value, n: int) -> list:
    """A scalar repeated n times, or a sequence of length n, as a list."""
    if isinstance(value, str) or np.ndim(value) == 0:
        return [value] * n
    value = list(value)
    if len(value) != n:
        msg = f"expected {n} values, one per filtered axis; got {len(value)}"
        raise ValueError(msg)
    return value


def _filtered_axes(axes, ndim: int) -> list[int]:
    if axes is None:
        return list(range(ndim))
    axes = [axes] if np.ndim(axes) == 0 else list(axes)
    filtered = []
    for axis in axes:
        axis = operator.index(axis)
        if not -ndim <= axis < ndim:
            raise np.exceptions.AxisError(axis, ndim)
        filtered.append(axis % ndim)
    return filtered


def _reach(ndim: int, axes: list[int], halos, modes) -> Reach:
    halo, whole = [0] * ndim, [False] * ndim
    for axis, h, mode in zip(axes, halos, modes, strict=True):
        halo[axis] = max(halo[axis], int(h))
        whole[axis] |= mode in _WRAP_MODES
    return Reach(tuple(halo), tuple(whole))


def _window_halo(length: int, origin: int) -> int:
    """Samples a window of ``length`` shifted by ``origin`` reads on its far side (an even
    window reflected for dilation moves by one more)."""
    return length // 2 + abs(int(origin)) + (1 - length % 2)


def _window_halos(lengths, origins, axes: list[int]) -> list[int]:
    """Per filtered axis (in the order of ``axes``), the samples a window reads beyond a block.
    With ``axes`` out of order, scipy pairs window lengths, origins and axes differently from
    function to function (a footprint's axes in increasing order, sizes and origins in the
    order given, origins unmoved when every axis is filtered): there every axis gets the widest
    reach of any pairing."""
    if axes == sorted(axes):
        return [_window_halo(int(k), o) for k, o in zip(lengths, origins, strict=True)]
    widest = max(_window_halo(int(k), 0) for k in lengths) + max(abs(int(o)) for o in origins)
    return [widest] * len(axes)


def _gaussian(args, ndim):
    axes = _filtered_axes(args.get("axes"), ndim)
    n = len(axes)
    sigmas = _per_axis(args["sigma"], n)
    radii = _per_axis(args.get("radius"), n)
    truncate = float(args.get("truncate", 4.0))
    # scipy filters an axis only where sigma > 1e-15 (not where it is NaN)
    halos = [0 if not float(s) > 1e-15 else
             (int(r) if r is not None else int(truncate * float(s) + 0.5))
             for s, r in zip(sigmas, radii, strict=True)]
    return _reach(ndim, axes, halos, _per_axis(args.get("mode", "reflect"), n))


def _gaussian1d(args, ndim):
    s, r = float(args["sigma"]), args.get("radius")
    halo = int(r) if r is not None else int(float(args.get("truncate", 4.0)) * s + 0.5)
    return _reach(ndim, _filtered_axes(args.get("axis", -1), ndim), [halo],
                  [args.get("mode", "reflect")])


def _window(args, ndim):
    """Rank, min/max and grey-morphology filters: size, footprint or structure."""
    axes = _filtered_axes(args.get("axes"), ndim)
    n = len(axes)
    shaped = [args.get(k) for k in ("footprint", "structure") if args.get(k) is not None]
    if shaped:
        lengths = list(np.shape(shaped[0]))
    else:
        lengths = _per_axis(args.get("size"), n)
    if len(lengths) != n:
        msg = f"the window has {len(lengths)} axes, the operation filters {n}"
        raise ValueError(msg)
    halos = _window_halos(lengths, _per_axis(args.get("origin", 0), n), axes)
    return _reach(ndim, axes, halos, _per_axis(args.get("mode", "reflect"), n))


def _window1d(args, ndim):
    halo = _window_halo(int(args["size"]), args.get("origin", 0))
    return _reach(ndim, _filtered_axes(args.get("axis", -1), ndim), [halo],
                  [args.get("mode", "reflect")])


def _grey_compound(args, ndim):
    """Grey opening and closing: two window passes."""
    one = _window(args, ndim)
    return one + one


def _binary(passes: int):
    def rule(args, ndim):
        iterations = int(args.get("iterations", 1))
        if iterations < 1:
            msg = ("iterations < 1 (repeat until nothing changes) has no bounded reach, so it "
                   "cannot run in blocks")
            raise ValueError(msg)
        axes = _filtered_axes(args.get("axes"), ndim)
        structure = args.get("structure")
        lengths = [3] * len(axes) if structure is None else list(np.shape(structure))
        origins = _per_axis(args.get("origin", 0), len(axes))
        halos = [h * iterations * passes for h in _window_halos(lengths, origins, axes)]
        return _reach(ndim, axes, halos, ["reflect"] * len(axes))
    return rule


def _sinograms(args, ndim):
    """Ring cleaning: sinograms (angles, columns) are whole; a stack splits along its rows."""
    whole = (True,) * ndim if ndim == 2 else (True, False, True)
    return Reach((0,) * ndim, whole)


def _profiles(args, ndim):
    """Stripe detection: each line along the last axis is one whole profile."""
    return Reach((0,) * ndim, (False,) * (ndim - 1) + (True,))


def _pointwise(args, ndim):
    """A function of each sample alone."""
    return Reach.none(ndim)


_RULES = {
    invert: _pointwise,
    threshold: _pointwise,
    ndimage.gaussian_filter: _gaussian,
    ndimage.gaussian_filter1d: _gaussian1d,
    ndimage.median_filter: _window,
    ndimage.rank_filter: _window,
    ndimage.percentile_filter: _window,
    ndimage.minimum_filter: _window,
    ndimage.maximum_filter: _window,
    ndimage.grey_erosion: _window,
    ndimage.grey_dilation: _window,
    ndimage.grey_opening: _grey_compound,
    ndimage.grey_closing: _grey_compound,
    ndimage.minimum_filter1d: _window1d,
    ndimage.maximum_filter1d: _window1d,
    ndimage.binary_erosion: _binary(1),
    ndimage.binary_dilation: _binary(1),
    ndimage.binary_opening: _binary(2),
    ndimage.binary_closing: _binary(2),
}
_RULES.update({getattr(tomo, name): _sinograms for name in tomo.__all__
               if name.startswith("remove_")})
_RULES[tomo.detect_stripe] = _profiles


def _wavelet_level(args, shape):
    """remove_stripe_fw's default level comes from the largest axis of the whole input."""
    if args.get("level") is None:
        return {"level": int(np.ceil(np.log2(max(shape))))}
    return {}


# Defaults an operation derives from its input's shape: fixed from the whole array's shape so
# that every block uses the same value.
_WHOLE_ARRAY_DEFAULTS = {tomo.remove_stripe_fw: _wavelet_level}


def whole_array_defaults(func, args: tuple, kwargs: dict, shape) -> dict:
    """Keyword arguments to add so that ``func`` on a block behaves as on the whole array."""
    rule = _WHOLE_ARRAY_DEFAULTS.get(func)
    if rule is None:
        return {}
    bound = inspect.signature(func).bind(None, *args, **kwargs)
    return rule(dict(bound.arguments), tuple(shape))


def knows(func) -> bool:
    """Whether :func:`reach_of` derives ``func``'s reach from its arguments."""
    return func in _RULES


def reach_of(func, args: tuple, kwargs: dict, ndim: int) -> Reach:
    """The reach of ``func(array, *args, **kwargs)`` on an ``ndim``-dimensional array."""
    rule = _RULES.get(func)
    if rule is None:
        name = getattr(func, "__name__", repr(func))
        msg = (f"the halo of {name} is not known; give halo= (0 for a function of each sample "
               "alone)")
        raise TypeError(msg)
    bound = inspect.signature(func).bind(None, *args, **kwargs)
    try:
        return rule(dict(bound.arguments), ndim)
    except (TypeError, ValueError, IndexError, OverflowError) as error:
        # Arguments the rule cannot read are usually invalid: the call itself, on one sample,
        # raises what scipy raises for them.
        try:
            func(np.zeros((1,) * ndim), *args, **{k: v for k, v in kwargs.items()
                                                  if k not in _SHAPED or np.ndim(v) == 0})
        except Exception as call_error:
            raise call_error from None
        raise error from None


_SHAPED = {"mask", "output"}  # arguments of the array's shape, left out of the one-sample call
