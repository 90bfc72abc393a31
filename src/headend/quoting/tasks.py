from django_tasks import task

from headend.quoting import services, upgrades


@task()
def run_site_import(job_id: int) -> str:
    """Check and price a large CSV of sites (queued by the upload page)."""
    return services.site_import_job_run(job_id=job_id).status


@task()
def find_upgrade_offers(coverage_import_id: int | None = None, coverage_area_id: int | None = None) -> int:
    """Offer faster plans where coverage grew (queued when a coverage file or area is saved)."""
    return upgrades.upgrade_offers_find_for(coverage_import_id=coverage_import_id, coverage_area_id=coverage_area_id)
