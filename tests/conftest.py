"""Shared test helpers, handed to tests as session-scoped fixtures.

pytest runs with ``--import-mode=importlib``, so test modules cannot import a sibling helper
module; fixtures are the way to share code. Each fixture returns a plain function, and being
session-scoped they are safe to use in hypothesis tests.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

# When a property test fails, hypothesis' pytest plugin imports libcst (to suggest a patch). Some
# libcst / mypy_extensions combinations warn on that import, and with filterwarnings = error the
# warning turns the failure report into an INTERNALERROR that ends the whole session. Importing
# libcst once here, with that one warning silenced, keeps failures reported as failures.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="mypy_extensions.TypedDict is deprecated", category=DeprecationWarning
    )
    try:
        import libcst  # noqa: F401
    except ImportError:
        pass


def _same(actual, expected) -> None:
    """Assert that two arrays have the same dtype, shape and bytes (bit-identical results).

    One exemption: where both hold a NaN, its sign and payload bits may differ. IEEE 754 leaves
    them unspecified, and which NaN an x86 addition keeps depends on the order in which the
    compiler put its operands, in scipy's build as in ours. NaN positions must still match.
    """
    assert isinstance(actual, np.ndarray), f"expected an ndarray, got {type(actual).__name__}"
    assert isinstance(expected, np.ndarray), f"expected an ndarray, got {type(expected).__name__}"
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"shape {actual.shape} != {expected.shape}"
    a = np.ascontiguousarray(actual)
    e = np.ascontiguousarray(expected)
    if a.dtype.kind in "fc":
        both_nan = np.isnan(a) & np.isnan(e)
        if both_nan.any():
            a, e = a.copy(), e.copy()
            a[both_nan] = e[both_nan] = 0
    if a.tobytes() == e.tobytes():
        return
    # Not identical: let numpy print where, in the elements' own type and as raw bytes.
    flat_a, flat_e = a.reshape(-1), e.reshape(-1)
    differ = flat_a.view(np.uint8).reshape(flat_a.size, -1) != flat_e.view(np.uint8).reshape(
        flat_e.size, -1
    )
    where = np.flatnonzero(differ.any(axis=1))
    first = where[:5]
    raise AssertionError(
        f"{where.size} of {flat_a.size} elements differ (dtype {a.dtype}); first at flat "
        f"indices {first.tolist()}: actual {flat_a[first].tolist()} "
        f"vs expected {flat_e[first].tolist()}; actual bytes "
        f"{[flat_a[i : i + 1].tobytes().hex() for i in first]} vs expected "
        f"{[flat_e[i : i + 1].tobytes().hex() for i in first]}"
    )


def _capture(call):
    """Run ``call()`` recording warnings; return (result, exception, [(category, message)])."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = call(), None
        except Exception as exc:  # noqa: BLE001 -- any exception is part of the outcome
            result, error = None, exc
    return result, error, [(w.category, str(w.message)) for w in caught]


def _same_error(actual, expected) -> None:
    """Both zero-argument calls must raise: the same exception class with the same message.

    ``actual`` is the qbi_fast call and ``expected`` the scipy call.
    """
    _, expected_error, _ = _capture(expected)
    assert expected_error is not None, "the scipy call did not raise: the case is not a misuse"
    _, actual_error, _ = _capture(actual)
    assert actual_error is not None, (
        f"qbi_fast did not raise; scipy raised {type(expected_error).__name__}: {expected_error}"
    )
    assert type(actual_error) is type(expected_error), (
        f"qbi_fast raised {type(actual_error).__name__}({actual_error}), "
        f"scipy raised {type(expected_error).__name__}({expected_error})"
    )
    assert str(actual_error) == str(expected_error)


def _same_outcome(actual, expected) -> None:
    """Run both zero-argument calls: equal warnings and either bit-identical results or the same
    exception (class and message)."""
    expected_result, expected_error, expected_warnings = _capture(expected)
    actual_result, actual_error, actual_warnings = _capture(actual)
    if expected_error is not None:
        assert actual_error is not None, (
            f"qbi_fast returned a result; scipy raised "
            f"{type(expected_error).__name__}: {expected_error}"
        )
        assert type(actual_error) is type(expected_error), (
            f"qbi_fast raised {type(actual_error).__name__}({actual_error}), "
            f"scipy raised {type(expected_error).__name__}({expected_error})"
        )
        assert str(actual_error) == str(expected_error)
    else:
        assert actual_error is None, (
            f"scipy returned a result; qbi_fast raised {type(actual_error).__name__}: "
            f"{actual_error}"
        )
        _same(actual_result, expected_result)
    assert actual_warnings == expected_warnings


@pytest.fixture(scope="session")
def assert_same():
    """``assert_same(actual, expected)``: same dtype, shape and bytes."""
    return _same


@pytest.fixture(scope="session")
def assert_same_error():
    """``assert_same_error(qbi_call, scipy_call)``: both raise the same class and message."""
    return _same_error


@pytest.fixture(scope="session")
def assert_same_outcome():
    """``assert_same_outcome(qbi_call, scipy_call)``: same result bytes or the same exception."""
    return _same_outcome
