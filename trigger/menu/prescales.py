"""Prescale tables in the CMS CSV form: ``Index,Name,<one column per luminosity>``, one row per seed.

That is how the official L1 prescale tables are distributed (a spreadsheet export, so a UTF-8
byte-order mark is tolerated). Each cell is a prescale as in a menu: 0 disables the seed, otherwise
a number >= 1 with at most two decimals (the uGT precision).

>>> t = parse_prescale_table("Index,Name,2.0E34,1.0E34\\n0,L1_SingleMu22,1,1\\n1,L1_SingleMu7,200,0\\n", "ps.csv")
>>> t.columns, t.rows["L1_SingleMu7"]
(('2.0E34', '1.0E34'), (200.0, 0.0))
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from trigger.config import read_config_text
from trigger.errors import ConfigError
from trigger.menu.model import Menu, prescale_problem
from trigger.names import suggest

__all__ = ["PrescaleTable", "load_prescale_table", "parse_prescale_table"]

_HEAD = ("index", "name")


@dataclass(frozen=True)
class PrescaleTable:
    """Prescale columns by name; ``rows[seed][k]`` is the seed's prescale in column ``columns[k]``."""

    columns: tuple[str, ...]
    rows: Mapping[str, tuple[float, ...]]
    source: str

    def index(self, column: str) -> int:
        if column not in self.columns:
            raise ConfigError(
                f"{self.source}: no prescale column {column!r}{suggest(column, self.columns)} "
                f"(columns: {', '.join(self.columns)})"
            )
        return self.columns.index(column)

    def apply(self, menu: Menu, column: str) -> Menu:
        """The menu with the prescales of ``column``; seeds missing from the table keep the menu's."""
        k = self.index(column)
        seeds = tuple(replace(s, prescale=self.rows[s.name][k]) if s.name in self.rows else s for s in menu.seeds)
        return replace(menu, seeds=seeds)

    def coverage(self, menu: Menu) -> tuple[list[str], list[str]]:
        """Seeds of the menu the table lacks, and table rows the menu lacks."""
        names = {s.name for s in menu.seeds}
        return [s.name for s in menu.seeds if s.name not in self.rows], [r for r in self.rows if r not in names]


def _prescale(text: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    problem = prescale_problem(value)
    if problem is not None:
        raise ConfigError(f"{where}: expected {problem}, got {text!r}")
    return value


def parse_prescale_table(text: str, source: str) -> PrescaleTable:
    """Validate the CSV text of a prescale table (see the module docstring)."""
    text = text.removeprefix("\ufeff")
    lines = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(text)), 1) if any(c.strip() for c in r)]
    if not lines:
        raise ConfigError(f"{source}: empty prescale table; expected a header Index,Name,<column>,...")
    n0, head = lines[0]
    head = [c.strip() for c in head]
    while head and not head[-1]:  # a spreadsheet export's trailing empty columns
        head.pop()
    if len(head) < 3 or tuple(c.lower() for c in head[:2]) != _HEAD:
        raise ConfigError(
            f"{source}: line {n0}: expected the header Index,Name,<one column per luminosity>,..., "
            f"got {','.join(head)!r}"
        )
    columns = tuple(head[2:])
    for k, c in enumerate(columns):
        if not c:
            raise ConfigError(f"{source}: line {n0}: column {k + 3} of the header has no name")
        if c in columns[:k]:
            raise ConfigError(f"{source}: line {n0}: column {c!r} is named twice")
    rows: dict[str, tuple[float, ...]] = {}
    for n, row in lines[1:]:
        cells = [c.strip() for c in row]
        while len(cells) > len(head) and not cells[-1]:
            cells.pop()
        if len(cells) != len(head):
            raise ConfigError(f"{source}: line {n}: expected {len(head)} cells like the header, got {len(cells)}")
        index, name = cells[0], cells[1]
        if not index.lstrip("-").isdigit():
            raise ConfigError(f"{source}: line {n}: Index: expected an integer, got {index!r}")
        if not name:
            raise ConfigError(f"{source}: line {n}: Name: expected a seed name, got an empty cell")
        if name in rows:
            raise ConfigError(f"{source}: line {n}: seed {name!r} is listed twice")
        rows[name] = tuple(
            _prescale(v, f"{source}: line {n} ({name}), column {c!r}") for c, v in zip(columns, cells[2:], strict=True)
        )
    if not rows:
        raise ConfigError(f"{source}: the prescale table has a header but no seed rows")
    return PrescaleTable(columns, rows, source)


def load_prescale_table(path: str | Path) -> PrescaleTable:
    return parse_prescale_table(read_config_text(path, "CSV", "prescale table"), str(path))
