"""The fully connected QAT networks of the trigger algorithms (jet tagger, muon regressor, autoencoder).

>>> model = qat_mlp(16, (64, 32, 32), 5, output="softmax")  # the jet tagger
>>> [layer.name for layer in model.layers][:4]
['input_cast', 'fc1', 'fc1_relu', 'fc2']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trigger.errors import ModelError
from trigger.fixed import FixedType
from trigger.train._backend import keras
from trigger.train.layers import QActivation, QDense, QInput

__all__ = ["DEFAULT_ACTIVATION", "DEFAULT_WEIGHT", "qat_mlp"]

#: 6-bit weights in [-1, 1): rounded to nearest (no bias towards -inf as AP_TRN has), saturating.
DEFAULT_WEIGHT = "ap_fixed<6,1,AP_RND_CONV,AP_SAT>"
#: 16-bit inputs and activations with 6 integer bits, rounded, saturating.
DEFAULT_ACTIVATION = "ap_fixed<16,6,AP_RND_CONV,AP_SAT>"


def _init(seed: int | None, i: int) -> Any:
    return keras.initializers.GlorotUniform(seed=None if seed is None else seed + i)


def qat_mlp(
    n_inputs: int,
    hidden: Sequence[int],
    n_outputs: int,
    *,
    output: str = "softmax",
    weight: str | FixedType = DEFAULT_WEIGHT,
    bias: str | FixedType | None = None,
    activation: str | FixedType = DEFAULT_ACTIVATION,
    input_precision: str | FixedType | None = None,
    name: str = "qat_mlp",
    seed: int | None = None,
) -> Any:
    """``n_inputs -> hidden... (ReLU) -> n_outputs (output)`` with every firmware cast declared.

    Layers are ``input_cast``, ``fc1``, ``fc1_relu``, ..., ``fcN`` and, for ``output="softmax"``,
    ``fcN_softmax``; dense results, ReLU outputs and the input use ``activation`` (the input
    ``input_precision`` if given), biases ``bias`` (default: the weight type).
    """
    if output not in ("softmax", "linear"):
        raise ModelError(f"qat_mlp: output must be 'softmax' or 'linear', got {output!r}")
    bias = weight if bias is None else bias
    layers: list[Any] = [
        keras.Input((n_inputs,), name="input"),
        QInput(input_precision or activation, name="input_cast"),
    ]
    for i, units in enumerate([*hidden, n_outputs], start=1):
        layers.append(QDense(units, weight, bias, activation, kernel_initializer=_init(seed, i), name=f"fc{i}"))
        if i <= len(hidden):
            layers.append(QActivation("relu", activation, name=f"fc{i}_relu"))
        elif output == "softmax":
            layers.append(QActivation("softmax", name=f"fc{i}_softmax"))
    return keras.Sequential(layers, name=name)
