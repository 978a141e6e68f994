"""Alembic environment: contactplan runs migrations on the connection it opened (store.upgrade)."""

from alembic import context

from contactplan.store import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through contactplan.store.open_store(url)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
