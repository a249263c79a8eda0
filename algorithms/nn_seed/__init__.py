"""A generic neural-network algorithm seed: any Keras model plus its fixed-point configuration.

Inputs are named features of the features stage (:mod:`trigger.features`), concatenated in order:
``{sum: HT}``, ``{event: nPileup}``, or ``{collection: jets, fields: [pt, eta, phi], slots: 4}``
(leading objects in pt order after ``min_pt``/``max_abs_eta``, object-major, zero-padded, truncation
counted). The network runs through :mod:`trigger.nn`: ``run_float`` for the float decision and the
bit-accurate ``run_fixed`` for the fixed one, so the seed's fixed rate is the firmware's. Menu use::

    L1_NN_Example:
      algorithm:
        name: nn
        output: score
        min: 0.5
        mode: both
        options:
          model: models/my_net.keras
          config: configs/hls/my_net.yaml      # optional; `auto` precisions need a calibration file
          calibration: data/calib.npy          # optional (batch, n_inputs)
          inputs: [{collection: jets, fields: [pt, eta], slots: 4}, {sum: HT}]
          outputs: [score]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.features import FeatureSet, parse_features
from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, Mode
from trigger.nn import ModelDescription, from_keras, run_fixed, run_float
from trigger.nn.arrays import load_samples

__all__ = ["NNSeed", "make"]


class NNSeed:
    """The ``nn`` algorithm: features from a chunk -> one network, evaluated in float and fixed point."""

    name: str = "nn"

    def __init__(self, model: ModelDescription, inputs: FeatureSet, outputs: tuple[str, ...]) -> None:
        if inputs.width != model.n_inputs:
            raise ValueError(f"the inputs give {inputs.width} features but model {model.name} takes {model.n_inputs}")
        if len(outputs) != model.n_outputs:
            raise ValueError(f"outputs names {len(outputs)} values but model {model.name} has {model.n_outputs}")
        self.model, self.inputs, self.outputs = model, inputs, outputs

    def needs(self) -> Needs:
        return self.inputs.needs()

    def features(self, chunk: Chunk) -> tuple[NDArray[np.float64], int]:
        """The (n_events, n_inputs) matrix and the number of events truncated to the slots."""
        return self.inputs.matrix(chunk)

    def firmware(self) -> ModelDescription:
        return self.model

    def firmware_inputs(self, chunk: Chunk) -> NDArray[np.float64]:
        return self.features(chunk)[0]

    def evaluate(self, chunk: Chunk, mode: Mode) -> AlgorithmOutput:
        x, truncated = self.features(chunk)
        out = AlgorithmOutput(truncated=truncated)
        if mode.wants_float:
            y = run_float(self.model, x)
            out.float = {name: y[:, k] for k, name in enumerate(self.outputs)}
        if mode.wants_fixed:
            y = run_fixed(self.model, x).to_float()
            out.fixed = {name: y[:, k] for k, name in enumerate(self.outputs)}
        return out


def make(
    model: str | ModelDescription,
    inputs: Sequence[Mapping[str, Any]],
    config: str | Mapping[str, Any] | None = None,
    calibration: str | None = None,
    outputs: Sequence[str] | None = None,
) -> NNSeed:
    """The ``l1emu.algorithms`` entry point ``nn``."""
    features = parse_features(inputs)
    if isinstance(model, ModelDescription):
        described = model
    else:
        path = Path(model)
        if not path.is_file():
            raise ValueError(f"model file {path} does not exist (expected a Keras 3 .keras file)")
        calib = load_samples(calibration) if calibration is not None else None
        described = from_keras(path, dict(config) if isinstance(config, Mapping) else config, calib)
    names = tuple(outputs) if outputs else tuple(f"out{k}" for k in range(described.n_outputs))
    return NNSeed(described, features, names)
