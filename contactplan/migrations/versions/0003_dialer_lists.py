"""Dialer list numbers kept from day to day (a VICIdial list id is the day's block + the number).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "dialer_lists",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.UniqueConstraint("target", "key", name="uq_dialer_list_key"),
        sa.UniqueConstraint("target", "number", name="uq_dialer_list_number"),
    )


def downgrade() -> None:
    op.drop_table("dialer_lists")
