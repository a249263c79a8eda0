"""Prescale counters against hand-worked uGT sequences, and the closed form used after the loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from trigger.rates.prescale import PrescaleCounter, prescaled

# Worked by hand with the counter rule: +100 per fire, accept and subtract P=100*prescale at >= P.
HAND = {
    1.0: "1111111111",
    2.0: "0101010101",
    3.0: "0010010010",
    1.5: "0110110110",  # 100,200>=150 (50),150 (0),100,200 (50),150 (0),...
    2.5: "0010100101",  # 100,200,300>=250 (50),150,250 (0),100,200,300 (50),150,250 (0)
    1.25: "0111101111",  # 100,200 (75),175 (50),150 (25),125 (0),100,200 (75),...
    0.0: "0000000000",
}


@pytest.mark.parametrize(("prescale", "expected"), sorted(HAND.items()))
def test_counter_matches_hand_worked_sequence(prescale: float, expected: str) -> None:
    c = PrescaleCounter(prescale)
    got = "".join("1" if c.accept() else "0" for _ in expected)
    assert got == expected
    assert "".join("1" if a else "0" for a in prescaled(len(expected), prescale)) == expected


def test_fraction_accepted_is_one_over_prescale() -> None:
    for p in (1.0, 1.5, 2.0, 7.3, 100.0, 1000.0):
        flags = prescaled(100_000, p)
        assert int(flags.sum()) == int(100_000 * 100 // round(p * 100))


@given(st.integers(min_value=100, max_value=100_000).map(lambda u: u / 100), st.integers(0, 3000))
def test_closed_form_equals_counter(prescale: float, n: int) -> None:
    c = PrescaleCounter(prescale)
    expected = np.array([c.accept() for _ in range(n)], dtype=bool)
    np.testing.assert_array_equal(prescaled(n, prescale), expected)


def test_prescale_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="prescale must be 0 or >= 1"):
        PrescaleCounter(0.5)


@given(
    st.integers(min_value=100, max_value=100_000).map(lambda u: u / 100),
    st.integers(0, 3000),
    st.integers(0, 10**6),
)
def test_closed_form_with_initial_counter_equals_counter(prescale: float, n: int, start: int) -> None:
    units = round(prescale * 100)
    initial = start % units
    c = PrescaleCounter(prescale, initial)
    expected = np.array([c.accept() for _ in range(n)], dtype=bool)
    np.testing.assert_array_equal(prescaled(n, prescale, initial), expected)


def test_initial_counter_by_hand() -> None:
    # prescale 2.5 from 200: 300 >= 250 accept (50), 150, 250 accept (0), 100, 200, 300 accept (50)
    c = PrescaleCounter(2.5, initial=200)
    assert "".join("1" if c.accept() else "0" for _ in range(6)) == "101001"


def test_random_initial_counters_reproducible_and_in_range() -> None:
    from trigger.rates.prescale import initial_counters

    units = (100, 150, 0, 20_000, 250)
    assert initial_counters(units, None) == (0, 0, 0, 0, 0)
    a = initial_counters(units, 5)
    assert a == initial_counters(units, 5) and a != initial_counters(units, 6)
    assert all(0 <= c < u for c, u in zip(a, units, strict=True) if u) and a[2] == 0
    with pytest.raises(ValueError, match="initial counter"):
        PrescaleCounter(2.0, initial=200)
