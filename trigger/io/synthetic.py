"""Toy files in the project's sample format (``Events`` tree), for tests and benchmarks only.

The physics is a cartoon (falling pt spectra, flat eta); what matters is the layout: every branch of the
sample format (:mod:`trigger.io.sample_format`) except the optional groups, with its declared type,
written by the sample writer itself. Branches without a cartoon of their own get generic values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import ArrayLike

from trigger.io.sample_format import Group, sample_format

__all__ = ["write_sample"]

#: group -> (mean multiplicity, pt scale, pt minimum) of the cartoon collections
_CARTOON = {
    "L1Jet": (6, 25.0, 10.0),
    "L1EG": (2, 8.0, 2.0),
    "L1Mu": (0.6, 6.0, 2.0),
    "GenMu": (0.6, 7.0, 1.0),
    "GenJet": (5, 22.0, 10.0),
}


def _jagged(rng: np.random.Generator, counts: np.ndarray, scale: float, lo: float) -> dict[str, ak.Array]:
    total = int(counts.sum())
    pt = (lo + rng.exponential(scale, total)).astype(np.float32)
    eta = rng.uniform(-3.0, 3.0, total).astype(np.float32)
    phi = rng.uniform(-np.pi, np.pi, total).astype(np.float32)
    return {k: ak.unflatten(v, counts) for k, v in (("pt", pt), ("eta", eta), ("phi", phi))}


def _generic(rng: np.random.Generator, name: str, dtype: str, size: int) -> np.ndarray:
    """Values for a branch without a cartoon: +-1 for charges, 0/1 for other integers, uniform floats."""
    if dtype.startswith("int"):
        values = rng.choice([-1, 1], size) if name.endswith("charge") else rng.integers(0, 2, size)
        return values.astype(dtype)
    return rng.uniform(0.0, 1.0, size).astype(dtype)


def _cartoon(rng: np.random.Generator, n: int, weighted: bool) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The cartoon branches of one chunk (flat names) and the multiplicity of each collection."""
    data: dict[str, Any] = {}
    counts_of: dict[str, np.ndarray] = {}
    pthat = (15 + rng.exponential(25, n)).astype(np.float32)
    data["weight"] = (rng.uniform(0.5, 1.5, n) if weighted else np.ones(n)).astype(np.float64)
    data["nPileup"] = rng.poisson(60, n).astype(np.int32)
    data["pthat"] = pthat
    for prefix, (mean, scale, lo) in _CARTOON.items():
        counts = counts_of[prefix] = rng.poisson(mean, n)
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
    return data, counts_of


def _chunk(group: Group, data: dict[str, Any], counts: np.ndarray | None, rng: np.random.Generator, n: int) -> Any:
    """One group in the writer's layout: a record array of lists (collections) or flat branches."""
    if counts is None:
        return {
            b.name: np.asarray(data[b.name] if b.name in data else _generic(rng, b.name, b.dtype, n), dtype=b.dtype)
            for b in group.branches
        }
    values = {}
    for field, b in zip(group.fields(), group.branches, strict=True):
        value = (
            data[b.name] if b.name in data else ak.unflatten(_generic(rng, field, b.dtype, int(counts.sum())), counts)
        )
        values[field] = ak.values_astype(value, b.dtype)
    return ak.zip(values)


def write_sample(
    path: str | Path,
    n_events: int,
    seed: int = 1,
    weighted: bool = True,
    chunk: int = 50_000,
    clusters: ArrayLike | None = None,
) -> Path:
    """Write ``n_events`` toy events to ``path`` (TTree ``Events``) in chunks of ``chunk`` events.

    ``clusters``: the ``cluster`` branch, one id per event (adjacent equal ids: copies of one hard
    interaction); by default every event its own cluster, its event number."""
    from trigger.samples.writer import write_root

    fmt = sample_format()
    ids = None
    if clusters is not None:
        ids = np.asarray(clusters, dtype=np.int64)
        if ids.shape != (n_events,):
            raise ValueError(f"clusters must hold one id per event ({n_events}), got shape {ids.shape}")
    rng = np.random.default_rng(seed)
    extra = np.random.default_rng([seed, 1])  # branches outside the cartoon: the cartoon's draws stay as they were

    def chunks() -> Any:
        done = 0
        while done < n_events:
            n = min(chunk, n_events - done)
            data, counts_of = _cartoon(rng, n, weighted)
            data["run"] = np.ones(n, np.int64)
            data["event"] = np.arange(done + 1, done + n + 1, dtype=np.int64)
            data["cluster"] = data["event"].copy() if ids is None else ids[done : done + n]
            out: dict[str, Any] = {}
            for group in fmt.groups.values():
                if group.optional:
                    continue
                counts = None
                if group.counter:
                    counts = counts_of[group.name] if group.name in counts_of else extra.poisson(1.0, n)
                part = _chunk(group, data, counts, extra, n)
                out.update({group.name: part} if group.counter else part)
            yield out
            done += n

    out = Path(path)
    write_root(out, chunks(), {"synthetic": {"seed": seed, "events": n_events, "weighted": weighted}})
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
