"""``l1emu evaluate muon-pt``: per-muon pT assignments, resolution in bins of true pT, turn-ons at 22 GeV.

Assignments: ``classic`` (the muon system's look-up tables, ``L1Mu_pt``), ``nn_float`` (the float network
as trained, the ``ptq`` description run in float), ``nn_fixed`` (the shipped QAT firmware, bit-accurate)
``nn_qat_float`` (the QAT network's weights in float arithmetic: the float path of the menu algorithm, whose
decisions are compared with ``nn_fixed``'s) and ``nn_ptq`` (the float network post-training quantized to
``ap_fixed<16,6>``).

Resolution (per bin of true pT, every found gun muon): the median of ``pT_L1 / pT_true`` and the relative
q/pT resolution, the 68 % half-width of ``pT_true / pT_L1`` divided by its median (CMS quotes the 1/pT
resolution of the EMTF this way; the median removes the scale), plus the fraction assigned more than twice
the true pT (the tail that feeds the rate).

Turn-ons (as CMS scales its L1 pT): per assignment, the threshold ``T`` at which the efficiency for
muons of true pT 21-23 GeV is 90 % of the plateau (true pT 40-1000 GeV, same ``T``), i.e. the
assignment scaled by ``22 / T`` reaches 90 % of its plateau at 22 GeV. Numerator: single-muon
quality (>= 12) and pT_L1 >= T; denominator: every gun muon in |eta| < 2.4.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from algorithms.muon_pt.data import GunMuons
from algorithms.muon_pt.model import load_description, pt_from_output
from trigger.nn import run_fixed, run_float

__all__ = ["ASSIGNMENTS", "EDGES", "assignments", "evaluate", "resolution", "threshold_at_90"]

ASSIGNMENTS = ("classic", "nn_float", "nn_fixed", "nn_qat_float", "nn_ptq")
EDGES = (2.0, 3.0, 4.0, 5.0, 7.0, 10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 70.0, 100.0, 150.0, 255.0, 500.0, 1000.0)
SINGLE_QUALITY = 12
WINDOW = (21.0, 23.0)
PLATEAU = (40.0, 1000.0)
MIN_MUONS = 10


def assignments(directory: Path, muons: GunMuons) -> dict[str, NDArray[np.float64]]:
    """pT of every gun muon under each assignment (0 where the muon system found none)."""
    x, found = muons.x[muons.found], muons.found
    ptq, qat = load_description(directory, "muon_pt_ptq"), load_description(directory, "muon_pt_qat")
    values = {
        "nn_float": run_float(ptq, x)[:, 0],
        "nn_fixed": run_fixed(qat, x).to_float()[:, 0],
        "nn_qat_float": run_float(qat, x)[:, 0],
        "nn_ptq": run_fixed(ptq, x).to_float()[:, 0],
    }
    out = {"classic": np.where(found, muons.classic_pt, 0.0)}
    for name, y in values.items():
        pt = np.zeros(len(muons))
        pt[found] = pt_from_output(y)
        out[name] = pt
    return out


def resolution(true_pt: NDArray[np.float64], pt: NDArray[np.float64]) -> list[dict[str, float]]:
    """Per bin of :data:`EDGES`: muons, median pT_L1/pT_true, relative q/pT resolution, > 2x tail."""
    rows = []
    for lo, hi in itertools.pairwise(EDGES):
        sel = (true_pt >= lo) & (true_pt < hi)
        if sel.sum() < 10:
            rows.append({"lo": lo, "hi": hi, "n": int(sel.sum())})
            continue
        inv = true_pt[sel] / np.maximum(pt[sel], 1e-3)
        q16, q50, q84 = np.percentile(inv, [16, 50, 84])
        rows.append(
            {
                "lo": lo,
                "hi": hi,
                "n": int(sel.sum()),
                "median_scale": float(np.median(pt[sel] / true_pt[sel])),
                "resolution": float((q84 - q16) / 2 / q50),
                "tail_2x": float(np.mean(pt[sel] > 2 * true_pt[sel])),
            }
        )
    return rows


def _passing(pt: NDArray[np.float64], quality: NDArray[np.float64], threshold: float) -> NDArray[np.bool_]:
    return np.asarray((quality >= SINGLE_QUALITY) & (pt >= threshold))


def threshold_at_90(
    true_pt: NDArray[np.float64], pt: NDArray[np.float64], quality: NDArray[np.float64], nominal: float = 22.0
) -> dict[str, float]:
    """The threshold with 90 % of the plateau efficiency at true pT ``WINDOW`` (scaled to ``nominal``)."""
    lo, hi = (w * nominal / 22.0 for w in WINDOW)
    window = (true_pt >= lo) & (true_pt < hi)
    plateau_sel = (true_pt >= PLATEAU[0] * nominal / 22.0) & (true_pt < PLATEAU[1])
    if window.sum() < MIN_MUONS or plateau_sel.sum() < MIN_MUONS:
        raise ValueError(
            f"too few gun muons for the 90 % point: {int(window.sum())} at {lo:g}-{hi:g} GeV, "
            f"{int(plateau_sel.sum())} on the plateau; give more muon-gun events"
        )
    threshold = nominal
    good = quality[window] >= SINGLE_QUALITY
    for _ in range(5):  # the plateau depends weakly on the threshold: iterate to a fixed point
        plateau = float(np.mean(_passing(pt[plateau_sel], quality[plateau_sel], threshold)))
        # the largest T with eff(window) >= 0.9 plateau: a quantile of the window's pT (failures at 0)
        values = np.sort(np.where(good, pt[window], -np.inf))[::-1]
        k = int(np.ceil(0.9 * plateau * window.sum())) - 1
        new = float(values[max(k, 0)])
        if new == threshold:
            break
        threshold = new
    eff = float(np.mean(_passing(pt[window], quality[window], threshold)))
    return {"threshold": threshold, "plateau": plateau, "efficiency_at_nominal": eff, "window_muons": int(window.sum())}


def turn_on(
    true_pt: NDArray[np.float64], pt: NDArray[np.float64], quality: NDArray[np.float64], threshold: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(bin centres, efficiency, binomial error) against true pT, log bins from 2 to 1000 GeV."""
    edges = np.geomspace(2.0, 1000.0, 41)
    idx = np.digitize(true_pt, edges) - 1
    ok = _passing(pt, quality, threshold)
    n = np.bincount(idx[(idx >= 0) & (idx < 40)], minlength=40).astype(float)
    k = np.bincount(idx[(idx >= 0) & (idx < 40) & ok], minlength=40).astype(float)
    eff = np.divide(k, n, out=np.zeros(40), where=n > 0)
    err = np.sqrt(np.divide(eff * (1 - eff), n, out=np.zeros(40), where=n > 0))
    return np.sqrt(edges[1:] * edges[:-1]), eff, err


def _plots(muons: GunMuons, pts: dict[str, NDArray[np.float64]], table: dict[str, Any]) -> dict[str, bytes]:
    from trigger.plotting import figure_files, pyplot

    plt = pyplot()
    files: dict[str, bytes] = {}
    fig, ax = plt.subplots(figsize=(9, 7))
    for name in ASSIGNMENTS:
        rows = [r for r in table["resolution"][name] if "resolution" in r]
        centres = [np.sqrt(r["lo"] * r["hi"]) for r in rows]
        ax.plot(centres, [r["resolution"] for r in rows], "o-", ms=4, label=name)
    ax.set_xscale("log")
    ax.set_xlabel("true muon $p_T$ [GeV]")
    ax.set_ylabel("relative q/$p_T$ resolution")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=14)
    files.update(figure_files(fig, Path("resolution")))
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9, 7))
    for name in ASSIGNMENTS:
        t = table["thresholds"][name]["threshold"]
        x, eff, err = turn_on(muons.gen_pt, pts[name], muons.quality, t)
        ax.errorbar(x, eff, yerr=err, fmt="o-", ms=3, label=f"{name}: $p_T^{{L1}} \\geq$ {t:.1f} GeV")
    ax.axvline(22.0, ls="--", color="gray")
    ax.set_xscale("log")
    ax.set_xlabel("true muon $p_T$ [GeV]")
    ax.set_ylabel("efficiency (quality >= 12)")
    ax.set_ylim(0, 1.05)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=13, title="each at 90 % of its plateau at 22 GeV", title_fontsize=12)
    files.update(figure_files(fig, Path("turnon")))
    plt.close(fig)
    return files


def estimates(directory: Path, reuse_factors: tuple[int, ...] = (1, 4)) -> dict[str, dict[str, int]]:
    """The shipped firmware's estimate (``hls.estimate``) with every dense layer at each reuse factor."""
    from hls.estimate import at_reuse_factors

    return at_reuse_factors(load_description(directory, "muon_pt_qat"), reuse_factors)


def evaluate(directory: Path, muons: GunMuons, plots: bool = True) -> tuple[dict[str, Any], dict[str, bytes | str]]:
    """The metrics, and the files to write: per-muon assignments (npz), metrics JSON, plots."""
    pts = assignments(directory, muons)
    f = muons.found
    table: dict[str, Any] = {
        "gun_muons": len(muons),
        "found": int(f.sum()),
        "resolution": {name: resolution(muons.gen_pt[f], pt[f]) for name, pt in pts.items()},
        "thresholds": {name: threshold_at_90(muons.gen_pt, pt, muons.quality) for name, pt in pts.items()},
    }
    t = table["thresholds"]["nn_fixed"]["threshold"]
    differ = _passing(pts["nn_qat_float"], muons.quality, t) != _passing(pts["nn_fixed"], muons.quality, t)
    table["float_fixed_decisions_differ"] = {"threshold": t, "muons": int(differ.sum()), "of": int(f.sum())}
    table["estimate"] = estimates(directory)
    buf = io.BytesIO()
    arrays: dict[str, Any] = {
        "true_pt": muons.gen_pt,
        "true_eta": muons.gen_eta,
        "true_charge": muons.gen_charge,
        "found": muons.found,
        "quality": muons.quality,
        **{f"{name}_pt": pt for name, pt in pts.items()},
    }
    np.savez_compressed(buf, **arrays)
    files: dict[str, bytes | str] = {"muons.npz": buf.getvalue(), "metrics.json": json.dumps(table, indent=1) + "\n"}
    if plots:
        files.update(_plots(muons, pts, table))
    return table, files
