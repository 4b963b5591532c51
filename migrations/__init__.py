"""Alembic migrations of the catalog schema (run through :mod:`db.migrate`)."""
