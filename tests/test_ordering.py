"""The suite's order under xdist (tests/conftest.py): each worker's share begins with long tests."""

from tests.conftest import heads_of_shares


def test_each_share_begins_with_its_long_tests_dealt_back_and_forth_and_the_rest_keep_their_order():
    rest = list(range(12))

    ordered = heads_of_shares(["a", "b", "c", "d"], rest, 3)

    # worksteal's shares of 16 items for 3 workers: 5, 5 and 6
    assert ordered[:5] == ["a", 0, 1, 2, 3]
    assert ordered[5:10] == ["b", 4, 5, 6, 7]
    assert ordered[10:] == ["c", "d", 8, 9, 10, 11]


def test_one_worker_or_too_few_tests_run_the_long_ones_first():
    assert heads_of_shares(["a", "b"], [0, 1], 1) == ["a", "b", 0, 1]
    assert heads_of_shares(["a", "b", "c", "d"], [], 3) == ["a", "b", "c", "d"]
    assert heads_of_shares(["a", "b", "c"], [], 3) == ["a", "b", "c"]
