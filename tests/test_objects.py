"""qbi_fast.objects: per-object table against scipy's measurements; CSV and SQLite output."""

from __future__ import annotations

import csv
import sqlite3

import numpy as np
import pytest
import scipy.ndimage as ndi

from qbi_fast import objects


@pytest.mark.parametrize(
    ("shape", "density", "seed"),
    [((50,), 0.5, 0), ((31, 40), 0.4, 1), ((12, 20, 17), 0.3, 2), ((1, 9, 1), 0.6, 3),
     ((40, 64, 64), 0.25, 4)],
)
def test_table_matches_scipy(shape, density, seed):
    labels, n = ndi.label(np.random.default_rng(seed).random(shape) < density)
    labels[labels == 2] = 0  # a missing label is skipped
    table = objects.object_table(labels)
    present = np.array([k for k in range(1, n + 1) if k != 2])
    np.testing.assert_array_equal(table["label"], present)
    np.testing.assert_array_equal(table["voxels"], np.bincount(labels.ravel())[present])
    boxes = ndi.find_objects(labels)
    for d in range(labels.ndim):
        starts = [boxes[k - 1][d].start for k in present]
        stops = [boxes[k - 1][d].stop for k in present]
        np.testing.assert_array_equal(table[f"bbox_start_{d}"], starts)
        np.testing.assert_array_equal(table[f"bbox_stop_{d}"], stops)
    centres = np.array(ndi.center_of_mass(np.ones(labels.shape), labels, present)).reshape(
        len(present), labels.ndim
    )
    for d in range(labels.ndim):
        np.testing.assert_allclose(table[f"centroid_{d}"], centres[:, d], rtol=1e-12)


def test_centroids_across_slabs(monkeypatch):
    """Volumes summed in several slabs give the same centroids as in one."""
    labels, _ = ndi.label(np.random.default_rng(5).random((23, 16, 16)) < 0.4)
    whole = objects.object_table(labels)
    monkeypatch.setattr(objects, "_SLAB_VOXELS", 100)
    sliced = objects.object_table(labels)
    for d in range(3):
        np.testing.assert_allclose(sliced[f"centroid_{d}"], whole[f"centroid_{d}"], rtol=1e-12)


def test_empty_and_bad_labels():
    table = objects.object_table(np.zeros((4, 5), np.int32))
    assert all(column.size == 0 for column in table.values())
    assert set(table) >= {"label", "voxels", "bbox_start_1", "centroid_0"}
    with pytest.raises(TypeError, match="integer"):
        objects.object_table(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="negative"):
        objects.object_table(np.array([[0, -1]]))


def test_csv_round_trip(tmp_path):
    labels, _ = ndi.label(np.random.default_rng(6).random((10, 12)) < 0.5)
    table = objects.object_table(labels)
    path = tmp_path / "objects.csv"
    objects.write_csv(table, path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == table["label"].size
    assert [int(r["voxels"]) for r in rows] == table["voxels"].tolist()
    assert [float(r["centroid_1"]) for r in rows] == table["centroid_1"].tolist()


def test_parquet_round_trip(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    labels, _ = ndi.label(np.random.default_rng(7).random((9, 11, 5)) < 0.4)
    table = objects.object_table(labels)
    objects.write_parquet(table, tmp_path / "objects.parquet")
    read = pq.read_table(tmp_path / "objects.parquet")
    assert read.column_names == list(table)
    for name, column in table.items():
        np.testing.assert_array_equal(read.column(name).to_numpy(), column)
        assert read.column(name).to_numpy().dtype == column.dtype


def test_sqlite_takes_samples_of_other_columns(tmp_path):
    """A study's samples may differ in columns (a 2-d one; one without bounding boxes):
    missing columns are added, NULL in the earlier rows."""
    path = tmp_path / "study.sqlite"
    volume, _ = ndi.label(np.random.default_rng(5).random((6, 8, 8)) < 0.3)
    image, _ = ndi.label(np.random.default_rng(6).random((8, 8)) < 0.3)
    objects.write_sqlite(objects.object_table(image), path, sample="image")
    objects.write_sqlite(objects.object_table(volume), path, sample="volume")
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("SELECT sample, COUNT(bbox_start_2) FROM objects GROUP BY sample"))
    db.close()
    assert rows == {"image": 0, "volume": int(volume.max())}


def test_sqlite_collects_samples_for_sql_queries(tmp_path):
    path = tmp_path / "study.sqlite"
    expected = {}
    for seed in range(3):
        labels, _ = ndi.label(np.random.default_rng(seed).random((8, 16, 16)) < 0.3)
        table = objects.object_table(labels)
        objects.write_sqlite(table, path, sample=f"s{seed}")
        expected[f"s{seed}"] = table["voxels"].mean()
    objects.write_sqlite(table, path, sample="s2")  # written again: replaces, not doubles
    with sqlite3.connect(path) as db:
        means = dict(db.execute("SELECT sample, AVG(voxels) FROM objects GROUP BY sample"))
        (count,) = db.execute("SELECT COUNT(*) FROM objects WHERE sample = 's2'").fetchone()
    db.close()
    assert means == pytest.approx(expected)
    assert count == table["label"].size
    with pytest.raises(ValueError, match="identifier"):
        objects.write_sqlite(table, path, sample="x", table_name="objects; DROP TABLE objects")
