"""Boosted-jet tagger (q, g, W, Z, t): 16 substructure inputs -> 64 -> 32 -> 32 -> 5 softmax, ReLU.

The algorithm evaluates every wide jet of an event passing ``pt >= min_pt`` and ``|eta| <=
max_abs_eta`` and outputs, per class, the highest score of any such jet (``-inf`` without one), so a
seed ``L1_JetTag_Top: {algorithm: {name: jet_tagger, output: t, min: 0.8, options: {min_pt: 400}}}``
fires when a wide jet above 400 GeV has a top score of at least 0.8. The fixed path runs the shipped
firmware description (scaling + network, :mod:`algorithms.jet_tagger.model`); the float path runs
the same description in float. Training and metrics: ``l1emu train jet-tagger``, ``l1emu evaluate
jet-tagger`` (README.md beside this file).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.jet_tagger.inputs import CLASSES, jet_rows, needs
from algorithms.jet_tagger.model import DEFAULT_DIR, VARIANTS, load_description
from trigger.features import ObjectCut
from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, Mode
from trigger.nn import ModelDescription, run_fixed, run_float

__all__ = ["JetTagger", "make"]


def _per_event_max(scores: NDArray[np.float64], event: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    out = np.full((n, scores.shape[1]), -np.inf)
    np.maximum.at(out, event, scores)
    return out


class JetTagger:
    name = "jet_tagger"
    outputs: tuple[str, ...] = CLASSES

    def __init__(self, model: ModelDescription, collection: str, cut: ObjectCut) -> None:
        if model.n_inputs != 16 or model.n_outputs != len(CLASSES):
            raise ValueError(
                f"model {model.name} takes {model.n_inputs} inputs and gives {model.n_outputs}; need 16, 5"
            )
        self.model, self.collection, self.cut = model, collection, cut

    def needs(self) -> Needs:
        return needs(self.collection)

    def firmware(self) -> ModelDescription:
        return self.model

    def firmware_inputs(self, chunk: Chunk) -> NDArray[np.float64]:
        """One row per jet passing the cut (the firmware runs once per jet)."""
        return jet_rows(chunk, self.collection, self.cut)[0]

    def evaluate(self, chunk: Chunk, mode: Mode) -> AlgorithmOutput:
        x, event, _ = jet_rows(chunk, self.collection, self.cut)
        out = AlgorithmOutput()
        if mode.wants_float:
            y = _per_event_max(run_float(self.model, x), event, chunk.n)
            out.float = {c: y[:, k] for k, c in enumerate(CLASSES)}
        if mode.wants_fixed:
            y = _per_event_max(run_fixed(self.model, x).to_float(), event, chunk.n)
            out.fixed = {c: y[:, k] for k, c in enumerate(CLASSES)}
        return out


def make(
    variant: str = "qat",
    directory: str | None = None,
    collection: str = "widejets",
    min_pt: float = 150.0,
    max_abs_eta: float = math.inf,
    **unknown: Any,
) -> JetTagger:
    """The ``l1emu.algorithms`` entry point ``jet_tagger``."""
    if unknown:
        raise ValueError(
            f"unknown options {sorted(unknown)} (allowed: variant, directory, collection, min_pt, max_abs_eta)"
        )
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    model = load_description(Path(directory) if directory else DEFAULT_DIR, f"tagger_{variant}")
    return JetTagger(model, collection, ObjectCut(float(min_pt), float(max_abs_eta)))
