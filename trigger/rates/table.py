"""The rate table: per-seed counts and rates (raw and after prescales), pure and proportional rates,
the total OR before and after prescales, and the budget line.

Rate = zero-bias rate x (sum of weights passing) / (sum of all weights), with the zero-bias rate
= colliding bunches x revolution frequency (2760 x 11245.6 Hz = 31.04 MHz by default).
The total before prescales is the OR of every seed's raw decision (disabled seeds included); after
prescales it is the OR of the prescaled decisions (disabled seeds never fire). Prescales are applied
with the uGT counter on unweighted samples and as expected values on weighted ones (or as the
:class:`~trigger.rates.tally.PrescalePlan` says; see :mod:`trigger.rates.acceptance`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from trigger.errors import L1EmuError
from trigger.menu.model import Menu
from trigger.rates.prescale import PrescaleMode
from trigger.rates.stats import rate_interval
from trigger.rates.tally import AfterPrescale, PrescalePlan, RateAccumulator, Sums

__all__ = ["ColumnRate", "InputRecord", "Rate", "RateTable", "SeedRate", "build_table"]


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
    #: effective number of events behind the raw rate, (sum w)^2 / sum w^2 (squares per cluster of crossings
    #: sharing a hard interaction, where the file has clusters: independent hard interactions, not copies)
    n_eff: float = 0.0


@dataclass(frozen=True)
class InputRecord:
    """One input file as the report records it."""

    path: str
    tree: str
    entries: int
    sha256: str


@dataclass(frozen=True)
class ColumnRate:
    """One prescale column of a table: the total after its prescales, and each seed's rate after them."""

    name: str
    total: Rate
    headroom_khz: float
    seed_khz: tuple[float, ...]


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
    #: collection -> objects with a non-finite pt, eta or phi, dropped before any seed
    dropped: dict[str, int] = field(default_factory=dict)
    #: how prescales were applied: "counter" (uGT) or "expected" (weighted samples), and the initial counters
    prescale_mode: str = "counter"
    prescale_counters: str = "zero"
    #: unreadable files and chunks (``--skip-bad-files``), with the reason; filled by the event loop
    skipped: tuple[tuple[str, str], ...] = ()
    empty_files: tuple[str, ...] = ()
    #: about the inputs, filled by the command: coordinates read, seeds below the file's stored cuts
    input_notes: tuple[str, ...] = ()
    #: the columns of a prescale table (``--prescale-table``), and where the seeds' prescales come from
    prescale_columns: tuple[ColumnRate, ...] = ()
    prescales_from: str = "menu"
    #: what the rates were computed from: the schema, the files (entries, sha256), the LHC filling
    schema: str = ""
    inputs: tuple[InputRecord, ...] = ()
    colliding_bunches: int = 0
    revolution_hz: float = 0.0

    @property
    def headroom_khz(self) -> float:
        """Budget minus total rate after prescales: negative means over budget."""
        return self.budget_khz - self.total_prescaled.khz

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["headroom_khz"] = self.headroom_khz
        d["skipped"] = [{"path": p, "reason": r} for p, r in self.skipped]
        return d


def build_table(menu: Menu, acc: RateAccumulator, plan: PrescalePlan | None = None) -> RateTable:
    """The table of the folded accumulator; the event loop adds the skipped files, the CLI the empty ones."""
    s = acc.summary
    if s is None or acc.pending:
        missing = "no summary" if s is None else f"chunk {s.next_index} never arrived"
        raise L1EmuError(f"incomplete rate accumulator ({missing}); was every work item processed?")
    plan = plan or acc.plan
    zb = menu.zero_bias_khz
    use_expected = plan.mode is PrescaleMode.EXPECTED or (plan.mode is PrescaleMode.AUTO and s.weighted)
    after: AfterPrescale | None = s.expected if use_expected else s.counter
    assert after is not None, "the summary lacks the prescale convention its plan asks for"

    def rate(x: Sums, expected: bool = False) -> Rate:
        # expected values are weighted sums whatever the sample: their error is sqrt(sum w^2 f)
        r, lo, hi = rate_interval(x.count, s.n, x.sumw, x.sumw2, s.sumw, s.weighted or expected, zb)
        return Rate(x.count, x.sumw, r, lo, hi)

    pairs = {seed_j: (f, x) for seed_j, f, x in acc.pairs}
    rows = []
    for j, seed in enumerate(menu.seeds):
        extra: dict[str, Any] = {}
        if j in pairs:
            f, x = pairs[j]
            extra = {
                "float_khz": rate(s.columns[f]).khz,
                "fixed_khz": rate(s.columns[x]).khz,
                "float_fixed_differ": s.differ.get(j, 0),
            }
        prop = after.share[j] / s.sumw * zb if s.sumw else 0.0
        rows.append(
            SeedRate(
                seed.name,
                seed.prescale,
                rate(s.raw[j]),
                rate(after.seed[j], use_expected),
                rate(after.pure[j], use_expected),
                prop,
                truncated_events=s.truncated.get(seed.name, 0),
                n_eff=s.raw[j].n_eff,
                **extra,
            )
        )
    columns = []
    for (name, _), (counter, expected) in zip(plan.columns, s.prescale_columns, strict=True):
        col = expected if use_expected else counter
        assert col is not None, "the summary lacks the prescale convention its plan asks for"
        total = rate(col.total, use_expected)
        seed_khz = tuple(rate(x, use_expected).khz for x in col.seed)
        columns.append(ColumnRate(name, total, menu.budget_khz - total.khz, seed_khz))
    return RateTable(
        menu=menu.name,
        menu_source=menu.source,
        events=s.n,
        sumw=s.sumw,
        weighted=s.weighted,
        zero_bias_khz=zb,
        colliding_bunches=menu.colliding_bunches,
        revolution_hz=menu.revolution_hz,
        crossing_mhz=menu.crossing_mhz,
        budget_khz=menu.budget_khz,
        seeds=tuple(rows),
        total_raw=rate(s.total_raw),
        total_prescaled=rate(after.total, use_expected),
        nonfinite=dict(s.nonfinite),
        dropped=dict(s.dropped),
        prescale_mode="expected" if use_expected else "counter",
        prescale_counters=plan.describe_counters() if not use_expected else "n/a",
        skipped=tuple(s.skipped),
        prescale_columns=tuple(columns),
    )
