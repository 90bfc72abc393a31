import pytest

from headend.orders.services import order_status_from_lines


@pytest.mark.parametrize(
    ("lines", "order"),
    [
        (["acknowledged", "acknowledged"], "acknowledged"),
        (["acknowledged", "in_progress"], "in_progress"),
        (["completed", "acknowledged"], "in_progress"),
        (["completed", "completed"], "completed"),
        (["completed", "cancelled"], "completed"),
        (["completed", "failed"], "partial"),
        (["failed", "failed"], "failed"),
        (["cancelled", "cancelled"], "cancelled"),
    ],
)
def test_order_status_is_the_roll_up_of_its_lines(lines, order):
    assert order_status_from_lines(lines) == order
