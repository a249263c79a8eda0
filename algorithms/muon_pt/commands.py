"""The ``l1emu train muon-pt`` and ``l1emu evaluate muon-pt`` sub-commands (entry points ``l1emu.train`` /
``l1emu.evaluate``). Light to import: the work is imported when a command runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trigger.argtypes import count
from trigger.errors import ConfigError

__all__ = ["register_evaluate", "register_train"]


def register_train(parser: argparse.ArgumentParser) -> None:
    from algorithms.muon_pt.model import DEFAULT_DIR

    parser.add_argument("--input", "-i", nargs="+", required=True, help="muon-gun sample files")
    parser.add_argument("-o", "--output", default=str(DEFAULT_DIR), help=f"model directory (default {DEFAULT_DIR})")
    parser.add_argument("--epochs", type=count(1), default=None, help="at most (default 80; early stopping)")
    parser.add_argument("--batch-size", type=count(1), default=512)
    parser.add_argument("--max-muons", type=count(1), default=None, help="gun muons at most (file order)")
    parser.add_argument("--seed", type=int, default=42)
    parser.set_defaults(func=_train)


def register_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", nargs="+", required=True, help="held-out muon-gun sample files")
    parser.add_argument("-o", "--outdir", required=True, help="where muons.npz, metrics.json and plots go")
    parser.add_argument("--models", default=None, help="model directory (default: the shipped one)")
    parser.add_argument("--max-muons", type=count(1), default=None)
    parser.add_argument("--no-plots", action="store_true", help="skip the resolution and turn-on plots")
    parser.set_defaults(func=_evaluate)


def _train(args: argparse.Namespace) -> int:
    from algorithms.muon_pt.data import gun_muons
    from algorithms.muon_pt.train import TrainingOptions, train

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--output {out} exists and is not a directory")
    muons = gun_muons(args.input, args.max_muons)
    epochs = {} if args.epochs is None else {"epochs": args.epochs}
    opts = TrainingOptions(batch_size=args.batch_size, seed=args.seed, **epochs)
    summary = train(muons, out, opts, {"inputs": [Path(p).name for p in args.input]})
    print(f"trained on {summary['muons']} L1 muons of {summary['gun_muons']} gun muons in {summary['seconds']} s")
    print(f"wrote {out}: scaling.json, float/qat .keras, muon_pt_{{ptq,qat}}.json/.npz, training.json")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from algorithms.muon_pt.data import gun_muons
    from algorithms.muon_pt.evaluate import evaluate
    from algorithms.muon_pt.model import DEFAULT_DIR
    from trigger.rates import write_atomic

    models = Path(args.models) if args.models else DEFAULT_DIR
    muons = gun_muons(args.input, args.max_muons)
    try:
        table, files = evaluate(models, muons, plots=not args.no_plots)
    except ValueError as exc:
        raise ConfigError(f"--input {' '.join(args.input)}: {exc}") from None
    paths = write_atomic(args.outdir, files)
    print(_format(table))
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _format(table: dict[str, Any]) -> str:
    from algorithms.muon_pt.evaluate import ASSIGNMENTS

    lines = [f"{table['found']} of {table['gun_muons']} gun muons found; q/pT resolution by true pT [GeV]:"]
    rows = table["resolution"]
    head = [f"{r['lo']:g}-{r['hi']:g}" for r in rows["classic"]]
    lines.append(f"{'':<13}" + "".join(f"{h:>9}" for h in head))
    for name in ASSIGNMENTS:
        lines.append(f"{name:<13}" + "".join(f"{r.get('resolution', float('nan')):9.3f}" for r in rows[name]))
    lines.append("90 % of plateau at 22 GeV (threshold, plateau):")
    for name in ASSIGNMENTS:
        t = table["thresholds"][name]
        lines.append(f"  {name:<13} pT >= {t['threshold']:.2f} GeV, plateau {t['plateau']:.4f}")
    d = table["float_fixed_decisions_differ"]
    lines.append(f"float/fixed decisions at {d['threshold']:.2f} GeV differ on {d['muons']} of {d['of']} muons")
    for rf, e in table["estimate"].items():
        lines.append(
            f"estimate {rf}: {e['dsp']} DSP, {e['lut_multipliers']} LUT multipliers, "
            f"latency {e['latency_cycles']} cycles, II {e['ii']}"
        )
    return "\n".join(lines)
