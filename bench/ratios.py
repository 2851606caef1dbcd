"""Print speed ratios from a pytest-benchmark JSON file: for every benchmark group, each
implementation's median time and how many times faster than the reference it ran (same group,
same run): scipy for ndimage functions, algotom for ring removal, dask-image on dask arrays.
A benchmark whose extra_info holds "alternated" (another implementation's times, taken in
turn with its own rounds) adds that implementation's median to its group.

    python bench/ratios.py results.json
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict

REFERENCES = ("scipy", "algotom", "dask-image")


def ratios(path: str) -> list[str]:
    with open(path) as f:
        report = json.load(f)
    groups = defaultdict(list)
    for b in report["benchmarks"]:
        info = b.get("extra_info", {})
        label = f"{info.get('impl', b['name'])} (workers={info.get('workers', '?')})"
        groups[b["group"]].append((label, b["stats"]["median"]))
        other = info.get("alternated")
        if other:
            groups[b["group"]].append(
                (f"{other['impl']} (alternated with it, workers={info.get('workers', '?')})",
                 statistics.median(other["times"])))
    machine = report.get("machine_info", {})
    lines = [
        f"machine: {machine.get('cpu', {}).get('brand_raw', '?')}, "
        f"{machine.get('cpu', {}).get('count', '?')} CPUs; python {machine.get('python_version', '?')}",
        "",
        "| group | implementation | median | vs reference |",
        "|---|---|---|---|",
    ]
    for group in sorted(groups):
        rows = groups[group]
        reference = min(
            (t for label, t in rows if label.startswith(REFERENCES)), default=None
        )
        for label, t in sorted(rows, key=lambda r: r[1]):
            ratio = f"{reference / t:.1f}x" if reference else "-"
            lines.append(f"| {group} | {label} | {t * 1e3:.1f} ms | {ratio} |")
    return lines


if __name__ == "__main__":
    print("\n".join(ratios(sys.argv[1])))
