"""Random seeds (1-3 legs, nested or not, with or without cross conditions) against brute force."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
import uproot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trigger.io import builtin_schema, read_chunk
from trigger.io.files import WorkItem
from trigger.menu import Cross, Leg, Menu, Seed, SeedEvaluator

N = 2_000

legs_st = st.builds(
    Leg,
    collection=st.just("muons"),
    min_pt=st.sampled_from([0.0, 3.0, 5.0, 8.0]),
    min_abs_eta=st.sampled_from([0.0, 0.8]),
    max_abs_eta=st.sampled_from([1.2, 2.4, math.inf]),
    quality=st.sampled_from([None, (12, 13, 14, 15), tuple(range(8, 16))]),
    bx=st.just(0),
    multiplicity=st.integers(1, 2),
)
cross_st = st.one_of(
    st.none(),
    st.builds(Cross, max_dr=st.sampled_from([1.0, 3.0]), opposite_charge=st.booleans()),
    st.builds(Cross, min_mass=st.sampled_from([2.0, 10.0]), max_mass=st.sampled_from([30.0, math.inf])),
)


@pytest.fixture(scope="module")
def events(toy_sample: Path) -> tuple[Any, list[list[dict[str, float]]]]:
    schema = builtin_schema("l1emu")
    probe = SeedEvaluator(
        Menu(
            "p",
            (Seed("x", (Leg("muons", 0.0, quality=(1,)),), crosses=(Cross(opposite_charge=True, max_dr=1.0),)),),
        ),
        schema,
    )
    chunk = read_chunk(WorkItem(0, str(toy_sample), "Events", 0, N), schema, probe.needs())
    a = uproot.open(toy_sample)["Events"].arrays(entry_stop=N)
    fields = ("pt", "eta", "phi", "charge", "qual", "bx")
    objs = []
    for i in range(N):
        cols = [a[f"L1Mu_{f}"][i].tolist() for f in fields]
        objs.append([dict(zip(fields, vals, strict=True)) for vals in zip(*cols, strict=True)])
    return chunk, objs


def _passes(leg: Leg, m: dict[str, float]) -> bool:
    return (
        m["pt"] >= leg.min_pt
        and leg.min_abs_eta <= abs(m["eta"]) <= leg.max_abs_eta
        and (leg.quality is None or m["qual"] in leg.quality)
        and m["bx"] == leg.bx
    )


def _cross(c: Cross | None, p: dict[str, float], q: dict[str, float]) -> bool:
    if c is None:
        return True
    dphi = (p["phi"] - q["phi"] + math.pi) % (2 * math.pi) - math.pi
    deta = p["eta"] - q["eta"]
    dr = math.hypot(deta, dphi)
    mass = math.sqrt(max(2 * p["pt"] * q["pt"] * (math.cosh(deta) - math.cos(dphi)), 0.0))
    return (
        (not c.opposite_charge or p["charge"] * q["charge"] < 0)
        and c.min_dr <= dr <= c.max_dr
        and c.min_mass <= mass <= c.max_mass
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(legs=st.lists(legs_st, min_size=1, max_size=3), cross=cross_st)
def test_random_seeds_match_brute_force(
    events: tuple[Any, list[list[dict[str, float]]]], legs: list[Leg], cross: Cross | None
) -> None:
    expanded = [leg for leg in legs for _ in range(leg.multiplicity)]
    if len(expanded) > 4 or (cross is not None and len(expanded) != 2):
        cross = None
        if len(expanded) > 4:
            return
    chunk, objs = events
    seed = Seed("s", tuple(legs), crosses=() if cross is None else (cross,))
    ev = SeedEvaluator(Menu("m", (seed,)), builtin_schema("l1emu"))
    chunk.cache.clear()
    got = ev.decision(seed, chunk, {})
    for i, mus in enumerate(objs):
        expected = any(
            all(_passes(leg, m) for leg, m in zip(expanded, pick, strict=True))
            and (cross is None or _cross(cross, pick[0], pick[1]))
            for pick in itertools.permutations(mus, len(expanded))
        )
        assert bool(got[i]) == expected, (i, legs, cross)
