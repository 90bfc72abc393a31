from django_tasks import task

from headend.crm import notifications, placing


@task()
def send_customer_email(email_id: int) -> bool:
    """Send one email queued by a notification handler."""
    email = notifications.email_send(email_id=email_id)
    return bool(email and email.sent_at)


@task()
def geocode_locations(location_ids: list[int]) -> int:
    """Ask the online geocoders about locations a file of sites left unplaced; how many were placed."""
    placed = 0
    for location_id in location_ids:
        location = placing.location_geocode_online(location_id=location_id)
        placed += bool(location is not None and location.latitude is not None)
    return placed
