"""From generated particles (+ pile-up) to the branches of one chunk of the output file.

:func:`build_branches` runs the detector model: tower deposits of the hard event plus the
overlaid pool entries, smearing, L1 jets / sums / e-gamma, the muon system, and the generator
truth (GenMu, anti-kT R = 0.4 GenJet from the hard event's visible particles) and the trigger-level
wide jets with their 16 substructure inputs (``L1WideJet``, :func:`~trigger.samples.substructure.wide_jets`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import awkward as ak
import numpy as np
import numpy.typing as npt

from trigger.samples.calo import CaloModel
from trigger.samples.geometry import Deposits, deposit
from trigger.samples.muon_sources import MuonSources, Sourced, candidates, heavy_candidates
from trigger.samples.muons import MuonSystem
from trigger.samples.pileup import MUON_MIN_PT, MinBiasPool
from trigger.samples.pythia import HardEvents, silenced_stdout
from trigger.samples.response import HadronResponse
from trigger.samples.substructure import FEATURES, wide_jets

__all__ = ["SOURCE_FACTOR", "Detector", "build_branches", "genjets", "ragged"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Branches = dict[str, object]
GENJET_MIN_PT = 20.0
SOURCE_FACTOR = "_source_factor"
CALO_BATCH = 50
_NEUTRINOS = (12, 14, 16)


@dataclass(frozen=True)
class Detector:
    """The whole detector model: hadron response and calibration, calorimeter, muon system."""

    calo: CaloModel = field(default_factory=CaloModel)
    response: HadronResponse = field(default_factory=HadronResponse)
    sources: MuonSources = field(default_factory=MuonSources)
    muons: MuonSystem = field(default_factory=MuonSystem)


def ragged(
    event: IntArray, n: int, fields: dict[str, npt.NDArray[np.generic]], order: IntArray | None = None
) -> ak.Array:
    """Flat per-object arrays (owner ``event``) as an awkward record array of ``n`` events."""
    if order is None:
        order = np.argsort(event, kind="stable")
    counts = np.bincount(event, minlength=n)
    return ak.zip({k: ak.unflatten(np.asarray(v)[order], counts) for k, v in fields.items()})


def genjets(hard: HardEvents) -> ak.Array:
    """anti-kT R = 0.4 jets (pT > 20 GeV) of each event's visible final-state particles."""
    import fastjet

    vis = ~np.isin(np.abs(hard.pid), _NEUTRINOS)
    pt, eta, phi, m = hard.pt[vis], hard.eta[vis], hard.phi[vis], hard.mass[vis]
    counts = np.bincount(hard.event[vis], minlength=hard.n)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    e = np.sqrt(px**2 + py**2 + pz**2 + m**2)
    parts = ak.zip({k: ak.unflatten(v, counts) for k, v in {"px": px, "py": py, "pz": pz, "E": e}.items()})
    with silenced_stdout():  # FastJet's banner on first use
        cs = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4))
        jets = cs.inclusive_jets(GENJET_MIN_PT)
    jpt = np.hypot(jets.px, jets.py)
    order = ak.argsort(jpt, axis=1, ascending=False)
    jets, jpt = jets[order], jpt[order]
    return ak.zip(
        {
            "pt": ak.values_astype(jpt, np.float32),
            "eta": ak.values_astype(np.arcsinh(jets.pz / jpt), np.float32),
            "phi": ak.values_astype(np.arctan2(jets.py, jets.px), np.float32),
        }
    )


def build_branches(
    n: int,
    hard: HardEvents | None,
    gun: dict[str, FloatArray] | None,
    pool: MinBiasPool | None,
    mu: float,
    rng: np.random.Generator,
    detector: Detector,
    max_pthat: float | None = None,
    source_mode: str = "physical",
    mix: tuple[float, float, float] | None = None,
) -> Branches:
    """All output branches except ``weight``, ``run`` and ``event`` for ``n`` crossings, and
    ``SOURCE_FACTOR``: the per-crossing weight factor of the muon sources (``source_mode``, see
    :mod:`trigger.samples.muon_sources`; ``mix``: the stratum's normal, forced and forced-two crossings), which the
    caller multiplies into the weight and removes."""
    hard_deposits = Deposits.empty()
    had_parts: list[dict[str, npt.NDArray[np.generic]]] = []
    mu_event: list[IntArray] = [np.zeros(0, np.int64)]
    mu_vals: dict[str, list[FloatArray]] = {k: [np.zeros(0)] for k in ("pt", "eta", "phi", "charge", "gen")}
    gen_fields: dict[str, FloatArray] | None = None
    if hard is not None:
        hard_deposits = deposit(hard.event, hard.pt, hard.eta, hard.phi, hard.pid, hard.charge)
        is_mu = np.abs(hard.pid) == 13
        gen_event = hard.event[is_mu]
        gen_fields = {
            "pt": hard.pt[is_mu],
            "eta": hard.eta[is_mu],
            "phi": hard.phi[is_mu],
            "charge": hard.charge[is_mu],
        }
        sel = candidates(hard.pid, hard.pt, hard.eta)
        had_parts.append({k: getattr(hard, k)[sel] for k in ("event", "pid", "pt", "eta", "phi", "charge")})
        hf = heavy_candidates(hard.hf_pid, hard.hf_pt, hard.hf_eta)
        had_parts.append(
            {
                **{k: getattr(hard, f"hf_{k}")[hf] for k in ("event", "pid", "pt", "eta", "phi")},
                "charge": np.zeros(int(hf.sum())),
            }
        )
        # heavy-flavour muons reach the muon system through the sources (muon_sources.py), not twice
        to_system = ~hard.from_hf[is_mu]
    if gun is not None:
        gen_event = np.arange(n)
        gen_fields = gun
        to_system = np.ones(n, bool)
    if gen_fields is not None:
        sel = (gen_fields["pt"] > MUON_MIN_PT) & (np.abs(gen_fields["eta"]) < 2.5) & to_system
        mu_event.append(gen_event[sel])
        for k in ("pt", "eta", "phi", "charge"):
            mu_vals[k].append(gen_fields[k][sel])
        mu_vals["gen"].append(gen_fields["pt"][sel])
    # calorimeter in sub-batches of crossings: the overlaid deposits then stay in the CPU caches
    n_pu_parts, jets_parts, eg_parts, sum_parts = [], [], [], []
    present_event: list[IntArray] = [np.zeros(0, np.int64)]  # pool muons above the source cut (forced mode)
    present_index: list[IntArray] = [np.zeros(0, np.int64)]
    order = np.argsort(hard_deposits.event, kind="stable")
    hard_deposits = Deposits(hard_deposits.event[order], hard_deposits.cell[order], hard_deposits.et[order])
    for lo in range(0, n, CALO_BATCH):
        hi = min(n, lo + CALO_BATCH)
        a, b = np.searchsorted(hard_deposits.event, [lo, hi])
        events, cells, ets = (
            [hard_deposits.event[a:b] - lo],
            [hard_deposits.cell[a:b]],
            [hard_deposits.et[a:b]],
        )
        n_pu = np.zeros(hi - lo, np.int64)
        if pool is not None and mu > 0:
            n_pu, pu_deposits, pu_muons, pu_hadrons = pool.overlay(hi - lo, mu, rng, max_pthat)
            had_parts.append({**pu_hadrons, "event": np.asarray(pu_hadrons["event"], np.int64) + lo})
            events.append(pu_deposits.event)
            cells.append(pu_deposits.cell)
            ets.append(pu_deposits.et)
            pu_pt = np.asarray(pu_muons["pt"], np.float64)
            low = (source_mode != "normal") | (pu_pt <= detector.sources.cut)  # normal: none above the cut
            high = pu_pt > detector.sources.cut
            present_event.append(np.asarray(pu_muons["event"], np.int64)[high] + lo)
            present_index.append(np.asarray(pu_muons["index"], np.int64)[high])
            mu_event.append(np.asarray(pu_muons["event"], np.int64)[low] + lo)
            for k in ("pt", "eta", "phi", "charge"):
                mu_vals[k].append(np.asarray(pu_muons[k], np.float64)[low])
            mu_vals["gen"].append(np.full(int(low.sum()), -1.0))
        cell = np.concatenate(cells)
        visible = detector.response.apply(cell, np.concatenate(ets), rng)  # per particle: e/pi, below one
        raw = detector.calo.smear(Deposits(np.concatenate(events), cell, visible).dense(hi - lo), rng)
        towers = detector.response.calibrate(raw)
        jets = detector.calo.jets(towers)
        n_pu_parts.append(n_pu)
        jets_parts.append(jets)
        eg_parts.append(detector.calo.egammas(raw))
        sum_parts.append(detector.calo.sums(raw, towers, jets))
    out: Branches = {
        "nPileup": np.concatenate(n_pu_parts).astype(np.int32),
        "pthat": (hard.pthat if hard is not None else np.zeros(n)).astype(np.float32),
        "L1Jet": ak.concatenate(jets_parts),
        "L1EG": ak.concatenate(eg_parts),
    }
    for name in ("HT", "MET", "METphi"):
        out[f"L1EtSum_{name}"] = np.concatenate([s[name] for s in sum_parts]).astype(np.float32)
    prompt = None
    if pool is not None and mu > 0 and source_mode != "physical":  # zero-bias: pool muons above the cut are sources
        prompt, n_allowed = pool.prompt_muons(detector.sources.cut, max_pthat)
        prompt["lam"] = np.full(prompt["pt"].size, mu / max(n_allowed, 1))
    present = None
    if prompt is not None and source_mode in ("forced", "forced2"):  # which of the prompt list each present one is
        present = (np.concatenate(present_event), np.searchsorted(prompt["index"], np.concatenate(present_index)))
    src = _sourced_muons(n, had_parts, detector.sources, source_mode, rng, prompt, present, mix)
    mu_event.append(src.event)
    for k in ("pt", "eta", "phi", "charge"):
        mu_vals[k].append(getattr(src, k))
    mu_vals["gen"].append(np.full(src.event.size, -1.0))
    out[SOURCE_FACTOR] = src.factor
    out["L1Mu"] = _l1_muons(
        n, np.concatenate(mu_event), {k: np.concatenate(v) for k, v in mu_vals.items()}, rng, detector.muons
    )
    if gen_fields is not None:
        out["GenMu"] = ragged(
            gen_event,
            n,
            {k: (v.astype(np.int32) if k == "charge" else v.astype(np.float32)) for k, v in gen_fields.items()},
        )
    else:
        out["GenMu"] = ragged(
            np.zeros(0, np.int64),
            n,
            {
                "pt": np.zeros(0, np.float32),
                "eta": np.zeros(0, np.float32),
                "phi": np.zeros(0, np.float32),
                "charge": np.zeros(0, np.int32),
            },
        )
    if hard is not None:
        out["GenJet"] = genjets(hard)
        out["L1WideJet"] = wide_jets(hard)
    else:
        out["GenJet"] = ragged(np.zeros(0, np.int64), n, {k: np.zeros(0, np.float32) for k in ("pt", "eta", "phi")})
        fields = ("pt", "eta", "phi", "mass", *FEATURES)
        out["L1WideJet"] = ragged(np.zeros(0, np.int64), n, {k: np.zeros(0, np.float32) for k in fields})
    return out


def _sourced_muons(
    n: int,
    parts: list[dict[str, npt.NDArray[np.generic]]],
    sources: MuonSources,
    mode: str,
    rng: np.random.Generator,
    prompt: dict[str, FloatArray] | None,
    present: tuple[IntArray, IntArray] | None,
    mix: tuple[float, float, float] | None = None,
) -> Sourced:
    keys = ("event", "pid", "pt", "eta", "phi", "charge")
    flat = {k: np.concatenate([np.zeros(0)] + [np.asarray(p[k]) for p in parts]) for k in keys}
    return sources.sample(
        n,
        flat["event"].astype(np.int64),
        flat["pid"].astype(np.int64),
        flat["pt"].astype(np.float64),
        flat["eta"].astype(np.float64),
        flat["phi"].astype(np.float64),
        flat["charge"].astype(np.float64),
        mode,
        rng,
        prompt,
        present,
        mix,
    )


def _l1_muons(
    n: int, event: IntArray, vals: dict[str, FloatArray], rng: np.random.Generator, system: MuonSystem
) -> ak.Array:
    hits = system.stations(vals["pt"], vals["eta"], vals["phi"], vals["charge"], rng)
    keep = system.triggered(vals["eta"], hits, rng)
    pt, charge = system.classic_pt(hits)
    qual = system.quality(hits)
    first = np.argmax(hits.present, axis=1)
    rows = np.arange(first.size)
    theta = hits.theta[rows, first]
    eta = -np.log(np.tan(np.clip(theta, 1e-3, np.pi - 1e-3) / 2))
    phi = system.vertex_phi(hits, pt, charge)
    fields: dict[str, npt.NDArray[np.generic]] = {
        "pt": pt.astype(np.float32),
        "eta": (np.round(eta / 0.010875) * 0.010875).astype(np.float32),
        "phi": (np.round(phi / (2 * np.pi / 576)) * (2 * np.pi / 576)).astype(np.float32),
        "charge": charge.astype(np.int32),
        "qual": qual.astype(np.int32),
        "bx": np.zeros(pt.size, np.int32),
    }
    for s in range(4):
        fields[f"st{s + 1}_phi"] = hits.phi[:, s].astype(np.float32)
        fields[f"st{s + 1}_theta"] = hits.theta[:, s].astype(np.float32)
        fields[f"st{s + 1}_bend"] = hits.bend[:, s].astype(np.float32)
        fields[f"st{s + 1}_qual"] = hits.qual[:, s].astype(np.int32)
        fields[f"st{s + 1}_present"] = hits.present[:, s].astype(np.int32)
    fields["genPt"] = vals["gen"].astype(np.float32)
    ev = event[keep]
    fields = {k: v[keep] for k, v in fields.items()}
    order = np.lexsort((-pt[keep], ev))
    return ragged(ev, n, fields, order)
