"""The rate primitive: numerator and denominator kept, nothing below the minimum, Wilson ranks."""

import pytest

from storage.figures.rate import MIN_DENOMINATOR, Rate, wilson_lower_bound


def test_rate_keeps_its_counts_and_hides_small_ones() -> None:
    assert Rate(8, 10).rate == 0.8
    assert Rate(8, 10).to_dict() == {"numerator": 8, "denominator": 10, "rate": 0.8}
    small = Rate(1, MIN_DENOMINATOR - 1)
    assert small.rate is None
    assert small.to_dict() == {"numerator": 1, "denominator": MIN_DENOMINATOR - 1, "rate": None}
    assert Rate(0, 0).rate is None


def test_one_lucky_case_ranks_below_a_steady_record() -> None:
    assert Rate(1, 1).lower_bound < Rate(45, 50).lower_bound
    assert Rate(5, 5).lower_bound < Rate(95, 100).lower_bound
    assert Rate(0, 0).lower_bound == 0.0


def test_wilson_matches_a_known_value() -> None:
    # 81 of 263 at 95 %: the textbook example gives 0.2553.
    assert wilson_lower_bound(81, 263) == pytest.approx(0.2553, abs=1e-4)


def test_rates_add_and_refuse_nonsense() -> None:
    assert Rate(2, 3) + Rate(3, 4) == Rate(5, 7)
    with pytest.raises(ValueError):
        Rate(3, 2)
