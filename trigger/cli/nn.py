"""``l1emu nn``: inspect a network's resolved precisions and find the layers whose types overflow."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ModelError
from trigger.nn.arrays import load_samples

__all__ = ["register", "samples"]


def register(sub: Any) -> None:
    parser = sub.add_parser("nn", help="neural networks: resolved precisions, per-layer overflow trace")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, func, text in (
        ("summary", _summary, "print every layer with its resolved precisions and reuse factor"),
        ("trace", _trace, "run inputs in fixed point and count, per layer, the values that overflowed"),
    ):
        p = actions.add_parser(name, help=text)
        p.add_argument("model", type=Path, help="Keras 3 model (.keras)")
        p.add_argument("--config", type=Path, default=None, help="hls4ml-style YAML config (default: all auto)")
        p.add_argument("--calibration", type=Path, default=None, help=".npy of inputs (batch, n) sizing auto types")
        if name == "trace":
            p.add_argument("--input", type=Path, required=True, help=".npy of inputs (batch, n) to trace")
        p.set_defaults(func=func)


def samples(path: str | Path, option: str) -> NDArray[np.float64]:
    """A (batch, n) array of at least one row, finite everywhere (an empty or NaN array sizes and traces nothing)."""
    x = load_samples(path)
    if len(x) == 0:
        raise ModelError(f"{option} {path}: the array has no rows (shape {x.shape}); give at least one input row")
    bad = ~np.isfinite(x)
    if bad.any():
        raise ModelError(
            f"{option} {path}: {int(bad.sum())} NaN/Inf values (first at row {int(np.argwhere(bad)[0][0])})"
        )
    return x


def _model(args: argparse.Namespace) -> Any:
    from trigger.nn import from_keras

    calibration = samples(args.calibration, "--calibration") if args.calibration is not None else None
    return from_keras(args.model, args.config, calibration)


def _summary(args: argparse.Namespace) -> int:
    print(_model(args).summary())
    return 0


def _trace(args: argparse.Namespace) -> int:
    from trigger.nn import run_fixed, run_float

    model = _model(args)
    x = samples(args.input, "--input")
    fixed, traces = run_fixed(model, x, trace=True)
    ref = run_float(model, x)
    types = {model.input_name: model.input_t, **{layer.name: layer.result_t for layer in model.layers}}
    print(f"{len(x)} inputs through {model.name}; values that wrapped or saturated in each layer's casts:")
    for trace in traces:
        share = trace.overflows / max(trace.n_values, 1)
        flag = "  <-- too narrow?" if share > 1e-3 else ""
        print(f"  {trace.name:<20} {types[trace.name]!s:<40} {trace.overflows:>9} ({share:.2%}){flag}")
    diff = np.abs(fixed.to_float() - ref)
    print(f"output vs float: max |diff| {diff.max():.4g}, mean {diff.mean():.4g}")
    return 0
