"""The network elements a service rides on, as provisioning's code tasks know them.

`radius.provision` and `acs.configure` bind the service (inventory's ServiceElement, source
"provisioning") to each element of the topology they can name:

- the task's optional `element` parameter: an element's name, or a template over the service's
  values as in `rest.call` (`"{{ service.identifiers.pon_port }}"`); the template's check at
  save time is `rest.check_template`'s;
- the service's identifier `network_element`, recorded by an earlier task or by staff;
- for `acs.configure`, the router itself: an element of kind CPE named by its serial.

A name the topology lacks is noted in the attempt log and bound to nothing (a turn-up never
fails for want of a topology); binding again is harmless (idempotent)."""

from typing import Any

from django.template import TemplateSyntaxError

from headend.catalog.code_actions import ActionContext, PermanentError
from headend.core.errors import DomainError, ValidationError
from headend.inventory import services as inventory_services
from headend.inventory.models import ServiceElement
from headend.network import topology_selectors
from headend.network.models import Element
from headend.provisioning import rest

PARAM = "element"
IDENTIFIER = "network_element"


def check_element_param(params: dict[str, Any]) -> None:
    """The `element` parameter, if given, is a name or a template that compiles; ValidationError
    naming it otherwise."""
    if PARAM not in params:
        return
    value = params[PARAM]
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValidationError("The element is a name or a template, at most 200 characters.", field=PARAM)
    rest.check_template(value, field=PARAM)


def _named(context: ActionContext) -> list[str]:
    names = []
    template = context.param(PARAM)
    if template:
        try:
            names.append(rest.render(template, rest.service_context(context.service, task=context.task)))
        except TemplateSyntaxError as exc:
            raise PermanentError(f"The task's element template does not compile: {exc}") from exc
    identifier = (context.service.identifiers or {}).get(IDENTIFIER)
    if identifier:
        names.append(str(identifier))
    return list(dict.fromkeys(name.strip() for name in names if name and name.strip()))


def bind_known_elements(context: ActionContext, *, cpe_serial: str = "") -> list[str] | None:
    """Bind the task's service to the elements it names (see above); the names bound, or None
    when the task names none and no CPE element has the serial (a result stays as it was)."""
    service = context.service
    wanted: list[tuple[str, str | None]] = [(name, None) for name in _named(context)]
    if cpe_serial.strip():
        wanted.append((cpe_serial.strip(), Element.Kind.CPE))
    if not wanted:
        return None
    bound = []
    for name, kind in wanted:
        element = topology_selectors.element_by_name(name=name)
        if element is None or (kind is not None and element.kind != kind):
            if kind is None:
                context.record(note=f"No element named {name!r} in the topology: {service.number} is bound to none.")
            continue
        try:
            inventory_services.service_bind_element(
                service=service, element=element, source=ServiceElement.Source.PROVISIONING, actor=None
            )
        except DomainError as exc:  # a disconnected service: the network work goes on regardless
            context.record(note=f"Not bound to {element.name}: {exc.message}")
            continue
        bound.append(element.name)
    if bound:
        context.record(note=f"{service.number} rides on {', '.join(bound)} (topology).")
    named = len(wanted) > (1 if cpe_serial.strip() else 0)
    return bound if bound or named else None
