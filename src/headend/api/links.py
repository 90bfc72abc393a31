"""Where each TMF resource lives under /tmf-api/, and the href of one of its objects."""

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.encoding import iri_to_uri


@dataclass(frozen=True)
class Resource:
    """One TMF resource: `api` is the spec's basePath after /tmf-api/, `name` the resource."""

    api: str
    name: str

    @property
    def prefix(self) -> str:
        """The prefix its router is mounted at (the spec's basePath, as the spec spells it)."""
        return self.api

    def href(self, request: HttpRequest, pk: object) -> str:
        """The absolute URL of one object, as TMF `href` attributes give it."""
        return absolute_root(request) + iri_to_uri(f"{self.api.rstrip('/')}/{self.name}/{pk}")


def absolute_root(request: HttpRequest) -> str:
    """The API root's absolute URL for this request ("https://host/tmf-api/"), worked out once per
    request: a list writes several hrefs for each of its items."""
    root = getattr(request, "_tmf_absolute_root", None)
    if root is None:
        root = request.build_absolute_uri(api_root())
        request._tmf_absolute_root = root  # type: ignore[attr-defined]
    return root


def api_root() -> str:
    """The API's root path: "/tmf-api/" wherever the project mounts it, behind the script prefix."""
    return _api_root(get_script_prefix(), get_urlconf(settings.ROOT_URLCONF))


@lru_cache(maxsize=16)
def _api_root(script_prefix: str, urlconf: str) -> str:
    # reverse() walks the URL conf each time: an object's href is written for every item of a
    # list, and the root only changes with the script prefix and the URL conf, its cache key.
    return reverse("tmf:api-root")


CUSTOMER = Resource("customerManagement/v4/", "customer")  # TMF629
GEOGRAPHIC_SITE = Resource("geographicSiteManagement/v4/", "geographicSite")  # TMF674
PRODUCT_OFFERING = Resource("productCatalogManagement/v4/", "productOffering")  # TMF620
QUOTE = Resource("quoteManagement/v4/", "quote")  # TMF648
PRODUCT_ORDER = Resource("productOrderingManagement/v4/", "productOrder")  # TMF622
CANCEL_PRODUCT_ORDER = Resource("productOrderingManagement/v4/", "cancelProductOrder")  # TMF622
SERVICE = Resource("serviceInventory/v4", "service")  # TMF638 (its basePath has no trailing slash)
WORK_ORDER = Resource("workOrderManagement/v4/", "workOrder")  # TMF697
BILLING_ACCOUNT = Resource("accountManagement/v4/", "billingAccount")  # TMF666
CUSTOMER_BILL = Resource("customerBillManagement/v4/", "customerBill")  # TMF678
APPLIED_CUSTOMER_BILLING_RATE = Resource("customerBillManagement/v4/", "appliedCustomerBillingRate")  # TMF678
# TMF676: the spec's basePath (/payment/v4/) is outside /tmf-api; its user guide's name is used.
PAYMENT = Resource("paymentManagement/v4/", "payment")  # TMF676
REFUND = Resource("paymentManagement/v4/", "refund")  # TMF676
PAYMENT_METHOD = Resource("paymentMethod/v4/", "paymentMethod")  # TMF670
TROUBLE_TICKET = Resource("troubleTicket/v4/", "troubleTicket")  # TMF621
ALARM = Resource("alarm/v4/", "alarm")  # TMF642
USAGE = Resource("usageManagement/v4/", "usage")  # TMF635
