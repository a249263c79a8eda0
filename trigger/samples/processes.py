"""The process catalogue: name -> Pythia 8 settings (14 TeV pp) and what the sample keeps.

>>> sorted(PROCESSES)[:3]
['boosted-g', 'boosted-q', 'boosted-t']
"""

from __future__ import annotations

from dataclasses import dataclass

from trigger.errors import UnknownProcessError

__all__ = ["BEAM", "PROCESSES", "Process", "get_process"]

BEAM = ("Beams:eCM = 14000.",)

_W_HAD = ("24:onMode = off", "24:onIfAny = 1 2 3 4 5")
_Z_HAD = ("23:onMode = off", "23:onIfAny = 1 2 3 4 5")


def _flat_pthat(power: float) -> tuple[str, ...]:
    """pTHat 750-1350 GeV biased by (pTHat / 1 TeV)^power, about the inverse of the falling 2 -> 2 spectrum.

    The events are used unweighted, so pTHat (and the jet pT in 800-1200 GeV) is nearly flat for every
    class: jet pT alone does not tell the classes apart. ``power`` is the local slope of d(sigma)/d(pTHat)
    of that process at 14 TeV, measured with Pythia (q 6.4, g 8.1, W 6.6, Z 6.8, t 7.4).
    """
    return (
        "PhaseSpace:pTHatMin = 750.",
        "PhaseSpace:pTHatMax = 1350.",
        "PhaseSpace:bias2Selection = on",
        f"PhaseSpace:bias2SelectionPow = {power}",
        "PhaseSpace:bias2SelectionRef = 1000.",
    )


@dataclass(frozen=True)
class Process:
    """One sample kind. ``settings`` are Pythia strings; ``fatjet_label`` (0..4 = q, g, W, Z, t)
    marks boosted-jet samples, matched to ``fatjet_match`` particles with ``fatjet_prongs`` decay
    quarks inside the jet; ``gun`` marks the single-muon gun (no Pythia)."""

    name: str
    description: str
    settings: tuple[str, ...] = ()
    fatjet_label: int | None = None
    fatjet_match: tuple[int, ...] = ()
    fatjet_prongs: int = 0
    gun: bool = False
    zerobias: bool = False


_LIST = [
    Process("minbias", "one inelastic interaction (SoftQCD:inelastic)", ("SoftQCD:inelastic = on",)),
    Process(
        "zerobias",
        "Poisson(mu) pool interactions + pTHat-binned hard QCD, stitched with weights",
        ("HardQCD:all = on",),
        zerobias=True,
    ),
    Process("muon-gun", "one muon flat in 1/pT, 2-1000 GeV, |eta| < 2.4", gun=True),
    Process(
        "wmunu",
        "W -> mu nu",
        ("WeakSingleBoson:ffbar2W = on", "24:onMode = off", "24:onIfAny = 13"),
    ),
    Process(
        "zmumu",
        "Z/gamma* -> mu mu, m > 50 GeV",
        ("WeakSingleBoson:ffbar2gmZ = on", "23:onMode = off", "23:onIfAny = 13", "PhaseSpace:mHatMin = 50."),
    ),
    Process(
        "boosted-q",
        "light-quark jets, qq -> qq, pTHat 750-1350 GeV biased flat",
        ("HardQCD:qq2qq = on", "HardQCD:qqbar2qqbarNew = on", *_flat_pthat(6.4)),
        fatjet_label=0,
        fatjet_match=(1, 2, 3, 4),
    ),
    Process(
        "boosted-g",
        "gluon jets, gg -> gg, pTHat 750-1350 GeV biased flat",
        ("HardQCD:gg2gg = on", *_flat_pthat(8.1)),
        1,
        (21,),
    ),
    Process(
        "boosted-w",
        "W -> qq recoiling against a parton (qq -> Wg, qg -> Wq), pTHat 750-1350 GeV biased flat",
        ("WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on", *_W_HAD, *_flat_pthat(6.6)),
        2,
        (24,),
        2,
    ),
    Process(
        "boosted-z",
        "Z -> qq recoiling against a parton (qq -> Zg, qg -> Zq), pTHat 750-1350 GeV biased flat",
        (
            "WeakBosonAndParton:qqbar2gmZg = on",
            "WeakBosonAndParton:qg2gmZq = on",
            "WeakZ0:gmZmode = 2",
            *_Z_HAD,
            *_flat_pthat(6.8),
        ),
        3,
        (23,),
        2,
    ),
    Process(
        "boosted-t",
        "hadronic top jets, ttbar (both W -> qq), pTHat 750-1350 GeV biased flat",
        ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on", *_W_HAD, *_flat_pthat(7.4)),
        4,
        (6,),
        3,
    ),
    Process(
        "np-haa4mu",
        "new physics: H(125) -> a a -> 4 mu, light scalar a (A0) of 20 GeV",
        (
            "HiggsSM:gg2H = on",
            "36:m0 = 20.",
            "36:mWidth = 0.01",
            "36:onMode = off",
            "36:addChannel = 1 1.0 100 13 -13",
            "25:onMode = off",
            "25:addChannel = 1 1.0 100 36 36",
        ),
    ),
    Process(
        "np-lq-btau",
        "new physics: pair-produced 80 GeV leptoquark -> b tau",
        ("LeptoQuark:all = on", "42:m0 = 80.", "42:0:products = 5 -15"),
    ),
    Process(
        "np-h-tautau",
        "new physics: neutral 60 GeV scalar H2 -> tau tau",
        (
            "Higgs:useBSM = on",
            "HiggsBSM:gg2H2 = on",
            "35:m0 = 60.",
            "35:onMode = off",
            "35:onIfMatch = 15 -15",
        ),
    ),
    Process(
        "np-hplus-taunu",
        "new physics: charged 60 GeV scalar H+ -> tau nu",
        ("Higgs:useBSM = on", "HiggsBSM:ffbar2H+- = on", "37:m0 = 60.", "37:onMode = off", "37:onIfAny = 15"),
    ),
]

PROCESSES: dict[str, Process] = {p.name: p for p in _LIST}


def get_process(name: str) -> Process:
    try:
        return PROCESSES[name]
    except KeyError:
        raise UnknownProcessError(f"unknown process {name!r}; choose one of: {', '.join(sorted(PROCESSES))}") from None
