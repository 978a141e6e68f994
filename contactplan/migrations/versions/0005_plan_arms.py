"""The holdout arm of each archived contact (``plan --holdout``): champion or challenger, blank
for plans made without a holdout.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("planned_contacts") as batch:
        batch.add_column(sa.Column("arm", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("planned_contacts") as batch:
        batch.drop_column("arm")
