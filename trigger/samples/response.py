"""Calorimeter response to hadrons (below one, non-Gaussian, e/pi) and the tower calibration look-up.

Electrons and photons have response 1. A hadron of energy E deposits an electromagnetic fraction F
(pi0s of its shower) at the electron scale and the rest at h/e of it (nuclear binding, neutrons):
R = F + (h/e) (1 - F). The mean F follows Groom's power law, <F>(E) = 1 - (E / E0)^(m - 1) with
E0 = 1 GeV, m = 0.85 (Groom, NIM A 572 (2007) 633); each hadron draws its own F from a Beta
distribution around the mean, so the response is skewed (long tail to low response), not Gaussian.
With h/e = 0.45 (ECAL + HCAL, |eta| < 3) the mean response is 0.53 at 3 GeV, 0.63 at 10 GeV and
0.73 at 100 GeV; HF (quartz-fibre Cherenkov, e/h ~ 5) has h/e = 0.2.

The L1 calibration look-up (as CMS's layer-1 tower calibration) multiplies each hadronic tower by
1 / <R> of a single hadron of that measured energy, by |eta| ring and measured-ET bin, so a lone
hadron is on average back at its true ET; towers with several soft hadrons stay a little low.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from trigger.samples.geometry import N_ETA, N_PHI, eta_centres

__all__ = ["CALIB_ET_EDGES", "HadronResponse"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
# measured-ET bins (GeV) of the calibration look-up; the factor is taken at each bin's lower edge
# (the geometric centre for the first bin), so it is a step function as in hardware
_F_BINS, _U_BINS = 50, 256
CALIB_ET_EDGES = (0.0, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 48.0, 64.0, 96.0, 128.0, 256.0)


@dataclass(frozen=True)
class HadronResponse:
    """See the module docstring; every number is a field (stored in the sample provenance)."""

    h_over_e: float = 0.45
    hf_h_over_e: float = 0.20
    hf_eta: float = 3.0
    e0: float = 1.0  # GeV
    groom_m: float = 0.85
    em_concentration: float = 4.0  # a + b of the Beta distribution of F: std(F) = sqrt(F (1 - F) / 5)
    _lut: FloatArray = field(init=False, repr=False, compare=False)
    _beta: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lut", self._calibration_table())
        # inverse CDF of Beta(k F, k (1 - F)) on a grid of F (rows) and of probability (columns): drawing F
        # is then one uniform and one look-up, 10x cheaper than numpy's Beta sampler (~6 000 hadrons a crossing)
        k = self.em_concentration
        means = (np.arange(_F_BINS) + 0.5) / _F_BINS
        draws = np.random.default_rng(0).beta(k * means[:, None], k * (1 - means[:, None]), size=(_F_BINS, 20_000))
        object.__setattr__(self, "_beta", np.quantile(draws, (np.arange(_U_BINS) + 0.5) / _U_BINS, axis=1).T)

    def mean_em_fraction(self, energy: FloatArray) -> FloatArray:
        return np.asarray(1.0 - (np.maximum(energy, self.e0) / self.e0) ** (self.groom_m - 1.0))

    def _h(self, eta: FloatArray) -> FloatArray:
        return np.asarray(np.where(np.abs(eta) > self.hf_eta, self.hf_h_over_e, self.h_over_e))

    def mean(self, energy: FloatArray, eta: FloatArray) -> FloatArray:
        """Mean response <R> of a hadron of energy ``energy`` (GeV) at ``eta``."""
        f = self.mean_em_fraction(energy)
        return np.asarray(f + self._h(eta) * (1.0 - f))

    def apply(self, cell: IntArray, et: FloatArray, rng: np.random.Generator) -> FloatArray:
        """Visible ET of per-particle deposits (``cell`` as :class:`~trigger.samples.geometry.Deposits`):
        hadronic-layer deposits are scaled by their own R, electromagnetic ones are unchanged."""
        out = np.asarray(et, dtype=np.float64).copy()
        had = np.flatnonzero(cell >= N_ETA * N_PHI)
        if had.size == 0:
            return out
        ring = (cell[had] // N_PHI) % N_ETA
        eta = eta_centres()
        energy = out[had] * np.cosh(eta)[ring]
        f_bin = np.minimum((self.mean_em_fraction(energy) * _F_BINS).astype(np.int64), _F_BINS - 1)
        u_bin = (rng.random(had.size, dtype=np.float32) * _U_BINS).astype(np.int64)
        f_drawn = self._beta[f_bin, u_bin]
        h = self._h(eta)[ring]
        out[had] *= f_drawn + h * (1.0 - f_drawn)
        return out

    def _calibration_table(self) -> FloatArray:
        """(N_ETA, len(CALIB_ET_EDGES)) factors: true / measured ET of a lone hadron, per ring and bin."""
        energy = np.geomspace(0.05, 1.0e4, 2000)
        edges = np.asarray(CALIB_ET_EDGES)
        at = edges.copy()
        at[0] = np.sqrt(edges[1] * 0.5)  # first bin: its geometric centre above the 0.5 GeV zero suppression
        table = np.ones((N_ETA, edges.size))
        for i, eta in enumerate(eta_centres()):
            c = np.cosh(eta)
            measured = energy * self.mean(energy, np.full(energy.size, eta))  # rising with E
            true_at = np.interp(at * c, measured, energy)
            table[i] = true_at / (at * c)
        return table

    def calibrate(self, towers: FloatArray) -> FloatArray:
        """Towers ``(n, 2, N_ETA, N_PHI)`` with the hadronic layer multiplied by the look-up factor."""
        out = towers.copy()
        n_cells = N_ETA * N_PHI
        k = np.flatnonzero(out[:, 1] > 0)  # event * n_cells + cell of each hit hadronic tower
        at = k + (k // n_cells + 1) * n_cells  # its place in the flat (n, 2, cells) array: layer 1
        flat = out.reshape(-1)
        b = np.searchsorted(np.asarray(CALIB_ET_EDGES), flat[at], side="right") - 1
        flat[at] *= self._lut[(k % n_cells) // N_PHI, b]
        return out

    def factor(self, ieta: IntArray, et: FloatArray) -> FloatArray:
        """The look-up factor for measured hadronic ``et`` in ring ``ieta`` (for tests and studies)."""
        b = np.searchsorted(np.asarray(CALIB_ET_EDGES), et, side="right") - 1
        return np.asarray(self._lut[ieta, b])
