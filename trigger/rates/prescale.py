"""Prescales with the CMS uGT counter semantics (fractional, two decimals), and their expected values.

The counter of a seed starts at 0 (or, like CMS's ``semiRandomInitialPSCounters``, at a random
value in ``[0, P)``); each time the seed fires it adds 100, and when it reaches ``P = round(100 *
prescale)`` the event is accepted and ``P`` is subtracted. Prescale 0 disables the seed. After ``k``
fires from an initial value ``c`` the counter is ``c + 100 k - P a`` with ``0 <= counter < P``, so the
number of accepts is ``a = floor((c + 100 k) / P)``: the k-th fire is accepted iff that steps up.
That closed form lets any executor apply prescales in event order after the loop.

On weighted samples a counter would give a whole event's weight to one fire in ``p``, an estimate
that depends on the event order and is dominated by whichever weights happen to be accepted; there
each fire counts its expected value instead, ``w / p`` (:mod:`trigger.rates.acceptance`).

>>> c = PrescaleCounter(1.5)
>>> [c.accept() for _ in range(6)]
[False, True, True, False, True, True]
>>> prescaled(6, 1.5).tolist()
[False, True, True, False, True, True]
>>> prescaled(6, 1.5, initial=100).tolist()
[True, True, False, True, True, False]
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "SCALE",
    "PrescaleCounter",
    "PrescaleMode",
    "acceptance_probability",
    "accepted",
    "initial_counters",
    "prescaled",
]

SCALE = 100


class PrescaleMode(enum.Enum):
    """How prescales are applied: ``auto`` is the expected value on weighted samples, else the counter."""

    AUTO = "auto"
    COUNTER = "counter"
    EXPECTED = "expected"


def _units(prescale: float) -> int:
    if prescale < 0 or (0 < prescale < 1):
        raise ValueError(f"prescale must be 0 or >= 1, got {prescale}")
    return round(prescale * SCALE)


class PrescaleCounter:
    """The uGT prescale counter of one seed (stateful, one call per fire)."""

    def __init__(self, prescale: float, initial: int = 0) -> None:
        self.units = _units(prescale)
        if self.units and not 0 <= initial < self.units:
            raise ValueError(f"initial counter must be in [0, {self.units}), got {initial}")
        self.counter = initial

    def accept(self) -> bool:
        if self.units == 0:
            return False
        self.counter += SCALE
        if self.counter < self.units:
            return False
        self.counter -= self.units
        return True


def accepted(nth: NDArray[np.int64], units: int, initial: int = 0) -> NDArray[np.bool_]:
    """Whether the ``nth`` fires (1-based) of a seed with prescale ``units / 100`` are accepted."""
    if units == 0:
        return np.zeros(len(nth), dtype=bool)
    return (initial + nth * SCALE) // units > (initial + (nth - 1) * SCALE) // units


def prescaled(n_fired: int, prescale: float, initial: int = 0) -> NDArray[np.bool_]:
    """Accept flags for the 1st..n-th fire of a seed, equal to ``PrescaleCounter`` called n times."""
    return accepted(np.arange(1, n_fired + 1, dtype=np.int64), _units(prescale), initial)


def initial_counters(units: Sequence[int], seed: int | None) -> tuple[int, ...]:
    """Initial counter per seed: all 0 (``seed=None``, the uGT default), or uniform in ``[0, P)``
    from a generator seeded with ``seed`` (reproducible random phases)."""
    if seed is None:
        return tuple(0 for _ in units)
    rng = np.random.default_rng(seed)
    return tuple(int(rng.integers(0, u)) if u > 0 else 0 for u in units)


def acceptance_probability(units: Sequence[int]) -> NDArray[np.float64]:
    """Per seed, the long-run fraction of fires accepted: ``100 / P`` (0 for a disabled seed)."""
    u = np.asarray(units, dtype=np.float64)
    return np.where(u > 0, SCALE / np.maximum(u, 1.0), 0.0)
