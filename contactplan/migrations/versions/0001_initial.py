"""Initial schema: imports, attempts (history), suppressions, plans, planned contacts.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from contactplan.store import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "attempts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("attempt_id", sa.String(128), nullable=False, unique=True),
        sa.Column("debtor_id", sa.String(128), nullable=False),
        sa.Column("account_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("destination", sa.String(320), nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("utc_offset_minutes", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("import_id", ID,
                  sa.ForeignKey("imports.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_index("ix_attempts_debtor_time", "attempts", ["debtor_id", "attempted_at"])
    op.create_index("ix_attempts_time", "attempts", ["attempted_at"])
    op.create_table(
        "suppressions",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("debtor_id", sa.String(128), nullable=False),
        sa.Column("destination", sa.String(320), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_on", sa.Date, nullable=True),
        sa.UniqueConstraint("debtor_id", "destination", "channel", "source", name="uq_suppression"),
    )
    op.create_index("ix_suppressions_debtor", "suppressions", ["debtor_id"])
    op.create_index("ix_suppressions_destination", "suppressions", ["destination"])
    op.create_table(
        "plans",
        sa.Column("plan_id", sa.String(64), primary_key=True),
        sa.Column("plan_date", sa.Date, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("objective", sa.Float, nullable=False),
        sa.Column("options", sa.Integer, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("provenance", sa.JSON, nullable=False),
    )
    op.create_index("ix_plans_plan_date", "plans", ["plan_date"])
    op.create_table(
        "planned_contacts",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(64), sa.ForeignKey("plans.plan_id", ondelete="CASCADE"), nullable=False),
        sa.Column("debtor_id", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("destination", sa.String(320), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("window_end", UTCDateTime(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("pool", sa.String(128), nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("expected_value", sa.Numeric(14, 2), nullable=False),
        sa.Column("rules", sa.Text, nullable=False),
    )
    op.create_index("ix_planned_contacts_plan_id", "planned_contacts", ["plan_id"])
    op.create_index("ix_planned_contacts_debtor_id", "planned_contacts", ["debtor_id"])


def downgrade() -> None:
    for table in ("planned_contacts", "plans", "suppressions", "attempts", "imports"):
        op.drop_table(table)
