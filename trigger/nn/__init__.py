"""Neural networks in float and bit-accurate fixed point, from one model description.

>>> import numpy as np
>>> from trigger.nn import DenseSpec, ActivationSpec, NetworkSpec, build_model, run_fixed
>>> spec = NetworkSpec("tiny", "x", 2, (DenseSpec("fc", np.array([[0.5], [-0.25]]), np.array([0.125])),
...                                     ActivationSpec("fc_relu", "relu")))
>>> model = build_model(spec, {"Model": {"Precision": "ap_fixed<8,3>"}})
>>> run_fixed(model, [[1.0, 1.0], [0.0, 2.0]]).to_float().tolist()
[[0.375], [0.0]]
"""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike

from trigger.nn.build import ActivationSpec, DenseSpec, NetworkSpec, build_model, valid_reuse_factors
from trigger.nn.config import HLSConfig, LayerConfig, load_config
from trigger.nn.emulate import LayerTrace, run_fixed, run_float
from trigger.nn.layers import (
    Accumulation,
    ActivationLayer,
    DenseLayer,
    IOType,
    LookupTable,
    ModelDescription,
    QuantizeLayer,
    ScaleLayer,
    SoftmaxTables,
    SquareErrorLayer,
    SquareSumLayer,
    Strategy,
    SumLayer,
    describe,
)

__all__ = [
    "Accumulation",
    "ActivationLayer",
    "ActivationSpec",
    "DenseLayer",
    "DenseSpec",
    "HLSConfig",
    "IOType",
    "LayerConfig",
    "LayerTrace",
    "LookupTable",
    "ModelDescription",
    "NetworkSpec",
    "QuantizeLayer",
    "ScaleLayer",
    "SoftmaxTables",
    "SquareErrorLayer",
    "SquareSumLayer",
    "Strategy",
    "SumLayer",
    "build_model",
    "describe",
    "from_keras",
    "load_config",
    "run_fixed",
    "run_float",
    "valid_reuse_factors",
]


def from_keras(
    model: Any, config: HLSConfig | dict[str, Any] | str | None = None, calibration: ArrayLike | None = None
) -> ModelDescription:
    """A Keras 3 model (object or ``.keras`` path) with an hls4ml-style config, ready to emulate or emit.

    A model with quantization-aware layers (:mod:`trigger.train`) keeps the precisions it was trained
    with: it goes through :func:`trigger.train.to_description`.  So does a model trained with HGQ2
    (per-weight and per-activation bit widths): :func:`trigger.nn.hgq2_import.hgq2_description`,
    bit-exact with its quantized forward pass and with hls4ml 1.3's conversion of it.
    """
    from trigger.nn.hgq2_import import hgq2_description, is_hgq2_model, register_hgq2
    from trigger.nn.keras_import import network_from_keras
    from trigger.train.convert import is_qat_model, load_qat_model, to_description

    if not hasattr(model, "layers"):  # a .keras path: HGQ2's layers must be registered to load
        register_hgq2()
    loaded = load_qat_model(model)
    if is_hgq2_model(loaded):
        return hgq2_description(loaded, config)
    if is_qat_model(loaded):
        return to_description(loaded, config, calibration)
    return build_model(network_from_keras(loaded), config, calibration)
