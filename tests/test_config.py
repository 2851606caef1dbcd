"""show_config() and the build facts behind it."""

from __future__ import annotations

import io

import qbi_fast
from qbi_fast._config import config


def test_show_config_names_version_compiler_simd_openmp_workers():
    out = io.StringIO()
    qbi_fast.show_config(file=out)
    text = out.getvalue()
    c = config()
    assert text.startswith(f"qbi_fast {qbi_fast.__version__}")
    for field in ("compiler:", "SIMD path:", "OpenMP:", "default workers:"):
        assert field in text
    assert c["compiler"] in text
    assert c["simd_path"] in ("avx512", "avx2", "baseline")
    assert c["default_workers"] >= 1
    assert c["available_cpus"] >= c["default_workers"] or c["workers"] >= 1


def test_version_is_the_installed_distributions():
    from importlib.metadata import version

    assert qbi_fast.__version__ == version("qbi_fast")
