"""The public REST API: TM Forum Open API v4 shapes under /tmf-api/.

This module mounts each app's router at its spec's basePath, on the plumbing of `headend.api`
(bearer-token auth for staff, TMF error bodies, JSON rendering), which the apps' `api.py` use
from below. See docs/api.md."""

from django.http import HttpRequest
from ninja import NinjaAPI, Router

from headend.api import links
from headend.api.auth import StaffTokenAuth, docs_access
from headend.api.errors import install_error_handlers
from headend.api.parsers import TMFParser
from headend.api.renderers import TMFRenderer
from headend.billing.api import account_router as billing_account_router
from headend.billing.api import bill_router as customer_bill_router
from headend.billing.api import rate_router as applied_rate_router
from headend.billing.preview_api import router as bill_preview_router
from headend.catalog.api import router as offering_router
from headend.catalog.spec_api import router as specification_router
from headend.core.errors import NotFound
from headend.crm.api import customer_router, site_router
from headend.fulfillment.api import router as work_order_router
from headend.hub.api import hub_routers
from headend.inventory.api import router as service_router
from headend.network.alarm_api import router as alarm_router
from headend.orders.api import router as order_router
from headend.payments.api import method_router as payment_method_router
from headend.payments.api import payment_router, refund_router
from headend.quoting.api import router as quote_router
from headend.support.api import router as trouble_ticket_router
from headend.usage.api import router as usage_router

api = NinjaAPI(
    title="Headend TM Forum Open API",
    version="4.0.0",
    description=(
        "TMF629 customer, TMF674 geographicSite, TMF620 productOffering, productSpecification and "
        "productOfferingPrice, TMF648 quote, "
        "TMF622 productOrder and cancelProductOrder, TMF638 service and TMF697 workOrder with task "
        "routes, TMF666 billingAccount, TMF678 customerBill, TMF676 payment and refund, TMF670 "
        "paymentMethod, TMF621 troubleTicket, TMF642 alarm and TMF635 usage, for staff integrations. "
        "Authenticate with `Authorization: Bearer <token>` (`manage.py issue_api_token USERNAME`)."
    ),
    urls_namespace="tmf",
    docs_url="/docs",
    docs_decorator=docs_access,
    openapi_url="/openapi.json",
    auth=StaffTokenAuth(),
    renderer=TMFRenderer(),
    parser=TMFParser(),
)
install_error_handlers(api)

api.add_router(links.CUSTOMER.prefix, customer_router)
api.add_router(links.GEOGRAPHIC_SITE.prefix, site_router)
api.add_router(links.PRODUCT_OFFERING.prefix, offering_router)
api.add_router(links.PRODUCT_OFFERING.prefix, specification_router)  # TMF620 productSpecification, POP
api.add_router(links.QUOTE.prefix, quote_router)
api.add_router(links.PRODUCT_ORDER.prefix, order_router)
api.add_router(links.SERVICE.prefix, service_router)
api.add_router(links.WORK_ORDER.prefix, work_order_router)
api.add_router(links.BILLING_ACCOUNT.prefix, billing_account_router)
api.add_router(links.CUSTOMER_BILL.prefix, customer_bill_router)
api.add_router(links.APPLIED_CUSTOMER_BILLING_RATE.prefix, applied_rate_router)
api.add_router(links.CUSTOMER_BILL.prefix, bill_preview_router)  # Headend's: a change's next invoice
api.add_router(links.PAYMENT.prefix, payment_router)  # TMF676
api.add_router(links.REFUND.prefix, refund_router)  # TMF676
api.add_router(links.PAYMENT_METHOD.prefix, payment_method_router)  # TMF670
api.add_router(links.TROUBLE_TICKET.prefix, trouble_ticket_router)  # TMF621
api.add_router(links.ALARM.prefix, alarm_router)  # TMF642 alarm, clearAlarms, ackAlarms
api.add_router(links.USAGE.prefix, usage_router)  # TMF635 usage (read only)
api.add_router("productOfferingQualification/v4/", "headend.network.api.router")  # TMF679
for hub_prefix, hub_router in hub_routers():  # POST/GET/DELETE .../hub: webhooks (hub/api.py)
    api.add_router(hub_prefix, hub_router)

# Last: a path no router above matches is a TMF 404 too, not Django's HTML page.
unknown_router = Router()


@unknown_router.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:path}", include_in_schema=False)
def unknown_path(request: HttpRequest, path: str) -> None:
    raise NotFound(f"No such resource: /tmf-api/{path}", code="not_found")


api.add_router("", unknown_router)
