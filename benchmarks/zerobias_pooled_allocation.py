"""The zero-bias allocation from several samples at once (issue 10 item 5).

n_h sum_h w^2 of a seed in stratum half h does not depend on n_h, so samples of the same weight model made
with different allocations pool (n_h-weighted) into one estimate B_hs; one sample's estimate is a lottery
where a seed has N_eff < 10 (one rare crossing decides it). Prints the predicted N_eff per seed of the
former split (half soft, 30 % forced, 20 000 crossings), of the shares benchmarks/zerobias_neff.py
--allocate gave on one sample, and of the minimax allocation on the pooled B_hs at the former split's CPU
(COST_MS), with its shares. Asserts nothing.

    .venv/bin/python benchmarks/zerobias_pooled_allocation.py a.root b.root ...
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zerobias_neff as zn

from trigger.features import read_events
from trigger.io import builtin_schema, open_dataset
from trigger.menu import load_menu
from trigger.menu.evaluate import SeedEvaluator
from trigger.samples.writer import read_provenance

menu = load_menu(zn.MENU)
schema = builtin_schema("l1emu")
ev = SeedEvaluator(menu, schema)
needs = ev.needs()
seeds = [s for s in menu.seeds if s.prescale == 1]
NAMES = ["soft", "soft*"] + [f"b{k}{f}" for k in range(7) for f in ("", "*")]
B = np.zeros((len(seeds), len(NAMES)))
R = np.zeros(len(seeds))
NW = np.zeros(len(NAMES))
NR = 0
for path in sys.argv[1:]:
    ds = open_dataset([path], schema, needs.branches(schema))
    dec = {s.name: [] for s in seeds}
    ws = []
    for item in ds.work_items(200_000):
        chunk = read_events(item, schema, needs)
        algos = ev.algorithm_outputs(chunk)
        for s in seeds:
            dec[s.name].append(ev.decision(s, chunk, algos))
        ws.append(chunk.weight)
    w = np.concatenate(ws)
    lab = zn.strata(read_provenance(Path(path)), w.size)
    n_h = np.array([np.sum(lab == k) for k in NAMES], float)
    for i, s in enumerate(seeds):
        m = np.concatenate(dec[s.name])
        R[i] += w[m].sum() * w.size
        for j, k in enumerate(NAMES):
            B[i, j] += n_h[j] * (n_h[j] * (w[m & (lab == k)] ** 2).sum())  # weight n_h: per-file estimate
    NW += n_h
    NR += w.size
B /= NW
R /= NR  # pooled B_hs (n_h-weighted mean) and rate per unit
cost = np.array([zn.COST_MS[k] for k in NAMES]) * 1e-3


def predict(counts):
    v = (B / counts).sum(1) / R**2
    return 1.0 / v


legacy = np.array([7000, 3000] + [1000, 429] * 7, float)
prev = np.array([0.04, 0.33, 0.08, 0.10, 0.06, 0.08, 0.05, 0.05, 0.06, 0.04, 0.03, 0.03, 0.015, 0.015, 0.01, 0.01])
mm = np.array([0.009, 0.733, 0.057, 0.060, 0.012, 0.026, 0.020, 0.009] + [0.009] * 8)
budget = (legacy * cost).sum()


def at_budget(shares):
    c = shares / shares.sum()
    return c * budget / (c * cost).sum()


# pooled minimax at the legacy budget, floor 1 %
rel = B / R[:, None] ** 2
lam = np.full(len(seeds), 1 / len(seeds))
for _ in range(5000):
    n = np.sqrt(lam @ rel / cost)
    n *= budget / (n * cost).sum()
    n = np.maximum(n, 0.01 * n.sum())
    n *= budget / (n * cost).sum()
    v = (rel / n).sum(1)
    lam *= np.exp(0.5 * (v / v.max() - 1.0))
    lam /= lam.sum()
pm = n
cands = {
    "legacy 20000": legacy,
    "prev 20000": prev / prev.sum() * 20000,
    "prev @CPU": at_budget(prev),
    "minimax1 @CPU": at_budget(mm),
    "pooled minimax @CPU": pm,
}
print("budget COST_MS s", round(budget, 1))
for name, c in cands.items():
    ne = predict(c)
    order = np.argsort(ne)
    print(
        f"{name}: n={c.sum():.0f} CPU~{(c * cost).sum():.0f}s min N_eff {ne.min():.1f}; worst 6: "
        + ", ".join(f"{seeds[i].name} {ne[i]:.1f}" for i in order[:6])
    )
print("pooled minimax shares:", ", ".join(f"{k} {x / pm.sum():.3f}" for k, x in zip(NAMES, pm, strict=True)))
print("all seeds pooled minimax:", ", ".join(f"{seeds[i].name} {x:.0f}" for i, x in enumerate(predict(pm))))
print("all seeds legacy:", ", ".join(f"{seeds[i].name} {x:.0f}" for i, x in enumerate(predict(legacy))))
