"""Per-stage profiling of a pipeline: wall time, CPU time summed over threads, CPU utilisation
and peak memory of each named stage, as a hotspot table and a stacked-bar figure, with Amdahl's
law for what making one stage faster would buy.

    profiler = Profiler()
    with profiler.stage("gaussian"):
        smooth = ndimage.gaussian_filter(volume, 3)
    with profiler.stage("label"):
        labels, n = ndimage.label(smooth > 100)
    print(profiler.table())
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import asdict, dataclass

from .amdahl import stage_speedup

__all__ = ["Profiler", "StageRecord"]

# Resident memory is sampled this often (seconds) while a stage runs.
_SAMPLE_INTERVAL = 0.005


def _rss_bytes() -> int | None:
    """This process's resident set size now (Linux /proc), or None where unavailable."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class _PeakSampler:
    """Samples the resident set size in a background thread; ``peak`` is the largest seen."""

    def __init__(self):
        self.peak = _rss_bytes()
        self._stop = threading.Event()
        self._thread = None
        if self.peak is not None:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _run(self):
        while not self._stop.wait(_SAMPLE_INTERVAL):
            now = _rss_bytes()
            if now is not None and now > self.peak:
                self.peak = now

    def stop(self) -> int | None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            now = _rss_bytes()
            if now is not None and now > self.peak:
                self.peak = now
        return self.peak


@dataclass(frozen=True)
class StageRecord:
    """One run of a stage: wall and CPU seconds (CPU summed over this process's threads), and
    the peak resident memory seen while it ran (bytes; None where it cannot be read)."""

    name: str
    wall: float
    cpu: float
    peak_rss: int | None

    @property
    def utilisation(self) -> float:
        """CPU seconds per wall second: about the number of busy cores."""
        return self.cpu / self.wall if self.wall > 0 else 0.0


class Profiler:
    """Collects :class:`StageRecord` s; a stage entered twice accumulates both runs."""

    def __init__(self):
        self.records: list[StageRecord] = []

    @contextlib.contextmanager
    def stage(self, name: str):
        """Time the enclosed block as stage ``name``."""
        sampler = _PeakSampler()
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
            self.records.append(StageRecord(name, wall, cpu, sampler.stop()))

    def stages(self) -> list[StageRecord]:
        """One record per stage name, in first-run order: times summed, peak the largest."""
        merged: dict[str, StageRecord] = {}
        for r in self.records:
            if r.name in merged:
                m = merged[r.name]
                peaks = [p for p in (m.peak_rss, r.peak_rss) if p is not None]
                merged[r.name] = StageRecord(r.name, m.wall + r.wall, m.cpu + r.cpu,
                                             max(peaks) if peaks else None)
            else:
                merged[r.name] = r
        return list(merged.values())

    @property
    def total(self) -> float:
        return sum(r.wall for r in self.records)

    def hotspot(self) -> StageRecord:
        """The stage with the most wall time."""
        stages = self.stages()
        if not stages:
            msg = "nothing profiled yet"
            raise ValueError(msg)
        return max(stages, key=lambda r: r.wall)

    def what_if(self, name: str, factor: float) -> float:
        """Overall speedup if stage ``name`` ran ``factor`` times faster (Amdahl's law)."""
        stages = {r.name: r for r in self.stages()}
        if name not in stages:
            msg = f"no stage named {name!r}; stages: {list(stages)}"
            raise KeyError(msg)
        return stage_speedup(stages[name].wall / self.total, factor)

    def table(self) -> str:
        """A text table: stage, wall time, share of the total, CPU/wall, peak memory; the
        hotspot marked, and what a 10x faster hotspot would give overall."""
        stages = self.stages()
        if not stages:
            return "(no stages profiled)"
        hot = self.hotspot()
        total = self.total
        lines = [
            f"{'stage':<32} {'time':>9} {'share':>6} {'CPU/wall':>8} {'peak RSS':>10}",
            "-" * 70,
        ]
        for r in stages:
            peak = f"{r.peak_rss / 2**20:.0f} MiB" if r.peak_rss is not None else "-"
            mark = "  <- hotspot" if r.name == hot.name else ""
            lines.append(
                f"{r.name:<32} {r.wall:>8.3f}s {r.wall / total:>6.1%} {r.utilisation:>8.2f} "
                f"{peak:>10}{mark}"
            )
        lines.append(f"{'total':<32} {total:>8.3f}s")
        lines.append(
            f"hotspot {hot.name!r}: {hot.wall / total:.0%} of the time; making it 10x faster "
            f"gives {self.what_if(hot.name, 10):.2f}x overall, removing it "
            f"{self.what_if(hot.name, float('inf')):.2f}x"
        )
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The per-stage records and the hotspot, for JSON."""
        return {
            "stages": [dict(asdict(r), utilisation=r.utilisation) for r in self.stages()],
            "total": self.total,
            "hotspot": self.hotspot().name if self.records else None,
        }

    def plot(self):
        """A matplotlib figure: one stacked bar of stage times, the hotspot hatched."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:
            msg = "plotting needs matplotlib: pip install matplotlib"
            raise ImportError(msg) from error
        stages = self.stages()
        hot = self.hotspot()
        figure, axis = plt.subplots(figsize=(4, 5))
        bottom = 0.0
        for r in stages:
            axis.bar(0, r.wall, bottom=bottom, label=f"{r.name} ({r.wall:.3g} s)",
                     hatch="//" if r.name == hot.name else None, edgecolor="black")
            bottom += r.wall
        axis.set(xticks=[], ylabel="seconds", title=f"stage times (hotspot: {hot.name})")
        axis.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
        figure.tight_layout()
        return figure
