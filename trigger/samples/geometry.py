"""Calorimeter tower geometry and the particle -> tower deposit of the detector model.

Towers are 0.087 x 0.087 in (eta, phi): 115 rings over |eta| < 5.0 (HF included) times 72 phi
sectors, with two layers, electromagnetic (e, gamma) and hadronic (hadrons). Muons and neutrinos
deposit nothing. Charged particles are bent in the 3.8 T solenoid before reaching the calorimeter
face (radius 1.29 m in the barrel, |z| = 3.15 m in the endcaps); those with too little pT to
reach it curl up and deposit nothing.

Deposits are kept *before* resolution smearing, so pile-up can be summed at tower level and
smeared once (:mod:`trigger.samples.calo`).

>>> int(N_ETA), int(N_PHI), round(float(TOWER_DETA), 4)
(115, 72, 0.087)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "B_FIELD",
    "ETA_MAX",
    "N_CELLS",
    "N_ETA",
    "N_PHI",
    "TOWER_DETA",
    "TOWER_DPHI",
    "Deposits",
    "calo_acceptance",
    "deposit",
    "eta_centres",
    "phi_centres",
]

ETA_MAX = 5.0
N_ETA = 115
N_PHI = 72
TOWER_DETA = 2 * ETA_MAX / N_ETA
TOWER_DPHI = 2 * np.pi / N_PHI
N_CELLS = 2 * N_ETA * N_PHI  # layer-major: cell = layer * N_ETA * N_PHI + ieta * N_PHI + iphi
B_FIELD = 3.8  # tesla
_R_CALO = 1.29  # m, ECAL barrel front face
_Z_CALO = 3.15  # m, ECAL endcap front face
_EM_IDS = (11, 22)
_INVISIBLE_IDS = (12, 13, 14, 16, 1000022, 1000039, 9900012)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def eta_centres() -> FloatArray:
    return np.asarray(-ETA_MAX + TOWER_DETA * (np.arange(N_ETA) + 0.5), dtype=np.float64)


def phi_centres() -> FloatArray:
    return np.asarray(-np.pi + TOWER_DPHI * (np.arange(N_PHI) + 0.5), dtype=np.float64)


@dataclass(frozen=True)
class Deposits:
    """Sparse tower deposits of many events: ``event[k]`` put ``et[k]`` GeV in cell ``cell[k]``."""

    event: IntArray
    cell: IntArray
    et: FloatArray

    @classmethod
    def empty(cls) -> Deposits:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))

    def dense(self, n_events: int) -> FloatArray:
        """Summed deposits as an array ``(n_events, 2, N_ETA, N_PHI)``."""
        flat = np.bincount(self.event * N_CELLS + self.cell, weights=self.et, minlength=n_events * N_CELLS)
        return np.asarray(flat, dtype=np.float64).reshape(n_events, 2, N_ETA, N_PHI)


def _half_chord(pt: FloatArray, eta: FloatArray) -> FloatArray:
    """r / (2 rho) at the calorimeter face (barrel cylinder or endcap disc); >= 1: the track curls up."""
    with np.errstate(divide="ignore", over="ignore"):
        r_face = np.minimum(_R_CALO, _Z_CALO / np.abs(np.sinh(eta)))
    return np.asarray(0.3 * B_FIELD * r_face / (2.0 * np.maximum(pt, 1e-9)))


def calo_acceptance(pt: FloatArray, eta: FloatArray, pid: IntArray, charge: FloatArray) -> npt.NDArray[np.bool_]:
    """Particles that reach the calorimeter: visible (not nu, mu, LSP), |eta| < 5, not curling up."""
    keep = ~np.isin(np.abs(pid), _INVISIBLE_IDS) & (np.abs(eta) < ETA_MAX) & (pt > 0)
    return np.asarray(keep & ((charge == 0) | (_half_chord(pt, eta) < 1.0)))


def deposit(
    event: IntArray,
    pt: FloatArray,
    eta: FloatArray,
    phi: FloatArray,
    pid: IntArray,
    charge: FloatArray,
) -> Deposits:
    """Tower deposits of final-state particles (flat arrays, ``event`` = owning event index)."""
    apid = np.abs(pid)
    half_chord = _half_chord(pt, eta)
    charged = charge != 0
    keep = calo_acceptance(pt, eta, pid, charge)
    dphi = np.where(charged, -np.sign(charge) * np.arcsin(np.clip(half_chord, 0.0, 1.0)), 0.0)
    phi_face = np.mod(phi + dphi + np.pi, 2 * np.pi) - np.pi
    layer = np.where(np.isin(apid, _EM_IDS), 0, 1)
    ieta = np.clip(((eta + ETA_MAX) / TOWER_DETA).astype(np.int64), 0, N_ETA - 1)
    iphi = np.clip(((phi_face + np.pi) / TOWER_DPHI).astype(np.int64), 0, N_PHI - 1)
    cell = (layer * N_ETA + ieta) * N_PHI + iphi
    return Deposits(event[keep].astype(np.int64), cell[keep].astype(np.int64), pt[keep].astype(np.float64))
