import pytest

from headend import demo
from headend.crm.models import Account
from headend.inventory.models import Service
from headend.orders.models import Order
from headend.quoting.models import Quote

pytestmark = pytest.mark.django_db(databases=["default", "radius"])


def test_the_demo_provider_has_what_the_readme_promises_and_loads_once(radius_tables):
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


def test_the_demo_residents_are_provisioned_in_radius_with_an_address(radius_tables):
    from headend.provisioning import radius
    from headend.provisioning.models import Subscriber

    demo.load()

    residential = Service.objects.filter(account__kind="residential", status="active")
    assert residential.count() == 3
    for service in residential:
        subscriber = Subscriber.objects.get(service=service)
        assert service.identifiers["radius_username"] == subscriber.username
        assert service.identifiers["ipv4_address"].startswith("198.51.100.")
        entry = radius.user_get(subscriber.username)
        assert entry is not None
        assert entry.groups == [(subscriber.plan_group, 1)]
        assert entry.reply == [("Framed-IP-Address", ":=", service.identifiers["ipv4_address"])]
