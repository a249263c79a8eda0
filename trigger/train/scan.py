"""Post-training quantization scan (hls4ml tutorial, part 2): accuracy against integer and fractional bits.

Each point builds the description with one model precision ``ap_fixed<I+F,I>`` (weights, biases,
results; accumulators exact) and runs the bit-accurate emulator on the data set.  Softmax tables
keep their own ``auto`` types by default, so the curves measure the network's precision, not the
table format (pass ``config`` to change that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.errors import ModelError
from trigger.extras import import_optional
from trigger.nn import NetworkSpec, build_model, run_fixed, run_float
from trigger.nn.keras_import import network_from_keras
from trigger.train.convert import load_qat_model

__all__ = ["PrecisionScan", "accuracy", "plot_precision_scan", "precision_scan"]

Metric = Callable[[NDArray[np.float64], NDArray[Any]], float]


def accuracy(predictions: NDArray[np.float64], labels: NDArray[Any]) -> float:
    """Fraction of rows whose largest output is the label (class indices, or one-hot rows)."""
    truth = labels.argmax(axis=1) if labels.ndim == 2 else labels
    return float(np.mean(predictions.argmax(axis=1) == truth))


@dataclass(frozen=True)
class PrecisionScan:
    """Metric vs integer bits at ``fractional_fixed`` fractional bits, and vs fractional bits at ``integer_fixed``."""

    integer_bits: tuple[int, ...]
    vs_integer: tuple[float, ...]
    fractional_fixed: int
    fractional_bits: tuple[int, ...]
    vs_fractional: tuple[float, ...]
    integer_fixed: int
    float_value: float
    modes: str  # e.g. "AP_TRN,AP_WRAP"
    metric: str = "accuracy"

    def precision(self, integer: int, fractional: int) -> str:
        return f"ap_fixed<{integer + fractional},{integer},{self.modes}>"


def _network(model: Any) -> NetworkSpec:
    if isinstance(model, NetworkSpec):
        return model
    return network_from_keras(load_qat_model(model), qat=True)  # QAT layers are scanned with their float weights


def _config(precision: str, base: dict[str, Any] | None) -> dict[str, Any]:
    base = dict(base or {})
    layer_type = {"Softmax": {"Precision": {"table": "auto", "result": "auto"}}, **base.get("LayerType", {})}
    return {**base, "Model": {**base.get("Model", {}), "Precision": precision}, "LayerType": layer_type}


def precision_scan(
    model: Any,
    x: ArrayLike,
    labels: ArrayLike,
    *,
    integer_bits: Iterable[int] = range(1, 11),
    fractional_bits: Iterable[int] = range(0, 13),
    fractional_fixed: int = 10,
    integer_fixed: int = 6,
    rounding: str = "AP_TRN",
    overflow: str = "AP_WRAP",
    config: dict[str, Any] | None = None,
    metric: Metric = accuracy,
    calibration_size: int = 5000,
) -> PrecisionScan:
    """Metric of the fixed-point emulation of ``model`` (Keras model, ``.keras`` path or NetworkSpec) on ``x``.

    ``labels`` are what ``metric(predictions, labels)`` compares with (default: class accuracy).
    ``calibration_size`` rows of ``x`` size the ``auto`` types (softmax tables).
    """
    spec = _network(model)
    data = np.asarray(x, dtype=np.float64)
    truth = np.asarray(labels)
    if data.ndim != 2 or len(data) != len(truth):
        raise ModelError(f"precision scan: x must be (n, {spec.n_inputs}) with one label per row; got {data.shape}")
    modes = f"{rounding},{overflow}"
    calib = data[:calibration_size]

    def value(integer: int, fractional: int) -> float:
        if integer + fractional < 1:
            raise ModelError(f"precision scan: ap_fixed<{integer + fractional},{integer}> has no bits")
        precision = f"ap_fixed<{integer + fractional},{integer},{modes}>"
        description = build_model(spec, _config(precision, config), calib)
        return float(metric(run_fixed(description, data).to_float(), truth))

    ints, fracs = tuple(integer_bits), tuple(fractional_bits)
    reference = build_model(
        spec, _config(f"ap_fixed<{integer_fixed + fractional_fixed},{integer_fixed}>", config), calib
    )
    return PrecisionScan(
        integer_bits=ints,
        vs_integer=tuple(value(i, fractional_fixed) for i in ints),
        fractional_fixed=fractional_fixed,
        fractional_bits=fracs,
        vs_fractional=tuple(value(integer_fixed, f) for f in fracs),
        integer_fixed=integer_fixed,
        float_value=float(metric(run_float(reference, data), truth)),
        modes=modes,
        metric=getattr(metric, "__name__", "metric"),
    )


def plot_precision_scan(scan: PrecisionScan, path: str | Path) -> Path:
    """One figure with both curves and the float reference; the format follows the suffix (png, pdf)."""
    mpl = import_optional("matplotlib")
    mpl.use("Agg")
    plt = import_optional("matplotlib.pyplot")
    hep = import_optional("mplhep")
    plt.style.use(hep.style.CMS)
    fig, ax = plt.subplots()
    try:
        ax.plot(scan.integer_bits, scan.vs_integer, "o-", label=f"integer bits (fractional = {scan.fractional_fixed})")
        ax.plot(
            scan.fractional_bits, scan.vs_fractional, "s-", label=f"fractional bits (integer = {scan.integer_fixed})"
        )
        ax.axhline(scan.float_value, ls="--", color="gray", label="float")
        ax.set_xlabel(f"bits of ap_fixed<W,I,{scan.modes}>")
        ax.set_ylabel(scan.metric)
        ax.legend()
        hep.cms.text("L1 emulation", ax=ax)
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=100)
        return out
    finally:
        plt.close(fig)
