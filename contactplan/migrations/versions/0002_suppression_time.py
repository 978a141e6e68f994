"""Suppressions in force from their own time, with destinations as the debtor reader writes them.

* ``suppressions.effective_at``: the instant after which an entry is in force. Existing entries
  get the time they were recorded, and entries an opt-out outcome made get that attempt's time,
  so that auditing a log no longer reports the opt-out itself as a contact while suppressed.
* Destinations typed as the user wrote them (``(85) 98891-8567``, ``Ana@Example.com``) never
  matched a debtor's E.164 number or lower-case address. They are normalised with the readers'
  parser (Brazil as the default country, as ``history import`` and ``suppress`` assume); an entry
  that then equals one already there is merged into it; one that cannot be read is kept as it is
  and reported by ``suppress list``.

Revision ID: 0002
Revises: 0001
"""

import re

import sqlalchemy as sa
from alembic import op

from contactplan.store import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_OPT_OUT = re.compile(r"^opt_out outcome, attempt (.+)$")
_NORMAL = re.compile(r"^(\+[1-9][0-9]{6,14}|[^A-Z]*@[^A-Z]*)$")


def upgrade() -> None:
    from contactplan.io.phones import PhoneError, destination_address

    with op.batch_alter_table("suppressions") as batch:
        batch.add_column(sa.Column("effective_at", UTCDateTime(), nullable=True))
    conn = op.get_bind()
    suppressions = sa.table("suppressions", sa.column("id"), sa.column("debtor_id"), sa.column("destination"),
                            sa.column("channel"), sa.column("reason"), sa.column("source"),
                            sa.column("created_at", UTCDateTime()), sa.column("effective_at", UTCDateTime()))
    attempts = sa.table("attempts", sa.column("attempt_id"), sa.column("attempted_at", UTCDateTime()))
    rows = conn.execute(sa.select(suppressions).order_by(suppressions.c.id)).all()
    keys = {(r.debtor_id, r.destination, r.channel, r.source): r.id for r in rows}
    for r in rows:
        effective = r.created_at
        found = _OPT_OUT.match(r.reason or "")
        if found:
            made = conn.execute(sa.select(attempts.c.attempted_at)
                                .where(attempts.c.attempt_id == found.group(1))).scalar()
            effective = made or effective
        destination = r.destination
        if destination and not _NORMAL.match(destination):
            try:
                destination = destination_address(destination, "BR", possible=True)
            except PhoneError:
                pass  # unreadable: kept as typed; `suppress list` reports it
        key = (r.debtor_id, destination, r.channel, r.source)
        if destination != r.destination and key in keys:
            conn.execute(sa.delete(suppressions).where(suppressions.c.id == r.id))  # the same entry, already there
            continue
        keys[key] = r.id
        conn.execute(sa.update(suppressions).where(suppressions.c.id == r.id)
                     .values(destination=destination, effective_at=effective))


def downgrade() -> None:
    with op.batch_alter_table("suppressions") as batch:
        batch.drop_column("effective_at")
