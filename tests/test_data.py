"""qbi_fast.data.foam: seeded, uint8, bubbles darker than the matrix."""

from __future__ import annotations

import numpy as np
import pytest

from qbi_fast.data import foam

SMALL = (24, 64, 64)


def test_foam_is_seeded_and_deterministic():
    a, b = foam(SMALL, seed=3), foam(SMALL, seed=3)
    assert a.dtype == np.uint8
    assert a.shape == SMALL
    assert np.array_equal(a, b)
    assert not np.array_equal(a, foam(SMALL, seed=4))


def test_foam_has_dark_bubbles_in_a_bright_matrix():
    volume = foam((32, 96, 96), seed=0, porosity=0.45)
    dark = volume < 100
    assert 0.3 < dark.mean() < 0.6  # about the requested porosity
    assert volume[dark].mean() < 40 < 170 < volume[~dark].mean()
    assert volume.std() > 50


def test_foam_default_shape():
    assert foam.__defaults__[0] == (100, 400, 400)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"shape": (10, 10)}, "three positive lengths"),
        ({"shape": (0, 10, 10)}, "three positive lengths"),
        ({"shape": SMALL, "porosity": 1.0}, "porosity"),
        ({"shape": SMALL, "radius_range": (5, 2)}, "radius_range"),
    ],
)
def test_foam_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        foam(**kwargs)
