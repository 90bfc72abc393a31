"""Write use cases for the catalog, one import for all it can do: each lives in the module named
for its job, below (products, versions, prices, promotions and relations; their rollout;
work-order templates)."""

from headend.catalog.products import (
    TierRows,
    check_tiers,
    product_create,
    product_relate,
    product_unrelate,
    promotion_create,
    promotion_end,
    version_create,
    version_publish,
    version_retire,
    version_tiers_set,
)
from headend.catalog.rollout import (
    check_effective_from,
    offering_change,
    offering_create,
    product_create_from,
    product_update,
    version_create_from,
    version_launch,
    version_prices_set,
    version_update,
)
from headend.catalog.work_templates import (
    MAX_TASK_MINUTES,
    TaskSpec,
    check_template_tasks,
    missing_template_actions,
    template_define,
    template_task_problems,
)

__all__ = [
    "MAX_TASK_MINUTES",
    "TaskSpec",
    "TierRows",
    "check_effective_from",
    "check_template_tasks",
    "check_tiers",
    "missing_template_actions",
    "offering_change",
    "offering_create",
    "product_create",
    "product_create_from",
    "product_relate",
    "product_unrelate",
    "product_update",
    "promotion_create",
    "promotion_end",
    "template_define",
    "template_task_problems",
    "version_create",
    "version_create_from",
    "version_launch",
    "version_prices_set",
    "version_publish",
    "version_retire",
    "version_tiers_set",
    "version_update",
]
