"""The ``l1emu train anomaly`` and ``l1emu evaluate anomaly`` sub-commands (entry points ``l1emu.train`` /
``l1emu.evaluate``). Light to import: the work is imported when a command runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trigger.argtypes import count, number
from trigger.errors import ConfigError

__all__ = ["DEFAULT_MENU", "register_evaluate", "register_train"]

DEFAULT_MENU = Path(__file__).resolve().parents[2] / "configs" / "menus" / "l1_menu_anomaly.yaml"


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate in kHz, e.g. 1 or 0.3, got {text!r}") from None
    if not (value > 0 and value < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a finite rate > 0 kHz, got {value}")
    return value


def register_train(parser: argparse.ArgumentParser) -> None:
    from algorithms.anomaly.model import DEFAULT_DIR

    parser.add_argument("--input", "-i", nargs="+", required=True, help="unweighted zero-bias files (training)")
    parser.add_argument("-o", "--output", default=str(DEFAULT_DIR), help=f"model directory (default {DEFAULT_DIR})")
    parser.add_argument("--epochs", type=count(1), default=None, help="at most (default 20; early stopping)")
    parser.add_argument("--batch-size", type=count(1), default=1024)
    parser.add_argument("--max-events", type=count(1), default=None, help="crossings at most")
    parser.add_argument("--seed", type=int, default=42)
    parser.set_defaults(func=_train)


def register_evaluate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--signal", nargs="+", required=True, help="signal sample files, one per process")
    parser.add_argument("--background", nargs="+", required=True, help="held-out unweighted zero-bias file(s)")
    parser.add_argument("-o", "--outdir", required=True, help="where scores.npz, metrics.json and roc plots go")
    parser.add_argument("--models", default=None, help="model directory (default: the shipped one)")
    parser.add_argument("--menu", default=str(DEFAULT_MENU), help=f"menu with L1_AD_* seeds (default {DEFAULT_MENU})")
    parser.add_argument("--rate-khz", type=_rate, default=1.0, help="zero-bias rate of the thresholds (default 1)")
    parser.add_argument(
        "--step",
        type=number(0.0, strict=True),
        default=None,
        help="threshold grid as in l1emu threshold (default 0.0625, the score LSB)",
    )
    parser.set_defaults(func=_evaluate)


def _unweighted(files: list[str], what: str) -> None:
    from trigger.samples.writer import read_provenance

    for f in files:
        try:
            request = read_provenance(Path(f)).get("request", {})
        except Exception:  # foreign file: no provenance to check
            continue
        if request.get("process") == "zerobias" and request.get("weighted", True):
            raise ConfigError(
                f"{what} {f} is a weighted zero-bias sample; the anomaly models train and set thresholds on "
                "unweighted crossings (`weighted: false`, configs/samples_anomaly.yaml)"
            )


def _train(args: argparse.Namespace) -> int:
    from algorithms.anomaly.data import read_inputs
    from algorithms.anomaly.train import TrainingOptions, train
    from trigger.io import expand_inputs

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--output {out} exists and is not a directory")
    files = expand_inputs(args.input)
    _unweighted(files, "--input")
    events = read_inputs(files, args.max_events)
    epochs = {} if args.epochs is None else {"epochs": args.epochs}
    opts = TrainingOptions(batch_size=args.batch_size, seed=args.seed, **epochs)
    summary = train(events.x, out, opts, {"inputs": [Path(p).name for p in files], "truncated": events.truncated})
    print(f"trained on {summary['crossings']} zero-bias crossings in {summary['seconds']} s")
    print(f"wrote {out}: scaling.json, vae.json/.npz (scale + encoder + sum mu^2), ae.json/.npz, .keras, training.json")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from algorithms.anomaly.evaluate import evaluate
    from algorithms.anomaly.model import DEFAULT_DIR
    from trigger.io import expand_inputs
    from trigger.rates import write_atomic

    background = expand_inputs(args.background)
    _unweighted(background, "--background")
    menu = Path(args.menu)
    if not menu.is_file():
        raise ConfigError(f"--menu {menu}: no such file")
    models = Path(args.models) if args.models else DEFAULT_DIR
    step = {} if args.step is None else {"step": args.step}
    table, files = evaluate(models, expand_inputs(args.signal), background, menu, args.rate_khz, **step)
    paths = write_atomic(args.outdir, files)
    print(_format(table))
    print(f"wrote {', '.join(str(p) for p in paths)}")
    return 0


def _format(table: dict[str, Any]) -> str:
    t = table["thresholds"]
    lines = [
        f"thresholds at {table['target_khz']:g} kHz on {table['background']['crossings']} zero-bias crossings: "
        + ", ".join(f"{k} {v:g}" for k, v in t.items())
    ]
    head = f"{'signal':<16}" + "".join(f"{k:>11}" for k in t) + f"{'menu':>8}{'AD uniq':>9}"
    lines.append(head)
    for name, row in table["signals"].items():
        uniq = [v["unique"] for k, v in row["menu"].items() if isinstance(v, dict) and "Nominal" in k]
        cells = "".join(f"{row[k]['efficiency']:>11.4f}" for k in t)
        lines.append(f"{name:<16}{cells}{row['menu']['total']:>8.4f}{(uniq[0] if uniq else float('nan')):>9.4f}")
    return "\n".join(lines)
