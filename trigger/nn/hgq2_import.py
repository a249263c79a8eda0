"""Models trained with HGQ2 (``hgq2``, Keras 3) to a :class:`ModelDescription`, bit-exact as hls4ml 1.3 converts them.

HGQ2 learns a bit width per weight and per activation.  Its inference forward pass is: each
layer's input quantizer (``iq``) rounds and wraps/saturates every value at that value's own
``(keep_negative, integer, fractional)`` bits; the kernel and bias are the quantized ``qkernel`` /
``qbias``; the dense sum, its activation (relu) and the next quantizer follow.  hls4ml 1.3 reads
the same numbers: one cast per element for each quantizer, weights in one type that holds every
quantized weight exactly, and accumulators and results sized so that nothing between two
quantizers loses a bit (its ``BitExact`` pass).  The description built here says the same:

- each quantizer is a :class:`~trigger.nn.quantize_layer.QuantizeLayer` (per-element types);
- per-weight bit widths: the already quantized weights, held exactly in the smallest common type
  (what hls4ml's ``weight_t`` is), so every product is the trained one;
- every dense accumulator and result is the exact type of ``x @ W + b`` for the input type, and a
  relu keeps every bit (unsigned), so only the quantizers round, as in HGQ2 and in hls4ml.

The model input is cast (truncating, wrapping or saturating as the first quantizer does) to a type
with one fractional bit more than that quantizer keeps when it rounds to nearest: floor to ``F + 1``
bits then round to ``F`` is the rounding of the input itself (hls4ml's input type, for the same reason).
Intermediate values are exact in our description where HGQ2 computes in float32: the two agree while
every dense sum fits float32's 24-bit mantissa (hls4ml agrees with the exact one).
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ConfigError, ModelError
from trigger.fixed import FixedType, Overflow, Quantization
from trigger.nn.build import exact_dense_type
from trigger.nn.config import HLSConfig, load_config
from trigger.nn.layers import (
    Accumulation,
    ActivationLayer,
    DenseLayer,
    Layer,
    ModelDescription,
)
from trigger.nn.quantize_layer import QuantizeLayer, union_type

__all__ = ["HGQ2_LAYERS", "hgq2_description", "is_hgq2_model", "register_hgq2"]

#: what an HGQ2 model may hold (plain Keras relu/linear activations and Dropout between them too)
HGQ2_LAYERS = ("InputLayer", "QDense", "QBatchNormDense", "Quantizer", "Activation", "ReLU", "Dropout")
_ROUNDING = {"RND": "AP_RND", "TRN": "AP_TRN", "RND_CONV": "AP_RND_CONV"}
_OVERFLOW = {"WRAP": "AP_WRAP", "SAT": "AP_SAT", "SAT_SYM": "AP_SAT_SYM"}


def register_hgq2() -> None:
    """Import hgq (when installed) so ``.keras`` files holding its layers deserialize."""
    with contextlib.suppress(ModuleNotFoundError):
        import hgq  # noqa: F401


def is_hgq2_model(model: Any) -> bool:
    """Whether a loaded Keras model holds any HGQ2 layer."""
    return any(type(layer).__module__.split(".")[0] == "hgq" for layer in model.layers)


def _unsupported(layer: Any, why: str = "") -> ModelError:
    return ModelError(
        f"HGQ2 model: layer {layer.name!r} of type {type(layer).__name__} is not supported"
        f"{': ' + why if why else ''}; supported layers are {', '.join(HGQ2_LAYERS)} (relu or linear activations)"
    )


def _np(value: Any) -> NDArray[np.float64]:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(value), dtype=np.float64)


def _quantizer(q: Any, n: int, name: str, input_t: FixedType | None) -> tuple[QuantizeLayer, FixedType]:
    """The :class:`QuantizeLayer` of HGQ2 quantizer ``q`` on ``n`` values (and the input type it reads)."""
    internal = q.quantizer
    kind = type(internal).__name__
    if kind not in ("FixedPointQuantizerKBI", "FixedPointQuantizerKIF"):
        raise ModelError(f"HGQ2 quantizer {name!r} is a {kind}; only fixed-point quantizers (kbi, kif) are supported")
    if getattr(q, "scaler", None) is not None or getattr(q, "affine", None) is not None:
        raise ModelError(f"HGQ2 quantizer {name!r} has a scaler or affine transform; neither is supported")
    rnd, sat = str(internal.round_mode).upper().removeprefix("S_"), str(internal.overflow_mode).upper()
    if rnd not in _ROUNDING or sat not in _OVERFLOW:
        raise ModelError(
            f"HGQ2 quantizer {name!r}: round mode {rnd} / overflow mode {sat} not supported; "
            f"supported are {', '.join(_ROUNDING)} / {', '.join(_OVERFLOW)}"
        )
    shape = (1, n)
    k, i, f = (np.rint(_np(internal.bw_mapper.bw_to_x(v, shape))).astype(np.int64).reshape(n) for v in internal.kif)
    width, integer = k + i + f, k + i
    rounding, overflow = Quantization[_ROUNDING[rnd]], Overflow[_OVERFLOW[sat]]
    live = [FixedType(int(width[j]), int(integer[j]), bool(k[j])) for j in range(n) if width[j] > 0]
    result_t = union_type(live)
    if input_t is None:  # the model input: hls4ml's input type for this quantizer
        if rnd == "RND_CONV":
            raise ModelError(
                f"HGQ2 input quantizer {name!r} rounds half to even (RND_CONV): no input type reproduces it for "
                "every float input (hls4ml forces 24 fractional bits); train the first quantizer with RND or TRN"
            )
        extra = 1 if rnd == "RND" else 0
        base = result_t if live else FixedType(1, 1, False)
        input_t = FixedType(
            base.width + extra,
            base.integer,
            base.signed,
            Quantization.AP_TRN,
            Overflow.AP_WRAP if sat == "WRAP" else Overflow.AP_SAT,
        )
    layer = QuantizeLayer(name, input_t, result_t, width, integer, k, rounding, overflow)
    return layer, input_t


def _exact_type(values: NDArray[np.float64], where: str) -> FixedType:
    """The smallest ``ap_[u]fixed`` holding every (already quantized) value exactly: hls4ml's ``minimal_kif``."""
    flat = values.reshape(-1)
    if not np.isfinite(flat).all():
        raise ModelError(f"{where}: values must be finite")
    nonzero = flat[flat != 0]
    if nonzero.size == 0:
        return FixedType(1, 0, False)
    mantissa, exponent = np.frexp(nonzero)  # value = m * 2**e, m has at most 53 significant bits
    ints = [int(m) for m in np.ldexp(mantissa, 53)]
    frac = max(53 - int(e) - ((v & -v).bit_length() - 1) for v, e in zip(ints, exponent, strict=True))
    raws = [int(x) for x in np.ldexp(nonzero, frac)]
    signed = min(raws) < 0
    bits = max(max(raws).bit_length(), (-min(raws) - 1).bit_length() if signed else 0) + (1 if signed else 0)
    return FixedType(max(bits, 1), max(bits, 1) - frac, signed)


def _dense(layer: Any, input_t: FixedType, config: HLSConfig) -> DenseLayer:
    kernel, bias = _np(layer.qkernel), _np(layer.qbias) if layer.qbias is not None else np.zeros(int(layer.units))
    weight_t = _exact_type(kernel, f"HGQ2 layer {layer.name} kernel")
    bias_t = _exact_type(bias, f"HGQ2 layer {layer.name} bias")
    exact_t = exact_dense_type(input_t, weight_t.from_float(kernel), bias_t.from_float(bias))
    cfg = config.for_layer(layer.name, ("Dense",))
    return DenseLayer(
        layer.name,
        kernel,
        bias,
        input_t,
        weight_t,
        bias_t,
        exact_t,
        exact_t,
        exact_t,
        cfg.reuse_factor,
        cfg.strategy,
        Accumulation.EXACT,
    )


def _relu(name: str, n: int, input_t: FixedType) -> ActivationLayer:
    """A relu that keeps every bit: ``max(0, x)`` of a signed type fits its unsigned twin exactly."""
    t = input_t
    result_t = (
        FixedType(max(t.width - 1, 1), t.integer - 1, False) if t.signed else FixedType(t.width, t.integer, False)
    )
    return ActivationLayer(name, "relu", n, input_t, result_t)


def _activation_name(layer: Any) -> str:
    if type(layer).__name__ == "ReLU":
        cfg = layer.get_config()
        if cfg.get("max_value") is not None or cfg.get("negative_slope", 0.0) or cfg.get("threshold", 0.0):
            raise _unsupported(layer, "only a plain ReLU (no max_value, slope or threshold)")
        return "relu"
    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", str(fn)) if fn is not None else "linear"
    return "linear" if name in ("linear", "identity") else name


def _check_config(config: HLSConfig, names: list[str]) -> None:
    """Precisions come from the HGQ2 model; the config only sets reuse factors, strategy and I/O."""
    unknown = sorted(set(config.layer_name) - set(names))
    if unknown:
        raise ConfigError(f"{config.source}: LayerName.{unknown[0]}: no such layer; layers are {', '.join(names)}")
    scopes = [("Model", config.model)] + [(f"LayerName.{n}", s) for n, s in config.layer_name.items()]
    scopes += [(f"LayerType.{n}", s) for n, s in config.layer_type.items()]
    for where, scope in scopes:
        for key, spelling in dict(scope.get("Precision", {})).items():
            if str(spelling).strip().lower() != "auto":
                raise ConfigError(
                    f"{config.source}: {where}.Precision.{key}: {spelling}: an HGQ2 model carries its own "
                    "(per-element) precisions; remove the Precision entries (ReuseFactor, Strategy, IOType still apply)"
                )


def hgq2_description(model: Any, config: HLSConfig | dict[str, Any] | str | None = None) -> ModelDescription:
    """The description of a loaded HGQ2 Keras model whose ``run_fixed`` is its quantized forward pass."""
    cfg = config if isinstance(config, HLSConfig) else load_config(config)
    inputs = model.inputs
    if len(inputs) != 1 or len(inputs[0].shape) != 2:
        raise ModelError(f"model {model.name}: expected one input of shape (batch, n); got {[i.shape for i in inputs]}")
    n = int(inputs[0].shape[1])
    input_name = str(getattr(inputs[0], "name", "input") or "input").split(":")[0]
    input_t: FixedType | None = None
    current: FixedType | None = None  # the type of the values so far (None: the float input)
    layers: list[Layer] = []

    def quantize(q: Any, name: str) -> None:
        nonlocal input_t, current
        qlayer, in_t = _quantizer(q, n, name, current)
        input_t = input_t or in_t
        layers.append(qlayer)
        current = qlayer.result_t

    def needs_quantized(layer: Any) -> FixedType:
        if current is None:
            raise _unsupported(
                layer, "the model input must pass an HGQ2 quantizer first (the layer's enable_iq, or a Quantizer layer)"
            )
        return current

    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            input_name = layer.name
        elif kind == "Dropout":
            continue
        elif kind == "Quantizer":
            quantize(layer, layer.name)
        elif kind in ("QDense", "QBatchNormDense") and type(layer).__module__.startswith("hgq."):
            if getattr(layer, "enable_iq", False):
                quantize(layer.iq, f"{layer.name}_iq")
            dense = _dense(layer, needs_quantized(layer), cfg)
            layers.append(dense)
            n, current = dense.n_out, dense.result_t
            act = _activation_name(layer)
            if act == "relu":
                layers.append(_relu(f"{layer.name}_relu", n, current))
                current = layers[-1].result_t
            elif act != "linear":
                raise _unsupported(layer, f"activation {act!r} (HGQ2 computes it in float, no firmware does)")
            if getattr(layer, "enable_oq", False):
                quantize(layer.oq, f"{layer.name}_oq")
        elif kind in ("Activation", "ReLU") and not type(layer).__module__.startswith("hgq."):
            act = _activation_name(layer)
            if act not in ("relu", "linear"):
                raise _unsupported(layer, f"activation {act!r}")
            if act == "relu":
                layers.append(_relu(layer.name, n, needs_quantized(layer)))
                current = layers[-1].result_t
        else:
            raise _unsupported(layer)
    if input_t is None or not any(isinstance(la, DenseLayer) for la in layers):
        raise ModelError(f"HGQ2 model {model.name}: no quantized dense layer found; nothing to emulate")
    _check_config(cfg, [input_name, *(la.name for la in layers)])
    return ModelDescription(model.name, input_name, input_t, int(inputs[0].shape[1]), tuple(layers), cfg.io_type)
