"""Who made a contact, callbacks the debtor asked for, and dated consent records.

* ``attempts.direction`` (outbound for every attempt stored before: dialer logs of calls and
  sends), ``attempts.callback_at`` and its UTC offset (outcome callback_requested).
* ``consents``: opt-ins and revocations per debtor, channel and destination, with their time,
  source and evidence id (``contactplan consent import``).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from contactplan.store import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("direction", sa.String(8), nullable=False, server_default="outbound"))
        batch.add_column(sa.Column("callback_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("callback_offset_minutes", sa.Integer, nullable=True))
    op.create_table(
        "consents",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("record_id", sa.String(128), nullable=False),
        sa.Column("debtor_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("destination", sa.String(320), nullable=False),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer, nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("record_id", name="uq_consent_record"),
    )
    op.create_index("ix_consents_debtor", "consents", ["debtor_id"])


def downgrade() -> None:
    op.drop_table("consents")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("callback_offset_minutes")
        batch.drop_column("callback_at")
        batch.drop_column("direction")
