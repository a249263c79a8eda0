"""Keras 3 layers that compute what the firmware computes: quantized where the firmware quantizes.

* :class:`QInput` casts the model input to ``input_t`` (the firmware's input cast).
* :class:`QDense` multiplies by weights and adds biases quantized to ``weight``/``bias``, sums
  exactly (the accumulator of the conversion is exact), and casts the sum to ``result`` (``None``:
  no cast, the exact sum).  A non-trainable ``prune_mask`` multiplies the kernel (all ones unless
  :mod:`trigger.train.prune` prunes it), so pruned weights are exactly zero in every forward pass.
* :class:`QActivation` is ``relu`` or ``linear`` followed by the cast to ``result``, or ``softmax``
  in float (the conversion emulates it with lookup tables; ``result`` is then only its output type).

Each layer is a registered Keras serializable (``l1emu>QDense`` ...), so ``.keras`` files load once
this module is imported, and describes itself to :mod:`trigger.nn.keras_import` through
``l1emu_spec()`` (float layers) and ``l1emu_precision()`` (the declared types, as config keys).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ModelError
from trigger.fixed import FixedType
from trigger.nn import ActivationSpec, DenseSpec
from trigger.train._backend import keras
from trigger.train.quantize import as_type, fixed_quantize, flush_subnormals

__all__ = ["QACTIVATIONS", "QActivation", "QDense", "QInput"]

QACTIVATIONS = ("relu", "linear", "softmax")


def _spelling(t: FixedType | None) -> str | None:
    return None if t is None else str(t)


@keras.saving.register_keras_serializable(package="l1emu")
class QInput(keras.layers.Layer):  # type: ignore[misc]
    """Cast the model input to ``precision`` (the description's ``input_t``)."""

    def __init__(self, precision: str | FixedType, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        t = as_type(precision, f"QInput {self.name} precision")
        if t is None:
            raise ModelError(f"QInput {self.name}: give the input precision, e.g. 'ap_fixed<16,6,AP_RND_CONV,AP_SAT>'")
        self.input_t: FixedType = t

    def call(self, inputs: Any) -> Any:
        return fixed_quantize(inputs, self.input_t, "clip")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "precision": str(self.input_t)}

    def l1emu_spec(self) -> list[DenseSpec | ActivationSpec]:
        return []

    def l1emu_precision(self) -> dict[str, str]:
        return {"result": str(self.input_t)}


@keras.saving.register_keras_serializable(package="l1emu")
class QDense(keras.layers.Layer):  # type: ignore[misc]
    """``cast<result>(x @ q_weight(W * mask) + q_bias(b))``; a ``None`` precision is not quantized."""

    def __init__(
        self,
        units: int,
        weight: str | FixedType | None = None,
        bias: str | FixedType | None = None,
        result: str | FixedType | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not isinstance(units, (int, np.integer)) or units < 1:
            raise ModelError(f"QDense {self.name}: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.weight_t = as_type(weight, f"QDense {self.name} weight")
        self.bias_t = as_type(bias, f"QDense {self.name} bias")
        self.result_t = as_type(result, f"QDense {self.name} result")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape: Any) -> None:
        n_in = int(input_shape[-1])
        self.kernel = self.add_weight(name="kernel", shape=(n_in, self.units), initializer=self.kernel_initializer)
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer)
        self.prune_mask = self.add_weight(
            name="prune_mask", shape=(n_in, self.units), initializer="ones", trainable=False
        )

    def quantized(self, inputs: Any) -> tuple[Any, Any]:
        """Kernel and bias as the forward pass uses them (masked, quantized), as tensors."""
        ops = keras.ops
        kernel = ops.multiply(ops.cast(self.kernel, inputs.dtype), ops.cast(self.prune_mask, inputs.dtype))
        bias = ops.cast(self.bias, inputs.dtype)
        if self.weight_t is not None:
            kernel = fixed_quantize(kernel, self.weight_t, "identity")
        if self.bias_t is not None:
            bias = fixed_quantize(bias, self.bias_t, "identity")
        return kernel, bias

    def call(self, inputs: Any) -> Any:
        kernel, bias = self.quantized(inputs)
        y = keras.ops.matmul(inputs, kernel) + bias
        return y if self.result_t is None else fixed_quantize(y, self.result_t, "clip")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "units": self.units,
            "weight": _spelling(self.weight_t),
            "bias": _spelling(self.bias_t),
            "result": _spelling(self.result_t),
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }

    def masked_kernel(self) -> NDArray[np.float64]:
        """The float kernel times the pruning mask, as float64 (exact: the mask is 0 or 1; subnormals are 0)."""
        kernel = keras.ops.convert_to_numpy(self.kernel)
        mask = np.asarray(keras.ops.convert_to_numpy(self.prune_mask), dtype=np.float64)
        out: NDArray[np.float64] = flush_subnormals(kernel, kernel.dtype) * mask
        return out

    def l1emu_spec(self) -> list[DenseSpec | ActivationSpec]:
        bias = keras.ops.convert_to_numpy(self.bias)
        return [DenseSpec(self.name, self.masked_kernel(), flush_subnormals(bias, bias.dtype))]

    def l1emu_precision(self) -> dict[str, str]:
        """The declared types; accumulator exact (``auto``), as is an uncast result: the forward pass sums exactly."""
        declared = {"weight": self.weight_t, "bias": self.bias_t}
        out = {k: str(t) for k, t in declared.items() if t is not None}
        return {**out, "accum": "auto", "result": _spelling(self.result_t) or "auto"}


@keras.saving.register_keras_serializable(package="l1emu")
class QActivation(keras.layers.Layer):  # type: ignore[misc]
    """``cast<result>(relu(x))`` or ``cast<result>(x)``; ``softmax`` stays float (tables at conversion)."""

    def __init__(self, function: str, result: str | FixedType | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if function not in QACTIVATIONS:
            raise ModelError(
                f"QActivation {self.name}: function {function!r} is not supported; use one of {', '.join(QACTIVATIONS)}"
            )
        self.function = function
        self.result_t = as_type(result, f"QActivation {self.name} result")

    def call(self, inputs: Any) -> Any:
        ops = keras.ops
        if self.function == "softmax":
            return ops.softmax(inputs, axis=-1)
        y = ops.relu(inputs) if self.function == "relu" else inputs
        return y if self.result_t is None else fixed_quantize(y, self.result_t, "clip")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "function": self.function, "result": _spelling(self.result_t)}

    def l1emu_spec(self) -> list[DenseSpec | ActivationSpec]:
        return [ActivationSpec(self.name, self.function)]

    def l1emu_precision(self) -> dict[str, str]:
        return {} if self.result_t is None else {"result": str(self.result_t)}
