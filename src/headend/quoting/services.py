"""Write use cases for quotes, one import for all a quote can do (`grep quote_`): each lives in the
module named for its job, below."""

from headend.quoting.approving import quote_approval_decide, quote_facts, quote_submit_for_approval
from headend.quoting.changes import quote_line_change
from headend.quoting.line_checks import check_quantity, check_sellable_at, check_term
from headend.quoting.lines import (
    NewLine,
    quote_discount_set,
    quote_line_add,
    quote_line_discount,
    quote_line_remove,
    quote_lines_add,
    quote_lines_add_to_sites,
    quote_lines_update,
)
from headend.quoting.quotes import (
    quote_accept,
    quote_create,
    quote_expire,
    quote_expire_due,
    quote_present,
    quote_reject,
    quote_revise,
)
from headend.quoting.site_imports import (
    quote_sites_import,
    site_import_job_create,
    site_import_job_run,
    site_import_keep,
    site_import_valid_rows,
)

__all__ = [
    "NewLine",
    "check_quantity",
    "check_sellable_at",
    "check_term",
    "quote_accept",
    "quote_approval_decide",
    "quote_create",
    "quote_discount_set",
    "quote_expire",
    "quote_expire_due",
    "quote_facts",
    "quote_line_add",
    "quote_line_change",
    "quote_line_discount",
    "quote_line_remove",
    "quote_lines_add",
    "quote_lines_add_to_sites",
    "quote_lines_update",
    "quote_present",
    "quote_reject",
    "quote_revise",
    "quote_sites_import",
    "quote_submit_for_approval",
    "site_import_job_create",
    "site_import_job_run",
    "site_import_keep",
    "site_import_valid_rows",
]
