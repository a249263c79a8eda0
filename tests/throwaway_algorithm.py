"""A throw-away algorithm plugin for tests/test_algorithm_framework.py: registered only through an entry point
written at run time, never imported by the framework."""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, Mode

CALLS: list[int] = []


class LeadingTimesTwo:
    """Twice the leading muon pt (0 without muons); fixed path rounds down to integer GeV."""

    name = "throwaway"
    outputs = ("score",)

    def needs(self) -> Needs:
        return Needs({"muons": frozenset({"pt"})})

    def evaluate(self, chunk: Chunk, mode: Mode) -> AlgorithmOutput:
        CALLS.append(chunk.n)
        lead = np.asarray(ak.fill_none(ak.max(chunk.collections["muons"].pt, axis=1), 0.0), dtype=np.float64)
        out = AlgorithmOutput()
        if mode.wants_float:
            out.float["score"] = 2 * lead
        if mode.wants_fixed:
            out.fixed["score"] = np.floor(2 * lead)
        return out


def make(**options: Any) -> LeadingTimesTwo:
    if options:
        raise ValueError(f"takes no options, got {sorted(options)}")
    return LeadingTimesTwo()
