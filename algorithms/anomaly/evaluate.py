"""``l1emu evaluate anomaly``: scores of both models (float and fixed) on signals and held-out zero-bias,
thresholds by rate, efficiencies next to an HT-only baseline and the menu, ROC curves.

Thresholds: the lowest point ``k * step`` of a grid (default the score's LSB, 1/16) whose zero-bias rate
``f_bx x (sum of passing weights) / (sum of all weights)`` is at most the target (1 kHz), the same rule for
every model and for HT, and the same code as ``l1emu threshold --step`` (:meth:`Scan.solve`).
Menu figures run the menu's seeds (``SeedEvaluator``) on each signal: the total efficiency of the
unprescaled seeds, and the AD seeds' *unique* efficiency (they fire, no other unprescaled seed does).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.anomaly.data import Events, read_inputs
from algorithms.anomaly.model import SCORE_T, ae_score, load_ae, load_description, vae_score
from trigger.rates.scan import Scan
from trigger.train.metrics import roc_auc, roc_curve

__all__ = ["AD_PREFIX", "SCORE_STEP", "Scores", "evaluate", "rate_threshold", "scores"]

AD_PREFIX = "L1_AD_"
SCORES = ("vae_float", "vae_fixed", "ae_float", "ae_fixed", "ht")
#: default threshold grid: the fixed score's LSB (``SCORE_T``, 1/16), what a menu seed can carry exactly
SCORE_STEP = 2.0**-SCORE_T.frac


@dataclass(frozen=True)
class Scores:
    """Per-event scores of one sample: both models in float and fixed, and HT (the baseline)."""

    values: dict[str, NDArray[np.float64]]
    weight: NDArray[np.float64]


def scores(models: Path, events: Events) -> Scores:
    vae, ae = load_description(models, "vae"), load_ae(models)
    values = {
        "vae_float": vae_score(vae, events.x, False),
        "vae_fixed": vae_score(vae, events.x, True),
        "ae_float": ae_score(ae, events.x, False),
        "ae_fixed": ae_score(ae, events.x, True),
        "ht": events.ht,
    }
    return Scores(values, events.weight)


def rate_threshold(
    score: NDArray[np.float64], weight: NDArray[np.float64], f_bx_khz: float, rate_khz: float, step: float
) -> float:
    """The lowest threshold ``k * step`` with ``rate(score >= t) <= rate_khz``: :meth:`Scan.solve`, the rule of
    ``l1emu threshold --step`` (one rule, so the two commands give one number for one sample)."""
    return Scan.of_values("score", score, weight, f_bx_khz).solve(rate_khz, step).threshold


def _menu_decisions(menu_path: Path, files: tuple[str, ...]) -> tuple[dict[str, NDArray[np.bool_]], dict[str, float]]:
    """Unprescaled decision of every seed with prescale 1 on ``files``, and each seed's prescale."""
    from trigger.features import read_events
    from trigger.io import builtin_schema, open_dataset
    from trigger.menu import load_menu
    from trigger.menu.evaluate import SeedEvaluator

    menu = load_menu(menu_path)
    schema = builtin_schema("l1emu")
    ev = SeedEvaluator(menu, schema)
    want = ev.needs()
    dataset = open_dataset(list(files), schema, want.branches(schema))
    out: dict[str, list[NDArray[np.bool_]]] = {s.name: [] for s in menu.seeds}
    for item in dataset.work_items(50_000):
        chunk = read_events(item, schema, want)
        algos = ev.algorithm_outputs(chunk)
        for seed in menu.seeds:
            out[seed.name].append(ev.decision(seed, chunk, algos))
    return {k: np.concatenate(v) for k, v in out.items()}, {s.name: float(s.prescale) for s in menu.seeds}


def _menu_figures(decisions: dict[str, NDArray[np.bool_]], prescales: dict[str, float]) -> dict[str, Any]:
    live = [k for k, p in prescales.items() if p == 1.0]
    n = len(next(iter(decisions.values())))
    rest = np.zeros(n, dtype=bool)
    for k in live:
        if not k.startswith(AD_PREFIX):
            rest |= decisions[k]
    total = rest.copy()
    out: dict[str, Any] = {"rest_of_menu": float(rest.mean())}
    for k in live:
        if k.startswith(AD_PREFIX):
            total |= decisions[k]
            out[k] = {"efficiency": float(decisions[k].mean()), "unique": float((decisions[k] & ~rest).mean())}
    out["total"] = float(total.mean())
    return out


def _estimate(models: Path) -> dict[str, Any]:
    """The VAE firmware's estimate at reuse factors 1, 2, 4 (hls/estimate.py: 5 ns cycles, no synthesis)."""
    from hls.estimate import at_reuse_factors

    return at_reuse_factors(load_description(models, "vae"))


def roc_plot(background: Scores, signals: dict[str, Scores], stem: Path) -> dict[str, bytes]:
    """Per signal: background efficiency (log, down to 1e-5) against signal efficiency, both models and HT."""
    from trigger.plotting import figure_files, pyplot

    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(16, 14))
    styles = {"vae_fixed": ("C0", "-", "VAE (fixed)"), "ae_fixed": ("C1", "--", "AE (fixed)"), "ht": ("C2", ":", "HT")}
    for ax, (name, sig) in zip(axes.flat, signals.items(), strict=False):
        for key, (color, ls, label) in styles.items():
            s = np.r_[sig.values[key], background.values[key]]
            truth = np.r_[np.ones(len(sig.weight), bool), np.zeros(len(background.weight), bool)]
            eff_s, eff_b = roc_curve(s, truth)
            keep = eff_b > 0
            ax.plot(eff_s[keep], eff_b[keep], ls, color=color, label=f"{label}: AUC {roc_auc(s, truth):.3f}")
        ax.set_yscale("log")
        ax.set_ylim(1e-5, 1)
        ax.set_xlim(0, 1)
        ax.set_title(name, fontsize=18)
        ax.set_xlabel("signal efficiency", fontsize=16)
        ax.set_ylabel("zero-bias efficiency", fontsize=16)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=12, loc="lower right")
    fig.tight_layout()
    files = figure_files(fig, stem)
    plt.close(fig)
    return files


def evaluate(
    models: Path,
    signal_files: list[str],
    background_file: list[str],
    menu: Path,
    rate_khz: float = 1.0,
    step: float = SCORE_STEP,
) -> tuple[dict[str, Any], dict[str, bytes | str]]:
    """The metrics, and the files to write: per-event scores (npz), metrics JSON, ROC plots; thresholds on
    the grid ``k * step`` (default the score's LSB) for every score and HT."""
    from trigger.menu import load_menu

    f_bx_khz = load_menu(menu).zero_bias_khz
    bg_events = read_inputs(background_file)
    background = scores(models, bg_events)
    thresholds = {
        k: rate_threshold(v, background.weight, f_bx_khz, rate_khz, step) for k, v in background.values.items()
    }
    bg_rate = {
        k: Scan.of_values(k, v, background.weight, f_bx_khz).rate(thresholds[k])[0]
        for k, v in background.values.items()
    }
    agree = {
        m: float(
            np.mean(
                (background.values[f"{m}_float"] >= thresholds[f"{m}_fixed"])
                == (background.values[f"{m}_fixed"] >= thresholds[f"{m}_fixed"])
            )
        )
        for m in ("vae", "ae")
    }
    table: dict[str, Any] = {
        "background": {"files": [Path(f).name for f in bg_events.files], "crossings": bg_events.n,
                       "truncated": bg_events.truncated},
        "zero_bias_khz": f_bx_khz,
        "target_khz": rate_khz,
        "threshold_step": step,
        "thresholds": thresholds,
        "background_rate_khz": bg_rate,
        "decision_agreement_float_fixed_at_fixed_threshold": agree,
        "signals": {},
        "vae_firmware_estimate": _estimate(models),
    }  # fmt: skip
    sig_scores: dict[str, Scores] = {}
    arrays: dict[str, Any] = {f"background_{k}": v for k, v in background.values.items()}
    for path in signal_files:
        name = Path(path).stem
        ev = read_inputs([path])
        sc = scores(models, ev)
        sig_scores[name] = sc
        arrays.update({f"{name}_{k}": v for k, v in sc.values.items()})
        row: dict[str, Any] = {"events": ev.n}
        for k, v in sc.values.items():
            truth = np.r_[np.ones(ev.n, bool), np.zeros(bg_events.n, bool)]
            row[k] = {
                "efficiency": float(np.mean(v >= thresholds[k])),
                "auc": roc_auc(np.r_[v, background.values[k]], truth),
            }
        decisions, prescales = _menu_decisions(menu, ev.files)
        row["menu"] = _menu_figures(decisions, prescales)
        table["signals"][name] = row
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    files: dict[str, bytes | str] = {"scores.npz": buf.getvalue(), "metrics.json": json.dumps(table, indent=1) + "\n"}
    files.update(roc_plot(background, sig_scores, Path("roc")))
    return table, files
