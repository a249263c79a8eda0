"""The menu as immutable values: legs, sum cuts, cross conditions, algorithm cuts, seeds, the menu.

Cut conventions (the checks against plain awkward use the same): an object passes a leg when
``pt >= min_pt``, ``min_abs_eta <= |eta| <= max_abs_eta``, its quality (and isolation) is in the
allowed set, its eta lies in one of the leg's ``eta_windows`` (``lo <= eta <= hi``, signed) when it has
some, its bx equals the leg's bx (when the collection has a bx), and, with ``overlap``, no reference
object (passing the overlap leg's cuts) lies within ``max_dr`` of it (uGT's ``RmOvlp``). A sum passes
when ``min <= value < max``. Legs of one seed take distinct objects. A seed's ``bit`` (a stored ``L1_*``
decision branch) must be true as well. Cross conditions (:class:`Cross`) are on pairs of the seed's
objects: windows are inclusive, ``min <= x <= max``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from trigger.menu.algorithm import Mode, options_key

__all__ = ["AlgoCut", "Cross", "Leg", "Menu", "Overlap", "Seed", "SumCross", "SumCut", "prescale_problem"]

INF = math.inf


def prescale_problem(p: float) -> str | None:
    """What a prescale must be, if ``p`` is not that: 0 (disabled) or a finite number >= 1 with at most
    two decimals (the uGT counter works in hundredths). Menus and prescale tables share this rule."""
    if not math.isfinite(p):
        return "0 (disabled) or a finite number >= 1"
    if p < 0 or 0 < p < 1:
        return "0 (disabled) or a number >= 1"
    if abs(p * 100 - round(p * 100)) > 1e-9:
        return "at most two decimals (the uGT prescale precision)"
    return None


@dataclass(frozen=True)
class Leg:
    collection: str
    min_pt: float
    min_abs_eta: float = 0.0
    max_abs_eta: float = INF
    quality: tuple[int, ...] | None = None
    iso: tuple[int, ...] | None = None
    bx: int = 0
    multiplicity: int = 1
    #: signed eta windows ``(lo, hi)``: the object must lie in one of them (CMS allows up to five)
    eta_windows: tuple[tuple[float, float], ...] | None = None
    overlap: Overlap | None = None

    def fields(self) -> set[str]:
        out = {"pt", "bx"}
        if self.min_abs_eta > 0 or self.max_abs_eta < INF or self.eta_windows is not None:
            out.add("eta")
        if self.overlap is not None:
            out |= {"eta", "phi"}
        if self.quality is not None:
            out.add("quality")
        if self.iso is not None:
            out.add("iso")
        return out

    @property
    def cuts(self) -> Leg:
        """The single-object cuts alone (multiplicity 1): legs with equal cuts share one mask."""
        return replace(self, multiplicity=1)

    def implies(self, other: Leg) -> bool:
        """Every object passing ``self`` passes ``other`` (so counting suffices for nested legs)."""
        return (
            self.collection == other.collection
            and self.bx == other.bx
            and (other.eta_windows is None or self.eta_windows == other.eta_windows)
            and self.overlap == other.overlap
            and self.min_pt >= other.min_pt
            and self.min_abs_eta >= other.min_abs_eta
            and self.max_abs_eta <= other.max_abs_eta
            and (other.quality is None or (self.quality is not None and set(self.quality) <= set(other.quality)))
            and (other.iso is None or (self.iso is not None and set(self.iso) <= set(other.iso)))
        )


@dataclass(frozen=True)
class Overlap:
    """Remove a leg's objects within ``max_dr`` of any object passing ``reference`` (uGT's overlap removal)."""

    reference: Leg
    max_dr: float


@dataclass(frozen=True)
class SumCut:
    sum: str
    min: float
    max: float = INF


@dataclass(frozen=True)
class Cross:
    """Conditions on a pair of the seed's objects: ``pair`` indexes the objects in leg order, each leg
    repeated by its multiplicity (:meth:`Seed.expanded_legs`); a two-object seed's pair is (0, 1).

    |delta eta| and |delta phi| (wrapped to [0, pi]), delta R, the massless invariant mass and the
    transverse mass ``sqrt(2 pt1 pt2 (1 - cos dphi))`` are cut in inclusive windows."""

    min_dr: float = 0.0
    max_dr: float = INF
    min_mass: float = 0.0
    max_mass: float = INF
    #: charge correlation as uGT's ``os``/``ls``: q1 * q2 < 0, or > 0 (a charge 0, not valid, passes neither)
    opposite_charge: bool = False
    same_charge: bool = False
    min_deta: float = 0.0
    max_deta: float = INF
    min_dphi: float = 0.0
    max_dphi: float = INF
    min_mt: float = 0.0
    max_mt: float = INF
    pair: tuple[int, int] = (0, 1)

    def windows(self) -> dict[str, tuple[float, float]]:
        """The quantities cut on, by name, with their windows (unbounded ones left out)."""
        out = {}
        for q in ("dr", "mass", "deta", "dphi", "mt"):
            lo, hi = getattr(self, f"min_{q}"), getattr(self, f"max_{q}")
            if lo > 0 or hi < INF:
                out[q] = (lo, hi)
        return out

    def fields(self) -> set[str]:
        out = set()
        if self.windows():
            out |= {"eta", "phi"}
        if self.opposite_charge or self.same_charge:
            out.add("charge")
        return out


@dataclass(frozen=True)
class SumCross:
    """Conditions between one of the seed's objects (index as in :class:`Cross`) and an energy sum's
    direction, as uGT's calo-esum correlations: |delta phi| and the transverse mass
    ``sqrt(2 pt E_T (1 - cos dphi))`` in inclusive windows."""

    obj: int
    sum: str
    min_dphi: float = 0.0
    max_dphi: float = INF
    min_mt: float = 0.0
    max_mt: float = INF


@dataclass(frozen=True)
class AlgoCut:
    """``algorithm.output >= min`` evaluated in float, fixed point, or both (fixed decides)."""

    name: str
    output: str
    min: float
    mode: Mode = Mode.FIXED
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.options)

    @property
    def instance(self) -> tuple[str, str]:
        """Which algorithm instance serves this cut: one per (name, options), whatever the threshold."""
        return (self.name, options_key(self.kwargs))

    def __hash__(self) -> int:  # options may hold lists and mappings (e.g. an NN seed's inputs and config)
        return hash((*self.instance, self.output, self.min, self.mode))


@dataclass(frozen=True)
class Seed:
    name: str
    legs: tuple[Leg, ...] = ()
    sums: tuple[SumCut, ...] = ()
    #: conditions on pairs of objects (each names its pair; one on a two-object seed takes both)
    crosses: tuple[Cross, ...] = ()
    algorithm: AlgoCut | None = None
    prescale: float = 1.0
    #: a decision bit stored in the file (a ``L1_*`` branch), required with the other conditions
    bit: str | None = None
    sum_crosses: tuple[SumCross, ...] = ()

    def expanded_legs(self) -> tuple[Leg, ...]:
        """Legs repeated by their multiplicity: one entry per object taken."""
        return tuple(leg for leg in self.legs for _ in range(leg.multiplicity))

    @property
    def cross(self) -> Cross | None:
        """The one cross condition of a two-object seed (the fast paths), else None."""
        if len(self.crosses) == 1 and len(self.expanded_legs()) == 2:
            return self.crosses[0]
        return None


@dataclass(frozen=True)
class Menu:
    name: str
    seeds: tuple[Seed, ...]
    colliding_bunches: int = 2760
    revolution_hz: float = 11245.6
    budget_khz: float = 100.0
    crossing_mhz: float = 40.0
    source: str = "<memory>"
    meta: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def zero_bias_khz(self) -> float:
        """Rate of colliding bunch crossings: the rate of a seed that fires on every event."""
        return self.colliding_bunches * self.revolution_hz / 1000.0

    def seed(self, name: str) -> Seed:
        from trigger.errors import UnknownSeedError
        from trigger.names import suggest

        for s in self.seeds:
            if s.name == name:
                return s
        raise UnknownSeedError(
            f"menu {self.name!r} ({self.source}) has no seed {name!r}{suggest(name, [s.name for s in self.seeds])}"
        )
