"""Input arrays from ``.npy`` files (calibration samples, inputs to trace), with errors that name the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ModelError

__all__ = ["load_samples"]


def load_samples(path: Path | str) -> NDArray[np.float64]:
    """A (batch, n) float array from a ``.npy`` file (never unpickled)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such file; expected a .npy array of shape (batch, n_inputs)")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ModelError(f"{path}: not a readable .npy array ({exc})") from None
    if array.ndim != 2 or array.dtype.kind not in "fiu":
        raise ModelError(
            f"{path}: expected a numeric array of shape (batch, n_inputs), got {array.dtype} {array.shape}"
        )
    return np.asarray(array, dtype=np.float64)
