"""The three architectures the framework ships, with random weights, for the NN, HLS and benchmark code.

jet tagger 16-64-32-32-5 (relu, softmax output), muon pT regressor 36-30-25-20-1 (relu, explicit linear
output layer), autoencoder 57-32-16-3-16-32-57 (relu, tanh bottleneck, sigmoid output): together every
activation kind the emulator and the emitted C++ implement. Weights are scaled like a trained network's
(activations of order one); inputs are unit normals with a few far outside any 16-bit range.
No Keras needed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.nn import ActivationSpec, DenseSpec, ModelDescription, NetworkSpec, build_model
from trigger.nn.hls4ml_rules import closest_reuse_factor

__all__ = ["ARCHITECTURES", "Architecture", "inputs", "make_model", "network", "random_model"]


@dataclass(frozen=True)
class Architecture:
    """Layer sizes; the activation after each hidden dense layer (relu unless overridden) and the output."""

    sizes: tuple[int, ...]
    output: str
    hidden: dict[int, str] = field(default_factory=dict)

    def activation(self, k: int) -> str:
        """The activation after dense layer ``k`` (0-based)."""
        return self.output if k == len(self.sizes) - 2 else self.hidden.get(k, "relu")


ARCHITECTURES: dict[str, Architecture] = {
    "jet_tagger": Architecture((16, 64, 32, 32, 5), "softmax"),
    "muon_pt": Architecture((36, 30, 25, 20, 1), "linear"),
    "autoencoder": Architecture((57, 32, 16, 3, 16, 32, 57), "sigmoid", {2: "tanh"}),
}


def network(name: str, seed: int = 0) -> NetworkSpec:
    """Random weights, dense layers ``fc1, fc2, ...`` each followed by ``fc<k>_<activation>``, input ``input``."""
    arch = ARCHITECTURES[name]
    rng = np.random.default_rng(seed)
    layers: list[DenseSpec | ActivationSpec] = []
    for k, (n_in, n_out) in enumerate(itertools.pairwise(arch.sizes)):
        layers.append(
            DenseSpec(f"fc{k + 1}", rng.normal(0.0, 1.4 / np.sqrt(n_in), (n_in, n_out)), rng.normal(0, 0.1, n_out))
        )
        layers.append(ActivationSpec(f"fc{k + 1}_{arch.activation(k)}", arch.activation(k)))
    return NetworkSpec(name, "input", arch.sizes[0], tuple(layers))


def inputs(name: str, n: int, seed: int = 1, outliers: float = 0.01) -> NDArray[np.float64]:
    """Unit-normal features; a fraction ``outliers`` scaled by 1e3 (outside any 16-bit range)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n, ARCHITECTURES[name].sizes[0]))
    far = rng.random(x.shape) < outliers
    x[far] *= 1e3
    return x


def make_model(name: str, config: dict[str, Any]) -> ModelDescription:
    """The architecture with ``config``; ``auto`` precisions calibrated on 2000 unit-normal inputs."""
    return build_model(network(name), config, inputs(name, 2000, outliers=0.0))


_Q = ("AP_TRN", "AP_RND", "AP_RND_CONV", "AP_TRN_ZERO", "AP_RND_ZERO", "AP_RND_INF", "AP_RND_MIN_INF")
_O = ("AP_WRAP", "AP_SAT", "AP_SAT_ZERO", "AP_SAT_SYM")


def _random_type(rng: np.random.Generator) -> str:
    width = int(rng.integers(3, 20))
    integer = int(rng.integers(-2, width + 3))
    signed = bool(rng.integers(0, 2))
    return f"ap_{'' if signed else 'u'}fixed<{width},{integer},{rng.choice(_Q)},{rng.choice(_O)}>"


def random_model(seed: int) -> ModelDescription:
    """A small random network with random precisions, strategy, reuse factor, io type and accumulation."""
    from trigger.nn import valid_reuse_factors

    rng = np.random.default_rng(seed)
    n_layers = int(rng.integers(1, 4))
    sizes = [int(rng.integers(1, 12)) for _ in range(n_layers + 1)]
    layers: list[DenseSpec | ActivationSpec] = []
    for k in range(n_layers):
        a, b = sizes[k], sizes[k + 1]
        layers.append(DenseSpec(f"d{k}", rng.normal(0, rng.uniform(0.1, 3), (a, b)), rng.normal(0, 1, b)))
        act = str(rng.choice(["relu", "linear", "sigmoid", "tanh", "softmax", "none"]))
        if act != "none":
            layers.append(ActivationSpec(f"a{k}", act))
    names: dict[str, dict[str, Any]] = {}
    for layer in layers:
        if rng.random() < 0.6:
            cfg: dict[str, Any] = {}
            precision = {key: _random_type(rng) for key in ("weight", "bias", "accum", "result") if rng.random() < 0.5}
            tabled = isinstance(layer, ActivationSpec) and layer.function in ("sigmoid", "tanh", "softmax")
            if tabled and rng.random() < 0.5:
                precision["table"] = _random_type(rng)
            if precision:
                cfg["Precision"] = precision
            if isinstance(layer, ActivationSpec) and layer.function == "softmax":
                cfg["Implementation"] = str(rng.choice(["stable", "latency"]))
                cfg["TableSize"] = int(2 ** rng.integers(3, 11))
            if cfg:
                names[layer.name] = cfg
    if rng.random() < 0.5:
        names["x"] = {"Precision": {"result": _random_type(rng)}}
    rf = int(rng.choice([1, 2, 3, 4, 5]))
    for k in range(n_layers):
        valid = valid_reuse_factors(sizes[k], sizes[k + 1])
        names.setdefault(f"d{k}", {})["ReuseFactor"] = max(r for r in valid if r <= rf)
    config = {
        "Model": {
            "Strategy": str(rng.choice(["Latency", "Resource"])),
            "Accumulation": str(rng.choice(["exact", "hls4ml"])),
        },
        "IOType": str(rng.choice(["io_parallel", "io_stream"])),
        "LayerName": names,
    }
    if config["Model"] == {"Strategy": "Resource", "Accumulation": "hls4ml"}:  # hls4ml's reuse factors there
        for k in range(n_layers):
            names[f"d{k}"]["ReuseFactor"] = closest_reuse_factor(sizes[k], sizes[k + 1], names[f"d{k}"]["ReuseFactor"])
    spec = NetworkSpec(f"random{seed}", "x", sizes[0], tuple(layers))
    return build_model(spec, config, rng.normal(0, 3, (500, sizes[0])))
