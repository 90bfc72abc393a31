"""Every mutating page and API route, for every role, answers as core/permissions' table says:
a role the table allows is not refused (any answer but 403: a 400 for a thin body is fine), a role
it refuses gets 403. So the staff pages and the API cannot disagree about who may do what.

A page or route added without an entry here fails test_every_page_is_listed or
test_every_mutating_api_route_is_listed."""

import json

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from headend.api.services import token_issue
from headend.catalog.services import TaskSpec
from headend.core import clock
from headend.core.permissions import PERMISSIONS, Role, may
from headend.crm import services as crm_services
from headend.orders.models import Order
from headend.quoting.models import ApprovalRule, QuoteApproval
from tests.conftest import FROZEN_AT
from tests.factories import (
    make_account,
    make_live_service_with_actions,
    make_location,
    make_product,
    make_quote,
    make_user,
)

ROLES = list(Role)
NO_ID = 987654  # an id nothing has: the role check comes before the lookup
TASK_ROLE = Role.SUPPORT  # the role the matrix's task names ("task.work" honours it)
APPROVER_ROLE = Role.SALES_MANAGER  # the role the matrix's approval names ("quote.approve")

# Pages that accept POST: url name -> (use case, the role the record names or "").
PAGES = {
    "billing:ledger_export": ("ledger.export", ""),
    "billing:tax_create": ("tax.manage", ""),
    "billing:tax_edit": ("tax.manage", ""),
    "billing:tax_end": ("tax.manage", ""),
    "billing:billing_account_create": ("billing.manage", ""),
    "billing:billing_account_edit": ("billing.manage", ""),
    "billing:charge_add": ("billing.manage", ""),
    "billing:invoice_send": ("billing.manage", ""),
    "billing:invoice_void": ("billing.manage", ""),
    "billing:credit_note_create": ("billing.manage", ""),
    "billing:credit_note_finalise": ("billing.manage", ""),
    "billing:bill_run_start": ("billing.run", ""),
    "billing:rate_deck_upload": ("rating.manage", ""),
    "billing:cdr_import": ("rating.manage", ""),
    "billing:calls_rerate": ("rating.manage", ""),
    "commissions:plan_create": ("commission.manage", ""),
    "commissions:plan_edit": ("commission.manage", ""),
    "commissions:accrue": ("commission.manage", ""),
    "commissions:opportunity_splits": ("commission.split", ""),
    "payments:payment_take": ("payment.take", ""),
    "payments:refund_create": ("payment.take", ""),
    "payments:payment_reverse": ("payment.take", ""),
    "payments:write_off_create": ("payment.write_off", ""),
    "payments:payment_method_add": ("payment_method.manage", ""),
    "payments:payment_method_remove": ("payment_method.manage", ""),
    "payments:payment_method_autopay": ("payment_method.manage", ""),
    "payments:promise_create": ("dunning.promise", ""),
    "payments:promise_cancel": ("dunning.promise", ""),
    "payments:dunning_policy_edit": ("dunning.manage", ""),
    "crm:account_create": ("account.create", ""),
    "crm:account_edit": ("account.edit", ""),
    "crm:account_note_add": ("account.edit", ""),
    "crm:contact_create": ("account.edit", ""),
    "crm:contact_edit": ("account.edit", ""),
    "crm:location_create": ("site.create", ""),
    "crm:location_edit": ("account.edit", ""),
    "location_map:pin": ("account.edit", ""),
    "crm:address_points": ("coverage.manage", ""),
    "crm:opportunity_create": ("opportunity.edit", ""),
    "crm:opportunity_detail": ("opportunity.edit", ""),
    "crm:opportunity_lose": ("opportunity.edit", ""),
    "catalog:template_edit": ("template.edit", ""),
    "catalog:version_new": ("catalog.manage", ""),
    "catalog:product_copy": ("catalog.manage", ""),
    "catalog:version_publish": ("catalog.manage", ""),
    "quoting:quote_create": ("quote.edit", ""),
    "quoting:quote_line_add": ("quote.edit", ""),
    "quoting:quote_line_remove": ("quote.edit", ""),
    "quoting:quote_line_discount": ("quote.edit", ""),
    "quoting:quote_line_change": ("quote.edit", ""),
    "quoting:quote_lines_update": ("quote.edit", ""),
    "quoting:quote_discount": ("quote.edit", ""),
    "quoting:quote_revise": ("quote.edit", ""),
    "quoting:quote_sites_import": ("quote.edit", ""),
    "quoting:quote_sites_add": ("quote.edit", ""),
    "quoting:site_import_valid": ("quote.edit", ""),
    "quoting:quote_transition": ("quote.edit", ""),
    "quoting:quote_approval": ("quote.approve", APPROVER_ROLE),
    "quoting:quote_submit": ("quote.edit", ""),
    "quoting:survey_waive": ("survey.waive", ""),
    "contracts:quote_present": ("quote.send", ""),
    "contracts:signing_link_resend": ("quote.send", ""),
    "contracts:signing_link_revoke": ("quote.send", ""),
    "orders:order_cancel": ("order.cancel", ""),
    "inventory:service_move": ("service.action", ""),
    "fulfillment_services:service_action": ("service.action", ""),
    "fulfillment:task_action": ("task.work", TASK_ROLE),
    "fulfillment:task_complete": ("task.work", TASK_ROLE),
    "fulfillment:work_order_move": ("work_order.move", ""),
    # The dispatch calendar's moves: for those who work every task (no named role), as its page.
    "fulfillment:dispatch_move": ("task.work", ""),
    "fulfillment:survey_outcome": ("task.work", TASK_ROLE),
    "network:coverage": ("coverage.manage", ""),
    "network:area_create": ("coverage.manage", ""),
    "network:area_delete": ("coverage.manage", ""),
    "network:outage_create": ("outage.manage", ""),
    "network:outage_resolve": ("outage.manage", ""),
    "network:maintenance_create": ("outage.manage", ""),
    "network:maintenance_cancel": ("outage.manage", ""),
    "network:element_create": ("topology.manage", ""),
    "network:element_edit": ("topology.manage", ""),
    "network:element_delete": ("topology.manage", ""),
    "network:topology_import": ("topology.manage", ""),
    "inventory:service_element_bind": ("topology.manage", ""),
    "inventory:service_element_unbind": ("topology.manage", ""),
    "support:case_create": ("case.create", ""),
    "support:case_note": ("case.work", ""),
    "support:case_status": ("case.work", ""),
    "support:case_assign": ("case.work", ""),
    "support:case_update": ("case.work", ""),
    "support:case_link": ("case.work", ""),
    "support:sla_policy_create": ("sla_policy.manage", ""),
    "support:sla_policy_edit": ("sla_policy.manage", ""),
    "support:sla_policy_delete": ("sla_policy.manage", ""),
    "support:queue_create": ("sla_policy.manage", ""),
    "support:queue_edit": ("sla_policy.manage", ""),
    "support:sla_credit_decide": ("sla_credit.decide", ""),
    "ipam:pool_create": ("pool.manage", ""),
    "hub:delivery_redeliver": ("webhook.manage", ""),
    "hub:subscription_delete": ("webhook.manage", ""),
    "api_ui:token_list": ("token.manage", ""),
    "api_ui:token_revoke": ("token.manage", ""),
}
# Pages that only read (GET), and the public ones (a signing link, logging in and out).
READ_ONLY = {
    "billing:tax_list",
    "billing:billing_account_detail", "billing:invoice_list", "billing:invoice_detail", "billing:invoice_pdf",
    "billing:bill_run_list", "billing:bill_run_detail", "billing:aging",
    "billing:rate_deck_list", "billing:rate_deck_detail", "billing:cdr_import_list", "billing:cdr_import_detail",
    "billing:unrated_calls",
    "payments:payment_list", "payments:payment_detail", "payments:dunning_queue", "payments:dunning_policy_list",
    "commissions:statement_list", "commissions:statement_detail", "commissions:statement_csv",
    "commissions:plan_list",
    "search", "account_timeline",
    "home", "health", "crm:account_list", "crm:account_detail", "crm:location_detail", "crm:opportunity_list",
    "catalog:product_list", "catalog:product_detail", "catalog:version_preview",
    "quoting:quote_list", "quoting:quote_detail",
    "quoting:quote_compare", "quoting:site_import_job", "orders:order_list", "orders:order_detail",
    "quoting:quote_sites_template",
    "quoting:upgrade_offer_list", "quoting:approval_inbox", "contracts:quote_preview",
    "inventory:service_list", "inventory:service_detail", "inventory:service_board", "fulfillment:work_order_list",
    "fulfillment:my_tasks", "fulfillment:my_work", "fulfillment:attachment", "fulfillment:work_order_detail",
    "fulfillment:board", "fulfillment:work_order_gantt", "fulfillment:order_gantt", "network:import_detail",
    "fulfillment:dispatch",
    "network:topology", "network:element_detail", "network:element_children", "location_map:coverage",
    "network:outage_list", "network:outage_detail",
    "support:case_queue", "support:case_detail", "support:case_attachment", "support:sla_settings",
    "support:sla_credit_list",
    "ipam:pool_list", "ipam:pool_detail", "hub:webhooks", "hub:delivery_detail", "contracts:quote_pdf",
    "contracts:quote_document", "contracts:document_job", "contracts:document_pdf", "contracts:document_signed_pdf",
}  # fmt: skip
# The gateway's webhook is public: its deliveries prove themselves by signature.
PUBLIC = {
    "login",
    "logout",
    "contracts:sign",
    "contracts:sign_done",
    "contracts:sign_pdf",
    "payments:stripe_webhook",
    "payments:external_billing_webhook",
    "network:alertmanager_receive",  # Alertmanager's webhook, with its bearer token or basic credentials
    "support:inbound_email",  # a mail service's JSON, with a bearer token
}

# API operations that write: the view function's name -> (use case, the role the record names).
API = {
    "customer_create": ("account.create", ""),
    "customer_patch": ("account.edit", ""),
    "site_create": ("site.create", ""),
    "site_patch": ("account.edit", ""),
    "quote_create": ("quote.edit", ""),
    "quote_patch": ("quote.edit", ""),
    "quote_revise": ("quote.edit", ""),
    "quote_authorize": ("quote.approve", APPROVER_ROLE),
    "order_create": ("order.place", ""),
    "order_cancel": ("order.cancel", ""),
    "service_patch": ("service.action", ""),
    "qualification_create": ("qualification.create", ""),
    **{
        name: ("catalog.manage", "")
        for name in (
            "offering_create",
            "offering_patch",
            "specification_create",
            "specification_patch",
            "offering_price_create",
            "offering_price_patch",
        )
    },
    **{
        f"task_{verb}": ("task.work", TASK_ROLE)
        for verb in ("start", "complete", "block", "unblock", "assign", "retry", "skip", "complete_by_hand")
    },
    "register": ("hub.register", ""),
    "unregister": ("hub.unregister", ""),
    "billing_account_create": ("billing.manage", ""),
    "billing_account_patch": ("billing.manage", ""),
    "payment_create": ("payment.take", ""),
    "refund_create": ("payment.take", ""),
    "payment_method_create": ("payment_method.manage", ""),
    "payment_method_patch": ("payment_method.manage", ""),
    "payment_method_delete": ("payment_method.manage", ""),
    **{
        name: ("alarm.manage", "")
        for name in ("alarm_create", "alarm_patch", "alarm_delete", "alarms_clear", "alarms_ack")
    },
    "ticket_create": ("case.create", ""),
    "ticket_patch": ("case.work", ""),
}
NOT_A_USE_CASE = {"unknown_path"}  # any path no router has: a TMF 404 for everyone
WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def _page_names(patterns=None, namespace=""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            # The portal is the customers', with its own sign-in and ownership: tests/portal.
            if pattern.namespace in ("admin", "portal") or str(pattern.pattern).startswith("tmf-api"):
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _page_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def _api_operations():
    """(method, full path, view name) of every operation of the TMF API."""
    from headend.web.api import api

    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, f"/tmf-api/{prefix.strip('/')}{path}".replace("//", "/"), operation.view_func.__name__


def test_every_page_is_listed():
    names = set(_page_names())
    assert names - set(PAGES) - READ_ONLY - PUBLIC == set(), "a new page: add it to PAGES or READ_ONLY"
    assert set(PAGES) | READ_ONLY | PUBLIC <= names


def test_every_mutating_api_route_is_listed():
    writes = {name for method, _, name in _api_operations() if method in WRITES}
    assert writes - set(API) - NOT_A_USE_CASE == set(), "a new API route: add it to API"
    assert set(API) <= writes


# Rules that only ever guard reading: their pages are read-only, checked in their own tests.
READ_RULES = {"billing.read", "commission.view", "commission.view_all"}


def test_every_use_case_is_reached_by_a_page_or_a_route():
    reached = {use_case for use_case, _ in [*PAGES.values(), *API.values()]}
    assert reached | READ_RULES == set(PERMISSIONS)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One set of records for the whole module, rolled back at its end."""
    with django_db_blocker.unblock(), clock.frozen(FROZEN_AT), transaction.atomic():
        account = make_account()
        location = make_location(account)
        contact = crm_services.contact_create(
            account=account, first_name="Ada", last_name="Lovelace", email="ada@example.com"
        )
        opportunity = crm_services.opportunity_create(account=account, name="Cannery", close_date=FROZEN_AT.date())
        quote = make_quote(account=account)
        line = quote.lines.get()
        rule = ApprovalRule.objects.create(
            name="Deep discount", kind=ApprovalRule.Kind.values[0], approver_role=APPROVER_ROLE
        )
        approval = QuoteApproval.objects.create(
            quote=quote, rule=rule, approver_role=APPROVER_ROLE, reason="test", created_at=clock.now()
        )
        order = Order.objects.get(quote=make_quote(account=account, status="accepted"))
        service = make_live_service_with_actions(account)
        version = make_product(tasks=[TaskSpec("Call the customer", role=TASK_ROLE)])
        worked = Order.objects.get(quote=make_quote(account=account, version=version, status="accepted"))
        work_order = worked.lines.get().work_order
        task = work_order.tasks.get()
        users = {role: make_user(role) for role in ROLES}
        tokens = {role: token_issue(user=users[role], name="matrix")[1] for role in ROLES}
        yield {
            "account": account,
            "location": location,
            "contact": contact,
            "opportunity": opportunity,
            "quote": quote,
            "line": line,
            "approval": approval,
            "order": order,
            "service": service,
            "work_order": work_order,
            "task": task,
            "version": version,
            "users": users,
            "tokens": tokens,
        }
        transaction.set_rollback(True)


def _page_kwargs(name, w):
    return {
        "billing:tax_edit": {"tax_rate_id": NO_ID},
        "billing:tax_end": {"tax_rate_id": NO_ID},
        "billing:billing_account_edit": {"billing_account_id": NO_ID},
        "billing:charge_add": {"billing_account_id": NO_ID},
        "billing:invoice_send": {"invoice_id": NO_ID},
        "billing:invoice_void": {"invoice_id": NO_ID},
        "billing:credit_note_create": {"invoice_id": NO_ID},
        "billing:credit_note_finalise": {"invoice_id": NO_ID},
        "commissions:plan_edit": {"plan_id": NO_ID},
        "commissions:opportunity_splits": {"opportunity_id": w["opportunity"].pk},
        "payments:payment_take": {"billing_account_id": NO_ID},
        "payments:refund_create": {"payment_id": NO_ID},
        "payments:payment_reverse": {"payment_id": NO_ID},
        "payments:write_off_create": {"invoice_id": NO_ID},
        "payments:payment_method_add": {"billing_account_id": NO_ID},
        "payments:payment_method_remove": {"payment_method_id": NO_ID},
        "payments:payment_method_autopay": {"payment_method_id": NO_ID},
        "payments:promise_create": {"billing_account_id": NO_ID},
        "payments:promise_cancel": {"promise_id": NO_ID},
        "payments:dunning_policy_edit": {"customer_type": "business"},
        "crm:account_edit": {"account_id": w["account"].pk},
        "crm:account_note_add": {"account_id": w["account"].pk},
        "crm:contact_create": {"account_id": w["account"].pk},
        "crm:contact_edit": {"contact_id": w["contact"].pk},
        "crm:location_create": {"account_id": w["account"].pk},
        "crm:location_edit": {"location_id": w["location"].pk},
        "location_map:pin": {"location_id": w["location"].pk},
        "crm:opportunity_create": {"account_id": w["account"].pk},
        "crm:opportunity_detail": {"opportunity_id": w["opportunity"].pk},
        "crm:opportunity_lose": {"opportunity_id": w["opportunity"].pk},
        "catalog:template_edit": {"product_id": w["version"].product_id, "action": "add"},
        **{
            f"catalog:{name}": {"version_id": w["version"].pk}
            for name in ("version_new", "product_copy", "version_publish")
        },
        "quoting:quote_line_add": {"quote_id": w["quote"].pk},
        "quoting:quote_line_remove": {"quote_id": w["quote"].pk, "line_id": w["line"].pk},
        "quoting:quote_line_discount": {"quote_id": w["quote"].pk, "line_id": w["line"].pk},
        "quoting:quote_line_change": {"quote_id": w["quote"].pk},
        "quoting:quote_lines_update": {"quote_id": w["quote"].pk},
        "quoting:quote_discount": {"quote_id": w["quote"].pk},
        "quoting:quote_revise": {"quote_id": w["quote"].pk},
        "quoting:quote_sites_import": {"quote_id": w["quote"].pk},
        "quoting:quote_sites_add": {"quote_id": w["quote"].pk},
        "quoting:site_import_valid": {"quote_id": w["quote"].pk, "job_id": NO_ID},
        "quoting:quote_transition": {"quote_id": w["quote"].pk, "action": "present"},
        "quoting:quote_approval": {"quote_id": w["quote"].pk, "approval_id": w["approval"].pk},
        "quoting:quote_submit": {"quote_id": w["quote"].pk},
        "quoting:survey_waive": {"quote_id": w["quote"].pk, "survey_id": NO_ID},
        "contracts:quote_present": {"quote_id": w["quote"].pk},
        "contracts:signing_link_resend": {"quote_id": w["quote"].pk, "link_id": NO_ID},
        "contracts:signing_link_revoke": {"quote_id": w["quote"].pk, "link_id": NO_ID},
        "orders:order_cancel": {"order_id": w["order"].pk},
        "inventory:service_move": {"service_id": w["service"].pk},
        "fulfillment_services:service_action": {"service_id": w["service"].pk},
        "fulfillment:task_action": {"task_id": w["task"].pk, "action": "start"},
        "fulfillment:task_complete": {"task_id": w["task"].pk},
        "fulfillment:work_order_move": {"work_order_id": w["work_order"].pk},
        "fulfillment:dispatch_move": {"task_id": w["task"].pk},
        "fulfillment:survey_outcome": {"work_order_id": w["work_order"].pk},
        "network:area_delete": {"area_id": NO_ID},
        "network:outage_resolve": {"outage_id": NO_ID},
        "network:maintenance_cancel": {"outage_id": NO_ID},
        "network:element_edit": {"element_id": NO_ID},
        "network:element_delete": {"element_id": NO_ID},
        "inventory:service_element_bind": {"service_id": w["service"].pk},
        "inventory:service_element_unbind": {"service_id": w["service"].pk, "element_id": NO_ID},
        **{f"support:case_{action}": {"case_id": NO_ID} for action in ("note", "status", "assign", "update", "link")},
        "support:sla_policy_edit": {"policy_id": NO_ID},
        "support:sla_policy_delete": {"policy_id": NO_ID},
        "support:queue_edit": {"queue_id": NO_ID},
        "support:sla_credit_decide": {"credit_id": NO_ID},
        "hub:delivery_redeliver": {"delivery_id": NO_ID},
        "hub:subscription_delete": {"subscription_id": NO_ID},
        "api_ui:token_revoke": {"token_id": NO_ID},
    }.get(name, {})


PAGE_DATA = {
    "crm:account_note_add": {"body": "Called about the matrix"},
    "inventory:service_move": {"to": "suspended", "reason": "non-payment"},
    "fulfillment_services:service_action": {"action": "suspend", "reason": "non-payment"},
    "fulfillment:work_order_move": {"to": "in_progress"},
    "quoting:quote_approval": {"decision": "approve", "comment": "fine"},
}


def _answer(request):
    """The response of `request()`, with what it wrote rolled back: every role meets the same records."""
    with transaction.atomic():
        response = request()
        transaction.set_rollback(True)
    return response


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_answers_as_the_table_says(world, name, role):
    from django.urls import reverse

    use_case, named = PAGES[name]
    client = Client()
    client.force_login(world["users"][role])
    url = reverse(name, kwargs=_page_kwargs(name, world))
    response = _answer(lambda: client.post(url, PAGE_DATA.get(name, {})))
    allowed = may(world["users"][role], use_case, named=named)
    assert (response.status_code != 403) == allowed, (name, role, use_case, response.status_code)


def _api_path(path, w):
    ids = {"{id}": NO_ID, "{task_id}": w["task"].pk, "{authorization_id}": w["approval"].pk}
    if "/task/" in path:
        ids["{id}"] = w["work_order"].pk
    elif "/authorization/" in path:
        ids["{id}"] = w["quote"].pk
    elif "/customer/" in path:
        ids["{id}"] = w["account"].pk
    elif "/geographicSite/" in path:
        ids["{id}"] = w["location"].pk
    elif "/quote/" in path:
        ids["{id}"] = w["quote"].pk
    elif "/service/" in path:
        ids["{id}"] = w["service"].pk
    for key, value in ids.items():
        path = path.replace(key, str(value))
    return path


def _api_body(name, w):
    party = [{"id": str(w["account"].pk), "role": "customer", "@referredType": "Customer"}]
    return {
        "customer_create": {"name": "Eastport Marine", "engagedParty": {"@referredType": "Organization"}},
        "site_create": {"name": "Cannery", "relatedParty": party, "place": []},
        "quote_create": {"relatedParty": party, "quoteItem": [{"product": {}}]},
        "quote_patch": {"state": "pending"},
        "quote_authorize": {"state": "approved"},
        "order_cancel": {"productOrder": {"id": str(w["order"].pk)}, "cancellationReason": "matrix"},
        "service_patch": {"state": "inactive", "stateChangeReason": "non-payment"},
        "task_assign": {"automatic": True},
        "register": {"callback": "https://192.0.2.1/listener"},
        "billing_account_create": {"name": "Cannery", "relatedParty": party},
        "payment_create": {
            "account": {"id": str(NO_ID)},
            "totalAmount": {"unit": "USD", "value": 10},
            "paymentMethod": {"@type": "cash"},
        },
        "refund_create": {"payment": {"id": str(NO_ID)}, "totalAmount": {"unit": "USD", "value": 10}},
        "payment_method_create": {"@type": "bankCard", "token": "pm_card_visa", "account": [{"id": str(NO_ID)}]},
        "alarm_create": {
            "alarmType": "communicationsAlarm",
            "perceivedSeverity": "critical",
            "probableCause": "lossOfSignal",
            "alarmedObject": {"id": "no-such-element"},
            "sourceSystemId": "matrix",
            "state": "raised",
            "alarmRaisedTime": "2026-03-02T14:00:00Z",
        },
        "alarms_clear": {
            "clearSystemId": "matrix",
            "clearUserId": "matrix",
            "alarmClearedTime": "2026-03-02T14:00:00Z",
            "alarmPattern": [{"id": NO_ID}],
        },
        "alarms_ack": {"ackSystemId": "matrix", "ackUserId": "matrix", "alarmPattern": [{"id": NO_ID}]},
        "ticket_create": {"description": "No light on the ONT.", "relatedParty": party},
        "specification_create": {"name": "Matrix plan", "productNumber": "matrix-plan"},
        "offering_create": {"name": "Matrix plan", "productSpecification": {"id": str(NO_ID)}},
        "offering_price_create": {
            "priceType": "recurring",
            "price": {"unit": "USD", "value": 10},
            "productOfferingTerm": [{"duration": {"amount": 12, "units": "month"}}],
            "productOffering": {"id": str(NO_ID)},
        },
    }.get(name, {})


API_CASES = sorted((name, method, path) for method, path, name in _api_operations() if name in API)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method", "path"), API_CASES)
def test_api_route_answers_as_the_table_says(world, name, method, path, role):
    use_case, named = API[name]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {world['tokens'][role]}")
    url = _api_path(path, world)
    body = json.dumps(_api_body(name, world))
    send = getattr(client, method.lower())
    response = _answer(lambda: send(url, data=body, content_type="application/json"))
    allowed = may(world["users"][role], use_case, named=named)
    assert (response.status_code != 403) == allowed, (name, role, use_case, response.status_code, response.content)
