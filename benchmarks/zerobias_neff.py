"""Where each seed's statistical error comes from in a weighted zero-bias sample (issue 10 item 5).

Per unprescaled seed of a menu: rate, N_eff = (sum w)^2 / sum w^2 and the share of sum w^2 (the squared
error) from each stratum of the sample (soft / pTHat bin; normal, one- or two-forced part), rebuilt from the file's
stored request. Copies of one hard event (the file's ``cluster`` branch) add their weights first: sum w^2 is
sum over clusters of (sum w)^2, as in ``l1emu rates``. Prints a table, asserts nothing.

``--allocate CPU_S``: the allocation (crossings per stratum half) that maximises the lowest N_eff of the
unprescaled seeds for CPU_S seconds of generation, from this file's sums of w^2 (n_h sum_h w^2 does not
depend on n_h) and the CPU per crossing of each stratum (``COST_MS``, measured with
benchmarks/zerobias_strata_cost.py), with the N_eff each seed would then have. Every half keeps >= 1 % of
the crossings (one in which a seed never fired here may still fire it).

    .venv/bin/python benchmarks/zerobias_neff.py data/samples/zerobias.root [menu.yaml] [--allocate 150]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from trigger.features import read_events  # noqa: E402
from trigger.io import builtin_schema, open_dataset  # noqa: E402
from trigger.menu import load_menu  # noqa: E402
from trigger.menu.evaluate import SeedEvaluator  # noqa: E402
from trigger.rates import clusters  # noqa: E402
from trigger.samples.writer import read_provenance  # noqa: E402

MENU = REPO / "configs" / "menus" / "l1_menu_default.yaml"
# CPU ms per crossing (benchmarks/zerobias_strata_cost.py 300 2, load 5 on 2 cores: relative figures), Pythia
# init (0.45 s a 500-crossing chunk) included in the hard bins; * = forced half
COST_MS = {
    "soft": 1.3,
    "plain": 1.3,
    "soft*": 1.2,
    "soft**": 1.2,
    **{f"b{k}{f}": 10.0 + (1.0 if k else 0.0) for k in range(20) for f in ("", "*", "**")},  # up to 20 bins
}
#: of a hard crossing's COST_MS, Pythia's share (7.5-10 ms an event, init included: zerobias_strata_cost.py at
#: load 0.1, 2026-12-03), paid once per hard event: a crossing of a bin with c copies costs COST - PYTHIA + PYTHIA / c
PYTHIA_MS = 8.0


def crossing_cost_ms(label: str, copies: int) -> float:
    """CPU ms of one crossing of stratum part ``label`` whose hard event makes ``copies`` crossings."""
    base = COST_MS[label]
    return base if label.startswith(("soft", "plain")) else base - PYTHIA_MS + PYTHIA_MS / copies


def sum_sq(x: np.ndarray, runs: np.ndarray) -> float:
    """sum over clusters of (sum of ``x`` in the cluster)^2, ``runs`` from ``clusters.runs_of``: the squared error
    of sum(x) with correlated copies, as ``l1emu rates`` takes it."""
    return float((clusters.run_sums(x, runs)[1] ** 2).sum())


def cluster_runs(path: str | Path) -> np.ndarray:
    """Each crossing's cluster run (``clusters.runs_of``) from the file's ``cluster`` branch; for a file made
    before it existed, from the plan's copies (in a hard task of c copies, crossings come in runs of c)."""
    import uproot

    with uproot.open(path) as f:
        tree = f["Events"]
        if "cluster" in tree:
            return clusters.runs_of(np.asarray(tree["cluster"].array(library="np")))
        n = tree.num_entries
    cluster, first = np.arange(n), 0
    for spec in _stored_plan(read_provenance(Path(path))):
        c = int(spec.get("copies", 1))
        cluster[first : first + spec["n"]] = first + (np.arange(spec["n"]) // c) * c
        first += spec["n"]
    assert first == n
    return clusters.runs_of(cluster)


def crossing_copies(prov: dict, n: int) -> np.ndarray:
    """Per crossing, the copies its hard event makes (1 for soft crossings), from the plan."""
    return np.concatenate([np.full(spec["n"], int(spec.get("copies", 1))) for spec in _stored_plan(prov)])


def _stored_plan(prov: dict) -> list[dict]:
    from trigger.samples.processes import get_process
    from trigger.samples.production import Request, _plan

    req = dict(prov["request"])
    req["pthat_bins"] = tuple(req["pthat_bins"])
    req["allocation"] = tuple(req["allocation"]) if req.get("allocation") else None  # None: the default split
    req["copies"] = tuple(req["copies"]) if req.get("copies") else None
    req.pop("cache_dir", None)
    request = Request(**{k: v for k, v in req.items() if k in Request.__dataclass_fields__})
    return _plan(get_process(request.process), request, "")


def strata(prov: dict, n: int) -> np.ndarray:
    """Per event, a label 'soft', 'soft*', 'b0', 'b0*', ... (* = forced half), from the plan."""
    labels = []
    for spec in _stored_plan(prov):
        name = "soft" if spec["kind"] == "soft" else ("plain" if spec["kind"] == "plain" else f"b{spec['label']}")
        labels += [name + "*" * int(spec.get("forced", 0))] * spec["n"]
    assert len(labels) == n, (len(labels), n)
    return np.array(labels)


def allocate(
    w: np.ndarray,
    lab: np.ndarray,
    fired: dict[str, np.ndarray],
    names: list[str],
    cpu_s: float,
    runs: np.ndarray,
    copies: np.ndarray,
) -> tuple[dict[str, int], dict[str, float]]:
    """Crossings per stratum half for ``cpu_s`` that maximise the lowest N_eff, and the N_eff per seed then.

    Minimax by multiplicative weights: for seed weights lam, Neyman's allocation n_h ~ sqrt(sum_s lam_s
    b_hs / R_s^2 / c_h) minimises sum_s lam_s / N_eff_s; lam moves towards the seeds with the lowest N_eff.
    """
    n_h = np.array([np.sum(lab == k) for k in names], float)
    cost = np.array([crossing_cost_ms(k, int(copies[lab == k][0])) for k in names]) * 1e-3
    seeds = list(fired)
    r = np.array([w[fired[s]].sum() for s in seeds])
    b = np.array([[n_h[j] * sum_sq(w * (fired[s] & (lab == k)), runs) for j, k in enumerate(names)] for s in seeds])
    rel = b / r[:, None] ** 2  # relative variance of seed s is sum_h rel_sh / n_h
    lam = np.full(len(seeds), 1.0 / len(seeds))
    floor = 0.01
    for _ in range(5000):
        n = np.sqrt(lam @ rel / cost)
        n *= cpu_s / (n * cost).sum()
        n = np.maximum(n, floor * n.sum())  # no half starved: one that never fired here may still fire
        n *= cpu_s / (n * cost).sum()
        v = (rel / n).sum(1)
        lam *= np.exp(0.5 * (v / v.max() - 1.0))
        lam /= lam.sum()
    return {k: round(float(x)) for k, x in zip(names, n, strict=True)}, dict(zip(seeds, 1.0 / v, strict=True))


def decisions(path: str | Path, seeds: list, menu) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every crossing's weight and each seed's decision (before prescales) on the file ``path``."""
    schema = builtin_schema("l1emu")
    ev = SeedEvaluator(menu, schema)
    needs = ev.needs()
    ds = open_dataset([str(path)], schema, needs.branches(schema))
    dec: dict[str, list[np.ndarray]] = {s.name: [] for s in seeds}
    weights = []
    for item in ds.work_items(200_000):
        chunk = read_events(item, schema, needs)
        algos = ev.algorithm_outputs(chunk)
        for s in seeds:
            dec[s.name].append(ev.decision(s, chunk, algos))
        weights.append(chunk.weight)
    return np.concatenate(weights), {k: np.concatenate(v) for k, v in dec.items()}


def main() -> None:
    args = [a for a in sys.argv[1:]]
    cpu_s = None
    if "--allocate" in args:
        i = args.index("--allocate")
        cpu_s = float(args[i + 1])
        del args[i : i + 2]
    path = args[0]
    menu = load_menu(args[1] if len(args) > 1 else MENU)
    w, dec = decisions(path, list(menu.seeds), menu)
    prov = read_provenance(Path(path))
    lab, copies, runs = strata(prov, w.size), crossing_copies(prov, w.size), cluster_runs(path)
    names = sorted(set(lab), key=lambda s: (s[0] != "s", s))
    f_bx = menu.zero_bias_khz
    print(f"{path}: {w.size} crossings in {int(runs[-1]) + 1} clusters, sum w = {w.sum():.5f}")
    cost = sum(crossing_cost_ms(k, int(copies[lab == k][0])) * np.sum(lab == k) for k in names) / 1e3
    parts = ", ".join(f"{k} {np.sum(lab == k)}" for k in names)
    print(f"crossings per stratum half: {parts}; CPU ~{cost:.0f} s (COST_MS)")
    print(f"{'seed':36s} {'kHz':>8s} {'N_eff':>7s} {'n':>6s}  share of sum w^2 by stratum")
    fired = {}
    for s in menu.seeds:
        if s.prescale != 1:
            continue
        m = dec[s.name]
        fired[s.name] = m
        sw, sw2 = w[m].sum(), sum_sq(w * m, runs)
        neff = sw**2 / sw2 if sw2 > 0 else 0.0
        shares = {k: sum_sq(w * (m & (lab == k)), runs) / sw2 for k in names} if sw2 > 0 else {}
        top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])[:4] if v > 0.005)
        print(f"{s.name:36s} {sw * f_bx:8.2f} {neff:7.1f} {int(m.sum()):6d}  {top}")
    if cpu_s is not None:
        counts, neffs = allocate(w, lab, fired, names, cpu_s, runs, copies)
        total = sum(counts.values())
        print(f"allocation for {cpu_s:.0f} s CPU: {total} crossings; shares (soft, soft*, b0, b0*, ...):")
        print("  " + ", ".join(f"{k} {v} ({v / total:.3f})" for k, v in counts.items()))
        print("  predicted N_eff: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(neffs.items(), key=lambda kv: kv[1])))


if __name__ == "__main__":
    main()
