"""Database connections in the long-running loops (the task worker, the outbox relay loop)."""

from django.db import Error as DatabaseError
from django.db import connections


def drop_all() -> None:
    """Close every database connection of this thread, even a broken one, so that the next query
    opens a fresh connection: after a dropped PostgreSQL connection, or a SQLite error that may
    have left a transaction open."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except DatabaseError:
            connection.connection = None  # closing a dead connection can fail too: forget it
