"""Rates: tallies from the event loop, prescales, uncertainties, tables and reports."""

from __future__ import annotations

from trigger.rates.prescale import PrescaleCounter, prescaled
from trigger.rates.report import to_csv, to_json, to_markdown, to_text, write_atomic
from trigger.rates.stats import clopper_pearson, rate_interval
from trigger.rates.table import Rate, RateTable, SeedRate, build_table
from trigger.rates.tally import RateAccumulator, RateProcessor

__all__ = [
    "PrescaleCounter",
    "Rate",
    "RateAccumulator",
    "RateProcessor",
    "RateTable",
    "SeedRate",
    "build_table",
    "clopper_pearson",
    "prescaled",
    "rate_interval",
    "to_csv",
    "to_json",
    "to_markdown",
    "to_text",
    "write_atomic",
]
