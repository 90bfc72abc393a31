"""Benchmarks sell products as the catalog requires: a template for every action before publishing."""

from typing import Any


def define_missing(product: Any) -> None:
    """A one-task template for each action the product still lacks (a benchmark replaces the ones it measures).
    Imports inside: the benchmarks set Django up first."""
    from headend.catalog import services as catalog
    from headend.catalog.services import TaskSpec

    for action in catalog.missing_template_actions(product=product):
        catalog.template_define(product=product, action=action, name=action, tasks=[TaskSpec("Do it")])
