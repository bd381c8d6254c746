"""Alembic migrations of the local store (run by ``app.store.migrate``, never by hand)."""
