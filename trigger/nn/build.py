"""From a float network and a config to a :class:`ModelDescription`, resolving every ``auto`` precision.

Precision inference never breaks the network: accumulators and dense results are sized exactly from
the quantized weights and the input type (no overflow is possible), activation integer bits come
from a calibration sample pushed through the fixed-point layers built so far, and table ranges
from the inputs those tables actually see.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.errors import ConfigError, ModelError
from trigger.fixed import FixedArray, FixedType, Overflow, Quantization
from trigger.fixed.engine import as_object
from trigger.nn.config import HLSConfig, LayerConfig, load_config
from trigger.nn.emulate import forward_fixed
from trigger.nn.hls4ml_rules import (
    ReuseFactorAdjusted,
    as_written,
    batchnorm_auto_type,
    closest_reuse_factor,
    dense_auto_type,
    hls4ml_reuse_factors,
)
from trigger.nn.hls4ml_tables import HLS4ML_TABLE_T, Hls4mlSoftmaxTypes, hls4ml_activation_table, hls4ml_softmax
from trigger.nn.layers import (
    Accumulation,
    ActivationLayer,
    DenseLayer,
    HardConstants,
    Layer,
    LookupTable,
    ModelDescription,
    SoftmaxTables,
    Strategy,
)
from trigger.nn.tables import make_table

__all__ = [
    "ActivationSpec",
    "BatchNormSpec",
    "DenseSpec",
    "NetworkSpec",
    "auto_type",
    "build_model",
    "exact_dense_type",
    "valid_reuse_factors",
]

ACTIVATIONS = ("relu", "linear", "sigmoid", "tanh", "softmax", "hard_sigmoid", "hard_tanh")
#: Keras 3's hard activations as clip(slope * x + shift, 0, 1) (hard_tanh: twice that minus one)
_KERAS_HARD = {"hard_sigmoid": (1.0 / 6.0, 0.5), "hard_tanh": (0.5, 0.5)}
#: hls4ml 1.3's HardActivation: Keras 2's hard_sigmoid whatever the Keras version, in fixed types it never
#: lets a config change (``hls4ml.model.layers.HardActivation.initialize``)
_HLS4ML_HARD = (0.2, FixedType(16, 0, False), 0.5, FixedType(2, 0, False))
_AUTO_Q, _AUTO_O = Quantization.AP_RND_CONV, Overflow.AP_SAT
# default table ranges when no calibration sample is given (hls4ml's), and the widest useful ones
_DEFAULT_RANGE = {"sigmoid": (-8.0, 8.0), "tanh": (-4.0, 4.0), "softmax": (-8.0, 8.0)}
_MAX_RANGE = {"sigmoid": 16.0, "tanh": 8.0, "softmax": 16.0}


@dataclass(frozen=True, eq=False)
class BatchNormSpec:
    """A BatchNormalization after a Dense, with both as Keras holds them (float32), for the hls4ml mode.

    hls4ml folds it into the Dense in float32 when the Dense's result precision is ``auto``; otherwise
    it is its own layer, ``x * scale + bias`` exact and one cast (``nnet::normalize``), with
    ``scale = gamma / sqrt(var + eps)`` and ``bias = beta - scale * mean`` in float32
    (``hls4ml.model.layers.BatchNormalization``, ``FuseBatchNormalization``).
    """

    name: str
    kernel: NDArray[np.float32]  # the Dense's, unfolded
    dense_bias: NDArray[np.float32]
    gamma: NDArray[np.float32]
    beta: NDArray[np.float32]
    mean: NDArray[np.float32]
    variance: NDArray[np.float32]
    epsilon: float

    def scale_and_bias(self) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """hls4ml's ``scale`` and ``bias``, in float32 as its numpy arithmetic gives them."""
        scale = self.gamma / np.sqrt(self.variance + np.float32(self.epsilon))
        return scale, self.beta - scale * self.mean

    def fused(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """hls4ml's fused Dense weights and bias (float32 products and sum)."""
        scale, bias = self.scale_and_bias()
        return (scale * self.kernel).astype(np.float64), (scale * self.dense_bias + bias).astype(np.float64)


@dataclass(frozen=True, eq=False)
class DenseSpec:
    """A float dense layer: ``weights`` (n_in, n_out) and ``bias`` (n_out) as trained.

    A BatchNormalization after it is folded in (float64); ``batchnorm`` keeps it apart for the hls4ml mode.
    """

    name: str
    weights: NDArray[np.float64]
    bias: NDArray[np.float64]
    batchnorm: BatchNormSpec | None = None


@dataclass(frozen=True)
class ActivationSpec:
    name: str
    function: str


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """A framework-neutral float network: what the Keras importer produces."""

    name: str
    input_name: str
    n_inputs: int
    layers: tuple[DenseSpec | ActivationSpec, ...]


def valid_reuse_factors(n_in: int, n_out: int) -> list[int]:
    """Reuse factors that fit a dense layer: at most n_in*n_out, and fewer multipliers than RF - 1 gives."""
    n = n_in * n_out
    return [rf for rf in range(1, n + 1) if rf == 1 or -(-n // rf) < -(-n // (rf - 1))]


def auto_type(max_abs: float, width: int, signed: bool) -> FixedType:
    """``width`` bits with just enough integer bits for ``max_abs``; rounds to nearest, saturates."""
    if max_abs > 0 and math.isfinite(max_abs):
        integer = math.floor(math.log2(max_abs)) + 1 + (1 if signed else 0)
    else:
        integer = 1 if signed else 0
    return FixedType(width, integer, signed, _AUTO_Q, _AUTO_O)


def exact_dense_type(input_t: FixedType, weights: FixedArray, bias: FixedArray) -> FixedType:
    """Smallest type holding ``x @ W + b`` for every ``x`` of ``input_t``: the exact accumulator."""
    frac = max(input_t.frac + weights.type.frac, bias.type.frac)
    w = as_object(weights.raw) << (frac - input_t.frac - weights.type.frac)
    b = as_object(bias.raw) << (frac - bias.type.frac)
    x_lo, x_hi = input_t.min_raw, input_t.max_raw
    hi = (np.maximum(w * x_lo, w * x_hi)).sum(axis=0) + b
    lo = (np.minimum(w * x_lo, w * x_hi)).sum(axis=0) + b
    top, bottom = int(max(hi.tolist())), int(min(lo.tolist()))
    signed = bottom < 0
    bits = max(top.bit_length(), (-bottom - 1).bit_length() if signed else 0) + (1 if signed else 0)
    bits = max(bits, 1)
    return FixedType(bits, bits - frac, signed)


def _resolve(spelling: str, auto: FixedType | None, where: str) -> FixedType:
    if spelling.strip().lower() == "auto":
        if auto is None:
            raise ModelError(f"{where} is 'auto' but cannot be inferred here; set it in the config")
        return auto
    return FixedType.from_string(spelling)


def _max_abs(values: NDArray[np.float64]) -> float:
    return float(np.max(np.abs(values))) if values.size else 0.0


def _build_dense(spec: DenseSpec, cfg: LayerConfig, input_t: FixedType, config: HLSConfig) -> DenseLayer:
    width = config.auto_width
    where = f"layer {spec.name}"
    weight_t = _resolve(cfg.precision["weight"], auto_type(_max_abs(spec.weights), width, True), f"{where} weight")
    bias_t = _resolve(cfg.precision["bias"], auto_type(_max_abs(spec.bias), width, True), f"{where} bias")
    weights, bias = np.asarray(spec.weights, dtype=np.float64), np.asarray(spec.bias, dtype=np.float64)
    if config.accumulation is Accumulation.HLS4ML:  # what hls4ml's weight files hold (hls4ml_rules.as_written)
        weights, bias = as_written(weights, weight_t), as_written(bias, bias_t)
    exact_t = exact_dense_type(input_t, weight_t.from_float(weights), bias_t.from_float(bias))
    accum_t = _resolve(cfg.precision["accum"], exact_t, f"{where} accum")
    result_t = _resolve(cfg.precision["result"], accum_t, f"{where} result")
    n_in, n_out = spec.weights.shape
    valid = valid_reuse_factors(n_in, n_out)
    reuse_factor = cfg.reuse_factor
    if config.accumulation is Accumulation.HLS4ML and cfg.strategy is Strategy.RESOURCE:
        reuse_factor = closest_reuse_factor(n_in, n_out, cfg.reuse_factor)
        if reuse_factor != cfg.reuse_factor:
            warnings.warn(
                f"layer {spec.name} ({n_in}x{n_out}): ReuseFactor {cfg.reuse_factor} -> {reuse_factor}, as hls4ml 1.3 "
                f"replaces it (valid: {', '.join(map(str, hls4ml_reuse_factors(n_in, n_out)[:40]))})",
                ReuseFactorAdjusted,
                stacklevel=2,
            )
    elif cfg.reuse_factor not in valid:
        shown = ", ".join(map(str, valid[:40])) + (", ..." if len(valid) > 40 else "")
        raise ConfigError(
            f"{config.source}: layer {spec.name} ({n_in}x{n_out}): ReuseFactor {cfg.reuse_factor} does not fit; "
            f"valid reuse factors are {shown}"
        )
    return DenseLayer(
        spec.name,
        weights,
        bias,
        input_t,
        weight_t,
        bias_t,
        accum_t,
        result_t,
        exact_t,
        reuse_factor,
        cfg.strategy,
        config.accumulation,
    )


def _with_autos(cfg: LayerConfig, values: dict[str, str]) -> LayerConfig:
    """``cfg`` with each ``auto`` precision among ``values``' keys replaced by its value (hls4ml's ``auto``)."""
    precision = {k: values[k] if k in values and v.strip().lower() == "auto" else v for k, v in cfg.precision.items()}
    return dataclasses.replace(cfg, precision=precision)


def _hls4ml_dense_autos(
    cfg: LayerConfig, input_t: FixedType, n_in: int, default: str, maximum: FixedType | None
) -> LayerConfig:
    """hls4ml's ``auto`` for a Dense: weight and bias the default, accum and result the type of every sum."""
    cfg = _with_autos(cfg, {"weight": default, "bias": default})
    weight_t, bias_t = (FixedType.from_string(cfg.precision[k]) for k in ("weight", "bias"))
    sums = str(dense_auto_type(input_t, weight_t, bias_t, n_in, maximum))
    return _with_autos(cfg, {"accum": sums, "result": sums})


def _hls4ml_batchnorm_autos(
    cfg: LayerConfig, input_t: FixedType, default: str, maximum: FixedType | None
) -> LayerConfig:
    """hls4ml's ``auto`` for a BatchNormalization: its ``scale`` (our ``weight``) and bias the default, the
    result :func:`batchnorm_auto_type`."""
    scale = cfg.precision["scale"]
    cfg = _with_autos(cfg, {"weight": scale if scale.strip().lower() != "auto" else default, "bias": default})
    scale_t, bias_t = (FixedType.from_string(cfg.precision[k]) for k in ("weight", "bias"))
    return _with_autos(cfg, {"result": str(batchnorm_auto_type(input_t, scale_t, bias_t, maximum))})


def _fused_by_hls4ml(cfg: LayerConfig) -> bool:
    """hls4ml fuses a BatchNorm into its Dense only while the Dense's output type is unspecified, i.e. its
    result precision is ``auto`` (``FuseBatchNormalization.match``; a model-level precision specifies it)."""
    return cfg.precision["result"].strip().lower() == "auto"


def _unfolded(norm: BatchNormSpec) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    return norm.kernel.astype(np.float64), norm.dense_bias.astype(np.float64)


def _build_batchnorm(norm: BatchNormSpec, cfg: LayerConfig, input_t: FixedType, config: HLSConfig) -> DenseLayer:
    """hls4ml's ``nnet::normalize`` as a diagonal dense: each ``x_i * scale_i + bias_i`` exact, one cast.

    Its ``weight`` precision is hls4ml's ``scale_t``; products never meet a narrower accumulator (the
    zeros off the diagonal add nothing, and the estimate drops them as pruned weights).
    """
    scale, bias = norm.scale_and_bias()
    exact_cfg = LayerConfig(precision={**cfg.precision, "accum": "auto"}, reuse_factor=1, strategy=Strategy.LATENCY)
    spec = DenseSpec(norm.name, np.diag(scale.astype(np.float64)), bias.astype(np.float64))
    layer = _build_dense(spec, exact_cfg, input_t, config)
    return dataclasses.replace(layer, accumulation=Accumulation.EXACT)


def _table_range(fn: str, cfg: LayerConfig, seen: NDArray[np.float64] | None) -> tuple[float, float]:
    if cfg.table_range is not None:
        return cfg.table_range
    if seen is None or seen.size == 0:
        return _DEFAULT_RANGE[fn]
    cap = _MAX_RANGE[fn]
    # clamp both ends into [-cap, cap]: a sample entirely beyond the cap must not give lo > hi
    lo = min(max(float(seen.min()), -cap), cap)
    hi = max(min(float(seen.max()), cap), -cap)
    return (lo, hi) if hi - lo >= 1.0 else (lo - 0.5, hi + 0.5)


def _hls4ml_softmax(
    spec: ActivationSpec, cfg: LayerConfig, input_t: FixedType, n: int, config: HLSConfig
) -> ActivationLayer:
    """hls4ml's softmax: its table types and defaults, accum_t and result_t the model precision unless set.

    A ``table_t`` key is not read: hls4ml 1.3's softmax config template has no ``table_t``, so its legacy
    softmax uses ``nnet::activ_config``'s ``ap_fixed<18,8>`` whatever the key says.
    """
    where = f"layer {spec.name}"
    given = {k: FixedType.from_string(v) for k, v in cfg.table_types.items()}
    types = Hls4mlSoftmaxTypes(**{k: given[k] for k in ("exp_table_t", "inv_table_t", "inv_inp_t") if k in given})
    accum_t = _resolve(cfg.precision["accum"], None, f"{where} accum")  # build_model gave autos hls4ml's meaning
    result_t = _resolve(cfg.precision["result"], None, f"{where} result")
    size = cfg.table_size if cfg.table_size_given else 1024
    sm = hls4ml_softmax(cfg.implementation, input_t, n, size, types, accum_t)
    return ActivationLayer(spec.name, "softmax", n, input_t, result_t, softmax=sm)


def _build_softmax(
    spec: ActivationSpec,
    cfg: LayerConfig,
    input_t: FixedType,
    n: int,
    seen: NDArray[np.float64] | None,
    width: int,
) -> ActivationLayer:
    size, impl = cfg.table_size, cfg.implementation
    if impl not in ("stable", "latency"):
        raise ConfigError(
            f"layer {spec.name}: softmax Implementation {impl!r} exists only in the hls4ml mode "
            "(Model.Accumulation: hls4ml); ours are stable and latency"
        )
    if impl == "stable":
        # index by d = max - x >= 0: the raw difference fits one more integer bit, unsigned
        d_t = FixedType(input_t.width + 1, input_t.integer + 1, False)
        spread = float((seen.max(axis=1) - seen.min(axis=1)).max()) if seen is not None and seen.size else None
        top = cfg.table_range[1] if cfg.table_range else min(max(spread or 8.0, 1.0), _MAX_RANGE["softmax"])
        exp_t = _resolve(
            cfg.precision["table"], FixedType(width, 1, False, _AUTO_Q, _AUTO_O), f"layer {spec.name} table"
        )
        exp = make_table(lambda d: np.exp(-d), d_t, 0.0, top, size, exp_t)
    else:
        lo, hi = _table_range("softmax", cfg, seen)
        exp_auto = auto_type(math.exp(hi), width, False)
        exp_t = _resolve(cfg.precision["table"], exp_auto, f"layer {spec.name} table")
        exp = make_table(np.exp, input_t, lo, hi, size, exp_t)
    grow = max(1, math.ceil(math.log2(n)))
    # signed when the table is: a wrapped (negative) entry must not turn the exact sum into a huge unsigned one
    sum_t = FixedType(exp_t.width + grow, exp_t.integer + grow, exp_t.signed)
    entries = FixedArray(exp.values_raw, exp_t).to_float()
    if impl == "stable":  # the maximum contributes the largest entry: sums lie in [max entry, n * max entry]
        smallest, largest = float(entries.max()), float(entries.max()) * n
    elif seen is not None and seen.size:  # the sums the calibration sample produces
        index_input = input_t.from_float(seen).int_raw()
        sums = entries[exp.index(index_input)].sum(axis=1)
        smallest, largest = max(float(sums.min()), 2.0**-8), max(float(sums.max()), 2.0**-8)
    else:
        smallest, largest = max(float(entries.min()) * n, 2.0**-8), float(entries.max()) * n
    inv_t = auto_type(1.0 / max(smallest, sum_t.lsb), width, False)
    inv = make_table(lambda s: 1.0 / np.maximum(s, sum_t.lsb), sum_t, smallest, largest, size, inv_t)
    result_t = _resolve(
        cfg.precision["result"], FixedType(width, 0, False, _AUTO_Q, _AUTO_O), f"layer {spec.name} result"
    )
    return ActivationLayer(spec.name, "softmax", n, input_t, result_t, softmax=SoftmaxTables(impl, exp, sum_t, inv))


def _build_hard(
    spec: ActivationSpec,
    cfg: LayerConfig,
    input_t: FixedType,
    n: int,
    width: int,
    hls4ml_mode: bool,
    config: HLSConfig | None,
) -> ActivationLayer:
    """hard_sigmoid / hard_tanh: Keras 3's slope and shift in our mode, hls4ml 1.3's in the hls4ml mode.

    Ours: slope in ``ap_ufixed<F+4,0,AP_RND_CONV>`` (F the result's fraction bits: the slope's error stays
    under 1/16 LSB for |x| <= 3, where the clip starts), ``auto`` results that hold 1 exactly.  hls4ml's:
    slope 0.2 and shift 0.5 for both functions (``nnet::hard_sigmoid``), result ``auto`` = the model
    precision (hls4ml infers none for this layer); it cannot compile a Keras 3 hard_tanh at all.
    """
    fn, where = spec.function, f"layer {spec.name}"
    if hls4ml_mode:
        assert config is not None
        if fn == "hard_tanh":
            raise ModelError(
                f"{where}: hls4ml 1.3 cannot build a Keras 3 hard_tanh (its nnet::hard_tanh reads a slope and "
                "shift that its Activation config does not define: the C++ does not compile); use the default "
                "mode (no Model.Accumulation: hls4ml), or hard_sigmoid"
            )
        for key in ("slope", "shift"):
            if cfg.precision[key].strip().lower() != "auto":
                raise ConfigError(
                    f"{config.source}: {where} Precision.{key}: hls4ml 1.3 ignores this key (its HardActivation "
                    f"always uses {_HLS4ML_HARD[1] if key == 'slope' else _HLS4ML_HARD[3]}); set it to auto"
                )
        slope, slope_t, shift, shift_t = _HLS4ML_HARD
        result_t = _resolve(cfg.precision["result"], None, f"{where} result")
        warnings.warn(  # only hard_sigmoid gets here, and hls4ml's slope is never Keras 3's
            f"{where}: hls4ml 1.3 computes hard_sigmoid with Keras 2's slope 0.2 (Keras 3: 1/6), so the "
            "fixed-point outputs follow hls4ml, not the trained model; the float outputs follow Keras",
            stacklevel=2,
        )
    else:
        auto = (
            FixedType(width, 1, False, _AUTO_Q, _AUTO_O)
            if fn == "hard_sigmoid"
            else FixedType(width, 2, True, _AUTO_Q, _AUTO_O)
        )
        result_t = _resolve(cfg.precision["result"], auto, f"{where} result")
        slope, shift = _KERAS_HARD[fn]
        slope_t = _resolve(
            cfg.precision["slope"], FixedType(max(result_t.frac, 0) + 4, 0, False, _AUTO_Q), f"{where} slope"
        )
        shift_t = _resolve(cfg.precision["shift"], FixedType(2, 0, False), f"{where} shift")
    hard = HardConstants(slope_t, _raw_of(slope, slope_t), shift_t, _raw_of(shift, shift_t))
    return ActivationLayer(spec.name, fn, n, input_t, result_t, hard=hard)


def _raw_of(value: float, t: FixedType) -> int:
    """The raw bits of ``value`` assigned to ``t`` (its rounding and overflow, as C++ ``const t c = value;``)."""
    return int(t.from_float(np.array([value])).int_raw()[0])


def _build_activation(
    spec: ActivationSpec,
    cfg: LayerConfig,
    input_t: FixedType,
    n: int,
    seen: NDArray[np.float64] | None,
    width: int,
    config: HLSConfig | None = None,
) -> ActivationLayer:
    fn = spec.function
    if fn not in ACTIVATIONS:
        raise ModelError(
            f"layer {spec.name}: activation {fn!r} is not supported; supported are {', '.join(ACTIVATIONS)}"
        )
    where = f"layer {spec.name} result"
    hls4ml_mode = config is not None and config.accumulation is Accumulation.HLS4ML
    if fn == "softmax":
        if hls4ml_mode:
            assert config is not None
            return _hls4ml_softmax(spec, cfg, input_t, n, config)
        return _build_softmax(spec, cfg, input_t, n, seen, width)
    if fn in _KERAS_HARD:
        return _build_hard(spec, cfg, input_t, n, width, hls4ml_mode, config)
    if fn == "linear":
        return ActivationLayer(spec.name, fn, n, input_t, _resolve(cfg.precision["result"], input_t, where))
    if fn == "relu":
        top = float(seen.max()) if seen is not None and seen.size else input_t.max
        result_t = _resolve(cfg.precision["result"], auto_type(max(top, 0.0), width, False), where)
        return ActivationLayer(spec.name, fn, n, input_t, result_t)
    auto = (
        FixedType(width, 0, False, _AUTO_Q, _AUTO_O) if fn == "sigmoid" else FixedType(width, 1, True, _AUTO_Q, _AUTO_O)
    )
    result_t = _resolve(cfg.precision["result"], auto, where)
    if hls4ml_mode:  # hls4ml's table: its table_t key (default ap_fixed<18,8>), TableSize, fixed range
        spelling = cfg.table_types.get("table_t")
        table_t = FixedType.from_string(spelling) if spelling else HLS4ML_TABLE_T
        hls_table = hls4ml_activation_table(fn, input_t, cfg.table_size, table_t)
        return ActivationLayer(spec.name, fn, n, input_t, result_t, table=hls_table)
    table_t = _resolve(cfg.precision["table"], result_t, f"layer {spec.name} table")
    lo, hi = _table_range(fn, cfg, seen)
    func = (lambda x: 1.0 / (1.0 + np.exp(-x))) if fn == "sigmoid" else np.tanh
    table: LookupTable = make_table(func, input_t, lo, hi, cfg.table_size, table_t)
    return ActivationLayer(spec.name, fn, n, input_t, result_t, table=table)


def build_model(
    spec: NetworkSpec,
    config: HLSConfig | dict[str, Any] | str | None = None,
    calibration: ArrayLike | None = None,
) -> ModelDescription:
    """Resolve ``config`` for every layer of ``spec``; ``calibration`` (batch, n_inputs) sizes ``auto`` types."""
    cfg = config if isinstance(config, HLSConfig) else load_config(config)
    hls4ml_mode = cfg.accumulation is Accumulation.HLS4ML
    known = [spec.input_name, *(layer.name for layer in spec.layers)]
    norms = [layer.batchnorm.name for layer in spec.layers if isinstance(layer, DenseSpec) and layer.batchnorm]
    folded = sorted(set(cfg.layer_name) & set(norms))
    if folded and not hls4ml_mode:
        raise ConfigError(
            f"{cfg.source}: LayerName.{folded[0]}: this BatchNormalization is folded into the Dense before it "
            "(configure that Dense; a separate BatchNorm layer exists only with Model.Accumulation: hls4ml)"
        )
    known += norms
    unknown = sorted(set(cfg.layer_name) - set(known))
    if unknown:
        raise ConfigError(f"{cfg.source}: LayerName.{unknown[0]}: no such layer; layers are {', '.join(known)}")
    calib = None
    if calibration is not None:
        calib = np.asarray(calibration, dtype=np.float64)
        if calib.ndim != 2 or calib.shape[1] != spec.n_inputs or not np.isfinite(calib).all():
            raise ModelError(
                f"calibration sample must be finite with shape (batch, {spec.n_inputs}); got {calib.shape}"
            )
    in_cfg = cfg.for_layer(spec.input_name, ("Input",))
    default = cfg.hls4ml_default
    maximum = FixedType.from_string(cfg.hls4ml_maximum) if cfg.hls4ml_maximum else None
    if hls4ml_mode:
        in_cfg = _with_autos(in_cfg, {"result": default})
    auto_in = None
    if calib is not None:
        auto_in = auto_type(_max_abs(calib), cfg.auto_width, bool((calib < 0).any()))
    input_t = _resolve(
        in_cfg.precision["result"], auto_in, f"input {spec.input_name} precision (give a calibration sample)"
    )
    x = input_t.from_float(calib) if calib is not None else None
    layers: list[Layer] = []
    current_t, width = input_t, spec.n_inputs
    for layer_spec in spec.layers:
        layer: Layer
        if isinstance(layer_spec, DenseSpec):
            if layer_spec.weights.shape[0] != width:
                raise ModelError(f"layer {layer_spec.name}: expects {layer_spec.weights.shape[0]} inputs, gets {width}")
            dense_cfg = cfg.for_layer(layer_spec.name, ("Dense",))
            norm = layer_spec.batchnorm if hls4ml_mode else None
            fused = norm is not None and _fused_by_hls4ml(dense_cfg)  # decided before hls4ml infers any type
            if hls4ml_mode:
                dense_cfg = _hls4ml_dense_autos(dense_cfg, current_t, width, default, maximum)
            if norm is not None and not fused:  # hls4ml keeps it apart
                dense = _build_dense(DenseSpec(layer_spec.name, *_unfolded(norm)), dense_cfg, current_t, cfg)
                if x is not None:
                    x, _ = forward_fixed(dense, x)
                layers.append(dense)
                current_t = dense.result_t
                bn_cfg = _hls4ml_batchnorm_autos(
                    cfg.for_layer(norm.name, ("BatchNormalization",)), current_t, default, maximum
                )
                layer = _build_batchnorm(norm, bn_cfg, current_t, cfg)
            elif norm is not None:
                layer = _build_dense(DenseSpec(layer_spec.name, *norm.fused()), dense_cfg, current_t, cfg)
            else:
                layer = _build_dense(layer_spec, dense_cfg, current_t, cfg)
            width = layer.n_out
        else:
            types = ("Activation", "Softmax") if layer_spec.function == "softmax" else ("Activation",)
            seen = x.to_float() if x is not None else None
            act_cfg = cfg.for_layer(layer_spec.name, types)
            if hls4ml_mode:  # hls4ml infers no activation type: the default
                act_cfg = _with_autos(act_cfg, {"result": default, "accum": default})
            layer = _build_activation(layer_spec, act_cfg, current_t, width, seen, cfg.auto_width, cfg)
        if x is not None:
            x, _ = forward_fixed(layer, x)
        layers.append(layer)
        current_t = layer.result_t
    if not layers:
        raise ModelError(f"model {spec.name} has no layers")
    return ModelDescription(
        spec.name, spec.input_name, input_t, spec.n_inputs, tuple(layers), cfg.io_type, cfg.accumulation
    )
