"""Where each seed's statistical error comes from in a weighted zero-bias sample (issue 10 item 5).

Per unprescaled seed of a menu: rate, N_eff = (sum w)^2 / sum w^2 and the share of sum w^2 (the squared
error) from each stratum of the sample (soft / pTHat bin, normal / forced half), rebuilt from the file's
stored request. Prints a table, asserts nothing.

    .venv/bin/python benchmarks/zerobias_neff.py data/samples/zerobias.root [menu.yaml]
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
from trigger.samples.writer import read_provenance  # noqa: E402

MENU = REPO / "configs" / "menus" / "l1_menu_default.yaml"


def strata(prov: dict, n: int) -> np.ndarray:
    """Per event, a label 'soft', 'soft*', 'b0', 'b0*', ... (* = forced half), from the plan."""
    from trigger.samples.processes import get_process
    from trigger.samples.production import Request, _plan

    req = dict(prov["request"])
    req["pthat_bins"] = tuple(req["pthat_bins"])
    req.pop("cache_dir", None)
    request = Request(**{k: v for k, v in req.items() if k in Request.__dataclass_fields__})
    plan = _plan(get_process(request.process), request, "")
    labels = []
    for spec in plan:
        name = "soft" if spec["kind"] == "soft" else ("plain" if spec["kind"] == "plain" else f"b{spec['label']}")
        labels += [name + ("*" if spec.get("forced") else "")] * spec["n"]
    assert len(labels) == n, (len(labels), n)
    return np.array(labels)


def main() -> None:
    path = sys.argv[1]
    menu = load_menu(sys.argv[2] if len(sys.argv) > 2 else MENU)
    schema = builtin_schema("l1emu")
    ev = SeedEvaluator(menu, schema)
    needs = ev.needs()
    ds = open_dataset([path], schema, needs.branches(schema))
    dec: dict[str, list[np.ndarray]] = {s.name: [] for s in menu.seeds}
    weights = []
    for item in ds.work_items(200_000):
        chunk = read_events(item, schema, needs)
        algos = ev.algorithm_outputs(chunk)
        for s in menu.seeds:
            dec[s.name].append(ev.decision(s, chunk, algos))
        weights.append(chunk.weight)
    w = np.concatenate(weights)
    lab = strata(read_provenance(Path(path)), w.size)
    names = sorted(set(lab), key=lambda s: (s[0] != "s", s))
    f_bx = menu.zero_bias_khz
    print(f"{path}: {w.size} crossings, sum w = {w.sum():.5f}")
    print(f"{'seed':36s} {'kHz':>8s} {'N_eff':>7s} {'n':>6s}  share of sum w^2 by stratum")
    for s in menu.seeds:
        if s.prescale != 1:
            continue
        m = np.concatenate(dec[s.name])
        sw, sw2 = w[m].sum(), (w[m] ** 2).sum()
        neff = sw**2 / sw2 if sw2 > 0 else 0.0
        shares = {k: (w[m & (lab == k)] ** 2).sum() / sw2 for k in names} if sw2 > 0 else {}
        top = ", ".join(f"{k} {v:.2f}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])[:4] if v > 0.005)
        print(f"{s.name:36s} {sw * f_bx:8.2f} {neff:7.1f} {int(m.sum()):6d}  {top}")


if __name__ == "__main__":
    main()
