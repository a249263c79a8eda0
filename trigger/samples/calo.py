"""L1 calorimeter objects from towers: resolution, jets with pile-up subtraction, HT, MET, e/gamma.

The model (all numbers are parameters of :class:`CaloModel`):

* **resolution**, per tower and layer, on the energy E = ET cosh(eta):
  sigma/E = a/sqrt(E) (+) b, with (a, b) = (3 %, 0.5 %) ECAL, (100 %, 5 %) HCAL for |eta| < 3 and
  (200 %, 10 %) both layers in HF; towers below 0.5 GeV after smearing are zero-suppressed.
* **jets**: CMS Phase-1 style. Seeds are towers above 4 GeV that are the maximum of their 9x9
  neighbourhood; the jet is the 9x9 sum around the seed (position = seed tower centre). Pile-up
  is the "chunky donut": of the four 9x3 strips bordering the window, the three lowest are summed
  (81 towers, the jet's own area) and subtracted. Jets above 10 GeV are kept, pT ordered.
* **calibration**: jets and sums use the towers after the hadron calibration look-up
  (:mod:`trigger.samples.response`); e/gamma, H/E and isolation use the raw towers.
* **HT** = scalar sum of jets with pT > 30 GeV, |eta| < 2.4; **MET** is ETMHF-like (|eta| < 5) with
  pile-up-dependent tower thresholds, CMS's "PUM": the pile-up estimate is the number of towers with
  raw ET > 0 in |eta| < 1.5 (``n_tt``); in its bin, a tower enters the vector sum (at its calibrated ET)
  only if its raw ET exceeds the threshold of its |eta| band (< 1.5, 1.5-3, > 3). The thresholds are
  the raw-ET values that pure pile-up towers exceed in 0.4 % of the band's towers
  (``benchmarks/derive_met_thresholds.py``), the occupancy at which the pile-up-dominated part of the
  MET spectrum (70-100 GeV) is within 2x of CMS's (``benchmarks/met_tail_study.py``, samples README).
* **e/gamma**: ECAL towers above 2 GeV that are the maximum of their 3x3 ECAL neighbourhood,
  |eta| < 2.5; ET = 3x3 ECAL sum; kept if H/E (3x3) < 0.25; ``relIso`` = (7x7 total ET - ET - PU)/ET
  and ``iso`` = 2-bit flag (2: relIso < 0.30 loose, 1: < 0.15 tight). PU = ``eg_iso_pu_per_ntt`` x
  n_tt is the mean pile-up ET in that region for the event's pile-up estimate (a linear look-up by
  tower count, as CMS's isolation LUT is indexed by nTT): 0.0205 GeV per tower, measured on
  pile-up-only crossings at mu 20-100 (0.0194-0.0210; 0.025 at mu 200).
"""

from __future__ import annotations

from dataclasses import dataclass

import awkward as ak
import numpy as np
import numpy.typing as npt

from trigger.samples.geometry import N_ETA, N_PHI, eta_centres, phi_centres

__all__ = ["CaloModel", "nonzero3", "patch"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def nonzero3(mask: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray, IntArray]:
    """``np.nonzero`` of an ``(n, N_ETA, N_PHI)`` mask, the same arrays in the same order: one search of the
    flat mask and two divmods (3x faster than numpy's n-dimensional nonzero on tower grids)."""
    n_eta, n_phi = mask.shape[1:]
    ev, rest = np.divmod(np.flatnonzero(mask), n_eta * n_phi)
    ie, ip = np.divmod(rest, n_phi)
    return ev, ie, ip


def patch(grid: FloatArray, ev: IntArray, ie: IntArray, ip: IntArray, deta: range, dphi: range) -> FloatArray:
    """Towers around each (ev, ie, ip) of a ``(n, N_ETA, N_PHI)`` grid: shape ``(n, len(deta), len(dphi))``.

    phi wraps around; towers beyond |eta| = 5 read as zero.
    """
    a = ie[:, None, None] + np.asarray(deta)[None, :, None]
    b = (ip[:, None, None] + np.asarray(dphi)[None, None, :]) % grid.shape[-1]
    inside = (a >= 0) & (a < grid.shape[-2])
    values = grid[ev[:, None, None], np.clip(a, 0, grid.shape[-2] - 1), b]
    return np.asarray(np.where(inside, values, 0.0))


def _is_local_max(window: FloatArray) -> npt.NDArray[np.bool_]:
    """Centre of each (n, h, w) window is its maximum; ties go to the lower (eta, phi) index."""
    _, h, w = window.shape
    centre = window[:, h // 2, w // 2][:, None, None]
    before = (np.arange(h)[:, None] * w + np.arange(w)[None, :]) < (h // 2) * w + w // 2
    ok = np.where(before[None], window < centre, window <= centre)
    return np.asarray(ok.all(axis=(1, 2)))


def _ragged(event: npt.NDArray[np.int64], n_events: int, values: dict[str, npt.NDArray[np.generic]]) -> ak.Array:
    counts = np.bincount(event, minlength=n_events)
    return ak.zip({k: ak.unflatten(v, counts) for k, v in values.items()})


@dataclass(frozen=True)
class CaloModel:
    """Detector response and L1 calorimeter algorithms; see the module docstring."""

    ecal_stochastic: float = 0.03
    ecal_constant: float = 0.005
    hcal_stochastic: float = 1.0
    hcal_constant: float = 0.05
    hf_stochastic: float = 2.0
    hf_constant: float = 0.10
    hf_eta: float = 3.0
    tower_threshold: float = 0.5
    jet_seed: float = 4.0
    jet_min_pt: float = 10.0
    ht_jet_pt: float = 30.0
    ht_jet_eta: float = 2.4
    eg_seed: float = 2.0
    eg_max_eta: float = 2.5
    eg_max_hoe: float = 0.25
    eg_loose_iso: float = 0.30  # relIso below this sets hardware iso bit 1 (value 2): "LooseIso" seeds
    eg_tight_iso: float = 0.15  # relIso below this sets bit 0 (value 1)
    eg_iso_pu_per_ntt: float = 0.0205  # GeV of pile-up in the 7x7-minus-cluster region per unit of n_tt
    # ETMHF pile-up mitigation: n_tt bin lower edges, and per bin the raw-ET thresholds (GeV) of the
    # |eta| bands below 1.5, 1.5-3 and above 3 (pile-up occupancy 0.4 % at mu 5 ... 200, see module docstring)
    met_pu_edges: tuple[int, ...] = (0, 43, 96, 165, 248, 350, 470, 609, 801, 1102)
    met_thresholds: tuple[tuple[float, float, float], ...] = (
        (1.10, 1.03, 0.92),
        (1.55, 1.42, 1.26),
        (2.04, 1.88, 1.68),
        (2.38, 2.20, 1.96),
        (2.75, 2.55, 2.28),
        (3.09, 2.87, 2.55),
        (3.44, 3.24, 2.89),
        (3.78, 3.58, 3.20),
        (4.36, 4.13, 3.71),
        (5.15, 4.91, 4.37),
    )
    met_band_edges: tuple[float, float] = (1.5, 3.0)
    ntt_max_eta: float = 1.5

    def smear(self, truth: FloatArray, rng: np.random.Generator) -> FloatArray:
        """Measured tower ET, shape ``(n, 2, N_ETA, N_PHI)``, from true ET of the same shape."""
        eta = eta_centres()
        cosh = np.cosh(eta)[None, None, :, None]
        hf = (np.abs(eta) > self.hf_eta)[None, None, :, None]
        a = np.where(
            hf,
            self.hf_stochastic,
            np.array([self.ecal_stochastic, self.hcal_stochastic])[None, :, None, None],
        )
        b = np.where(hf, self.hf_constant, np.array([self.ecal_constant, self.hcal_constant])[None, :, None, None])
        # per-cell a^2 / cosh(eta) and b^2, so that (sigma / ET)^2 = a2c / ET + b2
        a2c = (np.broadcast_to(a**2 / cosh, (1, 2, N_ETA, N_PHI))).reshape(-1)
        b2 = (np.broadcast_to(b**2, (1, 2, N_ETA, N_PHI))).reshape(-1)
        shape = truth.shape
        flat = truth.reshape(-1)
        hit = np.flatnonzero(flat != 0)  # the cells flatnonzero(flat) finds (NaN too), 7x faster on a bool mask
        cell = hit % a2c.size
        et = flat[hit].astype(np.float32)
        rel = np.sqrt(a2c.astype(np.float32)[cell] / et + b2.astype(np.float32)[cell])
        smeared = et * (np.float32(1.0) + rel * rng.standard_normal(hit.size, dtype=np.float32))
        smeared[smeared < self.tower_threshold] = 0.0
        measured = np.zeros(truth.size)
        measured[hit] = smeared
        return measured.reshape(shape)

    def jets(self, towers: FloatArray) -> ak.Array:
        """L1 jets ``{pt, eta, phi}`` per event from measured towers ``(n, 2, N_ETA, N_PHI)``."""
        total = towers.sum(axis=1)
        n = total.shape[0]
        ev, ie, ip = nonzero3(total > self.jet_seed)
        near = _is_local_max(patch(total, ev, ie, ip, range(-1, 2), range(-1, 2)))  # cheap pre-filter
        ev, ie, ip = ev[near], ie[near], ip[near]
        core = patch(total, ev, ie, ip, range(-4, 5), range(-4, 5))
        seed = _is_local_max(core)
        ev, ie, ip, core = ev[seed], ie[seed], ip[seed], core[seed]
        strips = np.stack(
            [
                patch(total, ev, ie, ip, range(-7, -4), range(-4, 5)).sum(axis=(1, 2)),
                patch(total, ev, ie, ip, range(5, 8), range(-4, 5)).sum(axis=(1, 2)),
                patch(total, ev, ie, ip, range(-4, 5), range(-7, -4)).sum(axis=(1, 2)),
                patch(total, ev, ie, ip, range(-4, 5), range(5, 8)).sum(axis=(1, 2)),
            ]
        )
        pileup = np.sort(strips, axis=0)[:3].sum(axis=0)
        pt = core.sum(axis=(1, 2)) - pileup
        keep = pt > self.jet_min_pt
        ev, ie, ip, pt = ev[keep], ie[keep], ip[keep], pt[keep]
        order = np.lexsort((-pt, ev))
        return _ragged(
            ev[order],
            n,
            {
                "pt": pt[order].astype(np.float32),
                "eta": eta_centres()[ie[order]].astype(np.float32),
                "phi": phi_centres()[ip[order]].astype(np.float32),
            },
        )

    def pileup_estimate(self, raw: FloatArray) -> IntArray:
        """``n_tt``: towers (both layers summed) with raw ET > 0 in |eta| < ``ntt_max_eta``, per event."""
        central = np.abs(eta_centres()) < self.ntt_max_eta
        return np.asarray((raw.sum(axis=1)[:, central] > 0).sum(axis=(1, 2)), dtype=np.int64)

    def met_threshold(self, n_tt: IntArray) -> FloatArray:
        """Raw-ET tower threshold per event and eta ring, ``(n, N_ETA)``, from the pile-up estimate."""
        pu_bin = np.searchsorted(np.asarray(self.met_pu_edges), n_tt, side="right") - 1
        band = np.digitize(np.abs(eta_centres()), np.asarray(self.met_band_edges))
        return np.asarray(np.asarray(self.met_thresholds)[pu_bin][:, band])

    def sums(self, raw: FloatArray, towers: FloatArray, jets: ak.Array) -> dict[str, FloatArray]:
        """``HT`` from jets; ``MET`` and ``METphi`` ETMHF-like from calibrated ``towers`` above the
        pile-up-dependent thresholds on their ``raw`` ET; ``ntt`` the pile-up estimate."""
        central = (jets.pt > self.ht_jet_pt) & (np.abs(jets.eta) < self.ht_jet_eta)
        ht = ak.to_numpy(ak.sum(jets.pt[central], axis=1)).astype(np.float64)
        n_tt = self.pileup_estimate(raw)
        keep = raw.sum(axis=1) > self.met_threshold(n_tt)[:, :, None]
        et_phi = np.where(keep, towers.sum(axis=1), 0.0).sum(axis=1)  # (n, N_PHI): ET per phi sector
        phi = phi_centres()
        mex = -(et_phi * np.cos(phi)).sum(axis=1)
        mey = -(et_phi * np.sin(phi)).sum(axis=1)
        return {"HT": ht, "MET": np.hypot(mex, mey), "METphi": np.arctan2(mey, mex), "ntt": n_tt.astype(np.float64)}

    def egammas(self, towers: FloatArray) -> ak.Array:
        """L1 e/gamma candidates ``{pt, eta, phi, iso, relIso}`` per event, pT ordered, from raw towers.

        ``relIso`` is the continuous ratio; ``iso`` the 2-bit hardware-like flag the menus cut on
        (2 = loose, 1 = tight, 3 = both), as CMS L1 e/gamma ``hwIso``.
        """
        em, had = towers[:, 0], towers[:, 1]
        n = em.shape[0]
        central = (np.abs(eta_centres()) < self.eg_max_eta)[None, :, None]
        ev, ie, ip = nonzero3((em > self.eg_seed) & central)
        em3 = patch(em, ev, ie, ip, range(-1, 2), range(-1, 2))
        seed = _is_local_max(em3)
        ev, ie, ip, em3 = ev[seed], ie[seed], ip[seed], em3[seed]
        et = em3.sum(axis=(1, 2))
        had3 = patch(had, ev, ie, ip, range(-1, 2), range(-1, 2)).sum(axis=(1, 2))
        tot7 = patch(em + had, ev, ie, ip, range(-3, 4), range(-3, 4)).sum(axis=(1, 2))
        keep = had3 < self.eg_max_hoe * et
        ev, ie, ip, et = ev[keep], ie[keep], ip[keep], et[keep]
        pileup = self.eg_iso_pu_per_ntt * self.pileup_estimate(towers)[ev]
        rel_iso = (tot7[keep] - et - pileup) / et
        iso_bits = 2 * (rel_iso < self.eg_loose_iso) + 1 * (rel_iso < self.eg_tight_iso)
        order = np.lexsort((-et, ev))
        return _ragged(
            ev[order],
            n,
            {
                "pt": et[order].astype(np.float32),
                "eta": eta_centres()[ie[order]].astype(np.float32),
                "phi": phi_centres()[ip[order]].astype(np.float32),
                "iso": iso_bits[order].astype(np.int32),
                "relIso": rel_iso[order].astype(np.float32),
            },
        )
