"""Emulated seed decisions against the decision bits stored in the file, per seed (``l1emu compare``).

As CMS's decision-count validation does, every event falls in one of four cells per seed: both fired,
emulated only, stored only, neither. A seed is compared with the stored branch of its own name
(``L1_SingleMu22``). The emulated decisions are before prescales; NanoAOD's ``L1_*`` branches hold
uGT's final decisions (after prescales and masks: CMSSW ``PhysicsTools/NanoAOD/plugins/
L1TriggerResultsConverter.cc`` stores ``getAlgoDecisionFinal()`` of bunch crossing 0), so a seed
prescaled in the data shows up as emulated-only events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from trigger.io.files import WorkItem
from trigger.io.reader import Chunk, Needs
from trigger.io.schema import Schema
from trigger.menu.evaluate import SeedEvaluator
from trigger.menu.model import Menu

__all__ = ["CompareAccumulator", "CompareProcessor", "Comparison", "SeedAgreement"]


@dataclass
class CompareAccumulator:
    #: per compared seed: events where both fired, emulated only, stored only, neither
    cells: NDArray[np.int64]
    events: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __add__(self, other: CompareAccumulator) -> CompareAccumulator:
        return CompareAccumulator(self.cells + other.cells, self.events + other.events, self.skipped + other.skipped)


@dataclass(frozen=True)
class SeedAgreement:
    name: str
    both: int
    emulated_only: int
    stored_only: int
    neither: int

    @property
    def agreements(self) -> int:
        return self.both + self.neither

    @property
    def emulated(self) -> int:
        return self.both + self.emulated_only

    @property
    def stored(self) -> int:
        return self.both + self.stored_only


@dataclass(frozen=True)
class Comparison:
    menu: str
    events: int
    seeds: tuple[SeedAgreement, ...]
    #: seeds of the menu with no stored bit of their name (not compared)
    not_stored: tuple[str, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()

    def to_text(self) -> str:
        head = ["seed", "emulated", "stored", "both", "emulated only", "stored only", "agree [%]"]
        rows = [head]
        for s in self.seeds:
            agree = 100.0 * s.agreements / self.events if self.events else 0.0
            cells = [s.emulated, s.stored, s.both, s.emulated_only, s.stored_only]
            rows.append([s.name, *map(str, cells), f"{agree:.2f}"])
        widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
        lines = [f"menu {self.menu}: emulated (before prescales) vs stored decisions on {self.events} events", ""]
        for r in rows:
            lines.append(
                "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            )
        if self.not_stored:
            lines += ["", f"not compared (no stored bit of that name): {', '.join(self.not_stored)}"]
        lines.append(
            "note: NanoAOD's L1_* bits are uGT's final decisions (after prescales and masks): a seed prescaled "
            "or masked in the data shows emulated-only events"
        )
        lines += [f"note: skipped {p}: {why}" for p, why in self.skipped]
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        out = ["seed,emulated,stored,both,emulated_only,stored_only,neither"]
        out += [
            f"{s.name},{s.emulated},{s.stored},{s.both},{s.emulated_only},{s.stored_only},{s.neither}"
            for s in self.seeds
        ]
        return "\n".join(out) + "\n"


class CompareProcessor:
    """Per chunk, the four cells of every compared seed (``seeds``: names of the menu's seeds with a stored bit)."""

    def __init__(self, menu: Menu, schema: Schema, seeds: tuple[str, ...], not_stored: tuple[str, ...] = ()) -> None:
        self.menu = menu
        self.evaluator = SeedEvaluator(menu, schema)
        self.seeds = tuple(menu.seed(name) for name in seeds)
        self.not_stored = not_stored

    def needs(self) -> Needs:
        return self.evaluator.needs(self.seeds) | Needs(event=frozenset(s.name for s in self.seeds))

    def empty(self) -> CompareAccumulator:
        return CompareAccumulator(np.zeros((len(self.seeds), 4), dtype=np.int64))

    def skipped(self, item: WorkItem, reason: str) -> CompareAccumulator:
        acc = self.empty()
        acc.skipped.append((item.describe(), reason))
        return acc

    def process(self, chunk: Chunk) -> CompareAccumulator:
        algos = self.evaluator.algorithm_outputs(chunk)
        acc = self.empty()
        acc.events = chunk.n
        for j, seed in enumerate(self.seeds):
            emulated = self.evaluator.decision(seed, chunk, algos)
            stored = chunk.event[seed.name].astype(bool)
            for k, cell in enumerate((emulated & stored, emulated & ~stored, ~emulated & stored, ~emulated & ~stored)):
                acc.cells[j, k] = int(np.count_nonzero(cell))
        return acc

    def postprocess(self, acc: CompareAccumulator) -> Comparison:
        seeds = tuple(SeedAgreement(s.name, *(int(x) for x in acc.cells[j])) for j, s in enumerate(self.seeds))
        return Comparison(self.menu.name, acc.events, seeds, self.not_stored, tuple(acc.skipped))
