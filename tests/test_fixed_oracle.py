"""trigger.fixed against the real ap_types headers compiled with g++: 0 mismatches allowed.

Each run draws new random formats and values (the seed is printed, and can be fixed with
``L1EMU_ORACLE_SEED``) and checks well over 100 000 values; hypothesis then explores values on
formats compiled once for the module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hls.oracle import Oracle, OracleCase, check_against_headers, compare_case
from hls.oracle_cases import random_cases
from trigger.fixed import FixedArray, FixedType

pytestmark = pytest.mark.oracle

_ENV_SEED = os.environ.get("L1EMU_ORACLE_SEED")
SEED = int(_ENV_SEED) if _ENV_SEED else int(np.random.SeedSequence().generate_state(1)[0])


def test_randomized_cases_match_ap_types_bit_for_bit() -> None:
    report = check_against_headers(n_formats=70, values_per_format=1000, seed=SEED, n_arith=25)
    print(report.summary())
    assert report.checked >= 100_000, report.summary()
    assert all(r.type_ok for r in report.results), report.summary()
    assert report.mismatches == 0, report.summary()


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    yield Oracle(random_cases(np.random.default_rng(SEED + 7), 40, 40, 15))


def _assert_same(oracle: Oracle, index: int, **inputs: object) -> None:
    result = compare_case(oracle, index, **inputs)  # type: ignore[arg-type]
    assert result.type_ok and result.mismatches == 0, f"seed {SEED}: {result.case.describe()}: {result.first}"


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_hypothesis_doubles_match_ap_types(oracle: Oracle, data: st.DataObject) -> None:
    index = data.draw(st.sampled_from([i for i, c in enumerate(oracle.cases) if c.op == "from_double"]))
    lsb = oracle.cases[index].a.lsb
    on_grid = st.integers(-(2**20), 2**20).map(lambda k: k * lsb / 4)  # ties and near-ties
    values = data.draw(st.lists(st.floats(allow_nan=False) | on_grid, min_size=1, max_size=64))
    _assert_same(oracle, index, x=np.array(values, dtype=np.float64))


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_hypothesis_casts_and_arithmetic_match_ap_types(oracle: Oracle, data: st.DataObject) -> None:
    index = data.draw(st.sampled_from([i for i, c in enumerate(oracle.cases) if c.op != "from_double"]))
    case = oracle.cases[index]
    n = data.draw(st.integers(1, 32))

    def raws(t: FixedType) -> FixedArray:
        values = data.draw(st.lists(st.integers(t.min_raw, t.max_raw), min_size=n, max_size=n))
        return t.from_raw(np.array(values, dtype=object))

    a = raws(case.a)
    b = raws(case.b) if case.op != "cast" and case.b is not None else None
    _assert_same(oracle, index, a=a, b=b)


@pytest.mark.parametrize(
    ("spelling", "value", "expected"),
    [
        ("ap_int<8>", -0.3, 1.0),  # the headers' magnitude path: -(-1) for |x| < 0.5
        ("ap_int<8>", -0.6, 0.0),
        ("ap_fixed<4,2,AP_RND_CONV>", 0.375, 0.5),  # tie to even
        ("ap_fixed<4,2,AP_RND_CONV>", 0.125, 0.0),
        ("ap_fixed<8,3,AP_RND,AP_SAT_SYM>", -100.0, -3.96875),  # symmetric saturation
        ("ap_fixed<1,0,AP_TRN,AP_SAT_SYM>", -100.0, -0.5),  # W=1: min | 1 is still min
    ],
)
def test_known_header_behaviours(spelling: str, value: float, expected: float) -> None:
    t = FixedType.from_string(spelling)
    assert float(t.quantize(np.array([value]))[0]) == expected
    single = Oracle([OracleCase("from_double", t)], shards=1)
    raw, _ = single.run(0, x=np.array([value]))
    assert raw[0] * t.lsb == expected
