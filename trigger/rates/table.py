"""The rate table: per-seed counts and rates (raw and after prescales), pure and proportional rates,
the total OR before and after prescales, and the budget line.

Rate = zero-bias rate x (sum of weights passing) / (sum of all weights), with the zero-bias rate
= colliding bunches x revolution frequency (2760 x 11245.6 Hz = 31.04 MHz by default).
The total before prescales is the OR of every seed's raw decision (disabled seeds included); after
prescales it is the OR of the prescaled decisions (disabled seeds never fire).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from trigger.menu.model import Menu
from trigger.rates.prescale import prescaled
from trigger.rates.stats import rate_interval
from trigger.rates.tally import RateAccumulator

__all__ = ["Rate", "RateTable", "SeedRate", "build_table"]


@dataclass(frozen=True)
class Rate:
    count: int
    sumw: float
    khz: float
    err_down: float
    err_up: float

    def text(self) -> str:
        if abs(self.err_down - self.err_up) <= 0.005 * max(self.err_up, 1e-12):
            return f"{self.khz:.3f} ± {self.err_up:.3f}"
        return f"{self.khz:.3f} -{self.err_down:.3f} +{self.err_up:.3f}"


@dataclass(frozen=True)
class SeedRate:
    name: str
    prescale: float
    raw: Rate
    prescaled: Rate
    pure: Rate
    proportional_khz: float
    float_khz: float | None = None
    fixed_khz: float | None = None
    float_fixed_differ: int | None = None
    truncated_events: int = 0


@dataclass(frozen=True)
class RateTable:
    menu: str
    menu_source: str
    events: int
    sumw: float
    weighted: bool
    zero_bias_khz: float
    crossing_mhz: float
    budget_khz: float
    seeds: tuple[SeedRate, ...]
    total_raw: Rate
    total_prescaled: Rate
    nonfinite: dict[str, int] = field(default_factory=dict)
    skipped_files: tuple[tuple[str, str], ...] = ()
    empty_files: tuple[str, ...] = ()

    @property
    def headroom_khz(self) -> float:
        """Budget minus total rate after prescales: negative means over budget."""
        return self.budget_khz - self.total_prescaled.khz

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["headroom_khz"] = self.headroom_khz
        d["skipped_files"] = [{"path": p, "reason": r} for p, r in self.skipped_files]
        return d


def build_table(
    menu: Menu,
    acc: RateAccumulator,
    *,
    skipped: tuple[tuple[str, str], ...] = (),
    empty: tuple[str, ...] = (),
) -> RateTable:
    tallies = acc.ordered()
    n = sum(t.n for t in tallies)
    sumw_all = float(sum(t.sumw for t in tallies))
    weighted = any(t.weighted for t in tallies)
    zb = menu.zero_bias_khz
    dec, w = acc.fired()
    col = {c: i for i, c in enumerate(acc.columns)}

    def rate(mask: np.ndarray) -> Rate:
        k = int(np.count_nonzero(mask))
        sw, sw2 = float(w[mask].sum()), float((w[mask] ** 2).sum())
        r, lo, hi = rate_interval(k, n, sw, sw2, sumw_all, weighted, zb)
        return Rate(k, sw, r, lo, hi)

    raw = np.stack([dec[:, col[s.name]] for s in menu.seeds], axis=1) if menu.seeds else dec
    ps = np.zeros_like(raw)
    for j, s in enumerate(menu.seeds):
        where = np.flatnonzero(raw[:, j])
        ps[where, j] = prescaled(len(where), s.prescale)
    n_accept = ps.sum(axis=1)
    share = np.where(n_accept > 0, w / np.maximum(n_accept, 1), 0.0)
    truncated: dict[str, int] = {}
    nonfinite: dict[str, int] = {}
    for t in tallies:
        for k, v in t.truncated.items():
            truncated[k] = truncated.get(k, 0) + v
        for k, v in t.nonfinite.items():
            nonfinite[k] = nonfinite.get(k, 0) + v
    rows = []
    for j, s in enumerate(menu.seeds):
        prop = float(share[ps[:, j]].sum()) / sumw_all * zb if sumw_all else 0.0
        extra: dict[str, Any] = {}
        if s.algorithm is not None and s.algorithm.mode == "both":
            f, x = dec[:, col[f"{s.name}@float"]], dec[:, col[f"{s.name}@fixed"]]
            extra = {
                "float_khz": rate(f).khz,
                "fixed_khz": rate(x).khz,
                "float_fixed_differ": int(np.count_nonzero(f != x)),
            }
        rows.append(
            SeedRate(
                s.name,
                s.prescale,
                rate(raw[:, j]),
                rate(ps[:, j]),
                rate(ps[:, j] & (n_accept == 1)),
                prop,
                truncated_events=truncated.get(s.name, 0),
                **extra,
            )
        )
    return RateTable(
        menu=menu.name,
        menu_source=menu.source,
        events=n,
        sumw=sumw_all,
        weighted=weighted,
        zero_bias_khz=zb,
        crossing_mhz=menu.crossing_mhz,
        budget_khz=menu.budget_khz,
        seeds=tuple(rows),
        total_raw=rate(np.asarray(raw.any(axis=1))),
        total_prescaled=rate(np.asarray(ps.any(axis=1))),
        nonfinite=nonfinite,
        skipped_files=skipped,
        empty_files=empty,
    )
