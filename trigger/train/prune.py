"""Magnitude pruning of :class:`QDense` kernels during training, with tfmot's schedules.

The schedules compute what ``tfmot.sparsity.keras`` computes (``PolynomialDecay``: sparsity
``s_f + (s_i - s_f) * (1 - p)**power`` with ``p = clip((step - begin) / (end - begin), 0, 1)``,
pruning every ``frequency`` steps in ``[begin, end]``), so a tfmot recipe carries over.  The
:class:`Pruning` callback sets each layer's ``prune_mask`` to zero the ``round(s * n)`` smallest
``|w|`` (per layer, like tfmot), and re-zeroes the stored kernel after every optimizer step.  The
forward pass multiplies by the mask, so pruned weights are exactly zero in every step, after
training, in the ``.keras`` file and in the converted description (no multiplier under Latency).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from trigger.errors import ConfigError
from trigger.train._backend import keras
from trigger.train.layers import QDense

__all__ = ["ConstantSparsity", "PolynomialDecay", "Pruning", "PruningSchedule", "prune_layer", "sparsity"]


@dataclass(frozen=True, kw_only=True)
class PruningSchedule:
    """When to prune: every ``frequency`` steps from ``begin_step`` to ``end_step`` (``-1``: forever)."""

    begin_step: int = 0
    end_step: int = -1
    frequency: int = 100

    def __post_init__(self) -> None:
        if self.begin_step < 0:
            raise ConfigError(f"pruning schedule: begin_step must be >= 0, got {self.begin_step}")
        if self.end_step != -1 and self.end_step < self.begin_step:
            raise ConfigError(f"pruning schedule: end_step {self.end_step} is before begin_step {self.begin_step}")
        if self.frequency < 1:
            raise ConfigError(f"pruning schedule: frequency must be >= 1, got {self.frequency}")

    def should_prune(self, step: int) -> bool:
        in_range = step >= self.begin_step and (self.end_step < 0 or step <= self.end_step)
        return in_range and (step - self.begin_step) % self.frequency == 0

    def sparsity(self, step: int) -> float:  # pragma: no cover - overridden
        raise NotImplementedError


def _check_fraction(value: float, what: str) -> None:
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"pruning schedule: {what} must be in [0, 1), got {value}")


@dataclass(frozen=True, kw_only=True)
class ConstantSparsity(PruningSchedule):
    """``target_sparsity`` at every pruning step (tfmot's ``ConstantSparsity``)."""

    target_sparsity: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_fraction(self.target_sparsity, "target_sparsity")

    def sparsity(self, step: int) -> float:
        return float(self.target_sparsity)


@dataclass(frozen=True, kw_only=True)
class PolynomialDecay(PruningSchedule):
    """tfmot's ``PolynomialDecay``: fast growth from ``initial_sparsity``, plateau at ``final_sparsity``."""

    initial_sparsity: float = 0.0
    final_sparsity: float = 0.5
    power: float = 3.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.end_step < 0:
            raise ConfigError("pruning schedule: PolynomialDecay needs an end_step (>= begin_step), not -1")
        _check_fraction(self.initial_sparsity, "initial_sparsity")
        _check_fraction(self.final_sparsity, "final_sparsity")

    def sparsity(self, step: int) -> float:
        span = self.end_step - self.begin_step
        p = 1.0 if span == 0 else min(1.0, max(0.0, (step - self.begin_step) / span))
        return float(self.final_sparsity + (self.initial_sparsity - self.final_sparsity) * (1.0 - p) ** self.power)


def prune_layer(layer: QDense, target: float) -> int:
    """Zero the ``round(target * n)`` smallest-magnitude weights of ``layer`` (mask and kernel); returns that count."""
    kernel = layer.masked_kernel()
    n_prune = round(target * kernel.size)
    order = np.argsort(np.abs(kernel), axis=None, kind="stable")  # already-pruned zeros come first
    flat = np.ones(kernel.size)
    flat[order[:n_prune]] = 0.0
    mask = flat.reshape(kernel.shape)
    layer.prune_mask.assign(mask.astype(layer.prune_mask.dtype))
    layer.kernel.assign((kernel * mask).astype(layer.kernel.dtype))
    return n_prune


def sparsity(model: Any) -> float:
    """Fraction of the QDense weights that are pruned (mask zero) across ``model``."""
    masks = [np.asarray(keras.ops.convert_to_numpy(la.prune_mask)) for la in model.layers if isinstance(la, QDense)]
    total = sum(m.size for m in masks)
    return float(sum(int((m == 0).sum()) for m in masks) / total) if total else 0.0


class Pruning(keras.callbacks.Callback):  # type: ignore[misc]
    """Keras callback: prune the QDense layers (all, or those named) following ``schedule``.

    ``step`` counts training batches across ``fit`` calls (pass ``initial_step`` to resume);
    past ``end_step`` the masks stay as they are and keep the pruned weights at zero.
    """

    def __init__(self, schedule: PruningSchedule, layers: list[str] | None = None, initial_step: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.layer_names = layers
        self.step = initial_step

    def _targets(self) -> list[QDense]:
        dense = [la for la in self.model.layers if isinstance(la, QDense)]
        if self.layer_names is None:
            return dense
        known = {la.name: la for la in dense}
        missing = [n for n in self.layer_names if n not in known]
        if missing:
            raise ConfigError(f"Pruning: no QDense layer named {missing[0]!r}; QDense layers are {sorted(known)}")
        return [known[n] for n in self.layer_names]

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.schedule.should_prune(self.step):
            target = self.schedule.sparsity(self.step)
            for layer in self._targets():
                prune_layer(layer, target)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        for layer in self._targets():  # optimizer momentum may have moved masked entries: zero them again
            layer.kernel.assign(layer.kernel * layer.prune_mask)
        self.step += 1
