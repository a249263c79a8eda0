"""``x @ w + b`` in float32 as one BLAS call, with the bits of ``np.matmul(x, w)`` then ``+= b``: the float path's
dense layers in the event loop.

numpy's matmul asks BLAS for ``C = A B`` (``beta = 0``), which OpenBLAS does as a pass zeroing C before its kernel
adds the product to C; the bias is then a second pass over C. Here C is filled with the bias first and the same
library is asked for ``C = A B + C`` (``beta = 1``: no zeroing pass): the kernel computes each sum ``s`` exactly as
before (the same call, the same kernel, the same order) and stores ``s + b`` rounded once, where numpy stored ``s``
(``0 + s``: exact) and then rounded ``s + b`` once. The same value, and the same zero sign where the bias has no
-0.0 (refused here: ``0 + (-0) = +0`` but ``-0 + (-0) = -0``). Measured per 42 000 events, the float paths of
both anomaly models: see ``algorithms/anomaly/README.md``, "Speed".

The library is the OpenBLAS numpy's own wheel loads (``numpy.libs/libscipy_openblas*``: the one its matmul calls),
reached with ctypes; it is used only after reproducing ``matmul + add`` bit for bit on a probe, else (another BLAS,
another platform) :func:`dense_bias` falls back to numpy.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.nn.rows import add_to_rows, fill_rows

__all__ = ["dense_bias", "fused_available"]

_ROW_MAJOR, _NO_TRANS = 101, 111  # CBLAS enums
#: symbol -> its integer type (scipy-openblas's ILP64 and LP64 builds)
_SYMBOLS = {"scipy_cblas_sgemm64_": ctypes.c_int64, "scipy_cblas_sgemm": ctypes.c_int}
# Longest inner dimension taken on the one-call path: OpenBLAS adds a longer K's panels into C one by one, so
# with C = b it would round (b + s1) + s2 where matmul then += rounds (s1 + s2) + b (measured: 2 287 of 8 000
# outputs differ at K = 384; none at 64). The probe covers this bound.
_MAX_K = 64

_Gemm = Callable[..., None]


def _loaded_openblas() -> list[Path]:
    """numpy's OpenBLAS as mapped into this process (the library its matmul calls), if it is scipy-openblas."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return []
    found = {Path(line.split()[-1]) for line in maps.splitlines() if "libscipy_openblas" in line and "/" in line}
    return sorted(p for p in found if p.parent.resolve() == libs.resolve())


@functools.lru_cache(maxsize=1)
def _gemm() -> _Gemm | None:
    libs = _loaded_openblas()
    if len(libs) != 1:
        return None
    try:
        lib = ctypes.CDLL(str(libs[0]))
    except OSError:
        return None
    for name, integer in _SYMBOLS.items():
        fn = getattr(lib, name, None)
        if fn is None:
            continue
        fn.restype = None
        p, i, f = ctypes.c_void_p, integer, ctypes.c_float
        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, f, p, i, p, i, f, p, i]
        gemm: _Gemm = fn
        return gemm if _probe(gemm) else None
    return None


def _call(gemm: _Gemm, x: NDArray[np.float32], w: NDArray[np.float32], out: NDArray[np.float32]) -> None:
    (n, k), m = x.shape, w.shape[1]
    gemm(_ROW_MAJOR, _NO_TRANS, _NO_TRANS, n, m, k, 1.0, x.ctypes.data, k, w.ctypes.data, m, 1.0, out.ctypes.data, m)


def _probe(gemm: _Gemm) -> bool:
    """The fused call gives numpy's ``matmul`` then ``+=`` bit for bit on a few random shapes."""
    rng = np.random.default_rng(0)
    for n, k, m in ((1000, 57, 32), (513, 8, 57), (7, 3, 5), (300, _MAX_K, 16)):
        x = rng.standard_normal((n, k)).astype(np.float32)
        w = rng.standard_normal((k, m)).astype(np.float32)
        b = rng.standard_normal(m).astype(np.float32)
        want = x @ w
        want += b
        got = np.empty((n, m), np.float32)
        fill_rows(got, b)
        _call(gemm, x, w, got)
        if not np.array_equal(want.view(np.int32), got.view(np.int32)):
            return False
    return True


def fused_available() -> bool:
    """Whether :func:`dense_bias` can take the one-call path here (numpy's OpenBLAS found and probed)."""
    return _gemm() is not None


def _fits(x: NDArray[Any], w: NDArray[Any], b: NDArray[Any], out: NDArray[Any]) -> bool:
    arrays = (x, w, b, out)
    return (
        all(a.dtype == np.float32 and a.flags.c_contiguous for a in arrays)
        and x.ndim == w.ndim == out.ndim == 2
        and b.shape == (w.shape[1],)
        and out.shape == (x.shape[0], w.shape[1])
        and x.shape[1] == w.shape[0]
        and min(out.shape) > 0
        and 0 < x.shape[1] <= _MAX_K
        and not np.any(np.signbit(b) & (b == 0))  # a -0.0 bias: see the module docstring
        and not np.shares_memory(out, x)
        and not np.shares_memory(out, w)
    )


def dense_bias(x: NDArray[Any], w: NDArray[Any], b: NDArray[Any], out: NDArray[Any], fused: bool = True) -> None:
    """``out = x @ w + b`` with the bits of ``np.matmul(x, w, out=out)`` then ``out += b`` (every row): one BLAS
    call where :func:`fused_available`, the arrays are C-contiguous float32 and the inner dimension is at most
    ``_MAX_K`` (else exactly those two steps);
    ``fused=False``: the two steps."""
    gemm = _gemm() if fused else None
    if gemm is not None and _fits(x, w, b, out):
        fill_rows(out, b)
        _call(gemm, x, w, out)
        return

    np.matmul(x, w, out=out)
    add_to_rows(out, b)
