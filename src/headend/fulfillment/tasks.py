from django_tasks import task

from headend.fulfillment import code_tasks


@task()
def run_code_task(task_id: int | None = None) -> int:
    """Run a code task queued when it became ready (or by the sweep), with the other due tasks
    of its action, then whatever code work is due, in batches (`code_tasks.code_tasks_work`);
    returns how many tasks ran."""
    return code_tasks.code_tasks_work(first=task_id)
