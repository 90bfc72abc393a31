"""Django's SQLite backend, with the one change in base.py (ENGINE "headend.core.sqlite")."""
