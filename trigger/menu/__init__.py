"""Trigger menus: seeds from versioned YAML, their decisions on chunks, the algorithm-seed interface."""

from __future__ import annotations

from trigger.menu.algorithm import (
    Algorithm,
    AlgorithmOutput,
    Exportable,
    Mode,
    available_algorithms,
    make_algorithm,
)
from trigger.menu.evaluate import ScanTarget, SeedEvaluator, leg_mask
from trigger.menu.load import MENU_VERSION, load_menu, parse_menu
from trigger.menu.model import AlgoCut, Cross, Leg, Menu, Seed, SumCut

__all__ = [
    "MENU_VERSION",
    "AlgoCut",
    "Algorithm",
    "AlgorithmOutput",
    "Cross",
    "Exportable",
    "Leg",
    "Menu",
    "Mode",
    "ScanTarget",
    "Seed",
    "SeedEvaluator",
    "SumCut",
    "available_algorithms",
    "leg_mask",
    "load_menu",
    "make_algorithm",
    "parse_menu",
]
