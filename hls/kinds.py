"""The HLS layer kinds, one table entry each: C++ header, templates, constant data, estimate.

A new HLS layer kind is one entry of :data:`KINDS` (plus its header in ``hls/cpp``, its two
templates in ``hls/templates/project/layers`` and its emulator in
:data:`trigger.nn.emulate.EXECUTORS`).  The writer, the estimate and the list of headers a
project needs all read this table; nothing else knows the kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hls.carrays import CArray, CTable, ctable
from hls.layer_estimates import (
    LayerEstimate,
    estimate_activation,
    estimate_dense,
    estimate_quantize,
    estimate_scale,
    estimate_square_error,
    estimate_square_sum,
    estimate_sum,
)
from trigger.errors import ModelError
from trigger.fixed import FixedType
from trigger.nn.layers import ActivationLayer, DenseLayer, Hls4mlSoftmax, Layer, ScaleLayer, SoftmaxTables

__all__ = ["COMMON_HEADER", "KINDS", "Constants", "HLSKind", "hls_kind", "kind_name"]

COMMON_HEADER = "l1t_common.h"

#: a layer's constant arrays and lookup tables, given the layer, its C++ name and its config struct name
Constants = tuple[list[CArray], list[CTable]]


@dataclass(frozen=True)
class HLSKind:
    """How one layer kind becomes C++.

    ``header`` (in ``hls/cpp``) holds its function; ``template`` names
    ``layers/<template>.config.j2`` (its config struct) and ``layers/<template>.call.j2`` (its
    call in the top function); ``constants`` lists its arrays and tables; ``estimate`` its
    resources and latency (:mod:`hls.layer_estimates`).
    """

    header: str
    template: str
    constants: Callable[[Any, str, str], Constants]
    estimate: Callable[[Any], LayerEstimate]


def _dense(layer: DenseLayer, cname: str, config: str) -> Constants:
    return [
        CArray(f"w_{cname}", layer.weight_t, layer.weights_raw),
        CArray(f"b_{cname}", layer.bias_t, layer.bias_raw),
    ], []


def _none(layer: Layer, cname: str, config: str) -> Constants:
    return [], []


def _table(layer: ActivationLayer, cname: str, config: str) -> Constants:
    assert layer.table is not None
    return [], [ctable(f"{config}_table", f"t_{cname}", layer.table)]


def _softmax(layer: ActivationLayer, cname: str, config: str) -> Constants:
    """The exp and inverse tables of either softmax design (hls4ml's argmax has none)."""
    sm = layer.softmax
    assert isinstance(sm, (SoftmaxTables, Hls4mlSoftmax))
    if sm.exp is None or sm.inv is None:
        return [], []
    return [], [ctable(f"{config}_exp", f"exp_{cname}", sm.exp), ctable(f"{config}_inv", f"inv_{cname}", sm.inv)]


def _scale(layer: ScaleLayer, cname: str, config: str) -> Constants:
    shift_t = FixedType.ap_uint(max(1, int(layer.shift.max()).bit_length()))
    return [CArray(f"o_{cname}", layer.scale_t, layer.offset_raw), CArray(f"s_{cname}", shift_t, layer.shift)], []


KINDS: dict[str, HLSKind] = {
    "dense": HLSKind("l1t_dense.h", "dense", _dense, estimate_dense),
    "relu": HLSKind("l1t_activation.h", "activation", _none, estimate_activation),
    "linear": HLSKind("l1t_activation.h", "activation", _none, estimate_activation),
    "sigmoid": HLSKind("l1t_table_activation.h", "table", _table, estimate_activation),
    "tanh": HLSKind("l1t_table_activation.h", "table", _table, estimate_activation),
    "hard_sigmoid": HLSKind("l1t_activation.h", "hard", _none, estimate_activation),
    "hard_tanh": HLSKind("l1t_activation.h", "hard", _none, estimate_activation),
    "softmax": HLSKind("l1t_softmax.h", "softmax", _softmax, estimate_activation),
    "softmax_hls4ml": HLSKind("l1t_softmax_hls4ml.h", "softmax_hls4ml", _softmax, estimate_activation),
    "scale": HLSKind("l1t_scale.h", "scale", _scale, estimate_scale),
    "sum": HLSKind("l1t_sum.h", "sum", _none, estimate_sum),
    "square_sum": HLSKind("l1t_sum.h", "square_sum", _none, estimate_square_sum),
    "square_error": HLSKind("l1t_sum.h", "square_error", _none, estimate_square_error),
    "quantize": HLSKind("l1t_quantize.h", "quantize", _none, estimate_quantize),
}


def kind_name(layer: Layer) -> str:
    """The key of ``layer`` in :data:`KINDS`: an activation's function (hls4ml's softmax apart), otherwise
    the layer's kind."""
    if isinstance(layer, ActivationLayer):
        return "softmax_hls4ml" if isinstance(layer.softmax, Hls4mlSoftmax) else layer.function
    return layer.kind


def hls_kind(layer: Layer) -> HLSKind:
    """The table entry of ``layer``; a clear error for a kind that has no HLS implementation."""
    kind = kind_name(layer)
    entry = KINDS.get(kind)
    if entry is None:
        raise ModelError(f"layer {layer.name}: no HLS implementation of {kind!r}; HLS layer kinds are {sorted(KINDS)}")
    return entry
