"""Render a :class:`RateTable` as text, CSV, JSON and Markdown, and write them atomically."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path

from trigger.outputs import write_set
from trigger.rates.table import RateTable, SeedRate

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
    "n_eff",
)
#: below this effective sample size a seed's rate and error are flagged in the notes
MIN_N_EFF = 10.0


def _ps(p: float) -> str:
    return "off" if p == 0 else f"{p:g}"


def _opt(x: float | int | None, fmt: str = ".3f") -> str:
    return "" if x is None else format(x, fmt)


def _after(s: SeedRate) -> str:
    """The rate after prescales; a disabled seed has none, so no error bar."""
    return "0 (off)" if s.prescale == 0 else s.prescaled.text()


def _prescale_line(t: RateTable) -> str:
    source = "" if t.prescales_from == "menu" else f", from {t.prescales_from}"
    if t.prescale_mode == "expected":
        return f"prescales as expected values: a fire of a seed with prescale p counts w/p (weighted sample){source}"
    return f"prescales with the uGT counter (initial counters {t.prescale_counters}){source}"


def _column_rows(t: RateTable) -> list[list[str]]:
    rows = [["prescale column", "total after prescales [kHz]", "headroom [kHz]"]]
    rows += [[c.name, c.total.text(), f"{c.headroom_khz:.3f}"] for c in t.prescale_columns]
    return rows


def _budget_line(t: RateTable) -> str:
    state = "headroom" if t.headroom_khz >= 0 else "OVER BUDGET by"
    return (
        f"total after prescales {t.total_prescaled.text()} kHz vs budget {t.budget_khz:g} kHz: "
        f"{state} {abs(t.headroom_khz):.3f} kHz"
    )


def _notes(t: RateTable) -> list[str]:
    out = list(t.input_notes)
    for path, why in t.skipped:
        out.append(f"skipped file {path}: {why}")
    for path in t.empty_files:
        out.append(f"empty tree in {path}")
    for name, k in sorted(t.dropped.items()):
        out.append(f"{k} {name} objects with a non-finite pt, eta or phi dropped before any seed")
    for branch, k in sorted(t.nonfinite.items()):
        out.append(f"{k} non-finite values in {branch} (objects dropped, sums fail every cut, weights set to 0)")
    for s in t.seeds:
        if s.truncated_events:
            out.append(
                f"{s.name}: {s.truncated_events} events had more objects than the algorithm's slots "
                "(lowest-pt objects dropped)"
            )
    low = [s for s in t.seeds if s.n_eff < MIN_N_EFF]
    if low:
        out.append(
            f"effective sample size below {MIN_N_EFF:g} (rate and error unreliable) for {len(low)} seed"
            f"{'s' if len(low) > 1 else ''}: " + ", ".join(f"{s.name} ({s.n_eff:.1f})" for s in low)
        )
    return out


def _align(rows: list[list[str]], right: set[int]) -> list[str]:
    """Columns as wide as their widest cell (two spaces apart), numbers right-aligned."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = (
            cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        out.append("  ".join(cells).rstrip())
    return out


#: input files listed one per line in the text and Markdown reports (all of them in the JSON)
_LISTED = 10


def _zero_bias_line(t: RateTable) -> str:
    return (
        f"zero-bias rate {t.zero_bias_khz / 1000:.3f} MHz ({t.colliding_bunches} colliding bunches x "
        f"{t.revolution_hz:g} Hz) vs {t.crossing_mhz:g} MHz crossing rate"
    )


def _input_lines(t: RateTable) -> list[str]:
    out = [f"input {r.path} ({r.tree}, {r.entries} entries, sha256 {r.sha256[:16]}...)" for r in t.inputs[:_LISTED]]
    if len(t.inputs) > _LISTED:
        out.append(f"... and {len(t.inputs) - _LISTED} more input files (all in rates.json)")
    if t.schema:
        out.insert(0, f"schema {t.schema}")
    return out


def to_text(t: RateTable) -> str:
    lines = [
        f"menu {t.menu} ({t.menu_source}): {t.events} events"
        + (f", sum of weights {t.sumw:.6g}" if t.weighted else ""),
        _zero_bias_line(t),
        *_input_lines(t),
        _prescale_line(t),
        "",
    ]
    rows = [["seed", "prescale", "count", "N_eff", "rate [kHz]", "after PS [kHz]", "pure", "prop.", ""]]
    for s in t.seeds:
        algo = ""
        if s.float_khz is not None:
            algo = f"float {s.float_khz:.3f} fixed {s.fixed_khz:.3f} differ {s.float_fixed_differ}"
        rows.append(
            [
                s.name,
                _ps(s.prescale),
                str(s.raw.count),
                f"{s.n_eff:.1f}",
                s.raw.text(),
                _after(s),
                f"{s.pure.khz:.3f}",
                f"{s.proportional_khz:.3f}",
                algo,
            ]
        )
    lines += _align(rows, {1, 2, 3, 6, 7})
    totals = [
        ["total (OR) before prescales", f"{t.total_raw.text()} kHz"],
        ["total (OR) after prescales", f"{t.total_prescaled.text()} kHz"],
    ]
    lines += ["", *_align(totals, set()), _budget_line(t)]
    if t.prescale_columns:
        lines += ["", *_align(_column_rows(t), {2})]
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
                "" if s.prescale == 0 else f"{s.prescaled.err_up:.6g}",
                f"{s.pure.khz:.6g}",
                f"{s.proportional_khz:.6g}",
                _opt(s.float_khz, ".6g"),
                _opt(s.fixed_khz, ".6g"),
                _opt(s.float_fixed_differ, "d"),
                str(s.truncated_events),
                f"{s.n_eff:.6g}",
            ]
        )
    totals = [("TOTAL_before_prescales", t.total_raw), ("TOTAL_after_prescales", t.total_prescaled)]
    totals += [(f"TOTAL_after_prescales:{c.name}", c.total) for c in t.prescale_columns]
    for name, r in totals:
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
        "N_eff",
        "rate [kHz]",
        "after prescale [kHz]",
        "pure [kHz]",
        "proportional [kHz]",
    )
    lines = [
        f"# Rates: {t.menu}",
        "",
        f"{t.events} events; {_zero_bias_line(t)}; budget {t.budget_khz:g} kHz",
        "",
        *(f"- {line}" for line in _input_lines(t)),
        "",
        _prescale_line(t),
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for s in t.seeds:
        lines.append(
            f"| {s.name} | {_ps(s.prescale)} | {s.raw.count} | {s.n_eff:.1f} | {s.raw.text()} | {_after(s)} | "
            f"{s.pure.khz:.3f} | {s.proportional_khz:.3f} |"
        )
    lines += [
        "",
        f"- total (OR) before prescales: {t.total_raw.text()} kHz",
        f"- total (OR) after prescales: {t.total_prescaled.text()} kHz",
        f"- {_budget_line(t)}",
    ]
    if t.prescale_columns:
        head_c, *rows_c = _column_rows(t)
        lines += ["", "| " + " | ".join(head_c) + " |", "|---|---|---|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows_c]
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
