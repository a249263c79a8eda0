"""A per-element quantizer: every value cast to its own fixed-point type (HGQ2's heterogeneous activations).

HGQ2 trains one bit width per activation (and per weight); hls4ml 1.3 turns each such activation
quantizer into one cast per element, ``out[j] = ap_fixed<W_j,I_j,Q,O>(in[j])``, into a common
output type that holds every element's type exactly.  A :class:`QuantizeLayer` is that layer:
``width``, ``integer`` and ``signed`` give element ``j``'s type ``ap_[u]fixed<width[j], integer[j],
rounding, overflow>`` (``width[j] <= 0``: the element is pruned, always 0); ``result_t`` must hold
every element type exactly, so its own rounding and overflow never act.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ModelError
from trigger.fixed import FixedType, Overflow, Quantization

__all__ = ["QuantizeLayer", "union_type"]


def union_type(types: list[FixedType]) -> FixedType:
    """The smallest plain ``ap_[u]fixed`` holding every value of every type in ``types`` (none: ``ap_ufixed<1,0>``)."""
    if not types:
        return FixedType(1, 0, False)
    signed = any(t.signed for t in types)
    frac = max(t.frac for t in types)
    # an unsigned type's integer bits need one more bit next to a sign
    integer = max(t.integer + (1 if signed and not t.signed else 0) for t in types)
    return FixedType(max(integer + frac, 1), integer, signed)


@dataclass(frozen=True, eq=False)
class QuantizeLayer:
    """``y[j] = result_t(ap_[u]fixed<width[j], integer[j], rounding, overflow>(x[j]))`` for each of ``n`` values."""

    name: str
    input_t: FixedType
    result_t: FixedType
    width: NDArray[np.int64]  # (n,) total bits, sign included; <= 0 prunes the element
    integer: NDArray[np.int64]  # (n,) integer bits, sign included
    signed: NDArray[np.int64]  # (n,) 1 for ap_fixed, 0 for ap_ufixed
    rounding: Quantization = Quantization.AP_TRN
    overflow: Overflow = Overflow.AP_WRAP
    kind: str = "quantize"

    def __post_init__(self) -> None:
        arrays = [np.asarray(a) for a in (self.width, self.integer, self.signed)]
        if any(a.ndim != 1 or a.dtype.kind not in "iu" for a in arrays) or len({a.size for a in arrays}) != 1:
            raise ModelError(
                f"layer {self.name}: width, integer and signed must be 1-d integer arrays of one length n >= 1, "
                f"got shapes {[a.shape for a in arrays]} and dtypes {[str(a.dtype) for a in arrays]}"
            )
        width, integer, signed = (a.astype(np.int64) for a in arrays)
        if width.size == 0 or not np.isin(signed, (0, 1)).all():
            raise ModelError(f"layer {self.name}: n must be >= 1 and signed 0 or 1 per element")
        object.__setattr__(self, "width", width)
        object.__setattr__(self, "integer", integer)
        object.__setattr__(self, "signed", signed)
        r = self.result_t
        for j in range(width.size):
            t = self.element_type(j)
            if t is not None and (t.frac > r.frac or t.min < r.min or t.max > r.max):
                raise ModelError(
                    f"layer {self.name}: element {j} of type {t} does not fit exactly in the result type {r}; "
                    "the result type must hold every element type (trigger.nn.quantize_layer.union_type)"
                )

    def element_type(self, j: int) -> FixedType | None:
        """Element ``j``'s type, or None when it is pruned (width <= 0)."""
        w = int(self.width[j])
        if w <= 0:
            return None
        return FixedType(w, int(self.integer[j]), bool(self.signed[j]), self.rounding, self.overflow)

    def groups(self) -> list[tuple[FixedType | None, NDArray[np.intp]]]:
        """The distinct element types with the columns that use each (pruned columns under None)."""
        keys = np.stack([self.width, self.integer, self.signed], axis=1)
        keys[self.width <= 0] = 0  # every pruned element in one group
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        out: list[tuple[FixedType | None, NDArray[np.intp]]] = []
        for g in range(len(unique)):
            cols = np.flatnonzero(inverse.reshape(-1) == g)
            out.append((self.element_type(int(cols[0])), cols))
        return out

    @property
    def n(self) -> int:
        return int(self.width.size)

    @property
    def n_in(self) -> int:
        return self.n

    @property
    def n_out(self) -> int:
        return self.n

    def summary_line(self) -> str:
        live = self.width[self.width > 0]
        bits = f"{int(live.min())}-{int(live.max())} bits" if live.size else "all pruned"
        pruned = int((self.width <= 0).sum())
        return (
            f"quantize [{self.n}]  per element {bits}, {pruned} pruned, {self.rounding.value} {self.overflow.value}"
            f"  result {self.result_t}"
        )
