"""Keras 3, imported once for the training package, with the install hint when it is missing."""

from __future__ import annotations

__all__ = ["keras"]

try:
    import keras
except ModuleNotFoundError as exc:  # pragma: no cover - keras is in the keras and test extras
    raise ModuleNotFoundError(
        "trigger.train needs keras 3 with a backend: pip install 'l1emu[keras]' (tensorflow-cpu)"
    ) from exc
