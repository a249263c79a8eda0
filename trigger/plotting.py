"""Plots with mplhep's CMS style, written as PNG and PDF (imported lazily: ``pip install 'l1emu[plot]'``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trigger.extras import import_optional

if TYPE_CHECKING:
    from trigger.rates.efficiency import Efficiency
    from trigger.rates.scan import Scan

__all__ = ["figure_files", "plot_efficiency", "plot_pileup", "plot_scan", "pyplot"]


def _setup() -> tuple[Any, Any]:
    mpl = import_optional("matplotlib")
    mpl.use("Agg")
    plt = import_optional("matplotlib.pyplot")
    hep = import_optional("mplhep")
    plt.style.use(hep.style.CMS)
    return plt, hep


def pyplot() -> Any:
    """matplotlib.pyplot (Agg) in the CMS style, for plots of other modules (ROCs, precision scans)."""
    return _setup()[0]


def figure_files(fig: Any, stem: Path) -> dict[str, bytes]:
    """The figure as ``{stem}.png`` and ``{stem}.pdf`` bytes, for :func:`trigger.rates.write_atomic`."""
    return _save(fig, stem)


def _save(fig: Any, stem: Path) -> dict[str, bytes]:
    import io

    out = {}
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=100 if ext == "png" else None)
        out[f"{stem.name}.{ext}"] = buf.getvalue()
    return out


def plot_scan(scan: Scan, curve: np.ndarray, stem: Path, budget_khz: float | None = None) -> dict[str, bytes]:
    """Rate vs threshold; returns {file name: bytes} for an atomic write."""
    plt, hep = _setup()
    fig, ax = plt.subplots()
    try:
        ax.errorbar(curve[:, 0], curve[:, 1], yerr=[curve[:, 2], curve[:, 3]], fmt="o", ms=3, label=scan.seed)
        ax.axvline(scan.menu_threshold, ls="--", color="gray", label=f"menu threshold {scan.menu_threshold:g}")
        if budget_khz:
            ax.axhline(budget_khz, ls=":", color="red", label=f"budget {budget_khz:g} kHz")
        ax.set_yscale("log")
        return _rate_axes(fig, ax, hep, scan.label, stem)
    finally:
        plt.close(fig)


def _rate_axes(fig: Any, ax: Any, hep: Any, xlabel: str, stem: Path) -> dict[str, bytes]:
    """Label a rate plot (x, rate in kHz, legend, CMS text) and save it."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel("rate [kHz]")
    ax.legend()
    hep.cms.text("L1 emulation", ax=ax)
    return _save(fig, stem)


def plot_efficiency(eff: Efficiency, stem: Path) -> dict[str, bytes]:
    plt, hep = _setup()
    fig, ax = plt.subplots()
    try:
        centers = 0.5 * (eff.edges[1:] + eff.edges[:-1])
        ok = eff.total > 0
        v = eff.value
        ax.errorbar(
            centers[ok],
            v[ok],
            yerr=[v[ok] - eff.lo[ok], eff.hi[ok] - v[ok]],
            xerr=0.5 * np.diff(eff.edges)[ok],
            fmt="o",
            ms=3,
            label=eff.seed,
        )
        ax.set_ylim(0, 1.1)
        ax.set_xlabel(f"{eff.reference.label()} [GeV]")
        ax.set_ylabel("efficiency")
        ax.legend(loc="lower right")
        hep.cms.text("L1 emulation", ax=ax)
        return _save(fig, stem)
    finally:
        plt.close(fig)


def plot_pileup(curve: Any, stem: Path, bin_width: float) -> dict[str, bytes]:
    """Rate vs pile-up of one seed (a :class:`trigger.rates.pileup.PileupCurve`): the bins, the fit and,
    if asked, the extrapolation; returns {file name: bytes} for an atomic write."""
    plt, hep = _setup()
    fig, ax = plt.subplots()
    try:
        x, y = np.array(curve.mean_pileup), np.array(curve.rate_khz)
        used = np.array(curve.used, dtype=bool)
        ok = np.array(curve.events) > 0
        ax.errorbar(
            x[used],
            y[used],
            yerr=[np.array(curve.err_down)[used], np.array(curve.err_up)[used]],
            fmt="o",
            ms=3,
            label=f"{curve.seed} (bins of {bin_width:g})",
        )
        rest = ok & ~used
        if rest.any():
            ax.plot(x[rest], y[rest], "o", mfc="none", ms=4, color="gray", label="not fitted (few events)")
        top = max(float(x[ok].max()) if ok.any() else 1.0, curve.target_pileup or 0.0)
        grid = np.linspace(0.0, top * 1.05, 200)
        kind = "linear" if curve.degree == 1 else "quadratic"
        if curve.fitted:
            fit = np.polyval(curve.coefficients, grid)
            ax.plot(grid, fit, "-", label=f"{kind} fit, chi2/ndf {curve.chi2:.1f}/{curve.ndf}")
        if curve.target_khz is not None:
            ax.errorbar(
                [curve.target_pileup],
                [curve.target_khz],
                yerr=[[curve.target_err_khz]],
                fmt="s",
                color="red",
                label=f"pile-up {curve.target_pileup:.1f}: {curve.target_khz:.3g} kHz",
            )
        return _rate_axes(fig, ax, hep, "pile-up", stem)
    finally:
        plt.close(fig)
