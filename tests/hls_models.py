"""The three shipped architectures with random weights, for the HLS tests (no Keras needed)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from trigger.nn import ActivationSpec, DenseSpec, ModelDescription, NetworkSpec, build_model

__all__ = ["ARCHITECTURES", "calibration", "make_model", "network"]

# name: (layer sizes, hidden activation, per-layer overrides of the activation, output activation)
ARCHITECTURES: dict[str, tuple[list[int], str, dict[int, str], str | None]] = {
    "jet_tagger": ([16, 64, 32, 32, 5], "relu", {}, "softmax"),
    "muon_pt": ([36, 30, 25, 20, 1], "relu", {}, "linear"),  # explicit linear output layer
    "autoencoder": ([57, 32, 16, 3, 16, 32, 57], "relu", {2: "tanh"}, "sigmoid"),
}


def network(arch: str, seed: int = 0) -> NetworkSpec:
    """Random weights scaled like a trained network (activations of order one)."""
    sizes, hidden, special, last = ARCHITECTURES[arch]
    rng = np.random.default_rng(seed)
    layers: list[DenseSpec | ActivationSpec] = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(
            DenseSpec(f"fc{k + 1}", rng.normal(0.0, 1.5 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.2, n_out))
        )
        act = last if k == len(sizes) - 2 else special.get(k, hidden)
        if act is not None:
            layers.append(ActivationSpec(f"fc{k + 1}_{act}", act))
    return NetworkSpec(arch, "inputs", sizes[0], tuple(layers))


def calibration(arch: str, n: int = 2000, seed: int = 1) -> Any:
    return np.random.default_rng(seed).normal(0.0, 1.5, (n, ARCHITECTURES[arch][0][0]))


def make_model(arch: str, config: dict[str, Any]) -> ModelDescription:
    return build_model(network(arch), config, calibration(arch))
