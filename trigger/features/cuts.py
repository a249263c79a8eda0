"""The one single-object cut convention of the framework, stated once.

An object passes ``pt >= min_pt`` and ``min_abs_eta <= |eta| <= max_abs_eta``: thresholds are
inclusive at both ends, as the uGT compares hardware integers (``>=``). Menu legs
(:mod:`trigger.menu.flat`), feature slots and derived sums (HT from jets) all call :func:`passes`.
Energy-sum windows are the one exception, stated in :mod:`trigger.menu.model`: ``min <= value < max``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ObjectCut", "passes"]


def passes(pt: Any, eta: Any, min_pt: float, min_abs_eta: float = 0.0, max_abs_eta: float = math.inf) -> Any:
    """Which objects pass: works on numpy and on jagged awkward arrays alike."""
    ok = pt >= min_pt
    if max_abs_eta < math.inf:
        ok = ok & (np.abs(eta) <= max_abs_eta)
    if min_abs_eta > 0:
        ok = ok & (np.abs(eta) >= min_abs_eta)
    return ok


@dataclass(frozen=True)
class ObjectCut:
    """A pt threshold and an |eta| window; ``needs_eta`` says whether eta must be read at all."""

    min_pt: float = 0.0
    max_abs_eta: float = math.inf
    min_abs_eta: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.min_pt) or self.min_pt == -math.inf):
            raise ValueError(f"min_pt must be a number, got {self.min_pt!r}")
        if math.isnan(self.max_abs_eta) or math.isnan(self.min_abs_eta) or self.min_abs_eta > self.max_abs_eta:
            raise ValueError(f"|eta| window [{self.min_abs_eta}, {self.max_abs_eta}] is empty or not a number")

    @property
    def needs_eta(self) -> bool:
        return self.max_abs_eta < math.inf or self.min_abs_eta > 0

    def apply(self, pt: Any, eta: Any) -> Any:
        return passes(pt, eta, self.min_pt, self.min_abs_eta, self.max_abs_eta)
