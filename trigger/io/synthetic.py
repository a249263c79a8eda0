"""Toy files in the project's sample schema (``Events`` tree), for tests and benchmarks only.

The physics is a cartoon (falling pt spectra, flat eta); what matters is the layout: the same branch
names, types and jaggedness as the project's generated samples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

__all__ = ["write_sample"]


def _jagged(rng: np.random.Generator, counts: np.ndarray, scale: float, lo: float) -> dict[str, ak.Array]:
    total = int(counts.sum())
    pt = (lo + rng.exponential(scale, total)).astype(np.float32)
    eta = rng.uniform(-3.0, 3.0, total).astype(np.float32)
    phi = rng.uniform(-np.pi, np.pi, total).astype(np.float32)
    return {k: ak.unflatten(v, counts) for k, v in (("pt", pt), ("eta", eta), ("phi", phi))}


def _grouped(data: dict[str, Any]) -> dict[str, Any]:
    """Zip jagged branches by prefix so each collection gets one counter branch (``nL1Jet``), as NanoAOD."""
    out: dict[str, Any] = {}
    groups: dict[str, dict[str, ak.Array]] = {}
    for k, v in data.items():
        if isinstance(v, ak.Array):
            prefix, field = k.split("_", 1)
            groups.setdefault(prefix, {})[field] = v
        else:
            out[k] = v
    for prefix, fields in groups.items():
        out[prefix] = ak.zip(fields)
    return out


def write_sample(path: str | Path, n_events: int, seed: int = 1, weighted: bool = True, chunk: int = 50_000) -> Path:
    """Write ``n_events`` toy events to ``path`` (TTree ``Events``) in chunks of ``chunk`` events."""
    import uproot

    rng = np.random.default_rng(seed)
    out = Path(path)
    with uproot.recreate(out) as f:
        tree = None
        done = 0
        while done < n_events:
            n = min(chunk, n_events - done)
            data: dict[str, Any] = {}
            pthat = (15 + rng.exponential(25, n)).astype(np.float32)
            data["weight"] = (rng.uniform(0.5, 1.5, n) if weighted else np.ones(n)).astype(np.float64)
            data["nPileup"] = rng.poisson(60, n).astype(np.int32)
            data["pthat"] = pthat
            for prefix, mean, scale, lo in (
                ("L1Jet", 6, 25.0, 10.0),
                ("L1EG", 2, 8.0, 2.0),
                ("L1Mu", 0.6, 6.0, 2.0),
                ("GenMu", 0.6, 7.0, 1.0),
                ("GenJet", 5, 22.0, 10.0),
            ):
                counts = rng.poisson(mean, n)
                for k, v in _jagged(rng, counts, scale, lo).items():
                    data[f"{prefix}_{k}"] = v
                if prefix == "L1EG":
                    data["L1EG_iso"] = ak.unflatten(rng.integers(0, 4, int(counts.sum())).astype(np.int32), counts)
                if prefix == "L1Mu":
                    m = int(counts.sum())
                    data["L1Mu_charge"] = ak.unflatten(rng.choice([-1, 1], m).astype(np.int32), counts)
                    data["L1Mu_qual"] = ak.unflatten(rng.integers(0, 16, m).astype(np.int32), counts)
                    data["L1Mu_bx"] = ak.unflatten(rng.choice([-1, 0, 0, 0, 0, 0, 0, 1], m).astype(np.int32), counts)
                    data["L1Mu_genPt"] = ak.unflatten(
                        np.asarray(ak.flatten(data["L1Mu_pt"])) * rng.normal(1, 0.2, m).astype(np.float32),
                        counts,
                    )
            jets = ak.zip({"pt": data["L1Jet_pt"], "eta": data["L1Jet_eta"]})
            central = jets.pt[(jets.pt > 30) & (abs(jets.eta) < 2.4)]
            data["L1EtSum_HT"] = np.asarray(ak.sum(central, axis=1), dtype=np.float32)
            data["L1EtSum_MET"] = rng.exponential(20, n).astype(np.float32)
            data["L1EtSum_METphi"] = rng.uniform(-np.pi, np.pi, n).astype(np.float32)
            data = _grouped(data)
            if tree is None:
                tree = f.mktree(
                    "Events", {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in data.items()}
                )
            tree.extend(data)
            done += n
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m trigger.io.synthetic OUT.root N_EVENTS [SEED]``: write a toy sample."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (2, 3):
        print("usage: python -m trigger.io.synthetic OUT.root N_EVENTS [SEED]", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    write_sample(out, int(args[1]), seed=int(args[2]) if len(args) == 3 else 1)
    print(f"wrote {int(args[1]):,} toy events to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
