"""Prescales with the CMS uGT counter semantics (fractional, two decimals).

The counter of a seed starts at 0; each time the seed fires it adds 100, and when it reaches
``P = round(100 * prescale)`` the event is accepted and ``P`` is subtracted. Prescale 0 disables the
seed. After ``k`` fires the counter is ``100 k - P a`` with ``0 <= counter < P``, so the number of
accepts is ``a = floor(100 k / P)``: the k-th fire is accepted iff ``floor(100 k / P)`` steps up.
That closed form lets any executor apply prescales in event order after the loop.

>>> c = PrescaleCounter(1.5)
>>> [c.accept() for _ in range(6)]
[False, True, True, False, True, True]
>>> prescaled(6, 1.5).tolist()
[False, True, True, False, True, True]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCALE", "PrescaleCounter", "prescaled"]

SCALE = 100


def _units(prescale: float) -> int:
    if prescale < 0 or (0 < prescale < 1):
        raise ValueError(f"prescale must be 0 or >= 1, got {prescale}")
    return round(prescale * SCALE)


class PrescaleCounter:
    """The uGT prescale counter of one seed (stateful, one call per fire)."""

    def __init__(self, prescale: float) -> None:
        self.units = _units(prescale)
        self.counter = 0

    def accept(self) -> bool:
        if self.units == 0:
            return False
        self.counter += SCALE
        if self.counter < self.units:
            return False
        self.counter -= self.units
        return True


def prescaled(n_fired: int, prescale: float) -> NDArray[np.bool_]:
    """Accept flags for the 1st..n-th fire of a seed, equal to ``PrescaleCounter`` called n times."""
    units = _units(prescale)
    if units == 0:
        return np.zeros(n_fired, dtype=bool)
    k = np.arange(1, n_fired + 1, dtype=np.int64)
    return (k * SCALE) // units > ((k - 1) * SCALE) // units
