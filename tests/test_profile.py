"""qbi_fast.profile: per-stage wall and CPU time, utilisation, peak memory, hotspot table."""

from __future__ import annotations

import time

import numpy as np
import pytest

from qbi_fast import amdahl
from qbi_fast.profile import Profiler


def _busy(seconds):
    """Spin until this process has used ``seconds`` of CPU time (however long that takes on a
    loaded machine)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_wall_cpu_and_utilisation():
    profiler = Profiler()
    with profiler.stage("sleep"):
        time.sleep(0.1)
    with profiler.stage("busy"):
        _busy(0.1)
    sleep, busy = profiler.stages()
    assert sleep.wall >= 0.1
    assert busy.wall > 0.05  # under 0.1 s: CPU time counts the profiler's sampling thread too
    assert sleep.cpu < 0.05  # waiting costs no CPU
    assert busy.cpu >= 0.1  # CPU time is counted, not only wall time
    assert sleep.utilisation < 0.5
    assert busy.utilisation == pytest.approx(busy.cpu / busy.wall)
    assert profiler.total == pytest.approx(sleep.wall + busy.wall)


def test_peak_memory_of_a_stage():
    profiler = Profiler()
    with profiler.stage("small"):
        pass
    with profiler.stage("allocate"):
        block = np.ones(200 * 2**20 // 8)  # 200 MiB, touched
        del block
    small, allocate = profiler.stages()
    if small.peak_rss is None:
        pytest.skip("resident memory is not readable on this system")
    assert allocate.peak_rss - small.peak_rss > 150 * 2**20


def test_repeated_stages_accumulate_and_the_hotspot_is_the_longest():
    profiler = Profiler()
    for _ in range(2):
        with profiler.stage("a"):
            time.sleep(0.02)
        with profiler.stage("b"):
            time.sleep(0.06)
    names = [r.name for r in profiler.stages()]
    assert names == ["a", "b"]
    assert len(profiler.records) == 4
    a, b = profiler.stages()
    assert a.wall >= 0.04
    assert b.wall >= 0.12
    assert profiler.hotspot().name == "b"
    share = b.wall / profiler.total
    assert profiler.what_if("b", 5) == pytest.approx(amdahl.stage_speedup(share, 5))
    with pytest.raises(KeyError, match="no stage named"):
        profiler.what_if("c", 2)
    marked = [line for line in profiler.table().splitlines() if "<- hotspot" in line]
    assert len(marked) == 1
    assert marked[0].startswith("b ")


def test_a_failing_stage_is_still_recorded():
    profiler = Profiler()

    def fail():
        with profiler.stage("fails"):
            msg = "boom"
            raise RuntimeError(msg)

    with pytest.raises(RuntimeError, match="boom"):
        fail()
    assert [r.name for r in profiler.records] == ["fails"]


def test_table_of_one_stage():
    """One stage is the whole run: removing it would make the run infinitely fast."""
    profiler = Profiler()
    with profiler.stage("only"):
        time.sleep(0.001)
    assert "only" in profiler.table()
    assert profiler.what_if("only", float("inf")) == float("inf")


def test_table_dict_and_plot():
    profiler = Profiler()
    assert profiler.table() == "(no stages profiled)"
    with pytest.raises(ValueError, match="nothing profiled"):
        profiler.hotspot()
    with profiler.stage("gaussian"):
        time.sleep(0.01)
    with profiler.stage("erosion"):
        time.sleep(0.05)
    text = profiler.table()
    assert "gaussian" in text
    assert "erosion" in text
    erosion_line = next(line for line in text.splitlines() if line.startswith("erosion"))
    assert "hotspot" in erosion_line
    assert "10x faster gives" in text
    report = profiler.to_dict()
    assert report["hotspot"] == "erosion"
    assert [s["name"] for s in report["stages"]] == ["gaussian", "erosion"]
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    figure = profiler.plot()
    bars = figure.axes[0].patches
    assert len(bars) == 2
    assert bars[1].get_y() == pytest.approx(bars[0].get_height())  # stacked
    import matplotlib.pyplot as plt

    plt.close(figure)
