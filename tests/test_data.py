"""qbi_fast.data: foam (seeded, uint8, bubbles darker than the matrix) and striped_sinograms
(seeded transmission sinograms with stripe artefacts, and their artefact-free version)."""

from __future__ import annotations

import numpy as np
import pytest

from qbi_fast.data import foam, striped_sinograms

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


# --------------------------------------------------------------------------------------------
# striped_sinograms


def _column_offsets(striped, clean):
    """Per column: the mean over the angles of the artefact (striped - clean)."""
    return (striped.astype(np.float64) - clean).mean(axis=0)


def test_striped_sinograms_shape_rule_and_dtype():
    sino = striped_sinograms(90, 48, seed=1)
    assert sino.shape == (90, 48)
    assert sino.dtype == np.float32
    stack = striped_sinograms(90, 48, 3, seed=1)
    assert stack.shape == (90, 3, 48)
    single = striped_sinograms(90, 48, 1, seed=1)  # an int n_rows always gives a stack
    assert single.shape == (90, 1, 48)
    striped, clean = striped_sinograms(90, 48, 2, seed=1, return_clean=True)
    assert striped.shape == clean.shape == (90, 2, 48)
    assert striped.dtype == clean.dtype == np.float32


def test_striped_sinograms_are_seeded_and_deterministic():
    a, a_clean = striped_sinograms(120, 64, seed=3, return_clean=True)
    b, b_clean = striped_sinograms(120, 64, seed=3, return_clean=True)
    assert np.array_equal(a, b)
    assert np.array_equal(a_clean, b_clean)
    assert np.array_equal(a, striped_sinograms(120, 64, seed=3))
    assert not np.array_equal(a, striped_sinograms(120, 64, seed=4))


def test_striped_sinograms_are_transmissions():
    striped, clean = striped_sinograms(seed=0, return_clean=True)
    for data in (striped, clean):
        assert np.isfinite(data).all()
        assert data.min() > 0
        assert data.max() <= 1
    # a sample in the middle (absorbing), background at the edges of the detector
    edges = np.concatenate([clean[:, :10], clean[:, -10:]], axis=1)
    assert 0.8 < edges.mean() < 0.9
    assert clean[:, 180:220].mean() < 0.5
    assert clean.min() < 0.3


def test_striped_sinograms_projections_are_consistent():
    """Without noise and artefacts, -log(transmission) is a parallel-beam projection of a
    sample inside the field of view: its integral over the detector (the sample's mass) is the
    same at every angle."""
    clean = striped_sinograms(180, 400, seed=2, noise=0.0, stripes=False, dead=False, large=False)
    mass = -np.log(clean.astype(np.float64)).sum(axis=1)
    assert mass.std() < 2e-3 * mass.mean()
    # and the projections do change with the angle
    assert np.abs(clean[0] - clean[45]).max() > 0.1


def test_striped_sinograms_have_every_kind_of_stripe():
    n_angles, n_columns = 360, 400
    striped, clean = striped_sinograms(n_angles, n_columns, seed=5, return_clean=True)
    offsets = np.abs(_column_offsets(striped, clean))
    artefact = np.abs(striped.astype(np.float64) - clean) > 1e-6
    columns = np.flatnonzero(artefact.any(axis=0))
    assert 14 <= columns.size <= 40  # narrow + partial + large + 2 dead, none elsewhere
    assert (offsets[columns] > 0).all()
    # the outer 5 % of the detector is free of artefacts
    assert columns.min() >= 20
    assert columns.max() < n_columns - 20
    # a dead column that reads one value at every angle, where the clean one varies
    constant = [j for j in columns if np.ptp(striped[:, j]) == 0]
    assert len(constant) == 1
    assert np.ptp(clean[:, constant[0]]) > 0.05
    # a partial stripe: a column whose gain error covers only part of the angles
    rows_hit = artefact[:, columns].mean(axis=0)
    assert np.any((rows_hit > 0.2) & (rows_hit < 0.5))
    # a large stripe: at least five neighbouring columns with the same sign of error
    runs = np.split(columns, np.flatnonzero(np.diff(columns) > 1) + 1)
    assert max(len(run) for run in runs) >= 5
    # gain errors of 2-15 % in the full stripes
    full = columns[rows_hit > 0.9]
    relative = striped[:, full].astype(np.float64) / clean[:, full] - 1
    assert np.median(np.abs(relative)) > 0.015


def test_striped_sinograms_artefacts_can_be_switched_off():
    striped, clean = striped_sinograms(120, 64, seed=6, return_clean=True)
    assert not np.array_equal(striped, clean)
    none = striped_sinograms(120, 64, seed=6, stripes=False, dead=False, large=False)
    stripes_only, clean_again = striped_sinograms(
        120, 64, seed=6, dead=False, large=False, return_clean=True
    )
    assert np.array_equal(clean_again, clean)  # the clean data do not depend on the artefacts
    assert np.array_equal(none, clean)
    assert not np.array_equal(stripes_only, clean)
    assert not any(np.ptp(stripes_only[:, j]) == 0 for j in range(64))  # no dead column


def test_striped_sinograms_rows_differ_but_share_stripe_columns():
    striped, clean = striped_sinograms(180, 128, 4, seed=7, return_clean=True)
    assert np.abs(clean[:, 0] - clean[:, 3]).max() > 0.02  # the sample changes along the rows
    hit = [np.abs(_column_offsets(striped[:, m], clean[:, m])) > 1e-6 for m in range(4)]
    for m in range(1, 4):
        assert np.array_equal(hit[m], hit[0])


def test_striped_sinograms_noise():
    quiet = striped_sinograms(180, 64, seed=8, noise=0.0, stripes=False, dead=False, large=False)
    noisy = striped_sinograms(180, 64, seed=8, noise=0.02, stripes=False, dead=False, large=False)
    difference = noisy.astype(np.float64) - quiet
    # noise * sqrt(T), with T around 0.2 to 0.85
    assert 0.02 * np.sqrt(0.2) < difference.std() < 0.02 * np.sqrt(0.85)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_angles": 1}, "n_angles"),
        ({"n_columns": 31}, "n_columns"),
        ({"n_rows": 0}, "n_rows"),
        ({"noise": -0.1}, "noise"),
    ],
)
def test_striped_sinograms_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        striped_sinograms(**kwargs)
