"""The runnable example of docs/cluster.md runs as written (a 2-process LocalCluster)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("distributed")

DOC = Path(__file__).parent.parent / "docs" / "cluster.md"


def test_cluster_example_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) == 1
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"^15 objects, the largest \d+ voxels$", done.stdout, re.MULTILINE), done.stdout
