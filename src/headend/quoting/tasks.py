from django_tasks import task

from headend.quoting import services


@task()
def run_site_import(job_id: int) -> str:
    """Check and price a large CSV of sites (queued by the upload page)."""
    return services.site_import_job_run(job_id=job_id).status
