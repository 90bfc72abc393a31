from django_tasks import task

from headend.billing import runs


@task()
def bill_run_chunk(chunk_id: int) -> int:
    """Bill one chunk of a bill run (any worker, any machine); returns the invoices it made."""
    return runs.chunk_run(chunk_id=chunk_id)
