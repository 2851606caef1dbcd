"""Every build of the hot loops the CPU can run gives scipy's results, not only the widest one
this machine picks: a user's CPU may have AVX2 and no AVX-512, or neither. Each build is forced
with QBI_FAST_SIMD in a fresh interpreter (the choice is made once per process)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import pytest

from qbi_fast._config import config

# Checked in the child: shapes whose lane counts and line lengths leave every remainder after
# the widest vectors (16 lanes side by side, 32 outputs along a line), for symmetric (order 0)
# and antisymmetric (order 1) kernels, and the other kernels with SIMD builds.
CHILD = """
import numpy as np, scipy.ndimage as ndi
import qbi_fast, qbi_fast.ndimage as q
from qbi_fast._config import config

assert config()["simd_path"] == {path!r}, config()["simd_path"]
rng = np.random.default_rng(5)
for lines in range(1, 40):
    for n in (1, 7, 33, 70):
        a = rng.random((n, lines))
        for order in (0, 1):
            for axis in (0, 1):
                got = q.gaussian_filter1d(a, 1.5, axis, order, workers=1)
                assert np.array_equal(got, ndi.gaussian_filter1d(a, 1.5, axis, order)), (n, lines)
v = rng.random((9, 21, 35), dtype=np.float32)
assert np.array_equal(q.gaussian_filter(v, 2.0), ndi.gaussian_filter(v, 2.0))
u = (rng.random((9, 21, 35)) * 255).astype(np.uint8)
assert np.array_equal(q.median_filter(u, 3), ndi.median_filter(u, 3))
assert np.array_equal(q.median_filter(u[0], 7), ndi.median_filter(u[0], 7))
assert np.array_equal(q.median_filter(u[0, 0], 25), ndi.median_filter(u[0, 0], 25))
assert np.array_equal(q.grey_erosion(u, size=(3, 3, 5)), ndi.grey_erosion(u, size=(3, 3, 5)))
values = np.ones((3, 3, 3)) - 2 * ndi.generate_binary_structure(3, 1)
assert np.array_equal(q.grey_erosion(u, structure=values), ndi.grey_erosion(u, structure=values))
m = u > 60
assert np.array_equal(q.binary_erosion(m, iterations=2), ndi.binary_erosion(m, iterations=2))
print("ok")
"""

PATHS = ["baseline", "avx2", "avx512"]
WIDEST = config()["simd_path"]


@pytest.mark.parametrize("path", PATHS)
def test_simd_build_matches_scipy(path):
    if PATHS.index(path) > PATHS.index(WIDEST):
        pytest.skip(f"this CPU runs at most the {WIDEST} build")
    env = {**os.environ, "QBI_FAST_SIMD": path}
    if path == "avx512":
        del env["QBI_FAST_SIMD"]  # the widest build is chosen when nothing caps it
    done = subprocess.run([sys.executable, "-c", CHILD.format(path=path)], env=env,
                          cwd=os.path.abspath(os.sep), capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "ok"



def _import_warnings(value: str) -> list[str]:
    """The warnings about QBI_FAST_SIMD that importing qbi_fast gives with it set to value."""
    code = ("import warnings\n"
            "with warnings.catch_warnings(record=True) as caught:\n"
            "    warnings.simplefilter('always')\n"
            "    import qbi_fast\n"
            "print([str(w.message) for w in caught if 'QBI_FAST_SIMD' in str(w.message)])")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "QBI_FAST_SIMD": value},
                          cwd=os.path.abspath(os.sep), capture_output=True, text=True,
                          timeout=120, check=True)
    return ast.literal_eval(done.stdout)


@pytest.mark.parametrize("value", ["AVX2", "sse2", "avx-512"])
def test_unknown_simd_cap_warns(value):
    """A misspelt cap is ignored by the kernels, so the import says so rather than run the
    widest build unnoticed."""
    [message] = _import_warnings(value)
    assert message.startswith(f"QBI_FAST_SIMD={value!r} is ignored")
    assert message.endswith(f"the kernels use the {WIDEST} build")


@pytest.mark.parametrize("value", ["", "avx2", "baseline"])
def test_known_simd_cap_is_quiet(value):
    assert _import_warnings(value) == []
