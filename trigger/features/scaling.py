"""Firmware input scaling, as CMS's AXOL1TL does it: ``(x - offset) >> shift`` in fixed point.

Standardising inputs by a mean and a standard deviation costs a divider per input in firmware;
the trigger instead subtracts an offset on the input grid and shifts right by a whole number of
bits (a power-of-two scale: free wiring). :func:`fit_scaling` derives the offsets (median, rounded
onto ``scale_t``'s grid) and shifts (``round(log2(spread))``, never negative) from a training sample;
the result is a :class:`~trigger.nn.ScaleLayer`, so the emulator, the C++ and the training inputs
(:func:`scaled_inputs`) run the same integer steps.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.errors import ModelError
from trigger.fixed import FixedType
from trigger.nn import ScaleLayer, describe, run_fixed

__all__ = ["fit_scaling", "scaled_inputs", "scaling_from_json", "scaling_to_json"]


def fit_scaling(
    x: ArrayLike, input_t: FixedType, scale_t: FixedType, result_t: FixedType, *, name: str = "scale"
) -> ScaleLayer:
    """Offsets and shifts from a training sample ``x`` (n, n_inputs): centre on the median, scale the
    inter-quartile spread (over 1.349, a standard deviation for a Gaussian) to within a factor 2 of 1."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2 or not len(arr):
        raise ModelError(f"fit_scaling needs a (n, n_inputs) sample, got shape {arr.shape}")
    median = np.median(arr, axis=0)
    offset = scale_t.quantize(input_t.quantize(median))
    q75, q25 = np.percentile(arr, [75, 25], axis=0)
    spread = np.maximum((q75 - q25) / 1.349, np.std(arr, axis=0) / 4)
    spread = np.where(spread > 0, spread, 1.0)
    shift = np.maximum(np.round(np.log2(spread)), 0).astype(np.int64)
    return ScaleLayer(name, input_t, scale_t, result_t, offset, shift)


def scaled_inputs(layer: ScaleLayer, x: ArrayLike) -> NDArray[np.float64]:
    """The bit-exact scaled values the network after the scaling layer sees (training uses these)."""
    return np.asarray(run_fixed(describe(layer.name, layer.input_t, [layer]), x).to_float(), dtype=np.float64)


def scaling_to_json(layer: ScaleLayer, names: tuple[str, ...]) -> str:
    return json.dumps(
        {
            "input_t": str(layer.input_t),
            "scale_t": str(layer.scale_t),
            "result_t": str(layer.result_t),
            "inputs": [
                {"name": n, "offset": float(o), "shift": int(s)}
                for n, o, s in zip(names, layer.offset, layer.shift, strict=True)
            ],
        },
        indent=1,
    )


def scaling_from_json(text: str, source: str, names: tuple[str, ...]) -> ScaleLayer:
    """A scaling layer from its JSON; the input names must be ``names`` in order."""
    try:
        d: Any = json.loads(text)
        got = tuple(str(i["name"]) for i in d["inputs"])
        if got != names:
            raise ModelError(f"{source}: inputs {list(got)} are not the expected {list(names)}")
        return ScaleLayer(
            "scale",
            FixedType.from_string(d["input_t"]),
            FixedType.from_string(d["scale_t"]),
            FixedType.from_string(d["result_t"]),
            np.array([float(i["offset"]) for i in d["inputs"]]),
            np.array([int(i["shift"]) for i in d["inputs"]], dtype=np.int64),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{source}: not a scaling description ({type(exc).__name__}: {exc})") from None
