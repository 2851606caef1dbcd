"""Shared benchmark fixtures: the default foam volume (built once) and a timing helper."""

from __future__ import annotations

import pytest

import qbi_fast


@pytest.fixture(scope="session")
def foam():
    """The default (100, 400, 400) uint8 foam of qbi_fast.data.foam()."""
    return qbi_fast.data.foam()


@pytest.fixture(scope="session")
def all_workers() -> int:
    return qbi_fast.available_cpus()


@pytest.fixture
def timed(benchmark):
    """timed(func, rounds=5): one warm-up run, then `rounds` timed runs; returns the result."""

    def run(func, rounds=5):
        return benchmark.pedantic(func, rounds=rounds, iterations=1, warmup_rounds=1)

    return run
