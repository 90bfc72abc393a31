"""Page panels: what a higher app shows on a lower app's page.

A page names its slots ("account.sections", "service.network", ...) and draws what `render()`
gives for each; a higher app, which the page's app may not import, registers in its
AppConfig.ready() a function of the request and the page's object that returns its panel's
context (None: nothing to show) with the template that draws it. Panels are drawn in `order`,
then in the order they were registered."""

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

PanelContext = Callable[[HttpRequest, Any], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    template: str
    context: PanelContext
    order: int


_slots: dict[str, list[Panel]] = defaultdict(list)


def register(slot: str, *, template: str, order: int = 100) -> Callable[[PanelContext], PanelContext]:
    """`@panels.register("account.sections", template="quoting/panels/account_quotes.html", order=20)`
    on a function `(request, account) -> context | None`; registering the same function twice is
    harmless."""

    def decorator(context: PanelContext) -> PanelContext:
        panel = Panel(template, context, order)
        if panel not in _slots[slot]:
            _slots[slot].append(panel)
            _slots[slot].sort(key=lambda registered: registered.order)
        return context

    return decorator


class Drawn:
    """The panels of one slot for one object, drawn when the template first reads them (a page
    answering HTMX with one partial draws none of them)."""

    def __init__(self, slot: str, *, request: HttpRequest, obj: Any) -> None:
        self.slot, self.request, self.obj = slot, request, obj

    @cached_property
    def html(self) -> list[SafeString]:
        drawn = []
        for panel in _slots.get(self.slot, ()):
            context = panel.context(self.request, self.obj)
            if context is not None:
                drawn.append(render_to_string(panel.template, dict(context), request=self.request))
        return drawn

    def __iter__(self) -> Iterator[SafeString]:
        return iter(self.html)

    def __bool__(self) -> bool:
        return bool(self.html)


def render(slot: str, *, request: HttpRequest, obj: Any) -> Drawn:
    """The HTML of each panel registered for `slot` that has something to show about `obj`:
    `{% for panel in panels %}{{ panel }}{% endfor %}`."""
    return Drawn(slot, request=request, obj=obj)
