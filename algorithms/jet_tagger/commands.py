"""The ``l1emu train jet-tagger`` and ``l1emu evaluate jet-tagger`` sub-commands (entry points
``l1emu.train`` / ``l1emu.evaluate``). Light to import: the work is imported when a command runs."""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trigger.argtypes import count
from trigger.errors import ConfigError

__all__ = ["register_evaluate", "register_train"]


def register_train(parser: argparse.ArgumentParser) -> None:
    from algorithms.jet_tagger.model import DEFAULT_DIR

    parser.add_argument("--input", "-i", nargs="+", required=True, help="boosted-* sample files (FatJet rows)")
    parser.add_argument("-o", "--output", default=str(DEFAULT_DIR), help=f"model directory (default {DEFAULT_DIR})")
    parser.add_argument("--epochs", type=count(1), default=None, help="at most (default 60; early stopping)")
    parser.add_argument("--batch-size", type=count(1), default=256)
    parser.add_argument("--max-per-class", type=count(1), default=None, help="jets per class at most")
    parser.add_argument("--seed", type=int, default=42)
    parser.set_defaults(func=_train)


def register_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", "-i", nargs="+", required=True, help="held-out boosted-* sample files")
    parser.add_argument("-o", "--outdir", required=True, help="where scores, metrics.json and plots go")
    parser.add_argument("--models", default=None, help="model directory (default: the shipped one)")
    parser.add_argument("--max-per-class", type=count(1), default=None)
    parser.add_argument("--no-scan", action="store_true", help="skip the precision scan")
    parser.set_defaults(func=_evaluate)


def _train(args: argparse.Namespace) -> int:
    from algorithms.jet_tagger.data import labelled_jets
    from algorithms.jet_tagger.train import TrainingOptions, train

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--output {out} exists and is not a directory")
    x, y, _ = labelled_jets(args.input, args.max_per_class)
    epochs = {} if args.epochs is None else {"epochs": args.epochs}
    opts = TrainingOptions(batch_size=args.batch_size, seed=args.seed, **epochs)
    summary = train(x, y, out, opts, {"inputs": [Path(p).name for p in args.input]})
    print(f"trained on {summary['jets']} jets (per class {summary['per_class']}) in {summary['seconds']} s")
    print(f"wrote {out}: scaling.json, float/qat/qat_pruned .keras, tagger_{{ptq,qat,qat_pruned}}.json/.npz")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from algorithms.jet_tagger.data import labelled_jets
    from algorithms.jet_tagger.evaluate import evaluate
    from algorithms.jet_tagger.model import DEFAULT_DIR
    from trigger.rates import write_atomic

    models = Path(args.models) if args.models else DEFAULT_DIR
    x, y, pt = labelled_jets(args.input, args.max_per_class)
    table, files = evaluate(models, x, y, pt)
    if not args.no_scan:
        files.update(_scan(models, x, y))
    paths = write_atomic(args.outdir, files)
    print(_format(table))
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _scan(models: Path, x: Any, y: Any) -> dict[str, bytes | str]:
    import json

    from algorithms.jet_tagger.inputs import FEATURES
    from trigger.features.scaling import scaled_inputs, scaling_from_json
    from trigger.train import plot_precision_scan, precision_scan

    scale = scaling_from_json((models / "scaling.json").read_text(), str(models / "scaling.json"), FEATURES)
    scan = precision_scan(models / "float.keras", scaled_inputs(scale, x), y)
    with tempfile.TemporaryDirectory() as tmp:
        png = plot_precision_scan(scan, Path(tmp) / "precision_scan.png")
        return {"precision_scan.png": png.read_bytes(), "precision_scan.json": json.dumps(asdict(scan), indent=1)}


def _format(table: dict[str, Any]) -> str:
    from algorithms.jet_tagger.inputs import CLASSES

    lines = [f"{'variant':<12} {'accuracy':>8}  " + "  ".join(f"AUC {c:<3}" for c in CLASSES)]
    for variant, row in table.items():
        aucs = "  ".join(f"{row['auc'][c]:7.4f}" for c in CLASSES)
        lines.append(f"{variant:<12} {row['accuracy']:8.4f}  {aucs}")
    lines.append("firmware estimate (hls/estimate.py, 5 ns clock, no synthesis): DSP, latency per reuse factor")
    for variant, row in table.items():
        if "firmware_estimate" in row:
            cells = "  ".join(
                f"{rf}: {e['dsp']} DSP {e['latency_ns']} ns" for rf, e in row["firmware_estimate"].items()
            )
            lines.append(f"{variant:<12} {cells}")
    return "\n".join(lines)
