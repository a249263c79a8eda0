"""The three architectures the framework ships, with random weights, for tests and benchmarks.

jet tagger 16-64-32-32-5 (softmax), muon pT regressor 36-30-25-20-1 (linear), autoencoder
57-32-16-3-16-32-57 (linear output).  Weights are scaled like a trained network's (unit-variance
activations), inputs are unit normals with a few far outside the representable range.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numpy.typing import NDArray

from trigger.nn import ActivationSpec, DenseSpec, NetworkSpec

ARCHITECTURES: dict[str, tuple[list[int], str]] = {
    "jet_tagger": ([16, 64, 32, 32, 5], "softmax"),
    "muon_pt": ([36, 30, 25, 20, 1], "linear"),
    "autoencoder": ([57, 32, 16, 3, 16, 32, 57], "linear"),
}


def network(name: str, seed: int = 0) -> NetworkSpec:
    sizes, final = ARCHITECTURES[name]
    rng = np.random.default_rng(seed)
    layers: list[DenseSpec | ActivationSpec] = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        layers.append(
            DenseSpec(f"fc{i + 1}", rng.normal(0, 1.4 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.1, n_out))
        )
        last = i == len(sizes) - 2
        if not last:
            layers.append(ActivationSpec(f"fc{i + 1}_relu", "relu"))
        elif final != "linear":
            layers.append(ActivationSpec(f"fc{i + 1}_{final}", final))
    return NetworkSpec(name, "input", sizes[0], tuple(layers))


def inputs(name: str, n: int, seed: int = 1, outliers: float = 0.01) -> NDArray[np.float64]:
    """Unit-normal features; a fraction ``outliers`` scaled by 1e3 (outside any 16-bit range)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n, ARCHITECTURES[name][0][0]))
    far = rng.random(x.shape) < outliers
    x[far] *= 1e3
    return x
