"""The zero-bias allocation from several samples at once (issue 10 item 5).

n_h sum_h w^2 of a seed in stratum part h (soft, pTHat bin k; normal ``""``, one forced ``*``, two forced ``**``)
hardly depends on n_h (exactly, without the two-forced parts: their balance-heuristic weights couple the forced
parts of a stratum), so samples of the same weight model pool (n_h-weighted) into one estimate B_hs; one sample's
estimate is a lottery where a seed has N_eff < 10 (one rare crossing decides it). ``--split E1,E2,...`` cuts the
pTHat bins further at these edges (the sample's ``pthat`` branch tells which sub-bin a crossing is in; a sub-bin
j of m_j crossings has B = m_j sum_j w^2), to see what finer bins would give. Prints the predicted N_eff per
seed of the given allocation (``--current``: configs/samples.yaml's; sub-bins in proportion to their crossings)
and of the minimax allocation at its CPU (benchmarks/zerobias_neff.COST_MS), with the shares in the order of
``Request.allocation`` (normal, forced, forced-two of each stratum). ``--target N``: the minimax allocation scaled
to the CPU at which its lowest N_eff is N (N_eff grows in proportion to the crossings at fixed shares: the cheapest
CPU for every seed at >= N), ``--exclude A,B`` leaves seeds out of the minimax (their N_eff is still printed).
Asserts nothing.

    .venv/bin/python benchmarks/zerobias_pooled_allocation.py a.root b.root ... [--split 40,60] [--floor 0.005]
        [--target 100] [--exclude L1_ETMHF100]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zerobias_neff as zn

from trigger.menu import load_menu
from trigger.samples.production import DEFAULT_PTHAT_BINS
from trigger.samples.writer import read_provenance


def _option(args: list[str], flag: str) -> str | None:
    """The value of ``flag`` in ``args`` (both removed), or None."""
    if flag not in args:
        return None
    i = args.index(flag)
    value = args[i + 1]
    del args[i : i + 2]
    return value


def _args() -> tuple[list[str], list[float], float, float | None, set[str]]:
    args = sys.argv[1:]
    target = _option(args, "--target")
    exclude = _option(args, "--exclude")
    split: list[float] = []
    floor = 0.005
    if "--split" in args:
        i = args.index("--split")
        split = [float(x) for x in args[i + 1].split(",")]
        del args[i : i + 2]
    if "--floor" in args:
        i = args.index("--floor")
        floor = float(args[i + 1])
        del args[i : i + 2]
    return args, split, floor, None if target is None else float(target), set((exclude or "").split(",")) - {""}


def _labels(path: str, edges: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """Per crossing: its part in the refined bins ('soft', 'soft*', 'h0', 'h0*', 'h0**', ...) and its CPU (s)."""
    import uproot

    with uproot.open(path) as f:
        pthat = np.asarray(f["Events"]["pthat"].array(library="np"), float)
    prov = read_provenance(Path(path))
    lab = zn.strata(prov, pthat.size)
    copies = zn.crossing_copies(prov, pthat.size)
    # the bin a hard crossing was generated in bounds its sub-bin (the stored float32 pTHat may round below the edge)
    lo_hi = [*DEFAULT_PTHAT_BINS, np.inf]
    k = np.array([int(x[1:].rstrip("*")) if x.startswith("b") else -1 for x in lab])
    lo = np.where(k >= 0, np.take(lo_hi, np.maximum(k, 0)), -np.inf)
    hi = np.where(k >= 0, np.take(lo_hi, np.maximum(k, 0) + 1), np.inf)
    pthat = np.clip(pthat, np.nextafter(lo, np.inf), np.nextafter(hi, -np.inf))
    sub = np.searchsorted(edges, pthat, side="right") - 1
    stars = np.char.count(lab.astype(str), "*")
    base = np.char.rstrip(lab.astype(str), "*")
    names = np.where(base == "soft", lab, np.char.add(np.char.add("h", sub.astype(str)), np.char.multiply("*", stars)))
    cost = np.array([zn.crossing_cost_ms(x, int(c)) for x, c in zip(lab, copies, strict=True)]) * 1e-3
    return names, cost


def _key(name: str) -> tuple[int, int]:
    stars = name.count("*")
    return (-1 if name.startswith("soft") else int(name[1:].rstrip("*")), stars)


def main() -> None:
    files, split, floor, target, exclude = _args()
    edges = sorted({*DEFAULT_PTHAT_BINS, *split})
    menu = load_menu(zn.MENU)
    seeds = [s for s in menu.seeds if s.prescale == 1]
    acc: dict[str, np.ndarray] = {}  # part -> sum over files of m_h x B_h per seed
    n_acc: dict[str, float] = {}
    cost: dict[str, float] = {}
    r_acc = np.zeros(len(seeds))
    n_total = 0
    first: dict[str, float] = {}
    for f_i, path in enumerate(files):
        w, dec = zn.decisions(path, seeds, menu)
        names, c = _labels(path, edges)
        runs = zn.cluster_runs(path)
        fired = np.stack([dec[s.name] for s in seeds])
        r_acc += (fired * w).sum(1) * w.size
        n_total += w.size
        for name in np.unique(names):
            m = names == name
            mh = float(m.sum())
            sq = np.array([zn.sum_sq(w * (f & m), runs) for f in fired])
            acc[name] = acc.get(name, 0.0) + mh * mh * sq
            n_acc[name] = n_acc.get(name, 0.0) + mh
            cost[name] = float(c[m][0])
            if f_i == 0:
                first[name] = mh
    keys = sorted(acc, key=_key)
    rel = np.stack([acc[k] / n_acc[k] for k in keys], axis=1) / (r_acc / n_total)[:, None] ** 2
    c = np.array([cost[k] for k in keys])
    cur = np.array([first.get(k, 0.0) for k in keys])
    budget = float((cur * c).sum())
    print(f"pTHat edges {edges}; {len(keys)} parts; budget = the first file's CPU {budget:.0f} s (COST_MS)")
    kept = [i for i, s in enumerate(seeds) if s.name not in exclude]
    pm = _minimax(rel[kept], c, budget, floor, keys)
    if target is not None:  # N_eff is proportional to the crossings at fixed shares
        pm *= target / (1.0 / (rel[kept] / np.where(pm > 0, pm, np.inf)).sum(1)).min()
        print(f"scaled to the lowest N_eff {target:g} of the seeds kept: CPU~{(pm * c).sum():.0f}s")
    for label, n in (("first file's allocation", cur), ("pooled minimax", pm)):
        ne = 1.0 / (rel / np.where(n > 0, n, np.inf)).sum(1)
        order = np.argsort(ne)
        worst = ", ".join(f"{seeds[i].name} {ne[i]:.1f}" for i in order[:9])
        print(f"{label}: n={n.sum():.0f} CPU~{(n * c).sum():.0f}s; lowest N_eff: {worst}")
    print("minimax crossings: " + ", ".join(f"{k} {x:.0f}" for k, x in zip(keys, pm, strict=True)))
    shares = dict(zip(keys, pm / pm.sum(), strict=True))
    strata = ["soft", *[f"h{j}" for j in range(len(edges))]]
    alloc = [shares.get(f"{s}{'*' * k}", 0.0) for s in strata for k in range(3)]
    print(f"allocation (pthat_bins {edges}; normal / forced / forced-two per stratum):")
    print("  [" + ", ".join(f"{x:.4f}" for x in alloc) + "]")


def _minimax(rel: np.ndarray, cost: np.ndarray, budget: float, floor: float, keys: list[str]) -> np.ndarray:
    """Minimax over the seeds of Neyman's allocation (multiplicative weights); every normal and forced part
    >= ``floor`` of the crossings (one that never fired a seed here may still), two-forced parts may be 0."""
    lam = np.full(rel.shape[0], 1.0 / rel.shape[0])
    fl = np.array([0.0 if k.endswith("**") else floor for k in keys])
    n = np.ones(rel.shape[1])
    for _ in range(5000):
        n = np.sqrt(lam @ rel / cost)
        n *= budget / (n * cost).sum()
        n = np.maximum(n, fl * n.sum())
        n *= budget / (n * cost).sum()
        v = (rel / np.where(n > 0, n, np.inf)).sum(1)
        lam *= np.exp(0.5 * (v / v.max() - 1.0))
        lam /= lam.sum()
    return n


if __name__ == "__main__":
    main()
