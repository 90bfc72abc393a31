import pytest

from headend import demo
from headend.crm.models import Account
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting.models import Quote

pytestmark = pytest.mark.django_db


def test_the_demo_provider_has_what_the_readme_promises_and_loads_once():
    first = demo.load()
    counts = (Account.objects.count(), Service.objects.count(), Order.objects.count())

    second = demo.load()

    assert (first, second) == (True, False)
    assert (Account.objects.count(), Service.objects.count(), Order.objects.count()) == counts
    assert Account.objects.filter(kind="business").count() >= 3
    assert Account.objects.filter(kind="residential").count() >= 5
    assert Service.objects.filter(status="active").count() >= 3
    assert Quote.objects.filter(status="presented").count() == 1
    assert Order.objects.filter(status="in_progress").count() == 1
