"""Write use cases for the catalog, one import for all it can do: each lives in the module named
for its job, below (products, versions, prices, promotions and relations; work-order templates)."""

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
from headend.catalog.work_templates import (
    MAX_TASK_MINUTES,
    TaskSpec,
    check_template_tasks,
    missing_template_actions,
    template_define,
)

__all__ = [
    "MAX_TASK_MINUTES",
    "TaskSpec",
    "TierRows",
    "check_template_tasks",
    "check_tiers",
    "missing_template_actions",
    "product_create",
    "product_relate",
    "product_unrelate",
    "promotion_create",
    "promotion_end",
    "template_define",
    "version_create",
    "version_publish",
    "version_retire",
    "version_tiers_set",
]
