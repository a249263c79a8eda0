"""HLS configuration in hls4ml's vocabulary, validated eagerly with errors that give the key path.

::

    Model:
      Precision: ap_fixed<16,6>        # or auto, or {weight: ..., bias: ..., accum: ..., result: ..., table: ...}
      ReuseFactor: 1
      Strategy: Latency                # or Resource
      Accumulation: exact              # or hls4ml (cast every product to accum_t, as hls4ml does)
      AutoWidth: 16                    # width of `auto` weights/activations
    IOType: io_parallel                # or io_stream
    LayerType:
      Dense: {ReuseFactor: 4}
      Softmax: {Implementation: stable, TableSize: 1024}   # hls4ml mode also: legacy, argmax
      Activation: {table_t: ap_fixed<18,8>}    # hls4ml mode: hls4ml's table types (exp_table_t, inv_table_t, inv_inp_t)
    LayerName:
      fc1: {Precision: {weight: ap_fixed<8,2,AP_RND_CONV,AP_SAT>}, ReuseFactor: 2}

Errors read as every YAML error of the project (:class:`trigger.config.Validator`): file, key path such
as ``Model.Precision.accum``, what was expected, the nearest valid key, and a hint to quote a type that
flow YAML cut at its comma (``{Precision: ap_fixed<16,6>}``).

In the hls4ml mode the tables are hls4ml's (:mod:`trigger.nn.hls4ml_tables`): ``TableSize`` defaults to
1024 for softmax too, table types come from hls4ml's keys ``table_t``, ``exp_table_t``, ``inv_table_t``,
``inv_inp_t`` or, below ``Model``, from ``Precision: {table, exp_table, inv_table, inv_inp}`` as
``config_from_keras_model`` writes them (their hls4ml defaults when unset), and ``auto`` means what it
means to hls4ml (:mod:`trigger.nn.hls4ml_rules`): the model precision, or for a Dense's accum and
result the type that holds every sum, capped by ``Precision: {maximum: ...}``.  The config hls4ml writes
is read as it is (its ``BramFactor``, ``Trace``, ``TraceOutput`` change no arithmetic and are ignored;
``Skip`` must be false).

Precedence is model < layer type < layer name.  An unset ``accum`` is ``auto``: sized exactly from
the weights and the input type, so it cannot overflow.  In the hls4ml mode a model-level ``Precision``
string is ``accum_t`` too, as hls4ml reads it: an hls4ml config plus ``Accumulation: hls4ml`` is the
whole change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trigger.config import Validator, join, load_yaml
from trigger.errors import ConfigError, FixedTypeSyntaxError
from trigger.fixed import FixedType
from trigger.nn.hls4ml_rules import HLS4ML_DEFAULT_PRECISION
from trigger.nn.layers import Accumulation, IOType, Strategy

__all__ = ["PRECISION_KEYS", "HLSConfig", "LayerConfig", "load_config"]

#: hls4ml's table type keys (layer-level, as hls4ml reads them; read in the hls4ml mode only)
TABLE_TYPE_KEYS = ("table_t", "exp_table_t", "inv_table_t", "inv_inp_t")
#: the same inside ``Precision`` as hls4ml's ``config_from_keras_model`` writes them (without ``_t``), and a
#: BatchNormalization's ``scale`` (our ``weight``); read in the hls4ml mode only
HLS4ML_PRECISION_KEYS = ("exp_table", "inv_table", "inv_inp", "scale")
PRECISION_KEYS = ("weight", "bias", "accum", "result", "table", "slope", "shift", *HLS4ML_PRECISION_KEYS)
#: the Precision keys that, below Model, give hls4ml's table types (``table`` -> ``table_t``, ...)
_TABLE_PRECISIONS = ("table", "exp_table", "inv_table", "inv_inp")
#: hls4ml keys that change no arithmetic (weights in BRAM, tracing): read and checked, then ignored, so the
#: config ``hls4ml.utils.config_from_keras_model`` writes is taken as it is
IGNORED_KEYS: dict[str, type] = {"BramFactor": int, "Trace": bool, "TraceOutput": bool}
#: hls4ml keys accepted only with the value that changes nothing (``Skip: true`` drops a softmax in hls4ml)
NEUTRAL_KEYS: dict[str, object] = {"Skip": False}
_LAYER_KEYS = {
    "Precision",
    "ReuseFactor",
    "Strategy",
    "Implementation",
    "TableSize",
    "TableRange",
    *TABLE_TYPE_KEYS,
    *IGNORED_KEYS,
    *NEUTRAL_KEYS,
}
_MODEL_KEYS = _LAYER_KEYS | {"Accumulation", "AutoWidth"}
_TOP_KEYS = {"Model", "IOType", "LayerType", "LayerName"}
LAYER_TYPES = ("Dense", "Activation", "Softmax", "Input", "BatchNormalization")
#: Default softmax exp/inverse table size.  hls4ml uses 1024; measured on the 16-64-32-32-5 tagger,
#: 1024 entries left 1.7 % of inputs with tied top probabilities (0.8 % argmax flips), 4096 left 0.4 %.
SOFTMAX_TABLE_SIZE = 4096


@dataclass(frozen=True)
class LayerConfig:
    """One layer's settings after precedence: precisions are type spellings or ``'auto'``."""

    precision: dict[str, str]
    reuse_factor: int = 1
    strategy: Strategy = Strategy.LATENCY
    implementation: str = "stable"
    table_size: int = 1024
    table_range: tuple[float, float] | None = None
    table_types: dict[str, str] = field(default_factory=dict)  # hls4ml's table_t, exp_table_t, ...
    table_size_given: bool = False


@dataclass(frozen=True)
class HLSConfig:
    """A validated configuration; :meth:`for_layer` applies the precedence for one layer."""

    model: dict[str, Any] = field(default_factory=dict)
    io_type: IOType = IOType.PARALLEL
    accumulation: Accumulation = Accumulation.EXACT
    auto_width: int = 16
    hls4ml_default: str = HLS4ML_DEFAULT_PRECISION  # what hls4ml's ``auto`` falls back to (the model precision)
    hls4ml_maximum: str | None = None  # hls4ml's Model.Precision.maximum: a cap on the types it infers
    layer_type: dict[str, dict[str, Any]] = field(default_factory=dict)
    layer_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<dict>"

    def for_layer(self, name: str, types: tuple[str, ...]) -> LayerConfig:
        """Settings of layer ``name`` whose type names are ``types`` (least to most specific)."""
        merged: dict[str, Any] = {"Precision": dict.fromkeys(PRECISION_KEYS, "auto")}
        tables: dict[str, str] = {}  # hls4ml's table types: its *_t keys, or Precision.table etc. below Model
        scopes = [self.model] + [self.layer_type.get(t, {}) for t in types] + [self.layer_name.get(name, {})]
        for level, scope in enumerate(scopes):
            for key, value in scope.items():
                if key == "Precision":
                    merged["Precision"] = {**merged["Precision"], **value}
                    if level:
                        tables |= {
                            f"{k}_t": value[k]
                            for k in _TABLE_PRECISIONS
                            if k in value and value[k].strip().lower() != "auto"
                        }
                else:
                    merged[key] = value
            tables |= {k: str(scope[k]) for k in TABLE_TYPE_KEYS if k in scope}
        table_range = merged.get("TableRange")
        return LayerConfig(
            precision=merged["Precision"],
            reuse_factor=int(merged.get("ReuseFactor", 1)),
            strategy=Strategy(merged.get("Strategy", "Latency")),
            implementation=str(merged.get("Implementation", "stable")),
            table_size=int(merged.get("TableSize", SOFTMAX_TABLE_SIZE if "Softmax" in types else 1024)),
            table_range=(float(table_range[0]), float(table_range[1])) if table_range else None,
            table_types=tables,
            table_size_given="TableSize" in merged,
        )


def _hls4ml_model_precision(value: Any) -> tuple[Any, Any]:
    """hls4ml's model-level ``{default: X, maximum: Y}`` (what ``config_from_keras_model`` writes) as ``(X, Y)``;
    any other Precision entry as ``(value, None)``."""
    if isinstance(value, dict) and "default" in value and set(value) <= {"default", "maximum"}:
        return value["default"], value.get("maximum")
    return value, None


def _precision(v: Validator, value: Any, path: str, *, model_level: bool) -> dict[str, str]:
    """Normalize a Precision entry: a string sets weight/bias/result/table (accum too below Model)."""
    if model_level:
        value, maximum = _hls4ml_model_precision(value)
        if maximum is not None:  # hls4ml's cap on the types it infers (kept by load_config)
            if not isinstance(maximum, str):
                raise v.fail(join(path, "maximum"), "a type spelling", maximum)
            _check_type(v, maximum, join(path, "maximum"))
    if isinstance(value, str):
        _check_type(v, value, path)
        keys = ["weight", "bias", "result", "table"] + ([] if model_level else ["accum"])
        return dict.fromkeys(keys, value)
    if not isinstance(value, dict):
        raise v.fail(path, "a type such as 'ap_fixed<16,6>', 'auto' or a mapping", value)
    v.keys(value, path, PRECISION_KEYS, what="precision key")
    out = {}
    for key, spelling in value.items():
        if not isinstance(spelling, str):
            raise v.fail(join(path, key), "a type spelling or 'auto'", spelling)
        _check_type(v, spelling, join(path, key))
        out[key] = spelling
    return out


def _check_type(v: Validator, spelling: str, path: str) -> None:
    if spelling.strip().lower() == "auto":
        return
    try:
        FixedType.from_string(spelling)
    except FixedTypeSyntaxError as exc:
        raise ConfigError(f"{v.source}: {path}: {exc}") from None


def _scope(v: Validator, raw: Any, path: str, allowed: set[str], *, model_level: bool) -> dict[str, Any]:
    if raw is None:
        return {}
    d = v.mapping(raw, path)
    v.keys(d, path, allowed)
    out: dict[str, Any] = {}
    for key, value in d.items():
        here = join(path, key)
        if key == "Precision":
            out[key] = _precision(v, value, here, model_level=model_level)
        elif key in ("ReuseFactor", "TableSize", "AutoWidth"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise v.fail(here, "a positive integer", value)
            if key == "TableSize" and value & (value - 1):
                raise v.fail(here, "a power of two", value)
            out[key] = value
        elif key == "Strategy":
            out[key] = v.choice(d, key, path, [s.value for s in Strategy], "Latency")
        elif key == "Implementation":
            out[key] = v.choice(d, key, path, ("stable", "latency", "legacy", "argmax"), "stable")
        elif key == "TableRange":
            ok = (
                isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(x, (int, float)) for x in value)
            )
            if not ok or value[0] >= value[1]:
                raise v.fail(here, "[low, high] with low < high", value)
            out[key] = [float(value[0]), float(value[1])]
        elif key in TABLE_TYPE_KEYS:
            if not isinstance(value, str) or value.strip().lower() == "auto":
                raise v.fail(here, "a type spelling such as 'ap_fixed<18,8,AP_RND,AP_SAT>'", value)
            _check_type(v, value, here)
            out[key] = value
        elif key == "Accumulation":
            out[key] = v.choice(d, key, path, ("exact", "hls4ml"), "exact")
        elif key in NEUTRAL_KEYS:
            if value is not NEUTRAL_KEYS[key]:
                raise v.fail(here, f"{NEUTRAL_KEYS[key]!r} (the only value supported)", value)
        elif key in IGNORED_KEYS:
            if IGNORED_KEYS[key] is bool:
                if not isinstance(value, bool):
                    raise v.fail(here, "true or false", value)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise v.fail(here, "a non-negative integer", value)
    return out


def load_config(config: str | Path | dict[str, Any] | None = None) -> HLSConfig:
    """Validate a config given as a YAML file, a YAML/dict mapping, or ``None`` (all defaults, all auto)."""
    source = "<dict>"
    if config is None:
        raw: Any = {}
    elif isinstance(config, dict):
        raw = config
    else:
        raw, source = load_yaml(config)
        raw = {} if raw is None else raw
    v = Validator(source)
    top = v.document(raw)
    v.keys(top, "", _TOP_KEYS)
    model = _scope(v, top.get("Model"), "Model", _MODEL_KEYS, model_level=True)
    io_type = v.choice(top, "IOType", "", [t.value for t in IOType], IOType.PARALLEL.value)
    layer_type: dict[str, dict[str, Any]] = {}
    types = v.mapping(top.get("LayerType") or {}, "LayerType")
    v.keys(types, "LayerType", LAYER_TYPES, what="layer type")
    for name, scope in types.items():
        layer_type[name] = _scope(v, scope, join("LayerType", name), _LAYER_KEYS, model_level=False)
    names = v.mapping(top.get("LayerName") or {}, "LayerName")
    layer_name = {
        str(name): _scope(v, scope, join("LayerName", str(name)), _LAYER_KEYS, model_level=False)
        for name, scope in names.items()
    }
    given, maximum = _hls4ml_model_precision((top.get("Model") or {}).get("Precision"))  # validated above
    if model.get("Accumulation") == "hls4ml" and isinstance(given, str):
        model["Precision"]["accum"] = model["Precision"]["weight"]  # hls4ml: the model precision is accum_t too
    return HLSConfig(
        model={k: val for k, val in model.items() if k not in ("Accumulation", "AutoWidth")},
        io_type=IOType(io_type),
        accumulation=Accumulation(model.get("Accumulation", "exact")),
        auto_width=int(model.get("AutoWidth", 16)),
        hls4ml_default=given if isinstance(given, str) else HLS4ML_DEFAULT_PRECISION,
        hls4ml_maximum=maximum,
        layer_type=layer_type,
        layer_name=layer_name,
        source=source,
    )
