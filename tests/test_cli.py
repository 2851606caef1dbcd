"""The qbi-fast command."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stdout

import pytest

from qbi_fast.cli import main, sample_name


def test_demo_runs_every_stage_and_agrees_with_scipy():
    out = io.StringIO()
    with redirect_stdout(out):
        status = main(["demo", "--shape", "16", "48", "48", "--repeat", "1", "--workers", "2",
                       "--ring-rows", "2"])
    text = out.getvalue()
    assert status == 0, text
    for stage in ("gaussian", "median", "threshold", "binary_erosion", "label",
                  "remove_stripe_based_sorting", "remove_all_stripe"):
        assert stage in text
    assert "agrees" in text
    assert "DIFFERS" not in text
    assert "<- hotspot" in text and "CPU/wall" in text


def test_scaling_command_prints_the_fit_and_saves_a_plot(tmp_path):
    pytest.importorskip("matplotlib").use("Agg")
    out = io.StringIO()
    plot = tmp_path / "scaling.png"
    with redirect_stdout(out):
        status = main(["scaling", "gaussian", "--shape", "8", "32", "32", "--workers", "1", "2",
                       "--repeat", "1", "--plot", str(plot)])
    text = out.getvalue()
    assert status == 0, text
    assert "Amdahl fit" in text and "parallel fraction p" in text
    rows = [line.split() for line in text.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["1", "2"]
    assert plot.stat().st_size > 0


def test_config_command_prints_config():
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["config"]) == 0
    assert "SIMD path" in out.getvalue()


def test_console_script_and_module_entry_point():
    runs = [[sys.executable, "-m", "qbi_fast", "--help"]]
    if shutil.which("qbi-fast"):
        runs.append(["qbi-fast", "demo", "--help"])
    for command in runs:
        # from the root directory, so the installed package is imported, not a source tree
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, cwd=os.path.abspath(os.sep)
        )
        assert "demo" in done.stdout


def test_bad_command_exits_with_usage():
    with pytest.raises(SystemExit) as exit_info, redirect_stdout(io.StringIO()):
        main(["no-such-command"])
    assert exit_info.value.code == 2


@pytest.mark.parametrize(("source", "name"), [
    ("foam.npy", "foam"),
    ("scans/s07.zarr", "s07"),
    ("scans/s07.zarr/", "s07"),
    ("scans/s07/slice_*.tif", "s07"),
    ("scans/s07/slice_????.tiff", "s07"),
    ("scans/*/slice_0001.tif", "scans"),
    ("s07.tif", "s07"),
])
def test_default_sample_name(source, name):
    assert sample_name(source) == name
