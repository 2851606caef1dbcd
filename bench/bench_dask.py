"""qbi_fast vs dask-image on dask arrays, on the same 2-process LocalCluster: a chunked
(256, 512, 512) float32 volume, in chunks of 16 MiB (64, 256, 256) and of 64 MiB (128, 256,
512, nearer dask's advice of ~100 MB chunks), held in the workers' memory. Each timed run
persists the lazy result on the cluster and waits for it (nothing is gathered to the client).
Every comparison alternates the two libraries, a run of dask-image before each run of
qbi_fast, so that both see the same spells of a host whose speed drifts over minutes, and
every run starts once the cluster has let go of the last one's results and garbage.
The input's chunks are spread evenly over the two workers. Gaussian (sigma 2) and median (size
3) must equal dask-image's results; labels of the thresholded smoothed volume must equal
scipy's labelling of the whole array.

Run: pytest bench/bench_dask.py --benchmark-only --benchmark-json=dask.json
then: python bench/ratios.py dask.json
"""

from __future__ import annotations

import collections
import gc
import itertools
import time
import uuid

import dask
import numpy as np
import pytest
import scipy.ndimage as ndi

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
dask_image_filters = pytest.importorskip("dask_image.ndfilters")
dask_image_measure = pytest.importorskip("dask_image.ndmeasure")

from qbi_fast import ndimage

SHAPE = (256, 512, 512)
CHUNKINGS = [(64, 256, 256), (128, 256, 512)]  # 16 and 64 MiB


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield client


def spread_volume(client, chunks) -> da.Array:
    """Random float32 samples in ``chunks``, created and kept on the workers, half the chunks on
    each, in a shuffled (fixed) order. dask's own placement is uneven (9/7 to 11/5 of 16 chunks
    here), and the worker holding more then computes more, whichever library runs."""
    workers = sorted(client.scheduler_info()["workers"])
    grid = [range(0, n, c) for n, c in zip(SHAPE, chunks, strict=True)]
    starts = list(itertools.product(*grid))
    holder = np.random.default_rng(0).permutation(len(starts)) % len(workers)
    blocks = np.empty([len(g) for g in grid], object)
    for k, start in enumerate(starts):
        shape = tuple(min(c, n - s) for s, c, n in zip(start, chunks, SHAPE, strict=True))
        future = client.submit(np.random.default_rng(k).random, shape, dtype=np.float32,
                               workers=[workers[holder[k]]], pure=False)
        blocks[tuple(s // c for s, c in zip(start, chunks, strict=True))] = \
            da.from_delayed(dask.delayed(future), shape, dtype=np.float32)
    x = da.block(blocks.tolist()).persist()
    distributed.wait(x)
    holders = collections.Counter(where[0] for where in client.who_has(x).values())
    assert sorted(holders.values()) == [len(starts) // 2] * 2, holders
    return x


@pytest.fixture(scope="module", params=CHUNKINGS, ids=lambda c: "chunks " + "x".join(map(str, c)))
def volume(request, client):
    return spread_volume(client, request.param)


def _chunking(volume) -> str:
    return f"{SHAPE} in chunks {volume.chunksize}, 2 processes"


@pytest.fixture(scope="module")
def foreground(volume):
    """Blobs: the smoothed noise above a threshold (computed once, kept on the workers)."""
    smooth = ndimage.gaussian_filter(volume, 2.0)
    mask = (smooth > 0.503).persist()
    distributed.wait(mask)
    return mask


def persisted(func, source):
    """A timed run: ``func(source)``'s lazy arrays computed on the cluster and kept there. Each
    run reads ``source`` under a new name, so that no run reuses an earlier run's results."""
    def run():
        fresh = source.map_blocks(np.asarray, name=f"source-{uuid.uuid4().hex}")
        results = distributed.client.default_client().persist(list(func(fresh)))
        distributed.wait(results)
    return run


def held_results(client) -> int:
    """How many results (chunks, slabs...) the workers hold in memory, all told."""
    return sum(client.run(lambda dask_worker: len(dask_worker.data)).values())


def settle(client, held: int, timeout: float = 30.0) -> None:
    """Lets the last run's leftovers go before the next timed run, as timeit and pyperf do for
    one process: waits until the workers hold no more than ``held`` results (the cluster lets go
    of a run's results asynchronously, after it), then collects garbage in the workers, the
    scheduler and here. Without this, a run paid for the one before it: in one cluster,
    qbi_fast's gaussian in 64 MiB chunks took 305 ms after its own runs and 395 ms right after
    dask-image's, whose graphs leave many more objects behind; 341 against 293 ms with the
    wait alone; 272 against 249 ms with the collection too."""
    deadline = time.perf_counter() + timeout
    while held_results(client) > held and time.perf_counter() < deadline:
        time.sleep(0.005)
    client.run(gc.collect)
    client.run_on_scheduler(gc.collect)
    gc.collect()


CASES = {
    "gaussian sigma 2": (lambda x: ndimage.gaussian_filter(x, 2.0),
                         lambda x: dask_image_filters.gaussian_filter(x, 2.0)),
    "median size 3": (lambda x: ndimage.median_filter(x, 3),
                      lambda x: dask_image_filters.median_filter(x, 3)),
}


@pytest.fixture(scope="module")
def reference(volume):
    """dask-image's results, computed once, for the equality checks."""
    return {name: ours_theirs[1](volume).compute() for name, ours_theirs in CASES.items()}


def alternated(benchmark, client, ours, theirs, rounds):
    """Times ``ours`` as pytest-benchmark does and ``theirs`` (dask-image) here, alternately: a
    run of ``theirs`` before every run of ``ours`` (pedantic's setup, untimed by it; the first
    is the warm-up), each run starting once the cluster has let go of the last one's results.
    Records the times of ``theirs`` in extra_info for ratios.py."""
    times = []
    held = held_results(client)

    def run_theirs():
        settle(client, held)
        start = time.perf_counter()
        theirs()
        times.append(time.perf_counter() - start)
        settle(client, held)

    benchmark.extra_info.update(impl="qbi_fast", workers="2 processes x 1 thread")
    benchmark.pedantic(ours, setup=run_theirs, rounds=rounds, iterations=1, warmup_rounds=1)
    benchmark.extra_info["alternated"] = {"impl": "dask-image", "times": times[1:]}


@pytest.mark.parametrize("case", CASES)
def test_filter(benchmark, client, volume, reference, case):
    benchmark.group = f"dask {case}, {_chunking(volume)}"
    ours, theirs = CASES[case]
    alternated(benchmark, client, persisted(lambda x: [ours(x)], volume),
               persisted(lambda x: [theirs(x)], volume), rounds=7 if "gaussian" in case else 3)
    np.testing.assert_array_equal(ours(volume).compute(), reference[case])


def test_gaussian_without_halo(benchmark, client, volume):
    """Not a correct filter: qbi_fast's gaussian on each bare chunk (``map_blocks``, no halo,
    every chunk's edge filtered as an array edge). The floor of any chunk-by-chunk gaussian on
    this cluster: the same kernels and tasks, without the exchange of halos between chunks."""
    benchmark.group = f"dask gaussian sigma 2, {_chunking(volume)}"
    benchmark.extra_info.update(impl="qbi_fast without halo (floor, not a correct result)",
                                workers="2 processes x 1 thread")
    held = held_results(client)
    benchmark.pedantic(
        persisted(lambda x: [x.map_blocks(ndimage.gaussian_filter, 2.0, workers=1)], volume),
        setup=lambda: settle(client, held), rounds=5, iterations=1, warmup_rounds=1)


@pytest.fixture(scope="module")
def scipy_labels(foreground):
    return ndi.label(foreground.compute())


def test_label(benchmark, client, volume, foreground, scipy_labels):
    benchmark.group = f"dask label, {_chunking(volume)}"
    alternated(benchmark, client, persisted(ndimage.label, foreground),
               persisted(dask_image_measure.label, foreground), rounds=3)
    expected, expected_count = scipy_labels
    for label in (ndimage.label, dask_image_measure.label):
        assert int(label(foreground)[1].compute()) == expected_count
    np.testing.assert_array_equal(ndimage.label(foreground)[0].compute(), expected)
