"""Keras 3 models (in memory or ``.keras`` files) to a :class:`NetworkSpec`.

Supported: InputLayer, Dense (with or without ``activation=``), Activation / ReLU / Softmax layers
with relu, linear, sigmoid, tanh, softmax, hard_sigmoid, hard_tanh, BatchNormalization right after a Dense
(folded into its weights; in the hls4ml mode folded or kept apart as hls4ml decides), Dropout (dropped).  Anything else
raises :class:`ModelError` naming the layer.

Quantization-aware layers (:mod:`trigger.train.layers`) describe themselves through ``l1emu_spec()``;
they are read only with ``qat=True`` (what :func:`trigger.train.to_description` passes, together with
the precisions they declare), so their trained precisions are never silently replaced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import ModelError
from trigger.nn.build import ACTIVATIONS, ActivationSpec, BatchNormSpec, DenseSpec, NetworkSpec

__all__ = ["SUPPORTED_LAYERS", "network_from_keras"]

SUPPORTED_LAYERS = ("InputLayer", "Dense", "Activation", "ReLU", "Softmax", "BatchNormalization", "Dropout")


def _keras() -> Any:
    try:
        import keras
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "reading Keras models needs keras 3 with a backend: pip install 'l1emu[keras]' (tensorflow-cpu)"
        ) from None
    return keras


def _activation_name(fn: Any) -> str:
    name = getattr(fn, "__name__", str(fn))
    return "linear" if name in ("linear", "identity") else name


def _unsupported(layer: Any, why: str = "") -> ModelError:
    kind = type(layer).__name__
    return ModelError(
        f"layer {layer.name!r} of type {kind} is not supported{': ' + why if why else ''}; "
        f"supported layers are {', '.join(SUPPORTED_LAYERS)} with activations {', '.join(ACTIVATIONS)}"
    )


def _register_qat_layers() -> None:
    """Import the QAT layers (registered Keras serializables) so ``.keras`` files holding them load."""
    import trigger.train.layers  # noqa: F401


def network_from_keras(model: Any, *, qat: bool = False) -> NetworkSpec:
    """Describe a feed-forward Keras 3 model (or the path of a ``.keras`` file) as float layers.

    ``qat=True`` also reads quantization-aware layers (their float weights; pruned weights are zeros).
    """
    keras = _keras()
    if isinstance(model, (str, Path)):
        _register_qat_layers()
        path = Path(model)
        if not path.is_file():
            raise ModelError(f"{path}: no such Keras model file")
        try:
            model = keras.models.load_model(path, compile=False)
        except Exception as exc:  # keras raises many kinds for a bad file
            raise ModelError(f"{path}: cannot load as a Keras 3 model ({type(exc).__name__}: {exc})") from None
    inputs = model.inputs
    if len(inputs) != 1 or len(inputs[0].shape) != 2:
        raise ModelError(f"model {model.name}: expected one input of shape (batch, n); got {[i.shape for i in inputs]}")
    n_inputs = int(inputs[0].shape[1])
    input_name = getattr(inputs[0], "name", "input") or "input"
    input_name = str(input_name).split(":")[0]
    layers: list[DenseSpec | ActivationSpec] = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            input_name = layer.name
        elif hasattr(layer, "l1emu_spec"):
            if not qat:
                raise ModelError(
                    f"layer {layer.name!r} of type {kind} is a quantization-aware layer with its own precisions; "
                    "convert the model with trigger.train.to_description(model, config) so they become the HLS config"
                )
            layers.extend(layer.l1emu_spec())
        elif kind == "Dropout":
            continue
        elif kind == "Dense":
            kernel, *rest = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
            bias = rest[0] if rest else np.zeros(kernel.shape[1])
            layers.append(DenseSpec(layer.name, kernel, bias))
            act = _activation_name(layer.activation)
            if act != "linear":
                if act not in ACTIVATIONS:
                    raise _unsupported(layer, f"activation {act!r}")
                layers.append(ActivationSpec(f"{layer.name}_{act}", act))
        elif kind == "BatchNormalization":
            if not layers or not isinstance(layers[-1], DenseSpec):
                raise _unsupported(layer, "BatchNormalization is folded into the Dense right before it")
            raw = _bn_weights(layer)
            gamma, beta, mean, var = (np.asarray(w, dtype=np.float64) for w in raw)
            scale = gamma / np.sqrt(var + float(layer.epsilon))
            dense = layers[-1]
            norm = None
            if type(model.get_layer(dense.name)).__name__ == "Dense":  # plain Keras: what hls4ml reads
                # the Dense's float32 weights again, exactly: its spec holds them widened to float64
                kernel32, bias32 = dense.weights.astype(np.float32), dense.bias.astype(np.float32)
                g, b, m, v = (np.asarray(w, dtype=np.float32) for w in raw)
                norm = BatchNormSpec(layer.name, kernel32, bias32, g, b, m, v, float(layer.epsilon))
            layers[-1] = DenseSpec(dense.name, dense.weights * scale, (dense.bias - mean) * scale + beta, norm)
        elif kind in ("Activation", "ReLU", "Softmax"):
            if kind == "ReLU":
                cfg = layer.get_config()
                if cfg.get("max_value") is not None or cfg.get("negative_slope", 0.0) or cfg.get("threshold", 0.0):
                    raise _unsupported(layer, "only a plain ReLU (no max_value, slope or threshold)")
                act = "relu"
            elif kind == "Softmax":
                act = "softmax"
            else:
                act = _activation_name(layer.activation)
            if act not in ACTIVATIONS:
                raise _unsupported(layer, f"activation {act!r}")
            layers.append(ActivationSpec(layer.name, act))
        else:
            raise _unsupported(layer)
    return NetworkSpec(model.name, input_name, n_inputs, tuple(layers))


def _bn_weights(layer: Any) -> list[Any]:
    """gamma, beta, moving mean, moving variance (Keras omits gamma/beta when scale/center are off)."""
    weights = {w.path.split("/")[-1]: w.numpy() for w in layer.weights}
    size = weights["moving_mean"].shape
    return [
        weights.get("gamma", np.ones(size)),
        weights.get("beta", np.zeros(size)),
        weights["moving_mean"],
        weights["moving_variance"],
    ]
