"""The process catalogue: name -> Pythia 8 settings (14 TeV pp) and what the sample keeps.

>>> sorted(PROCESSES)[:3]
['boosted-g', 'boosted-q', 'boosted-t']
"""

from __future__ import annotations

from dataclasses import dataclass

from trigger.errors import UnknownProcessError

__all__ = ["BEAM", "PROCESSES", "MassScan", "Process", "get_process"]

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
class MassScan:
    """A resonance generated at several masses, one mass per chunk, chunks shared by ``weights``.

    A narrow scalar decaying to two bosons puts their pT in a Jacobian peak just below M / 2; a mix of
    masses spreads the peaks over the FatJet window. Weights (M / 2 TeV)^3 on 1.7-2.7 TeV in 100 GeV
    steps make the W pT flat within +-6 % in 800-1200 GeV in a toy (isotropic decay, 40 GeV recoil,
    3 % jet response); the generated spectrum is measured in trigger/samples/README.md.
    """

    particle: int
    masses: tuple[float, ...]
    weights: tuple[float, ...]
    width_fraction: float = 0.02

    def chunk_masses(self, n_chunks: int) -> list[float]:
        """Mass of each chunk: smooth weighted round robin, so any first k chunks follow the weights too."""
        total = sum(self.weights)
        credit = [0.0] * len(self.masses)
        out = []
        for _ in range(n_chunks):
            credit = [c + w / total for c, w in zip(credit, self.weights, strict=True)]
            k = max(range(len(credit)), key=credit.__getitem__)
            credit[k] -= 1.0
            out.append(self.masses[k])
        return out

    def settings(self, mass: float) -> tuple[str, ...]:
        width = self.width_fraction * mass
        p = self.particle
        return (
            f"{p}:m0 = {mass}",
            f"{p}:mWidth = {width}",
            f"{p}:doForceWidth = on",
            f"{p}:mMin = {mass - 5 * width}",
            f"{p}:mMax = {mass + 5 * width}",
        )


_SCAN = MassScan(35, tuple(1700.0 + 100.0 * k for k in range(11)), tuple((1.7 + 0.1 * k) ** 3 / 8 for k in range(11)))
# a heavy CP-even scalar: gg -> H2 -> VV decays to longitudinally polarised W/Z (Pythia's H2 -> VV -> 4f
# angular correlations), as the heavy-resonance W/Z jets of the hls4ml jet data set
_H2 = ("Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:onMode = off")


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
    mass_scan: MassScan | None = None


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
        "longitudinal W -> qq: gg -> H2 -> W+ W-, H2 mass 1.7-2.7 TeV (MassScan), W jets 800-1200 GeV",
        (*_H2, "35:onIfMatch = 24 -24", *_W_HAD),
        2,
        (24,),
        2,
        mass_scan=_SCAN,
    ),
    Process(
        "boosted-z",
        "longitudinal Z -> qq: gg -> H2 -> Z Z, H2 mass 1.7-2.7 TeV (MassScan), Z jets 800-1200 GeV",
        (*_H2, "35:onIfMatch = 23 23", *_Z_HAD),
        3,
        (23,),
        2,
        mass_scan=_SCAN,
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
