"""The Pythia wrapper: checked settings and init, flat output, matching candidates."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.errors import SampleError
from trigger.samples.processes import PROCESSES, MassScan
from trigger.samples.pythia import Generator, HardEvents, concat, repeat_events, take_events


def test_unknown_setting_is_refused() -> None:
    with pytest.raises(SampleError, match="rejected the setting 'Bogus:thing = 1'"):
        Generator(("HardQCD:all = on", "Bogus:thing = 1"), seed=1)


def test_silent_init_failure_is_caught() -> None:
    # Pythia's init() returns False without raising for electron beams with hadronic processes
    with pytest.raises(SampleError, match=r"init\(\) failed"):
        Generator(("Beams:idA = 11", "HardQCD:all = on"), seed=1)


def test_final_state_conserves_charge_and_w_candidates_are_found() -> None:
    proc = PROCESSES["boosted-w"]
    assert proc.mass_scan is not None
    gen = Generator((*proc.settings, *proc.mass_scan.settings(2000.0)), seed=5, match_ids=proc.fatjet_match)
    ev = gen.generate(30)
    assert ev.n == 30 and ev.pthat.shape == (30,)
    charge = np.bincount(ev.event, weights=ev.charge, minlength=30)
    np.testing.assert_allclose(charge, 2.0, atol=1e-9)  # pp initial state
    # H2 -> W+ W-: two hadronic Ws (the last copies) per event, near M / 2 = 1 TeV
    assert np.bincount(ev.cand_event, minlength=30).tolist() == [2] * 30
    assert sorted(np.unique(ev.cand_pid).tolist()) == [-24, 24]
    assert 700.0 < np.median(ev.cand_pt) < 1000.0
    # both decay quarks of every W are found
    assert np.bincount(ev.prong_cand, minlength=60).tolist() == [2] * 60
    assert gen.sigma_mb() > 0.0


def test_mass_scan_follows_its_weights_in_every_prefix() -> None:
    scan = MassScan(35, (1.0, 2.0, 3.0), (1.0, 2.0, 5.0))
    masses = scan.chunk_masses(40)
    for n in range(1, 41):
        for m, w in zip(scan.masses, scan.weights, strict=True):
            assert abs(masses[:n].count(m) - n * w / 8.0) < 1.0
    assert scan.settings(2000.0) == (
        "35:m0 = 2000.0",
        "35:mWidth = 40.0",
        "35:doForceWidth = on",
        "35:mMin = 1800.0",
        "35:mMax = 2200.0",
    )


def test_same_seed_same_events() -> None:
    proc = PROCESSES["zmumu"]
    a = Generator(proc.settings, seed=3).generate(10)
    b = Generator(proc.settings, seed=3).generate(10)
    c = Generator(proc.settings, seed=4).generate(10)
    np.testing.assert_array_equal(a.pt, b.pt)
    assert a.pt.size != c.pt.size or not np.array_equal(a.pt, c.pt)


def test_heavy_flavour_hadrons_and_their_muons_are_flagged() -> None:
    ev = Generator(("HardQCD:hardbbbar = on", "PhaseSpace:pTHatMin = 20."), seed=2).generate(200)
    b = np.isin(np.abs(ev.hf_pid), (511, 521, 531, 541, 5122, 5132, 5232, 5332))
    assert np.unique(ev.hf_event[b]).size == 200
    # a b and a bbar hadron per event (B0 mixing counted once), plus a few from g -> b bbar in the shower
    assert 2.0 <= np.mean(np.bincount(ev.hf_event[b], minlength=200)) < 2.3
    mu = np.abs(ev.pid) == 13
    # semileptonic muons per b hadron: b -> mu (0.105) plus b -> c -> mu (~0.08), J/psi and light decays aside
    per_b = np.sum(ev.from_hf & mu) / np.sum(b)
    assert 0.12 < per_b < 0.28
    assert np.all(~ev.from_hf[~mu] | (np.abs(ev.pid[~mu]) > 0))  # the flag is per final-state particle
    assert ev.from_hf.shape == ev.pid.shape


def _one_event(h: HardEvents, k: int) -> HardEvents:
    """Event ``k`` alone, by masks (the test's own reference, independent of repeat_events' index arithmetic)."""
    cand = h.cand_event == k
    first_cand = int(np.flatnonzero(cand)[0]) if cand.any() else 0
    prong = cand[h.prong_cand] if h.prong_cand.size else np.zeros(0, bool)
    p, f = h.event == k, h.hf_event == k
    return HardEvents(
        n=1,
        **{name: getattr(h, name)[p] * (0 if name == "event" else 1) for name in ("event",)},
        **{name: getattr(h, name)[p] for name in ("pt", "eta", "phi", "mass", "pid", "charge", "from_hf")},
        pthat=h.pthat[k : k + 1],
        cand_event=h.cand_event[cand] * 0,
        **{name: getattr(h, name)[cand] for name in ("cand_pid", "cand_pt", "cand_eta", "cand_phi")},
        prong_cand=h.prong_cand[prong] - first_cand,
        prong_eta=h.prong_eta[prong],
        prong_phi=h.prong_phi[prong],
        **{name: getattr(h, name)[f] * (0 if name == "hf_event" else 1) for name in ("hf_event",)},
        **{name: getattr(h, name)[f] for name in ("hf_pid", "hf_pt", "hf_eta", "hf_phi")},
    )


def test_repeated_events_are_each_event_copied_in_a_row() -> None:
    """Zero-bias hard copies: event k's r-th copy is event k * copies + r, particles, matching candidates with
    their decay quarks and heavy-flavour hadrons alike; equal to concatenating each event alone ``copies``
    times."""
    proc = PROCESSES["boosted-t"]
    tops = Generator(proc.settings, seed=3, match_ids=proc.fatjet_match).generate(4)
    assert tops.prong_cand.size and tops.hf_event.size  # the test covers every kind of row
    qcd = Generator(("HardQCD:all = on", "PhaseSpace:pTHatMin = 30"), seed=3).generate(4)  # zero-bias: no candidates
    assert not qcd.cand_event.size
    for ev, copies in ((tops, 1), (tops, 3), (qcd, 2)):
        got = repeat_events(ev, copies)
        want = concat([_one_event(ev, k) for k in range(ev.n) for _ in range(copies)])
        assert got.n == want.n == 4 * copies
        for name in HardEvents.__dataclass_fields__:
            if name != "n":
                np.testing.assert_array_equal(getattr(got, name), getattr(want, name), err_msg=name)
    picked = take_events(tops, [3, 1, 3])  # a subset, reordered, one twice
    want = concat([_one_event(tops, k) for k in (3, 1, 3)])
    for name in HardEvents.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(picked, name), getattr(want, name), err_msg=name)
