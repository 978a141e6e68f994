"""Archived plans keep their contacts as one compressed columnar file each (io.plan_archive).

* ``plan_files``: the file (Parquet, zstd), named by its sha256, with its format and row count.
* ``plans.contacts_sha256``: the file of the plan's contacts.
* ``planned_contacts`` (a row per contact) is converted plan by plan, in its order, and dropped:
  a million-contact plan took 27 s to insert and 490 MB there. Downgrading writes the rows back.

Revision ID: 0006
Revises: 0005
"""

from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from contactplan.io import plan_archive
from contactplan.model import Channel, PlannedContact
from contactplan.store import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")
_CENT = Decimal("0.01")


def _contact_table(metadata: sa.MetaData) -> sa.Table:
    """planned_contacts as revision 0005 left it."""
    return sa.Table(
        "planned_contacts", metadata,
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
        sa.Column("arm", sa.String(16), nullable=False, server_default=""),
    )


def _file_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "plan_files", metadata,
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("format", sa.String(64), nullable=False),
        sa.Column("contacts", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )


def _plans(metadata: sa.MetaData, *, with_file: bool) -> sa.Table:
    columns = [sa.Column("plan_id", sa.String(64), primary_key=True)]
    if with_file:
        columns.append(sa.Column("contacts_sha256", sa.String(64)))
    return sa.Table("plans", metadata, *columns)


def upgrade() -> None:
    bind = op.get_bind()
    metadata = sa.MetaData()
    files, contacts, plans = _file_table(metadata), _contact_table(metadata), _plans(metadata, with_file=False)
    files.create(bind)
    # The contacts are converted before ``plans`` is altered: SQLite alters a table by copying it
    # and dropping the old one, and that drop would cascade to the rows of planned_contacts.
    file_of: dict[str, str] = {}
    for (plan_id,) in bind.execute(sa.select(plans.c.plan_id)).all():
        rows = bind.execute(sa.select(contacts).where(contacts.c.plan_id == plan_id).order_by(contacts.c.id)).all()
        content, sha256 = plan_archive.encode([_contact(r) for r in rows])
        if bind.execute(sa.select(files.c.sha256).where(files.c.sha256 == sha256)).first() is None:
            bind.execute(files.insert().values(sha256=sha256, format=plan_archive.FORMAT, contacts=len(rows),
                                               content=content))
        file_of[plan_id] = sha256
    op.drop_index("ix_planned_contacts_debtor_id", table_name="planned_contacts")
    op.drop_index("ix_planned_contacts_plan_id", table_name="planned_contacts")
    op.drop_table("planned_contacts")
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("contacts_sha256", sa.String(64), nullable=True))
        batch.create_foreign_key("fk_plans_contacts_sha256", "plan_files", ["contacts_sha256"], ["sha256"])
        batch.create_index("ix_plans_contacts_sha256", ["contacts_sha256"])
    plans = _plans(sa.MetaData(), with_file=True)
    for plan_id, sha256 in file_of.items():
        bind.execute(plans.update().where(plans.c.plan_id == plan_id).values(contacts_sha256=sha256))


def _contact(r) -> PlannedContact:
    zone = ZoneInfo(r.timezone)
    return PlannedContact(r.debtor_id, Channel(r.channel), r.destination, r.window_start.astimezone(zone),
                          r.window_end.astimezone(zone), r.timezone, r.pool, r.rank,
                          Decimal(r.expected_value).quantize(_CENT), tuple(x for x in r.rules.split(";") if x),
                          arm=r.arm or "")


def downgrade() -> None:
    bind = op.get_bind()
    metadata = sa.MetaData()
    files, plans = _file_table(metadata), _plans(metadata, with_file=True)
    # ``plans`` is altered before planned_contacts exists again (see upgrade).
    file_of = dict(bind.execute(sa.select(plans.c.plan_id, plans.c.contacts_sha256)).all())
    with op.batch_alter_table("plans") as batch:
        batch.drop_index("ix_plans_contacts_sha256")
        batch.drop_constraint("fk_plans_contacts_sha256", type_="foreignkey")
        batch.drop_column("contacts_sha256")
    again = sa.MetaData()
    _plans(again, with_file=False)  # the table planned_contacts' foreign key names
    contacts = _contact_table(again)
    contacts.create(bind)
    op.create_index("ix_planned_contacts_plan_id", "planned_contacts", ["plan_id"])
    op.create_index("ix_planned_contacts_debtor_id", "planned_contacts", ["debtor_id"])
    for plan_id, sha256 in file_of.items():
        if sha256 is None:
            continue
        content = bind.execute(sa.select(files.c.content).where(files.c.sha256 == sha256)).scalar_one()
        rows = [{"plan_id": plan_id, "debtor_id": c.debtor_id, "channel": c.channel.value,
                 "destination": c.destination, "window_start": c.window_start, "window_end": c.window_end,
                 "timezone": c.timezone, "pool": c.pool, "rank": c.rank, "expected_value": c.expected_value,
                 "rules": ";".join(c.rules), "arm": c.arm} for c in plan_archive.decode(content)]
        if rows:
            bind.execute(contacts.insert(), rows)
    op.drop_table("plan_files")
