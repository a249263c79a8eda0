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
    spec = NetworkSpec(f"random{seed}", "x", sizes[0], tuple(layers))
    return build_model(spec, config, rng.normal(0, 3, (500, sizes[0])))
