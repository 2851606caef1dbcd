"""Per-object results of a labelled volume: one row per label (voxel count, bounding box,
centroid), written as CSV or Parquet, or into an SQLite database that collects many samples in
one table.

    table = object_table(labels)                       # dict of equal-length numpy columns
    write_csv(table, "objects.csv")
    write_sqlite(table, "study.sqlite", sample="foam-017")
    # later: SELECT sample, AVG(voxels) FROM objects GROUP BY sample
"""

from __future__ import annotations

import csv
import sqlite3

import numpy as np

from .ndimage import find_objects, label_sizes

__all__ = ["object_table", "write_csv", "write_parquet", "write_sqlite"]

# Centroid sums run over slabs of about this many voxels, so no volume-sized index array exists.
_SLAB_VOXELS = 1 << 22


def object_table(labels, *, workers=None) -> dict[str, np.ndarray]:
    """One row per label present in ``labels`` (integer array, 0 = background), in label order:

    - ``label``, ``voxels`` (int64);
    - ``bbox_start_d`` / ``bbox_stop_d`` for each axis d (slice bounds, as find_objects gives);
    - ``centroid_d`` for each axis d (float64: the mean voxel index along d, as
      scipy.ndimage.center_of_mass of a uniform image gives, to float rounding).

    Counts and boxes are computed in parallel on ``workers`` threads.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.ndim < 1:
        msg = "labels must be an integer array of at least one dimension"
        raise TypeError(msg)
    if labels.size and labels.min() < 0:
        msg = "labels must not be negative"
        raise ValueError(msg)
    max_label = int(labels.max()) if labels.size else 0
    counts = label_sizes(labels, max_label, workers=workers)
    present = np.flatnonzero(counts[1:]) + 1
    boxes = find_objects(labels, max_label, workers=workers) if max_label else []
    table = {"label": present.astype(np.int64), "voxels": counts[present].astype(np.int64)}
    for d in range(labels.ndim):
        table[f"bbox_start_{d}"] = np.array([boxes[k - 1][d].start for k in present], np.int64)
        table[f"bbox_stop_{d}"] = np.array([boxes[k - 1][d].stop for k in present], np.int64)
    sums = _coordinate_sums(labels, max_label)
    for d in range(labels.ndim):
        table[f"centroid_{d}"] = sums[d][present] / counts[present]
    return table


def _coordinate_sums(labels: np.ndarray, max_label: int) -> list[np.ndarray]:
    """For each axis d, the sum over each label's voxels of their index along d."""
    sums = [np.zeros(max_label + 1) for _ in range(labels.ndim)]
    if labels.size == 0:
        return sums
    per_plane = max(1, labels[0].size)
    step = max(1, _SLAB_VOXELS // per_plane)
    for first in range(0, labels.shape[0], step):
        slab = labels[first : first + step]
        flat = slab.ravel()
        for d in range(labels.ndim):
            shape = [1] * labels.ndim
            shape[d] = slab.shape[d]
            index = np.arange(slab.shape[d], dtype=np.float64) + (first if d == 0 else 0)
            weights = np.broadcast_to(index.reshape(shape), slab.shape).ravel()
            sums[d] += np.bincount(flat, weights=weights, minlength=max_label + 1)
    return sums


def write_csv(table: dict[str, np.ndarray], path) -> None:
    """Write an :func:`object_table` as CSV with a header row."""
    names = list(table)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        writer.writerows(zip(*(table[n].tolist() for n in names), strict=True))


def write_parquet(table: dict[str, np.ndarray], path) -> None:
    """Write an :func:`object_table` as a Parquet file (needs pyarrow)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        msg = "writing Parquet needs pyarrow: pip install pyarrow"
        raise ImportError(msg) from error
    pq.write_table(pa.table({name: np.asarray(column) for name, column in table.items()}), path)


def write_sqlite(table: dict[str, np.ndarray], path, sample: str, table_name: str = "objects"
                 ) -> None:
    """Append an :func:`object_table` to table ``table_name`` of the SQLite database at ``path``
    (created if needed) with a ``sample`` column, so one database holds every sample of a
    study. A sample written again replaces its earlier rows; columns new to the table are
    added (NULL in the rows of earlier samples)."""
    if not table_name.isidentifier():
        msg = f"table_name must be a plain identifier; got {table_name!r}"
        raise ValueError(msg)
    names = list(table)
    types = {n: "REAL" if table[n].dtype.kind == "f" else "INTEGER" for n in names}
    columns = ", ".join(["sample TEXT NOT NULL"] + [f"{n} {types[n]}" for n in names])
    rows = [(sample, *row) for row in zip(*(table[n].tolist() for n in names), strict=True)]
    placeholders = ", ".join("?" * (len(names) + 1))
    with sqlite3.connect(path) as db:
        db.execute(f"CREATE TABLE IF NOT EXISTS {table_name} ({columns})")
        # Samples of one study may differ in columns (a 2-d sample, a run without bounding
        # boxes): columns the table lacks are added, and are NULL in the rows before.
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table_name})")}
        for n in names:
            if n not in present:
                db.execute(f"ALTER TABLE {table_name} ADD COLUMN {n} {types[n]}")
        db.execute(f"DELETE FROM {table_name} WHERE sample = ?", (sample,))
        db.executemany(f"INSERT INTO {table_name} (sample, {', '.join(names)}) "
                       f"VALUES ({placeholders})", rows)
    db.close()
