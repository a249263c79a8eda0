"""Built-in schemas, in the same form as a user's YAML schema.

The ``l1emu`` schema is not written here: it is derived from the sample format description
(:mod:`trigger.io.sample_format`), the same one the sample writer declares its tree from.

Sum type codes are CMSSW's ``l1t::EtSum::EtSumType`` (kTotalEt=0, kTotalHt=1, kMissingEt=2,
kMissingHt=3, kMissingEtHF=8); only bunch crossing 0 is taken for typed sums.
"""

from __future__ import annotations

from typing import Any

from trigger.io.sample_format import sample_format

__all__ = ["BUILTIN"]


def _typed_sums(branch: str, type_branch: str, bx_branch: str) -> dict[str, Any]:
    codes = {"ETT": 0, "HT": 1, "MET": 2, "MHT": 3, "ETMHF": 8}
    return {
        name: {"branch": branch, "type_branch": type_branch, "type": code, "bx_branch": bx_branch}
        for name, code in codes.items()
    }


BUILTIN: dict[str, dict[str, Any]] = {
    # the project's own generated samples: derived from their format description (trigger/io/schemas/l1emu.yaml)
    "l1emu": sample_format().reader_schema("l1emu"),
    # CMS L1Ntuple: L1UpgradeTree (branch L1Upgrade, split into jetEt, muonEt, ...)
    "l1upgrade": {
        "schema_version": 1,
        "name": "l1upgrade",
        "tree": ["l1UpgradeEmuTree/L1UpgradeTree", "l1UpgradeTree/L1UpgradeTree", "L1UpgradeTree"],
        "weight": None,
        "collections": {
            "jets": {"pt": "jetEt", "eta": "jetEta", "phi": "jetPhi", "bx": "jetBx"},
            "muons": {
                "pt": "muonEt",
                "eta": "muonEta",
                "phi": "muonPhi",
                "charge": "muonChg",
                "quality": "muonQual",
                "bx": "muonBx",
            },
            "egamma": {"pt": "egEt", "eta": "egEta", "phi": "egPhi", "iso": "egIso", "bx": "egBx"},
            "taus": {"pt": "tauEt", "eta": "tauEta", "phi": "tauPhi", "iso": "tauIso", "bx": "tauBx"},
        },
        "sums": _typed_sums("sumEt", "sumType", "sumBx"),
    },
    # L1Nano (NanoAOD with the L1 objects)
    "l1nano": {
        "schema_version": 1,
        "name": "l1nano",
        "tree": "Events",
        "weight": None,
        "collections": {
            "jets": {"pt": "L1Jet_pt", "eta": "L1Jet_eta", "phi": "L1Jet_phi", "bx": "L1Jet_bx"},
            "muons": {
                "pt": "L1Mu_pt",
                "eta": "L1Mu_eta",
                "phi": "L1Mu_phi",
                "charge": "L1Mu_charge",
                "quality": "L1Mu_hwQual",
                "bx": "L1Mu_bx",
            },
            "egamma": {
                "pt": "L1EG_pt",
                "eta": "L1EG_eta",
                "phi": "L1EG_phi",
                "iso": "L1EG_hwIso",
                "bx": "L1EG_bx",
            },
            "taus": {
                "pt": "L1Tau_pt",
                "eta": "L1Tau_eta",
                "phi": "L1Tau_phi",
                "iso": "L1Tau_hwIso",
                "bx": "L1Tau_bx",
            },
        },
        "sums": _typed_sums("L1EtSum_pt", "L1EtSum_etSumType", "L1EtSum_bx"),
    },
    # offline NanoAOD: HT is the scalar sum of jets with pt > 30 GeV and |eta| < 2.4
    "nanoaod": {
        "schema_version": 1,
        "name": "nanoaod",
        "tree": "Events",
        "weight": None,
        "collections": {
            "jets": {"pt": "Jet_pt", "eta": "Jet_eta", "phi": "Jet_phi"},
            "muons": {"pt": "Muon_pt", "eta": "Muon_eta", "phi": "Muon_phi", "charge": "Muon_charge"},
            "egamma": {
                "pt": "Electron_pt",
                "eta": "Electron_eta",
                "phi": "Electron_phi",
                "charge": "Electron_charge",
            },
        },
        "sums": {"MET": {"branch": "MET_pt"}, "HT": {"from": "jets", "min_pt": 30.0, "max_abs_eta": 2.4}},
    },
}
