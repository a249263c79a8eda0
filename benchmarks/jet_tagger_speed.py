"""Bit-exact fixed-point emulation of the shipped jet tagger vs a plain numpy float32 forward pass.

The float32 pass is the same network as a physicist would write it in numpy: scaling ``(x - offset)
/ 2**shift``, four ``x @ W + b``, ReLU, softmax. The fixed pass is ``run_fixed`` on the shipped QAT
description (every bit as the firmware). Batch 100 000 held-out jets (or, without samples, inputs
drawn around the scaling offsets), best of 9 in CPU time (``time.process_time``: steadier than wall
time on a shared machine), one BLAS thread. The last line is the ratio alone (``ratio <x>``), for scripts.

Usage: ``OPENBLAS_NUM_THREADS=1 python benchmarks/jet_tagger_speed.py [INPUT.root ...]``
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from algorithms.jet_tagger.model import load_description
from trigger.nn import DenseLayer, ScaleLayer, run_fixed
from trigger.nn.layers import ModelDescription

BATCH = 100_000
MODELS = Path(__file__).resolve().parents[1] / "configs" / "algorithms" / "jet_tagger"


def best_of(fn: Callable[[], object], repeat: int = 9) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def numpy_float32(model: ModelDescription) -> Callable[[np.ndarray], np.ndarray]:
    scale = next(la for la in model.layers if isinstance(la, ScaleLayer))
    offset = scale.offset.astype(np.float32)
    factor = (2.0 ** -scale.shift.astype(np.float64)).astype(np.float32)
    dense = [
        (la.weights_float.astype(np.float32), la.bias_float.astype(np.float32))
        for la in model.layers
        if isinstance(la, DenseLayer)
    ]

    def forward(x: np.ndarray) -> np.ndarray:
        h = (x - offset) * factor
        for k, (w, b) in enumerate(dense):
            h = h @ w + b
            if k < len(dense) - 1:
                np.maximum(h, 0.0, out=h)
        e = np.exp(h - h.max(axis=1, keepdims=True))
        out: np.ndarray = e / e.sum(axis=1, keepdims=True)
        return out

    return forward


def jets(paths: list[str], model: ModelDescription) -> np.ndarray:
    if paths:
        from algorithms.jet_tagger.data import labelled_jets

        x, _, _ = labelled_jets(paths)
    else:
        scale = next(la for la in model.layers if isinstance(la, ScaleLayer))
        rng = np.random.default_rng(1)
        x = scale.offset + rng.normal(size=(BATCH, scale.offset.size)) * 2.0**scale.shift
    return np.resize(x, (BATCH, x.shape[1]))


def main(paths: list[str]) -> None:
    model = load_description(MODELS, "tagger_qat")
    x = jets(paths, model)
    x32 = x.astype(np.float32)
    f32 = numpy_float32(model)
    run_fixed(model, x[:1000])  # warm the caches of the fused path
    t_float = best_of(lambda: f32(x32))
    t_fixed = best_of(lambda: run_fixed(model, x))
    print(f"threads OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, load {os.getloadavg()}")
    print(f"numpy float32 : {BATCH / t_float:12,.0f} jets/s ({t_float * 1e3:.1f} ms)")
    print(f"fixed (exact) : {BATCH / t_fixed:12,.0f} jets/s ({t_fixed * 1e3:.1f} ms)")
    print(f"fixed / float32 speed: {t_float / t_fixed:.2f}x (CPU time, best of 9, load {os.getloadavg()[0]:.1f})")
    print(f"ratio {t_float / t_fixed:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
