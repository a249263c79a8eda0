"""Wide jets: trigger-level particles, hand-worked kinematics and grooming, truth matching with containment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trigger.samples.pythia import HardEvents


def _events(particles: list[tuple[float, float, float, int, float]], **truth: np.ndarray) -> HardEvents:
    pt, eta, phi, pid, charge = (np.array(c) for c in zip(*particles, strict=True))
    empty = {
        "cand_event": np.zeros(0, np.int64),
        "cand_pid": np.zeros(0, np.int64),
        "cand_pt": np.zeros(0),
        "cand_eta": np.zeros(0),
        "cand_phi": np.zeros(0),
        "prong_cand": np.zeros(0, np.int64),
        "prong_eta": np.zeros(0),
        "prong_phi": np.zeros(0),
        "from_hf": np.zeros(pt.size, bool),
        "hf_event": np.zeros(0, np.int64),
        "hf_pid": np.zeros(0, np.int64),
        "hf_pt": np.zeros(0),
        "hf_eta": np.zeros(0),
        "hf_phi": np.zeros(0),
    }
    empty.update(truth)
    return HardEvents(
        n=1,
        event=np.zeros(pt.size, np.int64),
        pt=pt.astype(float),
        eta=eta.astype(float),
        phi=phi.astype(float),
        mass=np.zeros(pt.size),
        pid=pid.astype(np.int64),
        charge=charge.astype(float),
        pthat=np.array([200.0]),
        **empty,
    )


def test_wide_jet_of_three_photons_by_hand() -> None:
    from trigger.samples.substructure import wide_jets

    hard = _events(
        [
            (100.0, 0.0, 0.0, 22, 0.0),
            (80.0, 0.1, 0.0, 22, 0.0),
            (15.0, 0.5, 0.0, 22, 0.0),  # soft, wide: removed by mMDT (z = 15 / 195 < 0.1)
            (50.0, 0.05, 0.05, 13, -1.0),  # muon: no calorimeter deposit
            (50.0, -0.05, 0.0, 12, 0.0),  # neutrino
            (0.3, 0.0, 0.1, 211, 1.0),  # curls up in 3.8 T before the calorimeter (r / 2 rho = 2.4)
        ]
    )
    jet = wide_jets(hard)[0]
    assert len(jet) == 1
    pt = np.array([100.0, 80.0, 15.0])
    eta = np.array([0.0, 0.1, 0.5])
    px, pz = pt, pt * np.sinh(eta)
    e = np.hypot(px, pz)
    assert float(jet.pt[0]) == pytest.approx(195.0, rel=1e-6)
    assert float(jet.mass[0]) == pytest.approx(np.sqrt(e.sum() ** 2 - px.sum() ** 2 - pz.sum() ** 2), rel=1e-5)
    assert float(jet.j_multiplicity[0]) == 3.0
    z = pt / pt.sum()
    assert float(jet.j_zlogz[0]) == pytest.approx(float((z * np.log(z)).sum()), rel=1e-6)
    m12 = np.sqrt(2 * 100.0 * 80.0 * (np.cosh(0.1) - 1.0))  # the two hard photons survive grooming
    assert float(jet.j_mass_mmdt[0]) == pytest.approx(m12, rel=1e-5)
    # groomed C1(beta = 1) = z1 z2 theta12 on the two survivors (theta in rapidity = eta for photons)
    assert float(jet.j_c1_b1_mmdt[0]) == pytest.approx(100 * 80 / 180.0**2 * 0.1, rel=1e-5)


@pytest.mark.parametrize(
    ("prong_eta", "prongs", "cand_eta", "kept"),
    [
        ([0.1, -0.1], 2, 0.0, True),
        ([0.1, 0.9], 2, 0.0, False),  # one decay quark outside the jet
        ([0.1, -0.1], 3, 0.0, False),  # top needs three
        ([0.1, -0.1], 2, 0.85, False),  # the boson itself too far
        ([], 0, 0.3, True),  # q / g: the parton within 0.8 is enough
    ],
)
def test_truth_matching_requires_contained_decay_quarks(
    prong_eta: list[float], prongs: int, cand_eta: float, kept: bool
) -> None:
    from trigger.samples.substructure import _matched

    hard = _events(
        [(1.0, 0.0, 0.0, 22, 0.0)],
        cand_event=np.array([0]),
        cand_pid=np.array([24]),
        cand_pt=np.array([1000.0]),
        cand_eta=np.array([cand_eta]),
        cand_phi=np.array([0.0]),
        prong_cand=np.zeros(len(prong_eta), np.int64),
        prong_eta=np.array(prong_eta, float),
        prong_phi=np.zeros(len(prong_eta)),
    )
    got = _matched(hard, np.array([0]), np.array([0.0]), np.array([0.0]), prongs)
    assert got.tolist() == [kept]


@pytest.mark.parametrize(("process", "n_prongs", "mass"), [("boosted-w", 2, 80.4), ("boosted-t", 3, 172.5)])
def test_decay_quarks_of_w_and_top(process: str, n_prongs: int, mass: float) -> None:
    from trigger.samples.processes import PROCESSES
    from trigger.samples.pythia import Generator

    proc = PROCESSES[process]
    settings = proc.settings + (proc.mass_scan.settings(2000.0) if proc.mass_scan else ())
    ev = Generator(settings, seed=2, match_ids=proc.fatjet_match).generate(20)
    assert np.bincount(ev.prong_cand, minlength=ev.cand_event.size).tolist() == [n_prongs] * ev.cand_event.size
    c = ev.prong_cand
    dphi = np.mod(ev.prong_phi - ev.cand_phi[c] + np.pi, 2 * np.pi) - np.pi
    dr = np.hypot(ev.prong_eta - ev.cand_eta[c], dphi)
    # a boosted decay opens by about 2 m / pT: the quarks lie within a few times that of the candidate
    assert np.median(dr * ev.cand_pt[c] / (2 * mass)) == pytest.approx(0.5, abs=0.2)
    assert np.median(ev.cand_pt) > 500.0


def test_reader_schema_has_the_wide_jet_inputs() -> None:
    from trigger.io.schema import builtin_schema
    from trigger.samples.substructure import FEATURES

    fields = builtin_schema("l1emu").collections["widejets"].fields
    assert {k for k in fields if k.startswith("j_")} == set(FEATURES)
    assert {"pt", "eta", "phi", "mass"} <= set(fields)


def test_labels_map_to_the_hls4ml_order() -> None:
    from trigger.samples.processes import PROCESSES
    from trigger.samples.substructure import HLS4ML_CLASSES, to_hls4ml_label

    ours = {p.name.split("-")[1]: p.fatjet_label for p in PROCESSES.values() if p.fatjet_label is not None}
    assert ours == {"q": 0, "g": 1, "w": 2, "z": 3, "t": 4}
    assert HLS4ML_CLASSES == ("g", "q", "w", "z", "t")  # j_g, j_q, j_w, j_z, j_t of the hls4ml data set
    mapped = to_hls4ml_label(np.array([0, 1, 2, 3, 4]))
    assert [HLS4ML_CLASSES[i] for i in mapped] == ["q", "g", "w", "z", "t"]


def test_jet_tagger_sample_list_has_train_and_held_out_per_class(tmp_path: Path) -> None:
    from trigger.samples.defaults import load_sample_list

    cfg = Path(__file__).parent.parent / "configs" / "samples_jet_tagger.yaml"
    reqs = load_sample_list(cfg, tmp_path, workers=1)
    for cls in "qgwzt":
        train, test = reqs[f"train-{cls}"], reqs[f"test-{cls}"]
        assert train.process == test.process == f"boosted-{cls}"
        assert train.seed != test.seed and train.mu == test.mu == 0.0
        assert train.n > 3 * test.n
    assert len({r.seed for r in reqs.values()}) == len(reqs)


def test_mmdt_equals_fastjet_contrib_soft_drop() -> None:
    """Our declustering against FastJet contrib's SoftDrop (beta 0, z_cut 0.1, R0 0.8) on QCD jets."""
    import awkward as ak
    import fastjet

    from trigger.samples import substructure as S
    from trigger.samples.pythia import Generator, silenced_stdout

    hard = Generator(("HardQCD:all = on", "PhaseSpace:pTHatMin = 200."), seed=4).generate(15)
    jets = S._cluster(hard, 150.0)
    b = jets.bounds
    assert b.size > 10
    per_jet = {k: ak.unflatten(getattr(jets, k), np.diff(b)) for k in ("px", "py", "pz", "e")}
    consts = ak.zip({"px": per_jet["px"], "py": per_jet["py"], "pz": per_jet["pz"], "E": per_jet["e"]})
    with silenced_stdout():
        cs = fastjet.ClusterSequence(consts, fastjet.JetDefinition(fastjet.cambridge_algorithm, 10.0))
        ref = cs.exclusive_jets_softdrop_grooming(njets=1, beta=0.0, symmetry_cut=0.1, R0=0.8)
    groomed_away = 0
    for k in range(b.size - 1):
        lo, hi = b[k], b[k + 1]
        kept, mass = S._mmdt(jets.px[lo:hi], jets.py[lo:hi], jets.pz[lo:hi], jets.e[lo:hi])
        assert np.array_equal(np.sort(jets.px[lo:hi][kept]), np.sort(np.asarray(ref.constituents[k].px))), k
        assert mass == pytest.approx(float(ref.msoftdrop[k]), rel=1e-12, abs=1e-9)
        groomed_away += kept.size < hi - lo
    assert groomed_away > (b.size - 1) // 2  # grooming did remove something in most jets
