"""Send dask arrays to :mod:`qbi_fast._dask`.

Every public function of ``qbi_fast.ndimage`` and ``qbi_fast.tomo`` is wrapped by
:func:`accepts_dask`: called with numpy data it runs as written; called with a dask array it
returns a lazy dask array built from the same function applied chunk by chunk. dask is imported
only when a dask array is seen, so it stays an optional dependency.
"""

from __future__ import annotations

import functools
import inspect
import sys

__all__ = ["accepts_dask", "is_dask_array"]


def is_dask_array(value) -> bool:
    module = sys.modules.get("dask.array")  # a dask array cannot exist before dask.array loads
    return module is not None and isinstance(value, module.Array)


def accepts_dask(kind: str, array_arguments: int = 1):
    """Decorator: route calls whose first ``array_arguments`` arguments include a dask array to
    the ``kind`` implementation of :mod:`qbi_fast._dask` ("local": a filter with a bounded
    reach; "label", "find_objects", "label_sizes", "sum_labels")."""

    def decorate(func):
        names = list(inspect.signature(func).parameters)[:array_arguments]

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if any(is_dask_array(a) for a in args[:array_arguments]) or any(
                    is_dask_array(kwargs.get(name)) for name in names):
                from . import _dask

                return _dask.IMPLEMENTATIONS[kind](wrapper, args, kwargs)
            return func(*args, **kwargs)

        return wrapper

    return decorate
