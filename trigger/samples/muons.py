"""Muon system model: propagation to four stations, station measurements, L1 muons.

Each muon (pT, eta, phi, charge) is stepped outwards in transverse radius r (5 cm steps) through
a 3.8 T solenoid (r < 2.95 m, |z| < 6.0 m), a -1.8 T return field in the barrel yoke
(2.95 < r < 7.4 m, |z| < 6.6 m) and a radial 1.8 T return field in the endcap yoke disks (v_z x B_r
bends a forward muon against the solenoid: S-shaped tracks); elsewhere beyond |z| = 6.0 m no
field. Energy loss (2.5 GeV through the calorimeters and coil, 11 MeV/cm of iron in the yoke,
radiative losses) and multiple scattering (Highland formula, 5 % of kicks 3x wider; the
calorimeters' 110 X0 spread over their depth, iron X0 = 1.76 cm) are applied per step; a muon
that runs out of momentum stops. Station k sits at r = min(R_k, Z_k / sinh|eta|) with barrel
radii R = 4.2, 5.0, 6.0, 7.1 m and endcap discs Z = 6.9, 8.3, 9.7, 10.6 m.

Per station: ``phi`` (hit position, sigma 0.25 mrad DT / 1 mrad CSC), ``theta`` (polar angle,
sigma 5 mrad), ``bend`` (track direction minus position phi, sigma 2 mrad), ``qual`` (hit layers
of 8, each layer 95 % efficient) and ``present`` (reached, chamber 97 % efficient, >= 4 layers).

An L1 muon needs >= 2 stations present, |eta| < 2.4 (and a 97 % track-finder efficiency). The
classic pT is read from scatter-free look-up tables of |phi_j - phi_i| versus pT in |eta| bins of
0.1, from the station pair that measures the curvature best for the muon's |eta| bin, station
pattern and pT range (a fixed-seed calibration gun with scattering ranks the pairs, as track
finders' tables come from simulated muons), cross-checked by the next-best pair (where it reads a
far lower pT, its reading is kept: an S-shaped track's bend can cross zero between two stations);
quantized to 0.5 GeV and capped at 255 GeV as in the uGMT.
Quality: 12 for >= 3 stations with station 1, 8 for >= 3 stations, 4 for 2. The L1 phi is the
first present station's phi minus the scatter-free bending for the assigned pT and charge.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["MuonSystem", "StationHits"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_STEP = 0.05  # m
_R_SOL, _Z_SOL, _B_SOL = 2.95, 6.0, 3.8
_R_YOKE, _Z_YOKE, _B_YOKE = 7.4, 6.6, -1.8
_R_STATION = np.array([4.2, 5.0, 6.0, 7.1])
_Z_STATION = np.array([6.9, 8.3, 9.7, 10.6])
_CALO_LOSS = 2.5  # GeV, calorimeters + coil
_CALO_X0 = 110.0
_IRON_LOSS = 1.1  # GeV per m of iron
_IRON_X0 = 0.0176  # m
# endcap yoke disks YE1-YE3 between the endcap stations (|z| in m): the return flux runs radially
# in them (out of the solenoid's end, towards the barrel yoke), so v_z x B_r bends a forward muon
# against the solenoid by 0.3 B_r dz / pT (S-shaped tracks)
_EC_DISKS = ((7.2, 7.8), (8.5, 9.1), (9.9, 10.4))
_R_EC, _B_EC = 7.0, 1.8
# the calorimeters' material, over which their multiple scattering is spread: barrel ECAL + HCAL
# (1.29 < r < 2.95 m, |z| < 3.0 m) and endcap ECAL + HCAL (3.15 < |z| < 5.7 m, r < 2.95 m)
_CALO_R_IN, _CALO_Z_EB, _CALO_Z_EE, _CALO_Z_OUT = 1.29, 3.0, 3.15, 5.7
_RAD_B = 2.8e-3  # radiative energy loss of muons in iron, -dE/dx = b E, per m (brems + pairs + photonuclear)
_RAD_VMIN = 1e-3  # smallest energy fraction of one radiation sampled (dN/dv ~ 1/v above it)
_MS_TAIL_PROB, _MS_TAIL_SCALE = 0.05, 3.0  # single hard scatters: 5 % of kicks 3x wider than Highland
_LUT_DETA = 0.1
_LUT_ETA_BINS = 25
_CAL_MUONS = 10_000  # calibration gun of the station pairs' measurement quality, per pT range
_CAL_PT = (5.0, 40.0, 400.0)  # its pT ranges (GeV)
# the next-best pair overrules the best where its pT is lower by this factor, per range (its own
# resolution, not a fake, makes it disagree more often at high pT)
_CHECK_FACTOR = (2.0, 4.0)
# station pairs for the classic pT (which one is read: MuonSystem._calibrate_pair_spread ranks them)
_PAIRS = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))


@dataclass(frozen=True)
class StationHits:
    """Station measurements, each array ``(n_muons, 4)``."""

    phi: FloatArray
    theta: FloatArray
    bend: FloatArray
    qual: IntArray
    present: npt.NDArray[np.bool_]


def _monotonic(table: FloatArray) -> FloatArray:
    """Keep the falling part of response-versus-pT tables (last axis): NaN below the peak
    (muons that barely reach the stations) and a running minimum above it."""
    filled = np.where(np.isfinite(table), table, -np.inf)
    peak = np.argmax(filled, axis=-1)
    idx = np.arange(table.shape[-1])
    above = idx >= peak[..., None]
    start = np.where(above & np.isfinite(table), table, np.inf)
    out = np.where(above, np.minimum.accumulate(start, axis=-1), np.nan)
    out[~np.isfinite(out)] = np.nan
    return np.asarray(out)


def _in_disks(z: FloatArray) -> npt.NDArray[np.bool_]:
    inside = np.zeros(z.shape, bool)
    for lo, hi in _EC_DISKS:
        inside |= (z >= lo) & (z <= hi)
    return inside


def _in_calo(r: npt.ArrayLike, z: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Inside the barrel or endcap calorimeters (r, |z| in m)."""
    r, z = np.asarray(r), np.asarray(z)
    barrel = (r > _CALO_R_IN) & (r <= _R_SOL) & (z <= _CALO_Z_EB)
    endcap = (r <= _R_SOL) & (z > _CALO_Z_EE) & (z <= _CALO_Z_OUT)
    return np.asarray(barrel | endcap)


def _mode(present: npt.NDArray[np.bool_]) -> IntArray:
    """Station pattern 0..15: bit k set when station k + 1 is present."""
    return np.asarray((present * (1 << np.arange(4))).sum(axis=1), dtype=np.int64)


def _spread(ratio: FloatArray) -> float:
    """68 % half-width of a response around 1 with its median's offset in quadrature (inf below 50)."""
    if ratio.size < 50:
        return float("inf")
    p16, p50, p84 = np.percentile(ratio, [16, 50, 84])
    return float(np.hypot((p84 - p16) / 2, p50 - 1.0))


def _wrap(phi: FloatArray) -> FloatArray:
    return np.asarray(np.mod(phi + np.pi, 2 * np.pi) - np.pi)


@dataclass(frozen=True)
class MuonSystem:
    """See the module docstring; every number of the model is a field here."""

    phi_res: float = 0.00025
    phi_res_endcap: float = 0.001  # CSC trigger primitives (half-strip precision), vs 0.25 mrad for the DT ones
    theta_res: float = 0.005
    bend_res: float = 0.002
    layer_eff: float = 0.95
    chamber_eff: float = 0.97
    min_layers: int = 4
    track_eff: float = 0.97
    max_eta: float = 2.4
    pt_lsb: float = 0.5
    pt_max: float = 255.0
    _lut: tuple[FloatArray, FloatArray, FloatArray] = field(init=False, repr=False, compare=False)
    _offset: FloatArray = field(init=False, repr=False, compare=False)
    _pair_sign: FloatArray = field(init=False, repr=False, compare=False)
    _pair_spread: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # scatter-free response versus pT in |eta| bins of 0.1: the classic pT look-up table
        pt = np.geomspace(1.5, 3000.0, 300)
        eta_bins = np.arange(_LUT_ETA_BINS) * _LUT_DETA + _LUT_DETA / 2
        pt_g, eta_g = np.meshgrid(pt, eta_bins)
        pos, dirn, _, _ = self._propagate(pt_g.ravel(), eta_g.ravel(), np.zeros(pt_g.size), np.ones(pt_g.size), None)
        shape = pt_g.shape
        # (eta bin, pT, station pair): |phi_j - phi_i| of a positive muon, and its sign at 100 GeV
        signed = np.stack([(pos[:, j] - pos[:, i]).reshape(shape) for i, j in _PAIRS], axis=-1)
        at_100 = np.searchsorted(pt, 100.0)
        object.__setattr__(self, "_pair_sign", np.sign(np.nan_to_num(signed[:, at_100, :])))
        dphi = np.moveaxis(_monotonic(np.moveaxis(np.abs(signed), 1, -1)), -1, 1)
        bend = np.abs(_wrap(dirn - pos)).reshape(*shape, 4)  # (eta bin, pT, station)
        bend = np.moveaxis(_monotonic(np.moveaxis(bend, 1, -1)), -1, 1)
        object.__setattr__(self, "_lut", (pt, dphi, bend))
        # position offset of a positive muon at each station: the vertex-extrapolation table
        object.__setattr__(self, "_offset", pos.reshape(*shape, 4))
        object.__setattr__(self, "_pair_spread", self._calibrate_pair_spread())

    def _propagate(
        self,
        pt: FloatArray,
        eta: FloatArray,
        phi: FloatArray,
        charge: FloatArray,
        rng: np.random.Generator | None,
    ) -> tuple[FloatArray, FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        """Position phi, direction phi, theta at each station and whether it was reached."""
        n = pt.size
        sinh = np.abs(np.sinh(eta))
        r_station = np.minimum(_R_STATION[None, :], _Z_STATION[None, :] / np.maximum(sinh, 1e-9)[:, None])
        p = pt * np.cosh(eta) - _CALO_LOSS
        theta = 2 * np.arctan(np.exp(-eta))
        pos = phi.astype(np.float64).copy()
        dirn = phi.astype(np.float64).copy()
        n_steps = int(np.ceil(_R_STATION[-1] / _STEP)) + 1
        r_grid = _STEP * np.arange(1, n_steps + 1)
        # the calorimeters' 110 X0 in equal shares over the steps inside them (their Highland angle
        # for the whole depth, variance split evenly): a kick at depth moves the track off the
        # radial line, so the stations see it (a kick at the vertex would only rotate the track)
        n_calo = np.maximum(_in_calo(r_grid[None, :], r_grid[None, :] * sinh[:, None]).sum(axis=1), 1)
        ms_calo = 0.0136 * np.sqrt(_CALO_X0) * (1 + 0.038 * np.log(_CALO_X0)) / np.sqrt(n_calo)
        alive = p > 0
        out_pos = np.full((n, 4), np.nan)
        out_dir = np.full((n, 4), np.nan)
        out_theta = np.full((n, 4), np.nan)
        reached = np.zeros((n, 4), bool)
        pt_now = np.maximum(p, 1e-3) / np.cosh(eta)
        r = 0.0
        for r_next in r_grid:
            z = r_next * sinh
            in_sol = (r_next <= _R_SOL) & (z <= _Z_SOL)
            in_yoke = (r_next > _R_SOL) & (r_next <= _R_YOKE) & (z <= _Z_YOKE)
            in_disk = (r_next <= _R_EC) & (z > _Z_YOKE) & _in_disks(z)
            b = np.where(in_sol, _B_SOL, np.where(in_yoke, _B_YOKE, 0.0))  # axial
            alpha = dirn - pos  # angle of the track to the radial direction
            ds = _STEP / np.maximum(np.cos(alpha), 0.05)
            # axial field: -q 0.3 B ds / pT; radial disk field: +q 0.3 B_r dz / pT, dz = ds sinh|eta|
            dirn = dirn - charge * 0.3 * (b - np.where(in_disk, _B_EC * sinh, 0.0)) * ds / pt_now
            pos = pos + np.tan(alpha) * _STEP / max(r_next, _STEP)
            if rng is not None:
                calo = _in_calo(r_next, z)
                ms = np.where(calo, ms_calo / (pt_now * np.cosh(eta)), 0.0)
                dirn = dirn + ms / np.sin(theta) * rng.standard_normal(n)
                theta = theta + ms * rng.standard_normal(n)
            iron = ds * np.cosh(eta) * ((in_yoke & (r_next > 3.9)) | in_disk)
            p_now = pt_now * np.cosh(eta) - _IRON_LOSS * iron
            if rng is not None:
                x0 = iron / _IRON_X0
                with np.errstate(divide="ignore", invalid="ignore"):
                    ms = np.where(
                        x0 > 0, 0.0136 / (pt_now * np.cosh(eta)) * np.sqrt(x0) * (1 + 0.038 * np.log(x0)), 0.0
                    )
                ms = ms * np.where(rng.random(n) < _MS_TAIL_PROB, _MS_TAIL_SCALE, 1.0)
                dirn = dirn + ms / np.sin(theta) * rng.standard_normal(n)  # azimuthal projection of the kick
                theta = theta + ms * rng.standard_normal(n)
                # radiative losses (one radiation at most per step): dN/dv = b L / v, v in [v_min, 1]
                radiates = rng.random(n) < _RAD_B * iron * np.log(1.0 / _RAD_VMIN)
                v = _RAD_VMIN ** rng.random(n)
                p_now = np.where(radiates, p_now * (1.0 - v), p_now)
            alive &= (p_now > 0) & (np.cos(alpha) > 0.2)  # stopped, or curling back inwards
            pt_now = np.maximum(p_now, 1e-3) / np.cosh(eta)
            crossing = (r < r_station) & (r_next >= r_station) & alive[:, None]
            out_pos[crossing] = np.broadcast_to(pos[:, None], (n, 4))[crossing]
            out_dir[crossing] = np.broadcast_to(dirn[:, None], (n, 4))[crossing]
            out_theta[crossing] = np.broadcast_to(theta[:, None], (n, 4))[crossing]
            reached |= crossing
            r = r_next
        return out_pos, out_dir, out_theta, reached

    def stations(
        self, pt: FloatArray, eta: FloatArray, phi: FloatArray, charge: FloatArray, rng: np.random.Generator
    ) -> StationHits:
        """Simulated station measurements of muons given at the vertex."""
        n = pt.size
        pos, dirn, theta, reached = self._propagate(pt, eta, phi, charge, rng)
        layers = rng.binomial(8, self.layer_eff, size=(n, 4))
        present = reached & (rng.random((n, 4)) < self.chamber_eff) & (layers >= self.min_layers)
        endcap = _Z_STATION[None, :] < _R_STATION[None, :] * np.abs(np.sinh(eta))[:, None]
        res = np.where(endcap, self.phi_res_endcap, self.phi_res)
        hit_phi = _wrap(pos + res * rng.standard_normal((n, 4)))
        hit_theta = theta + self.theta_res * rng.standard_normal((n, 4))
        bend = _wrap(dirn - pos) + self.bend_res * rng.standard_normal((n, 4))
        zero = ~present
        return StationHits(
            phi=np.where(zero, 0.0, hit_phi),
            theta=np.where(zero, 0.0, hit_theta),
            bend=np.where(zero, 0.0, bend),
            qual=np.where(zero, 0, layers).astype(np.int64),
            present=present,
        )

    def pair_curvatures(self, hits: StationHits, ibin: IntArray) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        """Signed curvature q / pT (1/GeV) read from each present station pair's |phi_j - phi_i|
        look-up table (0 where the pair is absent), and which pairs are present, ``(n_muons, 6)``."""
        pt_lut, dphi_lut, _ = self._lut
        n = hits.phi.shape[0]
        curv = np.zeros((n, len(_PAIRS)))
        present = np.zeros((n, len(_PAIRS)), bool)
        for k, (i, j) in enumerate(_PAIRS):
            both = hits.present[:, i] & hits.present[:, j]
            present[:, k] = both
            dphi = _wrap(hits.phi[:, j] - hits.phi[:, i])
            for b in np.unique(ibin[both]):
                use = both & (ibin == b)
                lut = dphi_lut[b, :, k]
                ok = np.isfinite(lut)
                if ok.sum() > 1:
                    pt = np.interp(np.abs(dphi[use]), lut[ok][::-1], pt_lut[ok][::-1])
                    curv[use, k] = np.sign(dphi[use]) * self._pair_sign[b, k] / pt
        return curv, present

    def _calibrate_pair_spread(self) -> FloatArray:
        """How well each station pair measures the curvature, per pT range of ``_CAL_PT``, |eta| bin
        and station pattern (the track finders' "mode": which stations are present, bit k for
        station k + 1), ``(range, eta bin, mode, pair)``: the 68 % half-width of q pT c around 1, its
        median's offset added in quadrature, over a fixed-seed gun (flat in 1/pT in each range,
        |eta| < 2.5), scattering and resolution included, as track finders' look-up tables are made
        from simulated muons. A mode seen fewer than 50 times takes the bin's all-mode figure;
        infinite where the pair is absent."""
        rng = np.random.default_rng(20261203)
        n = _CAL_MUONS
        spread = np.full((len(_CAL_PT) - 1, _LUT_ETA_BINS, 16, len(_PAIRS)), np.inf)
        for r, (lo, hi) in enumerate(itertools.pairwise(_CAL_PT)):
            pt = 1.0 / rng.uniform(1 / hi, 1 / lo, n)
            eta = rng.uniform(-_LUT_ETA_BINS * _LUT_DETA, _LUT_ETA_BINS * _LUT_DETA, n)
            q = rng.choice(np.array([-1.0, 1.0]), n)
            hits = self.stations(pt, eta, rng.uniform(-np.pi, np.pi, n), q, rng)
            ibin = self._eta_bin(hits)
            curv, present = self.pair_curvatures(hits, ibin)
            mode = _mode(hits.present)
            for b in range(_LUT_ETA_BINS):
                for k in range(len(_PAIRS)):
                    use = (ibin == b) & present[:, k]
                    inclusive = _spread(q[use] * pt[use] * curv[use, k])
                    for m in range(16):
                        in_mode = use & (mode == m)
                        if in_mode.any():
                            own = _spread(q[in_mode] * pt[in_mode] * curv[in_mode, k])
                            spread[r, b, m, k] = own if np.isfinite(own) else inclusive
        return spread

    def _eta_bin(self, hits: StationHits) -> IntArray:
        """|eta| bin of the look-up tables from the first present station's theta."""
        rows = np.arange(hits.phi.shape[0])
        theta = hits.theta[rows, np.argmax(hits.present, axis=1)]
        eta = np.abs(-np.log(np.tan(np.clip(theta, 1e-3, np.pi - 1e-3) / 2)))
        return np.asarray(np.clip((eta / _LUT_DETA).astype(np.int64), 0, _LUT_ETA_BINS - 1), dtype=np.int64)

    def _checked_pick(
        self, r: int, curv: FloatArray, present: npt.NDArray[np.bool_], ibin: IntArray, mode: IntArray
    ) -> FloatArray:
        """The curvature of each muon's best present pair by pT range ``r``'s ranking, cross-checked by the
        next-best pair: where that reads a far lower pT (``_CHECK_FACTOR``), the best pair's small bend is an
        accident (an S-shaped track's bend crossing zero between its stations) and the check's reading is kept."""
        rows = np.arange(curv.shape[0])
        key = np.where(present, self._pair_spread[r][ibin, mode], np.inf)
        best = np.argmin(key, axis=1)
        pick = curv[rows, best]
        key[rows, best] = np.inf
        check = curv[rows, np.argmin(key, axis=1)]
        odd = np.abs(check) > _CHECK_FACTOR[r] * np.abs(pick)
        return np.asarray(np.where(np.isfinite(key.min(axis=1)) & odd, check, pick))

    def classic_pt(self, hits: StationHits) -> tuple[FloatArray, IntArray]:
        """Classic pT (GeV, quantized) and charge from |phi_j - phi_i| of the best-measured present
        station pair (module docstring; the bend of the only station if just one is present),
        read through the |eta|-binned look-up tables."""
        pt_lut, _, bend_lut = self._lut
        n = hits.phi.shape[0]
        rows = np.arange(n)
        first = np.argmax(hits.present, axis=1)
        bend = hits.bend[rows, first]
        ibin = self._eta_bin(hits)
        curv, present = self.pair_curvatures(hits, ibin)
        # the best-measured present pair of this |eta| bin and station pattern, for the pT range the
        # low-pT ranking's reading falls in (two passes: a pair that measures 10 GeV best can lose
        # 150 GeV in its resolution)
        has_pair = present.any(axis=1)
        mode = _mode(hits.present)
        first_pass = self._checked_pick(0, curv, present, ibin, mode)
        chosen = first_pass
        for r in range(1, len(_CAL_PT) - 1):
            above = np.abs(first_pass) <= 1.0 / _CAL_PT[r]
            chosen = np.where(above, self._checked_pick(r, curv, present, ibin, mode), chosen)
        pt = np.where(has_pair, 1.0 / np.maximum(np.abs(chosen), 1e-6), 0.0)
        sign = np.where(has_pair, np.sign(chosen), 0.0)
        for b in np.unique(ibin):
            for st in range(4):
                use = (ibin == b) & ~has_pair & (first == st)
                lut = bend_lut[b, :, st]
                ok = np.isfinite(lut)
                if use.any() and ok.sum() > 1:
                    pt[use] = np.interp(np.abs(bend[use]), lut[ok][::-1], pt_lut[ok][::-1])
                    sign[use] = -np.sign(bend[use])
        pt = np.minimum(np.round(pt / self.pt_lsb) * self.pt_lsb, self.pt_max)
        charge = np.where(sign > 0, 1, -1).astype(np.int64)
        return pt, charge

    def vertex_phi(self, hits: StationHits, pt: FloatArray, charge: IntArray) -> FloatArray:
        """phi at the vertex: the first present station's phi minus the bending expected for the
        assigned pT and charge (the uGMT's extrapolation, from the same scatter-free tables)."""
        pt_lut = self._lut[0]
        n = hits.phi.shape[0]
        rows = np.arange(n)
        first = np.argmax(hits.present, axis=1)
        ibin = self._eta_bin(hits)
        offset = np.zeros(n)
        log_pt = np.log(np.maximum(pt, pt_lut[0]))
        for b in np.unique(ibin):
            for st in range(4):
                sel = (ibin == b) & (first == st)
                table = self._offset[b, :, st]
                ok = np.isfinite(table)
                if sel.any() and ok.sum() > 1:
                    offset[sel] = np.interp(log_pt[sel], np.log(pt_lut[ok]), table[ok])
        return _wrap(hits.phi[rows, first] - charge * offset)

    def quality(self, hits: StationHits) -> IntArray:
        n_st = hits.present.sum(axis=1)
        return np.where(n_st >= 3, np.where(hits.present[:, 0], 12, 8), np.where(n_st == 2, 4, 0)).astype(np.int64)

    def triggered(self, eta: FloatArray, hits: StationHits, rng: np.random.Generator) -> npt.NDArray[np.bool_]:
        """Which muons become L1 muons."""
        return np.asarray(
            (hits.present.sum(axis=1) >= 2) & (np.abs(eta) < self.max_eta) & (rng.random(eta.size) < self.track_eff)
        )
