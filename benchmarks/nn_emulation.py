"""NN emulation throughput: bit-accurate fixed point vs numpy float vs hls4ml's compiled predict.

For the three architectures the framework ships (random weights), batch 100 000, in one run:
samples/s of our fixed-point emulator (all-`auto` precision, and ap_fixed<16,6> in hls4ml mode),
numpy float32/float64, and hls4ml 1.3's compiled ``predict`` (same ap_fixed<16,6> config) when
hls4ml and keras are installed; also each side's C++ compile time.
Usage: ``python benchmarks/nn_emulation.py [BATCH]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from tests.nn_models import ARCHITECTURES, inputs, network
from trigger.nn import NetworkSpec, build_model, run_fixed, run_float

PRECISION = "ap_fixed<16,6>"
HLS4ML_MODE = {
    "Model": {"Precision": PRECISION, "Accumulation": "hls4ml"},
    "LayerType": {"Dense": {"Precision": {"accum": PRECISION}}},
}


def rate(fn: Callable[[], object], n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()  # CPU time: steadier than wall time on a shared machine
        fn()
        best = min(best, time.process_time() - start)
    return n / best


def keras_model(spec: NetworkSpec):  # type: ignore[no-untyped-def]
    import keras

    layers: list[object] = [keras.Input((spec.n_inputs,), name="features")]
    for layer in spec.layers:
        if hasattr(layer, "weights"):
            dense = keras.layers.Dense(layer.weights.shape[1], name=layer.name)
            layers.append(dense)
        else:
            layers.append(keras.layers.Activation(layer.function, name=layer.name))
    model = keras.Sequential(layers, name=spec.name)
    for layer in spec.layers:
        if hasattr(layer, "weights"):
            model.get_layer(layer.name).set_weights([layer.weights, layer.bias])
    return model


def hls4ml_predict(spec: NetworkSpec, x: np.ndarray) -> tuple[Callable[[], object], float] | None:
    try:
        import hls4ml
    except ModuleNotFoundError:
        return None
    model = keras_model(spec)
    out = Path(tempfile.mkdtemp(prefix="bench-hls4ml-"))
    hls_model = hls4ml.converters.convert_from_keras_model(
        model,
        hls_config={"Model": {"Precision": PRECISION, "ReuseFactor": 1, "Strategy": "Latency"}},
        output_dir=str(out),
        backend="Vivado",
        io_type="io_parallel",
    )
    start = time.perf_counter()
    hls_model.compile()
    compile_s = time.perf_counter() - start
    x32 = x.astype(np.float32)
    return (lambda: hls_model.predict(x32)), compile_s


def main(batch: int = 100_000) -> None:
    print(f"NN emulation, batch {batch}, CPU time, best of 3 (samples/s), load {os.getloadavg()[0]:.1f}")
    header = f"{'model':<12} {'fixed auto':>12} {'fixed h4ml':>12} {'float32':>12} {'float64':>12} {'hls4ml':>12}"
    print(header + "   fixed/float32  h4ml-mode/hls4ml")
    for name in ARCHITECTURES:
        bench_one(name, batch)


def bench_one(name: str, batch: int) -> None:
    spec = network(name)
    x = inputs(name, batch)
    auto = build_model(spec, None, inputs(name, 10_000, seed=5, outliers=0.0))
    compat = build_model(spec, HLS4ML_MODE)
    r_auto = rate(lambda: run_fixed(auto, x), batch)
    r_compat = rate(lambda: run_fixed(compat, x), batch)
    r_f32 = rate(lambda: run_float(auto, x, np.float32), batch)
    r_f64 = rate(lambda: run_float(auto, x), batch)
    theirs = hls4ml_predict(spec, x)
    r_hls = rate(theirs[0], batch, repeat=1) if theirs else float("nan")
    print(
        f"{name:<12} {r_auto:12.0f} {r_compat:12.0f} {r_f32:12.0f} {r_f64:12.0f} {r_hls:12.0f}"
        f"   {r_auto / r_f32:13.2f}  {r_compat / r_hls:16.1f}"
        + (f"   (hls4ml compile {theirs[1]:.1f} s)" if theirs else "")
    )


if __name__ == "__main__":
    main(int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000)
