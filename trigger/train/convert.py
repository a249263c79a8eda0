"""A trained QAT model to the one :class:`ModelDescription`, and its exact forward pass.

:func:`to_description` turns the precisions the layers declare into the HLS config (``LayerName``
entries: input, weight, bias, result; the accumulator exact), merged over the user's config, which
still sets what training does not decide (reuse factors, strategy, softmax tables).
:func:`exact_forward` runs the Keras layers themselves in float64, where every quantized sum is
exact, so it equals ``run_fixed`` on the description bit for bit (float32 training-time outputs
can differ by an LSB where a float32 sum rounded: see ``trigger/train/README.md``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.errors import ConfigError, ModelError
from trigger.fixed import FixedType
from trigger.nn import ActivationLayer, HLSConfig, ModelDescription, build_model, load_config
from trigger.nn.keras_import import network_from_keras
from trigger.train._backend import keras
from trigger.train.layers import QActivation, QDense, QInput
from trigger.train.quantize import flush_subnormals

__all__ = ["exact_forward", "load_qat_model", "qat_precisions", "to_description"]


def load_qat_model(model: Any) -> Any:
    """A Keras model, or the path of a ``.keras`` file holding QAT layers, as a Keras model."""
    if not isinstance(model, (str, Path)):
        return model
    path = Path(model)
    if not path.is_file():
        raise ModelError(f"{path}: no such Keras model file")
    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # keras raises many kinds for a bad file
        raise ModelError(f"{path}: cannot load as a Keras 3 model ({type(exc).__name__}: {exc})") from None


def is_qat_model(model: Any) -> bool:
    """Whether ``model`` (a loaded Keras model) holds any quantization-aware layer of ours."""
    return any(isinstance(layer, (QInput, QDense, QActivation)) for layer in model.layers)


def _computing_layers(model: Any) -> list[Any]:
    return [la for la in model.layers if type(la).__name__ != "InputLayer"]


def _check_structure(model: Any) -> None:
    layers = _computing_layers(model)
    for i, layer in enumerate(layers):
        if isinstance(layer, QInput) and i != 0:
            raise ModelError(f"QInput {layer.name!r} must be the first layer (it is the firmware's input cast)")
        if type(layer).__name__ == "BatchNormalization" and i and isinstance(layers[i - 1], QDense):
            raise ModelError(
                f"BatchNormalization {layer.name!r} after QDense {layers[i - 1].name!r} would change the trained "
                "quantized weights when folded; train without it (or fold it into the kernel before QAT)"
            )


def qat_precisions(model: Any, input_name: str) -> dict[str, dict[str, str]]:
    """``{layer: {precision key: spelling}}`` declared by the QAT layers; the input cast under ``input_name``."""
    out: dict[str, dict[str, str]] = {}
    for layer in _computing_layers(model):
        if isinstance(layer, QInput):
            out[input_name] = layer.l1emu_precision()
        elif hasattr(layer, "l1emu_precision") and layer.l1emu_precision():
            out[layer.name] = layer.l1emu_precision()
    return out


def _differs(given: str, declared: str) -> bool:
    """A user spelling contradicts a declared one ('auto' in the user config defers to the declaration)."""
    if given.strip().lower() == "auto":
        return False
    return declared.strip().lower() == "auto" or FixedType.from_string(given) != FixedType.from_string(declared)


def _merge(user: HLSConfig, declared: dict[str, dict[str, str]]) -> HLSConfig:
    """User config with the declared precisions on top; a user precision that contradicts one is an error."""
    checked = load_config({"LayerName": {n: {"Precision": p} for n, p in declared.items()}}).layer_name
    merged = {name: dict(scope) for name, scope in user.layer_name.items()}
    for name, scope in checked.items():
        mine = merged.setdefault(name, {})
        theirs = dict(mine.get("Precision", {}))
        for key, spelling in scope["Precision"].items():
            given = theirs.get(key)
            if given is not None and _differs(given, spelling):
                raise ConfigError(
                    f"{user.source}: LayerName.{name}.Precision.{key}: {given} contradicts the trained "
                    f"QAT precision {spelling}; remove it from the config (the QAT layer decides)"
                )
            theirs[key] = spelling
        mine["Precision"] = theirs
    return dataclasses.replace(user, layer_name=merged)


def to_description(
    model: Any,
    config: HLSConfig | dict[str, Any] | str | Path | None = None,
    calibration: ArrayLike | None = None,
) -> ModelDescription:
    """The description of a QAT Keras model (object or ``.keras`` path) whose ``run_fixed`` is its forward pass.

    Declared types become ``LayerName`` precisions (dense accumulators exact); a relu/linear
    :class:`QActivation` without ``result`` keeps its input type (no cast, as in training).  Layers
    without a declared type (``None``, plain Keras layers) get what ``config`` says, ``auto`` by default.
    """
    model = load_qat_model(model)
    _check_structure(model)
    spec = network_from_keras(model, qat=True)
    user = config if isinstance(config, HLSConfig) else load_config(config)
    declared = qat_precisions(model, spec.input_name)
    uncast = [
        la.name
        for la in _computing_layers(model)
        if isinstance(la, QActivation) and la.function != "softmax" and la.result_t is None
    ]
    # an uncast activation's input type depends on the layers before it: settle them front to back
    for _ in range(len(uncast) + 1):
        description = build_model(spec, _merge(user, declared), calibration)
        changed = False
        for name in uncast:
            layer = description.layer(name)
            assert isinstance(layer, ActivationLayer)
            if declared.get(name, {}).get("result") != str(layer.input_t):
                declared[name] = {"result": str(layer.input_t)}
                changed = True
        if not changed:
            return description
    raise AssertionError("uncast activation types did not settle")  # pragma: no cover


def _is_softmax(layer: Any) -> bool:
    if isinstance(layer, QActivation):
        return layer.function == "softmax"
    kind = type(layer).__name__
    return kind == "Softmax" or (kind == "Activation" and getattr(layer.activation, "__name__", "") == "softmax")


def _float64_twin(layer: Any, shape: tuple[int, ...]) -> Any:
    twin = type(layer).from_config({**layer.get_config(), "dtype": "float64"})
    weights = layer.get_weights()
    if weights:
        twin.build(shape)
        twin.set_weights([flush_subnormals(w, w.dtype) if np.issubdtype(w.dtype, np.floating) else w for w in weights])
    return twin


def exact_forward(model: Any, x: ArrayLike, *, logits: bool = False) -> NDArray[np.float64]:
    """The model's inference forward pass with its own layers in float64 (``logits``: before a final softmax).

    Quantized values and their sums are exact in float64 (sums below 2**53 LSBs), so for a QAT
    model this is the value the firmware computes, bit for bit.
    """
    model = load_qat_model(model)
    layers = [la for la in _computing_layers(model) if type(la).__name__ != "Dropout"]  # identity at inference
    if logits and layers and _is_softmax(layers[-1]):
        layers = layers[:-1]
    batch = np.asarray(x, dtype=np.float64)
    if batch.ndim != 2:
        raise ModelError(f"model {model.name}: expected inputs of shape (batch, n); got {batch.shape}")
    y = keras.ops.convert_to_tensor(batch, dtype="float64")
    for layer in layers:
        twin = _float64_twin(layer, tuple(y.shape))
        y = twin(y, training=False)
    out: NDArray[np.float64] = np.asarray(keras.ops.convert_to_numpy(y), dtype=np.float64)
    return out
