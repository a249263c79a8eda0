"""Two checks behind the "Published anchors" discussion (trigger/samples/README.md, issue 10 item 6).

1. L1 jet response and resolution in a zero-bias file: each GenJet matched to the nearest L1 jet within
   delta R 0.3 (unweighted: a per-jet response, not a rate), median L1/Gen and the 68 % half-width / median
   per GenJet pT and |eta| band.
2. Pile-up dependence of the MET and HT tails: the weighted rate above a threshold in bands of the crossing's
   number of pile-up interactions (``nPileup``), with its statistical error.

Prints tables, asserts nothing.

    .venv/bin/python benchmarks/anchor_diagnostics.py data/samples/zerobias.root
"""

from __future__ import annotations

import sys

import awkward as ak
import numpy as np
import uproot

ZB_KHZ = 2760 * 11245.6 / 1e3  # zero-bias rate of the default menu's bunches [kHz]
PT_BANDS = [(40, 60), (60, 90), (90, 150), (150, 300)]
ETA_BANDS = [(0.0, 1.3), (1.3, 3.0), (3.0, 5.0)]
PU_BANDS = [(0, 53), (53, 60), (60, 67), (67, 1000)]


def jet_response(path: str) -> None:
    names = ["L1Jet_pt", "L1Jet_eta", "L1Jet_phi", "GenJet_pt", "GenJet_eta", "GenJet_phi"]
    a = uproot.open(path)["Events"].arrays(names)
    g = ak.zip({"pt": a.GenJet_pt, "eta": a.GenJet_eta, "phi": a.GenJet_phi})
    lj = ak.zip({"pt": a.L1Jet_pt, "eta": a.L1Jet_eta, "phi": a.L1Jet_phi})
    p = ak.cartesian({"g": g, "l": lj}, nested=True)
    dphi = (p.g.phi - p.l.phi + np.pi) % (2 * np.pi) - np.pi
    dr2 = (p.g.eta - p.l.eta) ** 2 + dphi**2
    best = ak.argmin(dr2, axis=2, keepdims=True)
    dmin = ak.fill_none(ak.flatten(dr2[best], axis=2), np.inf)
    ratio = ak.fill_none(ak.flatten(p.l.pt[best], axis=2), 0.0) / g.pt
    print("GenJet pT  |eta|     matched  median L1/Gen  68% half-width/median")
    for lo, hi in PT_BANDS:
        for elo, ehi in ETA_BANDS:
            m = (g.pt >= lo) & (g.pt < hi) & (abs(g.eta) >= elo) & (abs(g.eta) < ehi) & (dmin < 0.09)
            r = ak.to_numpy(ak.flatten(ratio[m]))
            if len(r) < 20:
                continue
            q16, q50, q84 = np.percentile(r, [16, 50, 84])
            print(f"{lo:3d}-{hi:<4d}  {elo:.1f}-{ehi:.1f}  {len(r):7d}  {q50:13.2f}  {(q84 - q16) / 2 / q50:21.2f}")


def tails_vs_pileup(path: str) -> None:
    a = uproot.open(path)["Events"].arrays(["weight", "nPileup", "L1EtSum_MET", "L1EtSum_HT"], library="np")
    w, pu = a["weight"], a["nPileup"]
    print("\nrate above threshold [kHz] per nPileup band (mean nPileup in brackets)")
    means = [float(pu[(pu >= lo) & (pu < hi)].mean()) for lo, hi in PU_BANDS]
    print(
        "               "
        + "  ".join(f"{lo}-{hi} ({mu:.0f})".rjust(16) for (lo, hi), mu in zip(PU_BANDS, means, strict=True))
    )
    for name, x, cut in [("MET", a["L1EtSum_MET"], 70), ("MET", a["L1EtSum_MET"], 90), ("HT", a["L1EtSum_HT"], 200)]:
        cells = []
        for lo, hi in PU_BANDS:
            band = (pu >= lo) & (pu < hi)
            fire = band & (x >= cut)
            rate, err = w[fire].sum() / w[band].sum(), np.sqrt((w[fire] ** 2).sum()) / w[band].sum()
            cells.append(f"{rate * ZB_KHZ:7.1f} +- {err * ZB_KHZ:5.1f}".rjust(16))
        print(f"{name} >= {cut:3d}     " + "  ".join(cells))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    jet_response(argv[0])
    tails_vs_pileup(argv[0])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
