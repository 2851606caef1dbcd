"""Amdahl's law fitted to measured run times: how much of a computation runs in parallel, what it
costs per extra thread, and what more cores (or a faster stage) would buy.

The model for the time on n workers is

    T(n) = T1 * ((1 - p) + p / n) + c * (n - 1)

with T1 the one-worker time, p the parallel fraction and c a per-extra-thread overhead (start-up,
synchronisation, memory bandwidth shared by the threads), which makes measured curves turn up
again at high n. :func:`fit` estimates T1, p and c with standard errors from (workers, seconds)
pairs; :func:`measure` times a callable under thread limits and fits it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.optimize

__all__ = ["AmdahlFit", "fit", "measure", "predict", "stage_speedup"]


@dataclass(frozen=True)
class AmdahlFit:
    """T(n) = t1 * ((1 - p) + p / n) + c * (n - 1), fitted to ``workers`` and ``seconds``.

    ``p_err``, ``t1_err`` and ``c_err`` are standard errors from the fit's residuals (0 for
    timings the model reproduces exactly, NaN when there are no more timings than parameters).
    ``c`` is 0 and ``c_err`` NaN when the overhead term was not fitted.
    """

    t1: float
    p: float
    c: float
    t1_err: float
    p_err: float
    c_err: float
    workers: np.ndarray
    seconds: np.ndarray

    def predict(self, workers) -> np.ndarray:
        """Modelled seconds on ``workers`` threads (a number or an array)."""
        n = np.asarray(workers, dtype=np.float64)
        return self.t1 * ((1.0 - self.p) + self.p / n) + self.c * (n - 1.0)

    def speedup(self, workers) -> np.ndarray:
        """Modelled speedup over one worker, T(1) / T(n)."""
        return self.t1 / self.predict(workers)

    @property
    def max_speedup(self) -> float:
        """Amdahl's limit 1 / (1 - p), reached with unlimited workers and no overhead."""
        return float("inf") if self.p >= 1.0 else 1.0 / (1.0 - self.p)

    @property
    def best_workers(self) -> float:
        """Workers at which the modelled time is lowest: sqrt(t1 p / c) (inf without overhead),
        and at least 1."""
        return float("inf") if self.c <= 0 else max(1.0, float(np.sqrt(self.t1 * self.p / self.c)))

    def __str__(self) -> str:
        text = f"T1 = {self.t1:.4g} s, parallel fraction p = {self.p:.3f} ± {self.p_err:.3f}"
        if self.c > 0 or np.isfinite(self.c_err):
            text += f", overhead c = {self.c:.3g} ± {self.c_err:.2g} s per extra worker"
        return text + f"; limit {self.max_speedup:.3g}x"

    def plot(self, max_workers: int | None = None):
        """A matplotlib figure: measured and modelled time, and speedup against the ideal
        (linear) one, over 1 .. ``max_workers`` workers (default: twice the most measured)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:
            msg = "plotting needs matplotlib: pip install matplotlib"
            raise ImportError(msg) from error
        top = int(max_workers or max(2, 2 * int(self.workers.max())))
        n = np.arange(1, top + 1)
        figure, (time_axis, speedup_axis) = plt.subplots(1, 2, figsize=(10, 4))
        time_axis.plot(self.workers, self.seconds, "o", label="measured")
        time_axis.plot(n, self.predict(n), "-", label=f"Amdahl fit (p = {self.p:.3f})")
        time_axis.plot(n, self.t1 / n, ":", label="ideal (t1 / n)")
        time_axis.set(xlabel="workers", ylabel="seconds", title="run time")
        speedup_axis.plot(self.workers, self.t1 / self.seconds, "o", label="measured")
        speedup_axis.plot(n, self.speedup(n), "-", label="Amdahl fit")
        speedup_axis.plot(n, n, ":", label="ideal")
        speedup_axis.set(xlabel="workers", ylabel="speedup over 1 worker", title="speedup")
        for axis in (time_axis, speedup_axis):
            axis.legend()
        figure.tight_layout()
        return figure


def fit(workers: Sequence[float], seconds: Sequence[float], overhead: bool | None = None
        ) -> AmdahlFit:
    """Fit Amdahl's law to run times ``seconds`` measured on ``workers`` threads.

    The model is linear in a = t1 (1 - p), b = t1 p and c; it is solved by least squares on
    relative residuals (each timing counts by its relative error, as timing noise is) with
    a, b, c >= 0, so 0 <= p <= 1. ``overhead`` includes the c term: by default when at least
    three distinct worker counts were measured.
    """
    n = np.asarray(workers, dtype=np.float64).ravel()
    t = np.asarray(seconds, dtype=np.float64).ravel()
    if n.shape != t.shape:
        msg = f"workers and seconds must have the same length; got {n.size} and {t.size}"
        raise ValueError(msg)
    if not (np.all(np.isfinite(n)) and np.all(n >= 1)):
        msg = "workers must be finite and at least 1"
        raise ValueError(msg)
    if not (np.all(np.isfinite(t)) and np.all(t > 0)):
        msg = "seconds must be finite and positive"
        raise ValueError(msg)
    distinct = np.unique(n).size
    if overhead is None:
        overhead = distinct >= 3
    n_params = 3 if overhead else 2
    if distinct < n_params:
        msg = (
            f"fitting {'p, t1 and the overhead c' if overhead else 'p and t1'} needs timings at "
            f"{n_params} or more different worker counts; got {distinct}"
        )
        raise ValueError(msg)
    columns = [np.ones_like(n), 1.0 / n] + ([n - 1.0] if overhead else [])
    design = np.stack(columns, axis=1) / t[:, None]  # relative residuals: divide rows by t
    # Bounded-variable least squares (an exact active-set method for these 2-3 unknowns).
    solution = scipy.optimize.lsq_linear(design, np.ones_like(t), bounds=(0.0, np.inf),
                                         method="bvls")
    params = solution.x
    a, b = params[0], params[1]
    c = params[2] if overhead else 0.0
    t1 = a + b
    if t1 <= 0:
        msg = "the timings do not determine a positive one-worker time"
        raise ValueError(msg)
    covariance = _covariance(design, solution.fun, n_params)
    # Standard errors through the gradients of t1 = a + b and p = b / (a + b).
    grad_t1 = np.zeros(n_params)
    grad_t1[:2] = 1.0
    grad_p = np.zeros(n_params)
    grad_p[:2] = [-b / t1**2, a / t1**2]
    t1_err = float(np.sqrt(max(grad_t1 @ covariance @ grad_t1, 0.0)))
    p_err = float(np.sqrt(max(grad_p @ covariance @ grad_p, 0.0)))
    c_err = float(np.sqrt(max(covariance[2, 2], 0.0))) if overhead else float("nan")
    return AmdahlFit(float(t1), float(b / t1), float(c), t1_err, p_err, c_err, n, t)


def _covariance(design: np.ndarray, residuals: np.ndarray, n_params: int) -> np.ndarray:
    """Least-squares parameter covariance s^2 (X^T X)^-1; NaN without spare timings."""
    dof = design.shape[0] - n_params
    if dof <= 0:
        return np.full((n_params, n_params), np.nan)
    variance = float(residuals @ residuals) / dof
    return variance * np.linalg.pinv(design.T @ design)


def predict(result: AmdahlFit, workers) -> np.ndarray:
    """Modelled seconds on ``workers`` threads: ``result.predict(workers)``."""
    return result.predict(workers)


def stage_speedup(share: float, factor: float) -> float:
    """Overall speedup when a stage taking ``share`` (0..1) of the run time becomes ``factor``
    times faster: 1 / ((1 - share) + share / factor) (Amdahl's law applied to stages)."""
    if not 0.0 <= share <= 1.0:
        msg = f"share must be between 0 and 1; got {share}"
        raise ValueError(msg)
    if not factor > 0:  # NaN too
        msg = f"factor must be positive; got {factor}"
        raise ValueError(msg)
    rest = (1.0 - share) + share / factor
    return float("inf") if rest == 0 else 1.0 / rest  # the whole run made infinitely fast


def measure(func: Callable[[], object], workers: Sequence[int] | None = None, repeat: int = 3,
            overhead: bool | None = None) -> AmdahlFit:
    """Time ``func()`` on each worker count and fit Amdahl's law to the best of ``repeat`` runs.

    Each count is applied through :func:`qbi_fast.set_workers` (qbi_fast kernels) and, when
    threadpoolctl is installed, ``threadpool_limits`` (OpenMP and BLAS pools of other
    libraries). ``workers`` defaults to 1, 2, 4, ... up to and including every available CPU.
    One untimed call first warms caches and thread pools.
    """
    from . import _threads

    if workers is None:
        top = _threads.available_cpus()
        workers = sorted({min(top, 2**k) for k in range(top.bit_length() + 1)})
    workers = [int(n) for n in workers]
    if not workers or min(workers) < 1:
        msg = "workers must be a non-empty list of positive counts"
        raise ValueError(msg)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    func()
    seconds = []
    for n in workers:
        with contextlib.ExitStack() as limits:
            limits.enter_context(_threads.set_workers(n))
            if threadpool_limits is not None:
                limits.enter_context(threadpool_limits(limits=n))
            best = float("inf")
            for _ in range(max(1, repeat)):
                start = time.perf_counter()
                func()
                best = min(best, time.perf_counter() - start)
        seconds.append(best)
    return fit(workers, seconds, overhead)
