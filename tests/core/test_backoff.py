import pytest

from headend.core import backoff


@pytest.mark.parametrize(
    ("attempt", "seconds"),
    [(0, 30), (1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (9, 3600), (10_000, 3600)],
)
def test_the_delay_doubles_from_the_first_up_to_the_cap(attempt, seconds):
    assert backoff.delay(attempt, first=30, cap=3600) == seconds


def test_fractions_of_a_second_double_too():
    assert [backoff.delay(n, first=0.25, cap=1.5) for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 1.5]
