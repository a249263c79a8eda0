"""Render a :class:`RateTable` as text, CSV, JSON and Markdown, and write them atomically."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path

from trigger.outputs import write_set
from trigger.rates.table import RateTable

__all__ = ["to_csv", "to_json", "to_markdown", "to_text", "write_atomic"]

_HEAD = (
    "seed",
    "prescale",
    "count",
    "rate_khz",
    "err_down_khz",
    "err_up_khz",
    "count_ps",
    "rate_ps_khz",
    "err_ps_khz",
    "pure_khz",
    "proportional_khz",
    "float_khz",
    "fixed_khz",
    "float_fixed_differ",
    "truncated_events",
)


def _ps(p: float) -> str:
    return "off" if p == 0 else f"{p:g}"


def _opt(x: float | int | None, fmt: str = ".3f") -> str:
    return "" if x is None else format(x, fmt)


def _budget_line(t: RateTable) -> str:
    state = "headroom" if t.headroom_khz >= 0 else "OVER BUDGET by"
    return (
        f"total after prescales {t.total_prescaled.text()} kHz vs budget {t.budget_khz:g} kHz: "
        f"{state} {abs(t.headroom_khz):.3f} kHz"
    )


def _notes(t: RateTable) -> list[str]:
    out = []
    for path, why in t.skipped:
        out.append(f"skipped file {path}: {why}")
    for path in t.empty_files:
        out.append(f"empty tree in {path}")
    for branch, k in sorted(t.nonfinite.items()):
        out.append(f"{k} non-finite values in {branch} (objects dropped, sums fail every cut, weights set to 0)")
    for s in t.seeds:
        if s.truncated_events:
            out.append(
                f"{s.name}: {s.truncated_events} events had more objects than the algorithm's slots "
                "(lowest-pt objects dropped)"
            )
    return out


def to_text(t: RateTable) -> str:
    lines = [
        f"menu {t.menu} ({t.menu_source}): {t.events} events"
        + (f", sum of weights {t.sumw:.6g}" if t.weighted else ""),
        f"zero-bias rate {t.zero_bias_khz / 1000:.3f} MHz (colliding bunches x 11245.6 Hz) "
        f"vs {t.crossing_mhz:g} MHz crossing rate",
        "",
        f"{'seed':<36}{'prescale':>9}{'count':>9}  {'rate [kHz]':<22}{'after PS [kHz]':<22}{'pure':>9}{'prop.':>9}",
    ]
    for s in t.seeds:
        line = (
            f"{s.name:<36}{_ps(s.prescale):>9}{s.raw.count:>9}  {s.raw.text():<22}{s.prescaled.text():<22}"
            f"{s.pure.khz:>9.3f}{s.proportional_khz:>9.3f}"
        )
        if s.float_khz is not None:
            line += f"  float {s.float_khz:.3f} fixed {s.fixed_khz:.3f} differ {s.float_fixed_differ}"
        lines.append(line)
    lines += [
        "",
        f"{'total (OR) before prescales':<54}{t.total_raw.text()} kHz",
        f"{'total (OR) after prescales':<54}{t.total_prescaled.text()} kHz",
        _budget_line(t),
    ]
    lines += [f"note: {n}" for n in _notes(t)]
    return "\n".join(lines) + "\n"


def _rows(t: RateTable) -> list[list[str]]:
    rows = []
    for s in t.seeds:
        rows.append(
            [
                s.name,
                _ps(s.prescale),
                str(s.raw.count),
                f"{s.raw.khz:.6g}",
                f"{s.raw.err_down:.6g}",
                f"{s.raw.err_up:.6g}",
                str(s.prescaled.count),
                f"{s.prescaled.khz:.6g}",
                f"{s.prescaled.err_up:.6g}",
                f"{s.pure.khz:.6g}",
                f"{s.proportional_khz:.6g}",
                _opt(s.float_khz, ".6g"),
                _opt(s.fixed_khz, ".6g"),
                _opt(s.float_fixed_differ, "d"),
                str(s.truncated_events),
            ]
        )
    for name, r in (("TOTAL_before_prescales", t.total_raw), ("TOTAL_after_prescales", t.total_prescaled)):
        rows.append(
            [
                name,
                "",
                str(r.count),
                f"{r.khz:.6g}",
                f"{r.err_down:.6g}",
                f"{r.err_up:.6g}",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
        )
    return rows


def to_csv(t: RateTable) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_HEAD)
    writer.writerows(_rows(t))
    return buf.getvalue()


def to_json(t: RateTable) -> str:
    def clean(x: object) -> object:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(t.to_dict()), indent=2) + "\n"


def to_markdown(t: RateTable) -> str:
    head = (
        "seed",
        "prescale",
        "count",
        "rate [kHz]",
        "after prescale [kHz]",
        "pure [kHz]",
        "proportional [kHz]",
    )
    lines = [
        f"# Rates: {t.menu}",
        "",
        f"{t.events} events; zero-bias rate {t.zero_bias_khz / 1000:.3f} MHz; budget {t.budget_khz:g} kHz",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for s in t.seeds:
        lines.append(
            f"| {s.name} | {_ps(s.prescale)} | {s.raw.count} | {s.raw.text()} | {s.prescaled.text()} | "
            f"{s.pure.khz:.3f} | {s.proportional_khz:.3f} |"
        )
    lines += [
        "",
        f"- total (OR) before prescales: {t.total_raw.text()} kHz",
        f"- total (OR) after prescales: {t.total_prescaled.text()} kHz",
        f"- {_budget_line(t)}",
    ]
    algo = [s for s in t.seeds if s.float_khz is not None]
    if algo:
        lines += [
            "",
            "| algorithm seed | float [kHz] | fixed [kHz] | events differing |",
            "|---|---|---|---|",
        ]
        lines += [f"| {s.name} | {s.float_khz:.3f} | {s.fixed_khz:.3f} | {s.float_fixed_differ} |" for s in algo]
    lines += [f"- note: {n}" for n in _notes(t)]
    return "\n".join(lines) + "\n"


def write_atomic(outdir: str | Path, files: Mapping[str, str | bytes]) -> list[Path]:
    """Replace the report set in ``outdir`` as a whole (:func:`trigger.outputs.write_set`)."""
    return write_set(outdir, files)
