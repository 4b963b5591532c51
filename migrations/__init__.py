"""Alembic migrations of the catalog schema, run through :mod:`db.migrate` (no alembic.ini needed).

Apply them with ``findcolor db upgrade`` (the dashboard and :func:`db.open_catalog` do it on start).
To write a new revision after changing ``db/models.py``, autogenerate against an up-to-date database
and review the result (SQLite batch operations drop triggers: re-create them)::

    python -c "from alembic import command; from db.migrate import alembic_config; \
               command.revision(alembic_config('sqlite:///data/catalog.sqlite3'), \
               message='what changed', autogenerate=True, rev_id='0003')"
"""
