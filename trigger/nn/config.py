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
      Softmax: {Implementation: stable, TableSize: 1024}
    LayerName:
      fc1: {Precision: {weight: ap_fixed<8,2,AP_RND_CONV,AP_SAT>}, ReuseFactor: 2}

Precedence is model < layer type < layer name.  An unset ``accum`` is ``auto``: sized exactly from
the weights and the input type, so it cannot overflow (hls4ml would use the model precision).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trigger.errors import ConfigError, FixedTypeSyntaxError
from trigger.fixed import FixedType
from trigger.nn.layers import Accumulation, IOType, Strategy

__all__ = ["PRECISION_KEYS", "HLSConfig", "LayerConfig", "load_config"]

PRECISION_KEYS = ("weight", "bias", "accum", "result", "table")
_LAYER_KEYS = {"Precision", "ReuseFactor", "Strategy", "Implementation", "TableSize", "TableRange"}
_MODEL_KEYS = _LAYER_KEYS | {"Accumulation", "AutoWidth"}
_TOP_KEYS = {"Model", "IOType", "LayerType", "LayerName"}
LAYER_TYPES = ("Dense", "Activation", "Softmax", "Input")
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


@dataclass(frozen=True)
class HLSConfig:
    """A validated configuration; :meth:`for_layer` applies the precedence for one layer."""

    model: dict[str, Any] = field(default_factory=dict)
    io_type: IOType = IOType.PARALLEL
    accumulation: Accumulation = Accumulation.EXACT
    auto_width: int = 16
    layer_type: dict[str, dict[str, Any]] = field(default_factory=dict)
    layer_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<dict>"

    def for_layer(self, name: str, types: tuple[str, ...]) -> LayerConfig:
        """Settings of layer ``name`` whose type names are ``types`` (least to most specific)."""
        merged: dict[str, Any] = {"Precision": dict.fromkeys(PRECISION_KEYS, "auto")}
        scopes = [self.model] + [self.layer_type.get(t, {}) for t in types] + [self.layer_name.get(name, {})]
        for scope in scopes:
            for key, value in scope.items():
                if key == "Precision":
                    merged["Precision"] = {**merged["Precision"], **value}
                else:
                    merged[key] = value
        table_range = merged.get("TableRange")
        return LayerConfig(
            precision=merged["Precision"],
            reuse_factor=int(merged.get("ReuseFactor", 1)),
            strategy=Strategy(merged.get("Strategy", "Latency")),
            implementation=str(merged.get("Implementation", "stable")),
            table_size=int(merged.get("TableSize", SOFTMAX_TABLE_SIZE if "Softmax" in types else 1024)),
            table_range=(float(table_range[0]), float(table_range[1])) if table_range else None,
        )


def _fail(source: str, path: str, message: str) -> ConfigError:
    return ConfigError(f"{source}: {path}: {message}")


def _precision(value: Any, source: str, path: str, *, model_level: bool) -> dict[str, str]:
    """Normalize a Precision entry: a string sets weight/bias/result/table (accum too below Model)."""
    if isinstance(value, str):
        _check_type(value, source, path)
        keys = [k for k in PRECISION_KEYS if k != "accum"] if model_level else list(PRECISION_KEYS)
        return dict.fromkeys(keys, value)
    if not isinstance(value, dict):
        raise _fail(source, path, f"expected a type such as 'ap_fixed<16,6>', 'auto' or a mapping, got {value!r}")
    out = {}
    for key, spelling in value.items():
        if key not in PRECISION_KEYS:
            raise _fail(source, f"{path}.{key}", f"unknown precision key; expected one of {', '.join(PRECISION_KEYS)}")
        if not isinstance(spelling, str):
            raise _fail(source, f"{path}.{key}", f"expected a type spelling or 'auto', got {spelling!r}")
        _check_type(spelling, source, f"{path}.{key}")
        out[key] = spelling
    return out


def _check_type(spelling: str, source: str, path: str) -> None:
    if spelling.strip().lower() == "auto":
        return
    try:
        FixedType.from_string(spelling)
    except FixedTypeSyntaxError as exc:
        raise _fail(source, path, str(exc)) from None


def _scope(raw: Any, source: str, path: str, allowed: set[str], *, model_level: bool) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise _fail(source, path, f"expected a mapping, got {type(raw).__name__}")
    out: dict[str, Any] = {}
    for key, value in raw.items():
        here = f"{path}.{key}"
        if key not in allowed:
            raise _fail(source, here, f"unknown key; expected one of {', '.join(sorted(allowed))}")
        if key == "Precision":
            out[key] = _precision(value, source, here, model_level=model_level)
        elif key in ("ReuseFactor", "TableSize", "AutoWidth"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise _fail(source, here, f"expected a positive integer, got {value!r}")
            if key == "TableSize" and value & (value - 1):
                raise _fail(source, here, f"expected a power of two, got {value}")
            out[key] = value
        elif key == "Strategy":
            names = [s.value for s in Strategy]
            match = next((s.value for s in Strategy if str(value).lower() == s.value.lower()), None)
            if match is None:
                raise _fail(source, here, f"expected one of {', '.join(names)}, got {value!r}")
            out[key] = match
        elif key == "Implementation":
            if value not in ("stable", "latency"):
                raise _fail(source, here, f"expected 'stable' or 'latency', got {value!r}")
            out[key] = value
        elif key == "TableRange":
            ok = (
                isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (int, float)) for v in value)
            )
            if not ok or value[0] >= value[1]:
                raise _fail(source, here, f"expected [low, high] with low < high, got {value!r}")
            out[key] = [float(value[0]), float(value[1])]
        elif key == "Accumulation":
            if value not in ("exact", "hls4ml"):
                raise _fail(source, here, f"expected 'exact' or 'hls4ml', got {value!r}")
            out[key] = value
    return out


def load_config(config: str | Path | dict[str, Any] | None = None) -> HLSConfig:
    """Validate a config given as a YAML file, a YAML/dict mapping, or ``None`` (all defaults, all auto)."""
    source = "<dict>"
    if config is None:
        raw: Any = {}
    elif isinstance(config, dict):
        raw = config
    else:
        path = Path(config)
        source = str(path)
        if not path.is_file():
            raise ConfigError(f"{source}: no such config file")
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(raw).__name__}")
    for key in raw:
        if key not in _TOP_KEYS:
            raise _fail(source, str(key), f"unknown key; expected one of {', '.join(sorted(_TOP_KEYS))}")
    model = _scope(raw.get("Model"), source, "Model", _MODEL_KEYS, model_level=True)
    io_raw = raw.get("IOType", "io_parallel")
    if io_raw not in [t.value for t in IOType]:
        raise _fail(source, "IOType", f"expected io_parallel or io_stream, got {io_raw!r}")
    layer_type: dict[str, dict[str, Any]] = {}
    for name, scope in (raw.get("LayerType") or {}).items():
        if name not in LAYER_TYPES:
            raise _fail(source, f"LayerType.{name}", f"unknown layer type; expected one of {', '.join(LAYER_TYPES)}")
        layer_type[name] = _scope(scope, source, f"LayerType.{name}", _LAYER_KEYS, model_level=False)
    layer_name = {
        str(name): _scope(scope, source, f"LayerName.{name}", _LAYER_KEYS, model_level=False)
        for name, scope in (raw.get("LayerName") or {}).items()
    }
    return HLSConfig(
        model={k: v for k, v in model.items() if k not in ("Accumulation", "AutoWidth")},
        io_type=IOType(io_raw),
        accumulation=Accumulation(model.get("Accumulation", "exact")),
        auto_width=int(model.get("AutoWidth", 16)),
        layer_type=layer_type,
        layer_name=layer_name,
        source=source,
    )
