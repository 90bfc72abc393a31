from django_tasks import task

from headend.fulfillment import code_tasks


@task()
def run_code_task(task_id: int) -> str:
    """Run one code task (queued when it becomes ready)."""
    result = code_tasks.task_run_code(task_id=task_id)
    return result.status if result else "missing"
