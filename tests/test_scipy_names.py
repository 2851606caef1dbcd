"""``from qbi_fast import ndimage`` replaces ``from scipy import ndimage`` in a whole script:
scipy's public names that qbi_fast does not compute are scipy's own, reached through it."""

import numpy as np
import pytest
import scipy.ndimage

from qbi_fast import ndimage


def test_computed_names_are_scipy_names():
    assert set(ndimage.__all__) - set(scipy.ndimage.__all__) == {"ball", "label_sizes"}


@pytest.mark.parametrize("name", scipy.ndimage.__all__)
def test_every_scipy_name_is_reachable(name):
    theirs = getattr(scipy.ndimage, name)
    if name in ndimage.__all__:
        assert getattr(ndimage, name) is not theirs
    else:
        assert getattr(ndimage, name) is theirs
    assert name in dir(ndimage)


def test_forwarded_functions_give_scipy_results():
    rng = np.random.default_rng(0)
    volume = rng.random((12, 13, 14))
    mask = volume > 0.4
    np.testing.assert_array_equal(ndimage.uniform_filter(volume, 3),
                                  scipy.ndimage.uniform_filter(volume, 3))
    np.testing.assert_array_equal(ndimage.binary_fill_holes(mask),
                                  scipy.ndimage.binary_fill_holes(mask))
    np.testing.assert_array_equal(ndimage.distance_transform_edt(mask),
                                  scipy.ndimage.distance_transform_edt(mask))


@pytest.mark.parametrize("name", ["no_such_filter", "_nd_image", "_ni_support"])
def test_other_names_are_missing(name):
    assert not hasattr(ndimage, name)
    with pytest.raises(AttributeError, match=f"'qbi_fast.ndimage' has no attribute '{name}'"):
        getattr(ndimage, name)
