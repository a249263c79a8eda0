"""Wide jets and the 16 substructure inputs of the hls4ml jet-tagging tutorial, computed once.

Jets: anti-kT R = 0.8 (FastJet) on the *trigger-level particles*: the hard event's stable particles
that reach the calorimeter in the detector model (:func:`~trigger.samples.geometry.calo_acceptance`:
no neutrinos, muons, LSPs; |eta| < 5; no charged particle curling up before the calorimeter face), at
their generator momenta (no smearing, no pile-up). :func:`wide_jets` keeps every such jet above 150 GeV
(``L1WideJet``, every Pythia sample); :func:`fatjets` keeps the labelled training jets (``FatJet``,
``boosted-*``): 800 < pT < 1200 GeV, |eta| < 2.4, a candidate of the sample's kind (the outgoing hard
quark or gluon, or the last copy of the W, Z, top) within Delta R < 0.8 and, for W, Z and top, all
its decay quarks (2, 2, 3) within Delta R < 0.8 of the jet axis; ``label`` 0..4 = q, g, W, Z, t.
The FatJet rows are selected from the L1WideJet rows (one clustering, one :func:`jet_features`): a
training jet and the same jet at trigger level carry the same 16 numbers.
Grooming: mMDT (soft drop, beta = 0, z_cut = 0.1, R0 = 0.8) through FastJet's contrib. On the groomed
constituents, with z_i = pT_i / sum pT and theta_ij = Delta R in (y, phi), the energy correlation functions

    e2^b = sum_{i<j} z_i z_j theta_ij^b,      e3^b = sum_{i<j<k} z_i z_j z_k (theta_ij theta_ik theta_jk)^b
    1e3^b = ... min(theta)^b,                 2e3^b = ... (product of the two smallest theta)^b

give C1 = e2, C2 = e3 / e2^2, D2 = e3 / e2^3, D2^(a,b) = e3^a / (e2^b)^(3a/b), M2 = 1e3 / e2,
N2 = 2e3 / e2^2. ``j_zlogz`` = sum z log z and ``j_multiplicity`` use the ungroomed constituents.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import awkward as ak
import numpy as np
import numpy.typing as npt

from trigger.names import JET_INPUTS
from trigger.samples.geometry import calo_acceptance
from trigger.samples.pythia import HardEvents, silenced_stdout

__all__ = [
    "FEATURES",
    "HLS4ML_CLASSES",
    "PT_WINDOW",
    "WIDEJET_MIN_PT",
    "ecf_features",
    "fatjets",
    "jet_features",
    "to_hls4ml_label",
    "wide_jets",
]

FEATURES = JET_INPUTS
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
PT_WINDOW = (800.0, 1200.0)  # FatJet pT, as the hls4ml jet data set (~1 TeV)
MAX_ABS_ETA = 2.4
MATCH_DR = 0.8
Z_CUT = 0.1
HLS4ML_CLASSES = ("g", "q", "w", "z", "t")  # the hls4ml jet data set's one-hot order j_g, j_q, j_w, j_z, j_t
_TO_HLS4ML = np.array([1, 0, 2, 3, 4])  # our label 0..4 = q, g, W, Z, t -> the hls4ml index
_BLOCK = 8192  # triplets per block: the temporaries stay in the L2 cache
_CACHED_TRIPLETS = 64  # index arrays of up to 64 constituents are kept: 22 MB in all
WIDEJET_MIN_PT = 150.0
R = 0.8


def _triplets(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Flat indices (i n + j, i n + k, j n + k) into an n x n matrix, and k, of all i < j < k < n."""
    return _triplets_cached(n) if n <= _CACHED_TRIPLETS else _triplet_indices(n)


@functools.cache
def _triplets_cached(
    n: int,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    return _triplet_indices(n)


def _triplet_indices(
    n: int,
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Flat indices (i n + j, i n + k, j n + k) into an n x n matrix, and k, of all i < j < k < n."""
    i, j = np.triu_indices(n, 1)
    reps = n - 1 - j
    ii, jj = np.repeat(i, reps), np.repeat(j, reps)
    kk = np.arange(ii.size) - np.repeat(np.cumsum(reps) - reps, reps) + jj + 1
    return ii * n + jj, ii * n + kk, jj * n + kk, kk


def ecf_features(pt: FloatArray, y: FloatArray, phi: FloatArray) -> dict[str, float]:
    """The 13 groomed ratios (not mass, multiplicity, zlogz) of one set of constituents.

    e3 with the full product uses sum_{i<j<k} = (1/6) sum_{i,j,k} (theta_ii = 0): a matrix product.
    """
    z = pt / pt.sum()
    dphi = np.abs(phi[:, None] - phi[None, :])
    dphi = np.minimum(dphi, 2 * np.pi - dphi)
    theta = np.hypot(y[:, None] - y[None, :], dphi)
    theta2 = theta * theta
    zz = z[:, None] * z[None, :]
    e2 = {1: 0.5 * float(np.vdot(zz, theta)), 2: 0.5 * float(np.vdot(zz, theta2)), 0: 0.5 * float(1.0 - z @ z)}
    e3 = {b: float(np.vdot(zz * a, (a * z[None, :]) @ a)) / 6.0 for b, a in ((1, theta), (2, theta2))}
    # min and min x middle over triplets, in cache-sized blocks (3x faster than whole arrays at n > 50)
    ij, ik, jk, k = _triplets(z.size)
    flat, zzf = theta.ravel(), zz.ravel()
    acc = np.zeros(4)
    for lo in range(0, ij.size, _BLOCK):
        t_ij, t_ik, t_jk = flat[ij[lo : lo + _BLOCK]], flat[ik[lo : lo + _BLOCK]], flat[jk[lo : lo + _BLOCK]]
        w = zzf[ij[lo : lo + _BLOCK]] * z[k[lo : lo + _BLOCK]]
        tmin = np.minimum(np.minimum(t_ij, t_ik), t_jk)
        two = tmin * (t_ij + t_ik + t_jk - tmin - np.maximum(np.maximum(t_ij, t_ik), t_jk))
        wmin, wtwo = w * tmin, w * two
        # (a * b).sum(), not a @ b: OpenBLAS threads long dot products, 100x slower on a busy machine
        acc += (wmin.sum(), (wmin * tmin).sum(), wtwo.sum(), (wtwo * two).sum())
    e3_1 = {1: float(acc[0]), 2: float(acc[1])}
    e3_2 = {1: float(acc[2]), 2: float(acc[3])}

    def ratio(a: float, b: float) -> float:
        return a / b if b > 0 else 0.0

    return {
        "j_c1_b0_mmdt": e2[0],
        "j_c1_b1_mmdt": e2[1],
        "j_c1_b2_mmdt": e2[2],
        "j_c2_b1_mmdt": ratio(e3[1], e2[1] ** 2),
        "j_c2_b2_mmdt": ratio(e3[2], e2[2] ** 2),
        "j_d2_b1_mmdt": ratio(e3[1], e2[1] ** 3),
        "j_d2_b2_mmdt": ratio(e3[2], e2[2] ** 3),
        "j_d2_a1_b1_mmdt": ratio(e3[1], e2[1] ** 3),
        "j_d2_a1_b2_mmdt": ratio(e3[1], e2[2] ** 1.5),
        "j_m2_b1_mmdt": ratio(e3_1[1], e2[1]),
        "j_m2_b2_mmdt": ratio(e3_1[2], e2[2]),
        "j_n2_b1_mmdt": ratio(e3_2[1], e2[1] ** 2),
        "j_n2_b2_mmdt": ratio(e3_2[2], e2[2] ** 2),
    }


@dataclass(frozen=True)
class _Jets:
    """Clustered jets in FastJet's order, flat: owner ``event``, kinematics, and the constituents'
    flat ``px, py, pz, e`` with jet ``k`` at ``bounds[k]:bounds[k + 1]``."""

    event: IntArray
    pt: FloatArray
    eta: FloatArray
    phi: FloatArray
    mass: FloatArray
    px: FloatArray
    py: FloatArray
    pz: FloatArray
    e: FloatArray
    bounds: IntArray


def _flat(a: ak.Array) -> FloatArray:
    return np.asarray(ak.to_numpy(ak.ravel(a)), np.float64)


def _cluster(hard: HardEvents, min_pt: float) -> _Jets:
    """anti-kT R = 0.8 jets above ``min_pt`` of the trigger-level particles of every event."""
    import fastjet

    sel = calo_acceptance(hard.pt, hard.eta, hard.pid, hard.charge)
    pt, eta, phi, m = hard.pt[sel], hard.eta[sel], hard.phi[sel], hard.mass[sel]
    counts = np.bincount(hard.event[sel], minlength=hard.n)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    four = {"px": px, "py": py, "pz": pz, "E": np.sqrt(px**2 + py**2 + pz**2 + m**2)}
    parts = ak.zip({k: ak.unflatten(v, counts) for k, v in four.items()})
    with silenced_stdout():  # FastJet's banner on first use
        cs = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, R))
        jets = cs.inclusive_jets(min_pt)
    consts = cs.constituents(min_pt)
    event = np.repeat(np.arange(hard.n), ak.to_numpy(ak.num(jets)))
    jpx, jpy, jpz, je = (_flat(jets[k]) for k in ("px", "py", "pz", "E"))
    jpt = np.hypot(jpx, jpy)
    n_const = ak.to_numpy(ak.ravel(ak.num(consts, axis=2)))
    cpx, cpy, cpz, ce = (_flat(consts[k]) for k in ("px", "py", "pz", "E"))
    return _Jets(
        event=event,
        pt=jpt,
        eta=np.arcsinh(jpz / np.maximum(jpt, 1e-12)),
        phi=np.arctan2(jpy, jpx),
        mass=np.sqrt(np.maximum(je**2 - jpx**2 - jpy**2 - jpz**2, 0.0)),
        px=cpx,
        py=cpy,
        pz=cpz,
        e=ce,
        bounds=np.concatenate([[0], np.cumsum(n_const)]).astype(np.int64),
    )


def _mmdt(px: FloatArray, py: FloatArray, pz: FloatArray, e: FloatArray) -> tuple[IntArray, float]:
    """mMDT (soft drop beta = 0, z_cut = 0.1) of one jet: indices of the kept constituents, groomed mass.

    C/A reclustering, then from the jet down the harder branch until min(pT1, pT2) / (pT1 + pT2) > z_cut,
    as FastJet contrib's SoftDrop in grooming mode (tested equal to it); 3-5x faster than its awkward wrapper.
    """
    import fastjet

    parts = []
    for i in range(px.size):
        p = fastjet.PseudoJet(float(px[i]), float(py[i]), float(pz[i]), float(e[i]))
        p.set_user_index(i)
        parts.append(p)
    cs = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0))
    jet = cs.exclusive_jets(1)[0]
    p1, p2 = fastjet.PseudoJet(), fastjet.PseudoJet()
    while jet.has_parents(p1, p2):
        a, b = p1.pt(), p2.pt()
        if min(a, b) / (a + b) > Z_CUT:
            break
        jet = p1 if a > b else p2
        p1, p2 = fastjet.PseudoJet(), fastjet.PseudoJet()
    kept = np.array([c.user_index() for c in jet.constituents()], np.int64)
    return kept, float(jet.m())


def jet_features(
    px: FloatArray, py: FloatArray, pz: FloatArray, e: FloatArray, bounds: IntArray
) -> dict[str, FloatArray]:
    """The 16 inputs of each jet; jet ``k`` has the constituents ``bounds[k]:bounds[k + 1]`` of the flat arrays."""
    n_jets = bounds.size - 1
    out = {k: np.zeros(n_jets) for k in FEATURES}
    if n_jets == 0:
        return out
    pt = np.hypot(px, py)
    y = 0.5 * np.log((e + pz) / np.maximum(e - pz, 1e-12))
    phi = np.arctan2(py, px)
    with silenced_stdout():  # FastJet's banner on first use
        for k in range(n_jets):
            lo, hi = bounds[k], bounds[k + 1]
            z = pt[lo:hi] / pt[lo:hi].sum()
            out["j_zlogz"][k] = float((z * np.log(z)).sum())
            out["j_multiplicity"][k] = float(hi - lo)
            kept, out["j_mass_mmdt"][k] = _mmdt(px[lo:hi], py[lo:hi], pz[lo:hi], e[lo:hi])
            kept += lo
            for name, value in ecf_features(pt[kept], y[kept], phi[kept]).items():
                out[name][k] = value
    return out


def wide_jets(hard: HardEvents, min_pt: float = WIDEJET_MIN_PT) -> ak.Array:
    """Every trigger-level wide jet above ``min_pt`` with pt, eta, phi, mass and the 16 inputs (``L1WideJet``),
    pT-ordered in each event."""
    jets = _cluster(hard, min_pt)
    fields = {"pt": jets.pt, "eta": jets.eta, "phi": jets.phi, "mass": jets.mass}
    fields.update(jet_features(jets.px, jets.py, jets.pz, jets.e, jets.bounds))
    order = np.lexsort((-jets.pt, jets.event))
    counts = np.bincount(jets.event, minlength=hard.n)
    return ak.zip({k: ak.unflatten(np.asarray(v[order], np.float32), counts) for k, v in fields.items()})


def to_hls4ml_label(label: npt.NDArray[np.integer]) -> IntArray:
    """Our ``FatJet_label`` (0..4 = q, g, W, Z, t) as the hls4ml data set's class index (g, q, W, Z, t)."""
    return np.asarray(_TO_HLS4ML[np.asarray(label)], np.int64)


def _dr(eta: FloatArray, phi: FloatArray, eta0: float, phi0: float) -> FloatArray:
    return np.asarray(np.hypot(eta - eta0, np.mod(phi - phi0 + np.pi, 2 * np.pi) - np.pi))


def _matched(hard: HardEvents, event: IntArray, eta: FloatArray, phi: FloatArray, prongs: int) -> npt.NDArray[np.bool_]:
    """A candidate within 0.8 whose ``prongs`` decay quarks (none for q, g) all lie within 0.8 of the axis."""
    keep = np.zeros(event.size, bool)
    for k in range(event.size):
        for c in np.flatnonzero(hard.cand_event == event[k]):
            if _dr(hard.cand_eta[c : c + 1], hard.cand_phi[c : c + 1], eta[k], phi[k])[0] >= MATCH_DR:
                continue
            mine = hard.prong_cand == c
            dr = _dr(hard.prong_eta[mine], hard.prong_phi[mine], eta[k], phi[k])
            if dr.size == prongs and np.all(dr < MATCH_DR):
                keep[k] = True
                break
    return keep


def fatjets(hard: HardEvents, wide: ak.Array, label: int, prongs: int = 0) -> ak.Array:
    """The labelled training jets (``FatJet``) among the events' wide jets ``wide`` (:func:`wide_jets`).

    The rows are those of ``wide``: a training jet and the same trigger-level jet carry the same numbers.
    """
    event = np.repeat(np.arange(len(wide)), ak.to_numpy(ak.num(wide)))
    flat = ak.flatten(wide)
    pt, eta, phi = (np.asarray(ak.to_numpy(flat[k]), np.float64) for k in ("pt", "eta", "phi"))
    keep = (pt > PT_WINDOW[0]) & (pt < PT_WINDOW[1]) & (np.abs(eta) < MAX_ABS_ETA)
    keep[keep] = _matched(hard, event[keep], eta[keep], phi[keep], prongs)
    counts = np.bincount(event[keep], minlength=len(wide))
    out = {k: ak.unflatten(flat[k][keep], counts) for k in ak.fields(wide)}
    out["label"] = ak.unflatten(np.full(int(keep.sum()), label, np.int32), counts)
    return ak.zip(out)
