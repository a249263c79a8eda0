"""Muon pT regressor: 25 integer station inputs -> 30 -> 25 -> 20 -> 1 (ReLU), regressing ``32 q / pT``.

The algorithm evaluates every in-time L1 muon of an event with ``quality >= min_quality`` and ``|eta| <=
max_abs_eta`` and outputs ``pt``, the highest assigned pT of any such muon (``-inf`` without one), so a
seed ``L1_SingleMuNN22: {algorithm: {name: muon_pt, output: pt, min: 20.0}}`` fires when a single-quality
muon's NN pT is at least 20 GeV. The fixed path runs the shipped firmware description (scaling +
network, :mod:`algorithms.muon_pt.model`); the float path runs the same description in float. Inputs:
:mod:`algorithms.muon_pt.inputs`; training and metrics: ``l1emu train muon-pt``, ``l1emu evaluate
muon-pt`` (README.md beside this file).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.muon_pt.inputs import FEATURES, muon_rows, needs
from algorithms.muon_pt.model import DEFAULT_DIR, VARIANTS, load_description, pt_from_output
from trigger.features import ObjectCut
from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, Mode
from trigger.nn import ModelDescription, run_fixed, run_float

__all__ = ["MuonPt", "make"]


def _per_event_max(values: NDArray[np.float64], event: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    out = np.full(n, -np.inf)
    np.maximum.at(out, event, values)
    return out


class MuonPt:
    name = "muon_pt"
    outputs: tuple[str, ...] = ("pt",)

    def __init__(self, model: ModelDescription, collection: str, cut: ObjectCut, min_quality: int) -> None:
        if model.n_inputs != len(FEATURES) or model.n_outputs != 1:
            raise ValueError(
                f"model {model.name} takes {model.n_inputs} inputs and gives {model.n_outputs}; need {len(FEATURES)}, 1"
            )
        self.model, self.collection, self.cut, self.min_quality = model, collection, cut, min_quality

    def needs(self) -> Needs:
        return needs(self.collection)

    def firmware(self) -> ModelDescription:
        return self.model

    def firmware_inputs(self, chunk: Chunk) -> NDArray[np.float64]:
        """One row per muon passing the cuts (the firmware runs once per muon)."""
        return muon_rows(chunk, self.collection, self.cut, self.min_quality)[0]

    def evaluate(self, chunk: Chunk, mode: Mode) -> AlgorithmOutput:
        x, event, _ = muon_rows(chunk, self.collection, self.cut, self.min_quality)
        out = AlgorithmOutput()
        if mode.wants_float:
            out.float = {"pt": _per_event_max(pt_from_output(run_float(self.model, x)[:, 0]), event, chunk.n)}
        if mode.wants_fixed:
            y = run_fixed(self.model, x).to_float()[:, 0]
            out.fixed = {"pt": _per_event_max(pt_from_output(y), event, chunk.n)}
        return out


def make(
    variant: str = "qat",
    directory: str | None = None,
    collection: str = "muons",
    max_abs_eta: float = 2.4,
    min_quality: int = 12,
    **unknown: Any,
) -> MuonPt:
    """The ``l1emu.algorithms`` entry point ``muon_pt``."""
    if unknown:
        raise ValueError(
            f"unknown options {sorted(unknown)} (allowed: variant, directory, collection, max_abs_eta, min_quality)"
        )
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if not isinstance(min_quality, int) or isinstance(min_quality, bool):
        raise ValueError(f"min_quality must be an integer, got {min_quality!r}")
    eta = float(max_abs_eta)
    if math.isnan(eta) or eta < 0:
        raise ValueError(f"max_abs_eta must be a number >= 0, got {max_abs_eta!r}")
    model = load_description(Path(directory) if directory else DEFAULT_DIR, f"muon_pt_{variant}")
    return MuonPt(model, collection, ObjectCut(max_abs_eta=eta, min_pt=-math.inf), min_quality)
