"""Where each TMF resource lives under /tmf-api/, and the href of one of its objects."""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse


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
        root = reverse("tmf:api-root")  # "/tmf-api/", wherever the project mounts the API
        return request.build_absolute_uri(f"{root}{self.api.rstrip('/')}/{self.name}/{pk}")


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
