"""qbi_fast's and dask-image's gaussian (sigma 2) on the (256, 512, 512) float32 volume of
bench_dask.py, on one 2-process LocalCluster, in runs of both libraries and every chunking
taken in a shuffled order, round after round, each run starting once the last one's results
and garbage are gone (see bench_dask.settle).

    python bench/dask_alternate.py [--rounds N] [--chunks Z,Y,X ...]

On a host whose speed drifts over minutes, runs taken back to back by library (as
pytest-benchmark takes them) can land in different spells; alternating gives both the same
conditions. Prints, per chunking, the medians and their ratio (dask-image / qbi_fast).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import distributed
from dask_image import ndfilters

from qbi_fast import ndimage

sys.path.insert(0, str(Path(__file__).parent))  # bench_dask.py, a sibling module
from bench_dask import held_results, persisted, settle, spread_volume

LIBRARIES = {"qbi_fast": ndimage.gaussian_filter, "dask-image": ndfilters.gaussian_filter}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--chunks", nargs="+", default=["64,256,256", "128,256,512"])
    options = parser.parse_args()
    chunkings = [tuple(int(n) for n in c.split(",")) for c in options.chunks]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        runs = {}
        for chunks in chunkings:
            volume = spread_volume(client, chunks)
            for library, gaussian in LIBRARIES.items():
                runs[chunks, library] = persisted(
                    lambda x, gaussian=gaussian: [gaussian(x, 2.0)], volume)
        for run in runs.values():  # warm-up
            run()
        times = {key: [] for key in runs}
        order = random.Random(0)
        held = held_results(client)
        for _ in range(options.rounds):
            keys = list(runs)
            order.shuffle(keys)
            for key in keys:
                settle(client, held)
                start = time.perf_counter()
                runs[key]()
                times[key].append(time.perf_counter() - start)
    for chunks in chunkings:
        ours, theirs = (statistics.median(times[chunks, library]) for library in LIBRARIES)
        print(f"chunks {chunks}: qbi_fast {1e3 * ours:.0f} ms, dask-image {1e3 * theirs:.0f} "
              f"ms, {theirs / ours:.1f}x  (qbi_fast runs, ms: "
              f"{[round(1e3 * t) for t in times[chunks, 'qbi_fast']]})")


if __name__ == "__main__":
    main()
