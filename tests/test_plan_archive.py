"""The plan archive's file (io.plan_archive) and the store around it: every contact back as the
plan held it, files shared by plans with the same contacts and dropped with the last of them,
and stores archived as a row per contact (revision 0005) converted, and back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
from decimal import Decimal
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from contactplan.io import plan_archive
from contactplan.model import Channel, PlannedContact
from contactplan.store import StoreError, open_store

ZONES = ["America/Sao_Paulo", "America/Rio_Branco", "America/Noronha", "America/Manaus", "America/New_York",
         "America/Los_Angeles", "Pacific/Honolulu", "UTC"]
UTC = dt.timezone.utc


def contact(debtor_id="D1", channel=Channel.VOICE, start=dt.datetime(2026, 11, 24, 12, tzinfo=UTC), minutes=30,
            zone="America/Sao_Paulo", **kw) -> PlannedContact:
    tz = ZoneInfo(zone)
    return PlannedContact(debtor_id, channel, kw.pop("destination", "+5511987654321"), start.astimezone(tz),
                          (start + dt.timedelta(minutes=minutes)).astimezone(tz), zone,
                          **{"pool": "br", "rank": 1, "expected_value": Decimal("12.34"),
                             "rules": ("br.a", "br.b"), **kw})


def plan(plan_id, contacts, day=dt.date(2026, 11, 24)):
    counts = types.SimpleNamespace(read=len(contacts), planned=len(contacts), excluded=0, rejected=0,
                                   rows=len(contacts), rejected_rows=0)
    return types.SimpleNamespace(plan_id=plan_id, plan_date=day, status="optimal", objective=1.0, options=1,
                                 counts=counts, provenance={}, contacts=contacts, arms=None)


@st.composite
def contacts(draw):
    out = []
    for _ in range(draw(st.integers(0, 30))):
        start = draw(st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2090, 1, 1), timezones=st.just(UTC)))
        out.append(contact(
            debtor_id=draw(st.text(min_size=1, max_size=12)), channel=draw(st.sampled_from(list(Channel))),
            start=start, minutes=draw(st.integers(1, 600)), zone=draw(st.sampled_from(ZONES)),
            destination=draw(st.text(max_size=20)), pool=draw(st.text(max_size=8)), rank=draw(st.integers(0, 10**6)),
            expected_value=draw(st.decimals(-10**9, 10**9, places=draw(st.integers(0, 4)), allow_nan=False)),
            rules=tuple(draw(st.lists(st.from_regex(r"[a-z][a-z._]{0,15}", fullmatch=True), max_size=4))),
            arm=draw(st.sampled_from(["", "champion", "challenger"]))))
    return out


@settings(max_examples=60, deadline=None)
@given(contacts())
def test_a_file_gives_back_every_contact_as_the_plan_held_it(planned):
    content, sha256 = plan_archive.encode(planned)
    back = plan_archive.decode(content)
    assert back == planned  # instants, zones (offsets), exact decimals, rule lists, order
    assert [(c.window_start.utcoffset(), str(c.expected_value)) for c in back] == [
        (c.window_start.utcoffset(), str(c.expected_value)) for c in planned]
    assert plan_archive.encode(planned)[1] == sha256  # the same contacts, the same file


def test_contacts_sharing_window_objects_and_distinct_ones_encode_alike():
    """encode tells windows apart by identity (speed): equal windows in distinct objects, and one
    object reused, must give the same file."""
    shared = contact()
    copies = [dataclasses.replace(shared, debtor_id=f"D{k}") for k in range(5)]
    rebuilt = [contact(debtor_id=f"D{k}") for k in range(5)]
    assert copies[0].window_start is copies[1].window_start and rebuilt[0].window_start is not rebuilt[1].window_start
    assert plan_archive.encode(copies) == plan_archive.encode(rebuilt)


def test_the_store_shares_a_file_and_drops_it_with_its_last_plan(db_url):
    store = open_store(db_url)
    now = dt.datetime(2026, 11, 24, 6, tzinfo=UTC)
    same = [contact("D1"), contact("D2", Channel.SMS, pool="")]
    store.archive_plan(plan("CP-1", same), now)
    store.archive_plan(plan("CP-2", same, dt.date(2026, 11, 25)), now + dt.timedelta(hours=1))
    plans = store.plans()
    assert plans[0]["contacts_sha256"] == plans[1]["contacts_sha256"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM plan_files")).scalar_one() == 1
    assert store.planned_contacts("CP-2") == same and store.planned_contacts("CP-404") == []
    # Re-archiving a plan id with other contacts replaces them; the old file stays while CP-2 holds it.
    store.archive_plan(plan("CP-1", same[:1]), now)
    assert store.planned_contacts("CP-1") == same[:1] and store.planned_contacts("CP-2") == same
    assert store.archived_contacts(dt.date(2026, 11, 24), dt.date(2026, 11, 25)) == {
        ("D1", dt.date(2026, 11, 24)): [("voice", "br", "")], ("D1", dt.date(2026, 11, 25)): [("voice", "br", "")],
        ("D2", dt.date(2026, 11, 25)): [("sms", "", "")]}
    assert store.purge(dt.date(2026, 11, 25)) == {"attempts": 0, "plans": 1}
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM plan_files")).scalar_one() == 1
    store.purge(dt.date(2026, 11, 26))
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM plan_files")).scalar_one() == 0


def test_a_file_in_an_unknown_format_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    store = open_store(url)
    store.archive_plan(plan("CP-1", [contact()]), dt.datetime(2026, 11, 24, tzinfo=UTC))
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE plan_files SET format = 'contactplan-plan-9.parquet'"))
    with pytest.raises(StoreError, match="contactplan-plan-9.parquet.*upgrade contactplan"):
        store.planned_contacts("CP-1")


def _alembic(store, revision: str, *, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("contactplan") / "migrations"))
    with store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _old_tables():
    from contactplan.store import UTCDateTime

    metadata = sa.MetaData()
    plans = sa.Table("plans", metadata, sa.Column("plan_id", sa.String(64), primary_key=True),
                     sa.Column("plan_date", sa.Date), sa.Column("created_at", UTCDateTime()),
                     sa.Column("status", sa.String(16)), sa.Column("objective", sa.Float),
                     sa.Column("options", sa.Integer), sa.Column("counts", sa.JSON), sa.Column("provenance", sa.JSON))
    rows = sa.Table("planned_contacts", metadata, sa.Column("id", sa.Integer, primary_key=True),
                    *(sa.Column(name, sa.String) for name in ("plan_id", "debtor_id", "channel", "destination",
                                                              "timezone", "pool", "rules", "arm")),
                    sa.Column("window_start", UTCDateTime()), sa.Column("window_end", UTCDateTime()),
                    sa.Column("rank", sa.Integer), sa.Column("expected_value", sa.Numeric(14, 2)))
    return plans, rows


def test_a_store_of_revision_0005_is_converted_and_back(db_url):
    """Plans archived a row per contact read back the same after the upgrade (in their order,
    each plan its own), and downgrading writes the same rows again."""
    store = open_store(db_url, migrate=False)
    _alembic(store, "0005")
    plans, rows = _old_tables()
    first = [contact("D2", start=dt.datetime(2026, 11, 24, 15, tzinfo=UTC), rank=2, arm="champion"),
             contact("D1", Channel.WHATSAPP, zone="America/Rio_Branco", pool="", expected_value=Decimal("0.50"),
                     rules=(), arm="challenger"),
             contact("D3", Channel.EMAIL, destination="d3@example.com", pool="", expected_value=Decimal("-1.00"))]
    second = [contact("D1", start=dt.datetime(2026, 11, 25, 12, tzinfo=UTC))]
    with store.engine.begin() as conn:
        for k, (plan_id, day, planned) in enumerate((("CP-A", dt.date(2026, 11, 24), first),
                                                     ("CP-B", dt.date(2026, 11, 25), second),
                                                     ("CP-EMPTY", dt.date(2026, 11, 26), []))):
            conn.execute(plans.insert().values(plan_id=plan_id, plan_date=day,
                                               created_at=dt.datetime(2026, 11, 24, k, tzinfo=UTC), status="optimal",
                                               objective=1.0, options=1, counts={}, provenance={}))
            if not planned:
                continue
            conn.execute(rows.insert(), [{"plan_id": plan_id, "debtor_id": c.debtor_id, "channel": c.channel.value,
                                          "destination": c.destination, "timezone": c.timezone, "pool": c.pool,
                                          "rules": ";".join(c.rules), "arm": c.arm, "window_start": c.window_start,
                                          "window_end": c.window_end, "rank": c.rank,
                                          "expected_value": c.expected_value} for c in planned])
    upgraded = open_store(db_url)
    assert upgraded.planned_contacts("CP-A") == first and upgraded.planned_contacts("CP-B") == second
    assert upgraded.planned_contacts("CP-EMPTY") == []
    assert upgraded.archived_contacts(dt.date(2026, 11, 24), dt.date(2026, 11, 24))[("D1", dt.date(2026, 11, 24))] == [
        ("whatsapp", "", "challenger")]
    with upgraded.engine.connect() as conn:
        assert "planned_contacts" not in sa.inspect(conn).get_table_names()
    _alembic(upgraded, "0005", down=True)
    with upgraded.engine.connect() as conn:
        back = conn.execute(sa.select(rows).order_by(rows.c.id)).all()
        assert "plan_files" not in sa.inspect(conn).get_table_names()
    assert [(r.plan_id, r.debtor_id, r.window_start, r.expected_value, r.arm) for r in back] == [
        (p, c.debtor_id, c.window_start, c.expected_value, c.arm)
        for p, planned in (("CP-A", first), ("CP-B", second)) for c in planned]
    assert open_store(db_url).planned_contacts("CP-A") == first  # and up again
