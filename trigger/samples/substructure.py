"""Boosted jets and the 16 substructure inputs of the hls4ml jet-tagging tutorial.

Jets: anti-kT R = 0.8 (FastJet) on the hard event's visible final-state particles, 500 < pT <
1000 GeV, |eta| < 2.4, kept if a candidate of the sample's kind (light quark, gluon, W, Z, top;
the outgoing hard parton or the last copy of the boson/top) lies within Delta R < 0.8; ``label``
0..4 = q, g, W, Z, t. Grooming: mMDT (soft drop, beta = 0, z_cut = 0.1, R0 = 0.8) through
FastJet's contrib. On the groomed constituents, with z_i = pT_i / sum pT and theta_ij = Delta R
in (y, phi), the energy correlation functions

    e2^b = sum_{i<j} z_i z_j theta_ij^b,      e3^b = sum_{i<j<k} z_i z_j z_k (theta_ij theta_ik theta_jk)^b
    1e3^b = ... min(theta)^b,                 2e3^b = ... (product of the two smallest theta)^b

give C1 = e2, C2 = e3 / e2^2, D2 = e3 / e2^3, D2^(a,b) = e3^a / (e2^b)^(3a/b), M2 = 1e3 / e2,
N2 = 2e3 / e2^2. ``j_zlogz`` = sum z log z and ``j_multiplicity`` use the ungroomed constituents.
"""

from __future__ import annotations

import functools

import awkward as ak
import numpy as np
import numpy.typing as npt

from trigger.samples.pythia import HardEvents, silenced_stdout

__all__ = ["FEATURES", "ecf_features", "fatjets"]

FEATURES = (
    "j_zlogz",
    "j_c1_b0_mmdt",
    "j_c1_b1_mmdt",
    "j_c1_b2_mmdt",
    "j_c2_b1_mmdt",
    "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",
    "j_d2_b2_mmdt",
    "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt",
    "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",
    "j_n2_b2_mmdt",
    "j_mass_mmdt",
    "j_multiplicity",
)
FloatArray = npt.NDArray[np.float64]
_NEUTRINOS = (12, 14, 16)
PT_WINDOW = (500.0, 1000.0)


@functools.lru_cache(maxsize=256)
def _triplets(n: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Index arrays of all i < j < k < n."""
    i, j = np.triu_indices(n, 1)
    reps = n - 1 - j
    ii, jj = np.repeat(i, reps), np.repeat(j, reps)
    kk = np.arange(ii.size) - np.repeat(np.cumsum(reps) - reps, reps) + jj + 1
    return ii, jj, kk


def ecf_features(pt: FloatArray, y: FloatArray, phi: FloatArray) -> dict[str, float]:
    """The 13 groomed ratios (not mass, multiplicity, zlogz) of one set of constituents."""
    z = pt / pt.sum()
    dphi = np.abs(phi[:, None] - phi[None, :])
    dphi = np.minimum(dphi, 2 * np.pi - dphi)
    theta = np.hypot(y[:, None] - y[None, :], dphi)
    zz = z[:, None] * z[None, :]
    e2 = {b: 0.5 * float((zz * theta**b).sum()) for b in (1, 2)}
    e2[0] = 0.5 * float(1.0 - (z**2).sum())
    i, j, k = _triplets(z.size)
    t_ij, t_ik, t_jk = theta[i, j], theta[i, k], theta[j, k]
    w = z[i] * z[j] * z[k]
    prod = t_ij * t_ik * t_jk
    tmin = np.minimum(np.minimum(t_ij, t_ik), t_jk)
    tmax = np.maximum(np.maximum(t_ij, t_ik), t_jk)
    two = np.divide(prod, tmax, out=np.zeros_like(prod), where=tmax > 0)
    e3 = {b: float((w * prod**b).sum()) for b in (1, 2)}
    e3_1 = {b: float((w * tmin**b).sum()) for b in (1, 2)}
    e3_2 = {b: float((w * two**b).sum()) for b in (1, 2)}

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


def _four(pt: FloatArray, eta: FloatArray, phi: FloatArray, m: FloatArray) -> dict[str, FloatArray]:
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return {"px": px, "py": py, "pz": pz, "E": np.sqrt(px**2 + py**2 + pz**2 + m**2)}


def _kin(j: ak.Array) -> tuple[ak.Array, ak.Array, ak.Array, ak.Array]:
    pt = np.hypot(j.px, j.py)
    y = 0.5 * np.log((j.E + j.pz) / np.maximum(j.E - j.pz, 1e-12))
    return pt, np.arcsinh(j.pz / np.maximum(pt, 1e-12)), np.arctan2(j.py, j.px), y


def fatjets(hard: HardEvents, label: int) -> ak.Array:
    """Labelled large-R jets with the 16 features, per event (most events have 0-2)."""
    import fastjet

    vis = ~np.isin(np.abs(hard.pid), _NEUTRINOS)
    counts = np.bincount(hard.event[vis], minlength=hard.n)
    four = _four(hard.pt[vis], hard.eta[vis], hard.phi[vis], hard.mass[vis])
    parts = ak.zip({k: ak.unflatten(v, counts) for k, v in four.items()})
    with silenced_stdout():  # FastJet's banner on first use
        cs = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, 0.8))
        jets = cs.inclusive_jets(PT_WINDOW[0])
    consts = cs.constituents(PT_WINDOW[0])
    jpt, jeta, jphi, _ = _kin(jets)
    rows: dict[str, list[float]] = {k: [] for k in ("pt", "eta", "phi", *FEATURES)}
    owner: list[int] = []
    groom_in = []
    for ev in range(hard.n):
        cand = hard.cand_event == ev
        for k in range(len(jpt[ev])):
            pt_k, eta_k, phi_k = float(jpt[ev][k]), float(jeta[ev][k]), float(jphi[ev][k])
            if not (PT_WINDOW[0] < pt_k < PT_WINDOW[1] and abs(eta_k) < 2.4):
                continue
            dphi = np.mod(hard.cand_phi[cand] - phi_k + np.pi, 2 * np.pi) - np.pi
            if not np.any(np.hypot(hard.cand_eta[cand] - eta_k, dphi) < 0.8):
                continue
            owner.append(ev)
            rows["pt"].append(pt_k)
            rows["eta"].append(eta_k)
            rows["phi"].append(phi_k)
            c = consts[ev][k]
            cpt = np.asarray(np.hypot(c.px, c.py))
            z = cpt / cpt.sum()
            rows["j_zlogz"].append(float((z * np.log(z)).sum()))
            rows["j_multiplicity"].append(float(len(c)))
            groom_in.append(c)
    n_jets = len(owner)
    if n_jets:
        groomer = fastjet.ClusterSequence(ak.Array(groom_in), fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0))
        sd = groomer.exclusive_jets_softdrop_grooming(njets=1, beta=0.0, symmetry_cut=0.1, R0=0.8)
        for i in range(n_jets):
            gc = sd.constituents[i]
            gpt, _, gphi, gy = _kin(gc)
            feats = ecf_features(np.asarray(gpt, float), np.asarray(gy, float), np.asarray(gphi, float))
            for name, value in feats.items():
                rows[name].append(value)
            rows["j_mass_mmdt"].append(float(sd.msoftdrop[i]))
    ev_arr = np.asarray(owner, np.int64)
    n_per = np.bincount(ev_arr, minlength=hard.n)
    fields = {k: ak.unflatten(np.asarray(v, np.float32), n_per) for k, v in rows.items()}
    fields["label"] = ak.unflatten(np.full(n_jets, label, np.int32), n_per)
    return ak.zip(fields)
