"""Buffers the event loop reuses from chunk to chunk, one set per thread.

Memory touched for the first time costs a page fault per 4 KiB page (about 1.4 us here: some 7 ms for the 20 MB of
a 42 000-event chunk's inputs), and glibc gives large blocks back to the kernel when they are freed, so the
57 x n raw inputs, their scaled blocks and the float path's scratch would be fresh memory in every chunk
(measured: 11 of the anomaly seeds' ~60 ms per 42 000 events). A buffer from :func:`buffer` stays valid until the
next call with the same name in the same thread: only the loop's per-chunk objects (``_scaled`` in
:mod:`algorithms.anomaly`) use them; everything they return is a copy.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

__all__ = ["buffer"]

_LOCAL = threading.local()


def buffer(name: str, size: int, dtype: DTypeLike) -> NDArray[Any]:
    """A 1-D array of ``size`` elements of ``dtype``, the same memory as the last call with ``name`` in this thread
    when that was large enough (its content is whatever was left there)."""
    buffers: dict[str, NDArray[Any]] = _LOCAL.__dict__.setdefault("buffers", {})
    kept = buffers.get(name)
    if kept is None or kept.dtype != np.dtype(dtype) or kept.size < size:
        kept = np.empty(max(size, 1), dtype=dtype)
        buffers[name] = kept
    return kept[:size]
