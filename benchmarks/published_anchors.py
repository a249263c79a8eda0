"""Our zero-bias rates next to CMS's published Level-1 rate estimates (issue 10 item 6).

Reads the ``rates.csv`` of ``l1emu rates`` for the default menu and for the study menu
``configs/menus/l1_menu_anchors.yaml`` (comparison seeds at CMS's thresholds), scales each CMS figure to
this sample's pile-up and bunches and prints the markdown table of trigger/samples/README.md
"Published anchors". Asserts nothing.

    l1emu rates configs/menus/l1_menu_default.yaml --input zb.root -o out/anchors_default
    l1emu rates configs/menus/l1_menu_anchors.yaml --input zb.root -o out/anchors_study
    .venv/bin/python benchmarks/published_anchors.py out/anchors_default/rates.csv out/anchors_study/rates.csv

The CMS figures (Hz, with the table's statistical error) are copied from the CMS L1 DPG's rate estimate
for the 2017 menu at 2e34: github.com/cms-l1-dpg/2017-pp-menu-dev, rates/L1Menu_Collisions2017_dev_r3--
l1t-integration-v92p24-CMSSW-902_caloParam_2017_v1_40--LS_56-69--menulib.csv ("rates for all seeds at
2e34", every seed unprescaled; commit 6138fa53). Its L1_AlwaysTrue row is 2.91496e7 Hz = 2592 colliding
bunches x 11245.6 Hz. Scaling: the rate per colliding bunch is taken proportional to pile-up, with
mu_CMS = L sigma_inel / (n_b f) = 2e34 cm^-2 s^-1 x 80 mb / (2592 x 11245.6 Hz) = 54.9 (13 TeV), so
R_here = R_CMS x (2760 / 2592) x (60 / 54.9) = 1.164 R_CMS.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

F_REV_HZ = 11245.6
CMS_LUMI = 2.0e34  # cm^-2 s^-1
CMS_BUNCHES = 2592  # from L1_AlwaysTrue = 2.91496e7 Hz
SIGMA_INEL_CM2 = 80e-27  # 80 mb at 13 TeV (inelastic; CMS's pile-up convention 69.2 mb would give mu 47.5)
OUR_MU, OUR_BUNCHES = 60.0, 2760
CMS_MU = CMS_LUMI * SIGMA_INEL_CM2 / (CMS_BUNCHES * F_REV_HZ)
SCALE = (OUR_BUNCHES / CMS_BUNCHES) * (OUR_MU / CMS_MU)

#: our seed -> (CMS seed, rate Hz, error Hz) from the 2017 dev_r3 table at 2e34; None: no CMS figure
CMS_2017: dict[str, tuple[str, float, float] | None] = {
    "L1_SingleMu22": ("L1_SingleMu22", 9611.95, 750.567),
    "L1_SingleMu25": ("L1_SingleMu25", 7795.05, 675.917),
    "L1_SingleMu7": ("L1_SingleMu7", 216796.0, 3564.59),
    "L1_DoubleMu_15_7": ("L1_DoubleMu_15_7", 1582.45, 304.544),
    "L1_DoubleMu0er1p5_SQ_OS_dR_Max1p4": ("L1_DoubleMu0er1p5_SQ_OS_dR_Max1p4", 3633.78, 461.491),
    "L1_DoubleMu4p5_SQ_OS_Mass_7to18": None,
    "L1_TripleMu_5_3_3": ("L1_TripleMu_5_3_3", 3047.69, 422.639),
    "L1_SingleEG42er2p5": None,
    "L1_SingleLooseIsoEG40er2p1": None,
    "L1_DoubleEG_25_12_er2p5": ("L1_DoubleEG_25_12", 7443.4, 660.495),
    "L1_SingleJet180": ("L1_SingleJet180", 3692.39, 465.198),
    "L1_SingleJet120er2p5": None,
    "L1_SingleJet90": ("L1_SingleJet90", 91723.8, 2318.59),
    "L1_DoubleJet150er2p5": None,
    "L1_QuadJet60er2p5": None,
    "L1_HTT280er": ("L1_HTT280er", 14417.9, 919.253),
    "L1_HTT360er": None,
    "L1_ETMHF100": ("L1_ETMHF100", 8967.24, 724.959),
    "L1_Mu6_HTT240er": ("L1_Mu6_HTT240er", 1054.97, 248.659),
    "L1_Mu3_Jet60er2p5_dR_Max0p4": None,
    "L1_FixedHT320": ("L1_HTT320er", 8381.15, 700.867),
    "L1_SingleMu0_BMTF_test": None,
    # study menu (configs/menus/l1_menu_anchors.yaml): CMS's exact thresholds
    "L1_SingleMu22er2p1": ("L1_SingleMu22er2p1", 6974.52, 639.353),
    "L1_DoubleMu4p5er2p0_SQ_OS_Mass7to18": ("L1_DoubleMu4p5er2p0_SQ_OS_Mass7to18", 1289.41, 274.903),
    "L1_DoubleMu5_SQ_OS_Mass7to18": ("L1_DoubleMu5_SQ_OS_Mass7to18", 1582.45, 304.544),
    "L1_SingleEG36": ("L1_SingleEG36", 23678.2, 1178.03),
    "L1_SingleEG36er2p1": ("L1_SingleEG36er2p1", 18989.5, 1054.97),
    "L1_SingleEG40": ("L1_SingleEG40", 16938.1, 996.36),
    "L1_SingleEG45": ("L1_SingleEG45", 12718.2, 863.371),
    "L1_SingleIsoEG36er2p1": ("L1_SingleIsoEG36er2p1", 15765.9, 961.266),
    "L1_SingleLooseIsoEG36er2p1": ("L1_SingleIsoEG36er2p1", 15765.9, 961.266),
    "L1_SingleLooseIsoEG28er2p1": ("L1_SingleIsoEG28er2p1", 22095.8, 1137.99),
    "L1_SingleJet120": ("L1_SingleJet120", 25553.7, 1223.8),
    "L1_DoubleJet120er3p0": ("L1_DoubleJet120er3p0", 4454.32, 510.945),
    "L1_QuadJet60er3p0": ("L1_QuadJet60er3p0", 1172.19, 262.109),
    "L1_HTT320er": ("L1_HTT320er", 8381.15, 700.867),
    "L1_HTT340er": ("L1_HTT340er", 6505.65, 617.489),
    "L1_HTT380er": ("L1_HTT380er", 3809.61, 472.524),
    "L1_ETMHF70": ("L1_ETMHF70", 166158.0, 3120.64),
    "L1_ETMHF80": ("L1_ETMHF80", 60543.5, 1883.73),
    "L1_ETMHF90": ("L1_ETMHF90", 22154.4, 1139.5),
    "L1_HTT120er": ("L1_HTT120er", 420523.0, 4964.53),
    "L1_HTT200er": ("L1_HTT200er", 62536.3, 1914.47),
    "L1_SingleJet60": ("L1_SingleJet60", 670726.0, 6269.84),
    "L1_ETMHF110": ("L1_ETMHF110", 4219.88, 497.317),
    "L1_ETMHF120": ("L1_ETMHF120", 2109.94, 351.657),
    "L1_Mu3_JetC60_dEta_Max0p4_dPhi_Max0p4": ("L1_Mu3_JetC60_dEta_Max0p4_dPhi_Max0p4", 7677.83, 670.816),
}


def read_rates(paths: list[str]) -> dict[str, dict[str, float]]:
    """seed -> rate_khz (before prescale), symmetric error and N_eff, from ``l1emu rates`` CSVs."""
    out: dict[str, dict[str, float]] = {}
    for path in paths:
        with Path(path).open(newline="") as f:
            for row in csv.DictReader(f):
                err = 0.5 * (float(row["err_down_khz"]) + float(row["err_up_khz"]))
                out[row["seed"]] = {"rate": float(row["rate_khz"]), "err": err, "n_eff": float(row["n_eff"] or 0)}
    return out


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    ours = read_rates(argv)
    print(f"mu_CMS = {CMS_MU:.1f}, scale = (2760/{CMS_BUNCHES}) x (60/{CMS_MU:.1f}) = {SCALE:.3f}")
    print("| seed | ours [kHz] (N_eff) | CMS seed: 2e34 [kHz] -> scaled [kHz] | ours / CMS scaled | within 2x |")
    print("|---|---:|---|---:|---|")
    for seed, ref in CMS_2017.items():
        mine = ours.get(seed)
        if mine is None:
            continue
        o = f"{mine['rate']:.3g} +- {mine['err']:.2g} ({mine['n_eff']:.0f})"
        if ref is None:
            print(f"| {seed} | {o} | no CMS figure at this threshold/definition | - | - |")
            continue
        name, hz, err_hz = ref
        scaled, scaled_err = hz * SCALE / 1e3, err_hz * SCALE / 1e3
        ratio = mine["rate"] / scaled
        # ratio error: ours and CMS's statistical errors in quadrature
        rel = ((mine["err"] / mine["rate"]) ** 2 + (scaled_err / scaled) ** 2) ** 0.5 if mine["rate"] else 0.0
        ok = "yes" if 0.5 <= ratio <= 2.0 else "no"
        print(
            f"| {seed} | {o} | {name}: {hz / 1e3:.3g} +- {err_hz / 1e3:.2g} -> {scaled:.3g} +- {scaled_err:.2g} "
            f"| {ratio:.2f} +- {ratio * rel:.2f} | {ok} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
