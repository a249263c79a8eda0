"""Events from sample files as the anomaly trigger sees them, read through the framework (never opened here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from algorithms.anomaly.inputs import features, needs
from trigger.errors import L1EmuError
from trigger.features import read_events
from trigger.io import builtin_schema, expand_inputs, open_dataset
from trigger.io.reader import Needs

__all__ = ["Events", "read_inputs"]


@dataclass(frozen=True)
class Events:
    """The (n, 57) raw inputs, HT (the baseline seed's quantity), weights, events truncated to the slots."""

    x: NDArray[np.float64]
    ht: NDArray[np.float64]
    weight: NDArray[np.float64]
    truncated: int
    files: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.ht)


def read_inputs(inputs: list[str], max_events: int | None = None) -> Events:
    """Every event of ``inputs`` (files or globs), in file order, at most ``max_events``."""
    schema = builtin_schema("l1emu")
    base = needs()
    want = base | Needs(sums=frozenset({"HT"}))
    files = expand_inputs(inputs)
    dataset = open_dataset(files, schema, want.branches(schema))
    xs, hts, ws, truncated = [], [], [], 0
    for item in dataset.work_items(100_000, max_events):
        chunk = read_events(item, schema, want)
        x, cut = features(chunk)
        xs.append(x)
        hts.append(np.asarray(chunk.sums["HT"], dtype=np.float64))
        ws.append(np.asarray(chunk.weight, dtype=np.float64))
        truncated += cut
    if not xs or not sum(len(x) for x in xs):
        raise L1EmuError(f"no events in {', '.join(inputs)}")
    return Events(np.concatenate(xs), np.concatenate(hts), np.concatenate(ws), truncated, tuple(files))
