"""``l1emu evaluate jet-tagger``: per-jet scores and ROC metrics of the four taggers on labelled jets.

(a) ``float``: the float network as trained; (b) ``ptq``: the same post-training quantized to
``ap_fixed<16,6>``; (c) ``qat``: 6-bit weights, trained quantization-aware; (d) ``qat_pruned``: (c)
with 75 % of the weights pruned. (a) runs the ``ptq`` description in float (trained weights); (b)-(d)
run bit-accurate. Per class: one-vs-rest ROC area; accuracy: the highest score is the label's.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.jet_tagger.inputs import CLASSES
from algorithms.jet_tagger.model import load_description
from trigger.nn import run_fixed, run_float
from trigger.train.metrics import accuracy, roc_auc, roc_curve

__all__ = ["evaluate", "metrics", "scores"]

ROWS = ("float", "ptq", "qat", "qat_pruned")


def scores(directory: Path, x: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Class scores (n, 5) of every variant on raw inputs ``x``."""
    out = {"float": np.asarray(run_float(load_description(directory, "tagger_ptq"), x))}
    for variant in ROWS[1:]:
        out[variant] = np.asarray(run_fixed(load_description(directory, f"tagger_{variant}"), x).to_float())
    return out


def metrics(s: dict[str, NDArray[np.float64]], y: NDArray[np.int64]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for variant, sc in s.items():
        table[variant] = {
            "accuracy": accuracy(sc, y),
            "auc": {c: roc_auc(sc[:, k], y == k) for k, c in enumerate(CLASSES)},
        }
    ref = table["float"]["auc"]
    for variant in ROWS[1:]:
        table[variant]["auc_vs_float"] = {c: table[variant]["auc"][c] / ref[c] - 1 for c in CLASSES}
    return table


def roc_plot(s: dict[str, NDArray[np.float64]], y: NDArray[np.int64], stem: Path) -> dict[str, bytes]:
    """ROC per class (mistag rate on a log axis against efficiency), every variant, as PNG and PDF."""
    from trigger.plotting import figure_files, pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 7))
    styles = {"float": "-", "ptq": "--", "qat": "-.", "qat_pruned": ":"}
    for k, c in enumerate(CLASSES):
        for variant, sc in s.items():
            eff_s, eff_b = roc_curve(sc[:, k], y == k)
            keep = eff_b > 0
            label = f"{c}: AUC {roc_auc(sc[:, k], y == k):.3f}" if variant == "float" else None
            ax.plot(eff_s[keep], eff_b[keep], styles[variant], color=f"C{k}", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("signal efficiency")
    ax.set_ylabel("background efficiency")
    ax.set_xlim(0, 1)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(title="float solid, ptq dashed, QAT dash-dot, QAT+pruned dotted", fontsize=12, title_fontsize=10)
    files = figure_files(fig, stem)
    plt.close(fig)
    return files


def evaluate(
    directory: Path, x: NDArray[np.float64], y: NDArray[np.int64], pt: NDArray[np.float64]
) -> tuple[dict[str, Any], dict[str, bytes | str]]:
    """The metrics, and the files to write: per-jet scores (npz), metrics JSON, ROC plots."""
    from hls.estimate import at_reuse_factors

    s = scores(directory, x)
    table = metrics(s, y)
    for variant in ROWS[1:]:  # DSPs and latency at RF 1, 2, 4 (hls/estimate.py: 5 ns cycles, no synthesis)
        table[variant]["firmware_estimate"] = at_reuse_factors(load_description(directory, f"tagger_{variant}"))
    buf = io.BytesIO()
    arrays: dict[str, Any] = {"label": y, "pt": pt, **{f"{v}_scores": sc for v, sc in s.items()}}
    np.savez_compressed(buf, **arrays)
    files: dict[str, bytes | str] = {"scores.npz": buf.getvalue(), "metrics.json": json.dumps(table, indent=1) + "\n"}
    files.update(roc_plot(s, y, Path("roc")))
    return table, files
