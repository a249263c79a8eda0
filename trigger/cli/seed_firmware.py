"""The firmware of a menu's algorithm seed, with real inputs read through the features stage.

``l1emu hls export --menu MENU --seed NAME --input FILES`` exports the description the seed's
algorithm runs (:class:`trigger.menu.Exportable`), and C-simulates it on the values the firmware
reads in real events. Before that, the algorithm's own fixed-point outputs are checked to be the
description's (``run_fixed``): the export is of the algorithm that makes the rates, not of a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from trigger.cli._inputs import check_inputs
from trigger.errors import ConfigError, L1EmuError
from trigger.features import read_events
from trigger.io import Chunk, open_dataset
from trigger.menu import Exportable, Mode, load_menu, make_algorithm
from trigger.nn import ModelDescription, run_fixed

__all__ = ["SeedFirmware", "seed_firmware"]


@dataclass(frozen=True)
class SeedFirmware:
    seed: str
    algorithm: str
    description: ModelDescription
    inputs: NDArray[np.float64]
    events: int


def seed_firmware(
    menu_path: str | Path,
    seed_name: str,
    inputs: list[str],
    n: int,
    *,
    schema: str | None = None,
    tree: str | None = None,
    chunk_size: int = 100_000,
) -> SeedFirmware:
    """The seed's firmware description and at least ``n`` input rows (fewer if the files hold fewer)."""
    menu = load_menu(menu_path)
    seed = menu.seed(seed_name)
    if seed.algorithm is None:
        raise ConfigError(f"seed {seed_name} of {menu.source} is a cut seed, not an algorithm seed: nothing to export")
    algo = make_algorithm(seed.algorithm.name, seed.algorithm.kwargs, f"seed {seed_name}")
    if not isinstance(algo, Exportable):
        raise ConfigError(
            f"algorithm {seed.algorithm.name!r} of seed {seed_name} has no firmware description "
            "(it implements no firmware()/firmware_inputs()); it cannot be exported"
        )
    description = algo.firmware()
    checked = check_inputs(inputs, schema=schema, tree=tree)  # missing, truncated, duplicate: said before any read
    sch = checked.schema
    dataset = open_dataset(checked.files, sch, algo.needs().branches(sch), tree=tree)
    rows: list[NDArray[np.float64]] = []
    have = events = 0
    for item in dataset.work_items(chunk_size):
        chunk = read_events(item, sch, algo.needs())
        x = algo.firmware_inputs(chunk)
        _check_same_arithmetic(algo, description, chunk, x, item.describe())
        rows.append(x)
        have += len(x)
        events += chunk.n
        if have >= n:
            break
    if not have:
        raise L1EmuError(f"the inputs {', '.join(inputs)} give no firmware input rows for seed {seed_name}")
    x = np.concatenate(rows)[:n]
    return SeedFirmware(seed_name, seed.algorithm.name, description, x, events)


def _check_same_arithmetic(
    algo: Exportable, description: ModelDescription, chunk: Chunk, x: NDArray[np.float64], where: str
) -> None:
    """Per-event algorithms: their fixed outputs are the description's run on ``x``, bit for bit."""
    if len(x) != chunk.n:
        return  # per-object firmware (one row per jet): the algorithm reduces rows to events itself
    got = algo.evaluate(chunk, Mode.FIXED).fixed
    want = run_fixed(description, x).to_float()
    for k, name in enumerate(algo.outputs):
        bad = np.flatnonzero(got[name] != want[:, k])
        if len(bad):
            i = int(bad[0])
            raise L1EmuError(
                f"algorithm {algo.name!r} output {name!r} differs from its firmware description on {len(bad)} events "
                f"of {where} (first: event {i}, {got[name][i]} vs {want[i, k]}): a bug in the algorithm"
            )
