"""The store: contact history, the do-not-contact list and the plan archive (SQLAlchemy 2.x).

Every database access of contactplan lives here. The default is an embedded SQLite file
(``contactplan.db``); production uses PostgreSQL through a URL. The schema is created and
upgraded by the Alembic migrations in ``contactplan/migrations`` when a store is opened.

Times are stored in UTC with the original UTC offset beside them (``utc_offset_minutes``), so an
attempt made at 19:58-03:00 reads back as 19:58-03:00. Nothing here reads the clock: "now" is an
argument.
"""

from __future__ import annotations

import datetime as dt
import os
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from contactplan.errors import ContactplanError, InputError
from contactplan.i18n import os_reason, tr
from contactplan.io import plan_archive
from contactplan.io.frozen import constructor, paused_gc
from contactplan.io.history import CHANNEL_OF, DIRECTION_OF, OUTCOME_OF
from contactplan.io.history_log import attempts_frame, frame_attempt, offset_minutes, stored_time
from contactplan.model import (Attempt, Channel, ConsentRecord, PlannedContact, StoreData, Suppression,
                               opt_out_suppression)

DEFAULT_URL = "sqlite:///contactplan.db"
ENV_URL = "CONTACTPLAN_DB"
UTC = dt.UTC
_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


class StoreError(ContactplanError):
    """The database cannot be opened or written (exit 2: fix the URL, permissions or server)."""


class AttemptConflict(ContactplanError):
    """An attempt id of the file is already stored with other content: the ``index``-th attempt of
    the file, first differing in ``column``. Nothing of the file was imported."""

    def __init__(self, index: int, column: str):
        self.index, self.column = index, column
        super().__init__(tr("attempt {n} of the file differs from the stored attempt of the same id in {column}",
                            n=index + 1, column=column))


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class ImportRow(Base):
    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(255))  # file name only
    rows: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AttemptRow(Base):
    __tablename__ = "attempts"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(String(128), unique=True)
    debtor_id: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(128), default="")
    channel: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(320))
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str] = mapped_column(String(128), default="")
    import_id: Mapped[int | None] = mapped_column(_ID, ForeignKey("imports.id", ondelete="SET NULL"), nullable=True)
    direction: Mapped[str] = mapped_column(String(8), default="outbound")  # migration 0004
    callback_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    callback_offset_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (Index("ix_attempts_debtor_time", "debtor_id", "attempted_at"),
                      Index("ix_attempts_time", "attempted_at"))


class ConsentRow(Base):
    """A dated opt-in or revocation (``contactplan consent import``, migration 0004)."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(128))
    debtor_id: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(320), default="")
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    __table_args__ = (UniqueConstraint("record_id", name="uq_consent_record"),
                      Index("ix_consents_debtor", "debtor_id"))


class SuppressionRow(Base):
    __tablename__ = "suppressions"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    debtor_id: Mapped[str] = mapped_column(String(128), default="")  # "" = whoever has the destination
    destination: Mapped[str] = mapped_column(String(320), default="")  # "" = every destination
    channel: Mapped[str] = mapped_column(String(16), default="")  # "" = every channel
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    # In force for contacts after this instant (Suppression.since): when it was recorded, or the
    # time of the opt-out attempt that made it (migration 0002).
    effective_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    __table_args__ = (UniqueConstraint("debtor_id", "destination", "channel", "source", name="uq_suppression"),
                      Index("ix_suppressions_debtor", "debtor_id"), Index("ix_suppressions_destination", "destination"))


class PlanRow(Base):
    __tablename__ = "plans"
    plan_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_date: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    objective: Mapped[float] = mapped_column(Float)
    options: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(JSON)
    provenance: Mapped[dict] = mapped_column(JSON)
    # The plan's contacts: the plan file of this sha256 (migration 0006).
    contacts_sha256: Mapped[str | None] = mapped_column(ForeignKey("plan_files.sha256"), index=True)


class PlanFileRow(Base):
    """An archived plan's contacts as one compressed columnar file (io.plan_archive), named by its
    sha256; plans with the same contacts share it."""

    __tablename__ = "plan_files"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    format: Mapped[str] = mapped_column(String(64))  # io.plan_archive.FORMAT
    contacts: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class DialerListRow(Base):
    """The number a dialer list key keeps from day to day (VICIdial list id = the day's block + it)."""

    __tablename__ = "dialer_lists"
    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    target: Mapped[str] = mapped_column(String(16))  # "vicidial"
    key: Mapped[str] = mapped_column(String(255))
    number: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("target", "key", name="uq_dialer_list_key"),
                      UniqueConstraint("target", "number", name="uq_dialer_list_number"))


def resolve_url(url: str | None, config_url: str | None = None) -> str:
    """--db beats CONTACTPLAN_DB beats the config's database_url beats the embedded default."""
    url = url or os.environ.get(ENV_URL) or config_url or DEFAULT_URL
    # Plain postgresql:// means psycopg 3 here (the driver we depend on), not psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE (below) instead of pysqlite's deferred
    # BEGIN: two writers then queue on the lock instead of failing when a read turns into a write.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the morning's writer
    cur.execute("PRAGMA busy_timeout=30000")  # a second writer waits instead of failing
    cur.close()


class Store:
    """An open database. Use ``open_store(url)``."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise  # a concurrent writer won a race: callers decide (retry or report)
        except DBAPIError as exc:  # server down, disk full, a value the schema refuses, not a database
            raise StoreError(tr("database {url}: {problem}; nothing was written", url=redact(str(self.engine.url)),
                                problem=db_message(exc))) from None
        except SQLAlchemyError as exc:
            raise StoreError(tr("database {url}: {problem}; nothing was written", url=redact(str(self.engine.url)),
                                problem=type(exc).__name__)) from None

    def _insert(self, table):
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # --- history -------------------------------------------------------------------------------
    def import_attempts(self, attempts: Sequence[Attempt], *, sha256: str, source: str, now: dt.datetime,
                        opt_out_source: str = "history") -> tuple[int, int]:
        """import_log of these Attempts (AttemptConflict's index is their position): (rows, added)."""
        rows, added, _ = self.import_log(attempts_frame(attempts), sha256=sha256, source=source, now=now,
                                         opt_out_source=opt_out_source)
        return rows, added

    def import_log(self, log: pl.DataFrame, *, sha256: str, source: str, now: dt.datetime,
                   opt_out_source: str = "history") -> tuple[int, int, int]:
        """Add a history file's attempts (``history_log.LOG_SCHEMA``, in file order) in one
        transaction; returns (rows in file, rows added, suppressions added by opt-outs). An attempt
        whose attempt_id is already stored with the same content is skipped, so re-importing a file
        adds nothing; one stored with other content raises AttemptConflict (the first such row of
        the file) and nothing is imported (a dialer that re-used an id, or an edited export: which
        one is true is the user's call). Opt-out outcomes of the added attempts add a suppression
        of that destination on that channel, in force after the attempt.

        The rows go to a temporary table first (SQLite: executemany; PostgreSQL: COPY), and the
        comparison with stored attempts and the insert are each one statement over it: a million
        attempts without a query or an object per row."""
        rows = log.height
        if log.get_column("attempt_id").is_duplicated().any():
            raise ValueError("import_log: attempt ids must be unique within a log (the readers refuse repeats)")
        with self.transaction() as conn:
            cursor = conn.connection.driver_connection.cursor()
            try:
                if self.dialect == "postgresql":
                    # One import at a time (SQLite: BEGIN IMMEDIATE already): a concurrent import
                    # could otherwise store an id between this one's comparison and its insert,
                    # and a conflicting row would be skipped unseen. Readers are not blocked.
                    cursor.execute("LOCK TABLE attempts IN SHARE ROW EXCLUSIVE MODE")
                done = conn.execute(select(ImportRow.added).where(ImportRow.sha256 == sha256)).first()
                if done is not None:
                    return rows, 0, 0
                with self._import_cache(cursor):
                    self._stage(cursor, log)
                    self._check_staged(cursor, log)
                    # What is left staged is what this import adds (the rest is stored, equal).
                    stored = "EXISTS (SELECT 1 FROM attempts a WHERE a.attempt_id = attempts_in.attempt_id)"
                    cursor.execute(f"SELECT count(*) FROM attempts_in WHERE {stored}")
                    (present,) = cursor.fetchone()
                    if present == rows:  # all of them: a re-import under another name
                        cursor.execute("DELETE FROM attempts_in")
                    elif present:
                        cursor.execute(f"DELETE FROM attempts_in WHERE {stored}")
                    adding = rows - present
                    import_id = conn.execute(self._insert(ImportRow.__table__).values(
                        sha256=sha256, source=os.path.basename(source), rows=rows, added=0,
                        imported_at=now).returning(ImportRow.id)).scalar_one()
                    cursor.execute("SELECT pos FROM attempts_in WHERE outcome = 'opt_out' ORDER BY pos")
                    opt_out_rows = [pos for (pos,) in cursor.fetchall()]
                    mark = "?" if self.dialect == "sqlite" else "%s"
                    names = ", ".join(_STAGED_COLUMNS)
                    with self._bulk_indexes(conn, cursor, adding):
                        cursor.execute(f"INSERT INTO attempts ({names}, import_id) SELECT {names}, {mark} "
                                       f"FROM attempts_in ORDER BY pos", (import_id,))
                        added = cursor.rowcount
                    cursor.execute("DROP TABLE attempts_in")
            finally:
                cursor.close()
            conn.execute(ImportRow.__table__.update().where(ImportRow.id == import_id).values(added=added))
            opt_outs = [opt_out_suppression(frame_attempt(log.row(pos, named=True)), opt_out_source)
                        for pos in opt_out_rows]
            suppressed = self._add_suppressions(conn, opt_outs, now)
        return rows, added, suppressed

    def imported_rows(self, sha256: str) -> int | None:
        """The rows of the file with this sha256 if it was imported already, else None."""
        with self.transaction() as conn:
            return conn.execute(select(ImportRow.rows).where(ImportRow.sha256 == sha256)).scalar_one_or_none()

    @contextmanager
    def _bulk_indexes(self, conn: Connection, cursor: Any, adding: int) -> Iterator[None]:
        """Around an insert of ``adding`` attempts: when they are many beside those stored, the
        lookup indexes (by debtor and time, by time) are dropped and built again after it, in the
        same transaction -- sorting a million rows once is cheaper than a million inserts at
        random places (1M attempts into an empty store: 8.7 s -> 3.1 s on SQLite, 18.1 s -> 12.0 s
        on PostgreSQL). SQLite's readers keep reading the last committed store meanwhile;
        PostgreSQL's wait for the import to commit (DROP INDEX locks the table)."""
        cursor.execute("SELECT max(id) FROM attempts")  # at least the rows stored; the primary key answers
        (top,) = cursor.fetchone()
        if adding < _BULK_MIN or adding * 4 < (top or 0):
            yield
            return
        indexes = sorted(AttemptRow.__table__.indexes, key=lambda index: index.name)
        for index in indexes:
            index.drop(conn)
        yield
        for index in indexes:
            index.create(conn)

    @contextmanager
    def _import_cache(self, cursor: Any) -> Iterator[None]:
        """SQLite: a page cache that holds the attempts' indexes while a large import inserts into
        them (the default 2 MB made a million attempts' insert 1.6x slower), then the default again.
        SQLite takes the pages only as it touches them."""
        if self.dialect != "sqlite":
            yield
            return
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size=-262144")  # KiB: 256 MB at most
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size={int(before)}")

    def _stage(self, cursor: Any, log: pl.DataFrame) -> None:
        """The file's rows in the transaction's temporary table attempts_in, ``pos`` its row index."""
        staged = log.select(pl.int_range(0, log.height, dtype=pl.Int64).alias("pos"), *_STAGED_COLUMNS)
        if self.dialect == "sqlite":
            # (TEXT: SQLite keeps the UTC text as written, as in the attempts table)
            cursor.execute(f"CREATE TEMP TABLE attempts_in (pos INTEGER PRIMARY KEY, "
                           f"{_STAGED_SQL.replace('TIMESTAMP', 'TEXT')})")
            cursor.executemany(f"INSERT INTO attempts_in VALUES ({', '.join('?' * staged.width)})",
                               staged.iter_rows())
            return
        cursor.execute(f"CREATE TEMPORARY TABLE attempts_in (pos bigint PRIMARY KEY, {_STAGED_SQL}) ON COMMIT DROP")
        # CSV with every text quoted: "" is an empty text, an unquoted empty field is NULL.
        with cursor.copy("COPY attempts_in FROM STDIN (FORMAT csv)") as copy:
            for k in range(0, staged.height, 200_000):
                copy.write(staged.slice(k, 200_000).write_csv(include_header=False, quote_style="non_numeric"))
        cursor.execute("ANALYZE attempts_in")  # temporary tables have no statistics until asked

    def _check_staged(self, cursor: Any, log: pl.DataFrame) -> None:
        """AttemptConflict for the first staged row whose attempt_id is stored with other content.
        The statement only narrows (equal stored text is equal content); _differs decides."""
        differ = " OR ".join(f"s.{c} IS DISTINCT FROM a.{c}" if self.dialect == "postgresql" else f"s.{c} IS NOT a.{c}"
                             for c in _COMPARED)
        outbound = "COALESCE(a.direction, 'outbound')"
        differ += (f" OR s.direction IS DISTINCT FROM {outbound}" if self.dialect == "postgresql"
                   else f" OR s.direction IS NOT {outbound}")
        cursor.execute(f"SELECT s.pos, {', '.join('a.' + c for c in _ATTEMPT_COLUMNS)} FROM attempts_in s "
                       f"JOIN attempts a ON a.attempt_id = s.attempt_id WHERE {differ} ORDER BY s.pos")
        while found := cursor.fetchmany(1_000):
            for pos, *stored in found:
                column = _differs(log.row(pos, named=True), dict(zip(_ATTEMPT_COLUMNS, stored)))
                if column:
                    raise AttemptConflict(pos, column)

    def _time_value(self, t: dt.datetime | None):
        """An aware instant as the UTCDateTime column stores it: naive UTC (SQLite: SQLAlchemy's
        text form of it)."""
        if t is None:
            return None
        return stored_time(t) if self.dialect == "sqlite" else t.astimezone(UTC).replace(tzinfo=None)

    def _bulk_insert(self, conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """Rows straight to the driver inside the open transaction. SQLAlchemy's per-row parameter
        processing cost ten times the insert itself at a million rows. SQLite: executemany;
        PostgreSQL: ``COPY``."""
        if not rows:
            return
        names = ", ".join(columns)
        cursor = conn.connection.driver_connection.cursor()
        try:
            if self.dialect == "sqlite":
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
                return
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()

    def history(self, debtor_id: str) -> list[Attempt]:
        with self.transaction() as conn:
            return list(self._attempt_rows(conn, debtor_id=debtor_id, ordered=True))

    def purge(self, before: dt.date, *, dry_run: bool = False) -> dict[str, int]:
        """Delete attempts made, and archived plans dated, before ``before`` (UTC midnight).
        Suppressions are kept: forgetting a do-not-contact request would break it."""
        cutoff = dt.datetime.combine(before, dt.time(0), UTC)
        with self.transaction() as conn:
            counts = {
                "attempts": conn.execute(select(func.count()).select_from(AttemptRow)
                                         .where(AttemptRow.attempted_at < cutoff)).scalar_one(),
                "plans": conn.execute(select(func.count()).select_from(PlanRow)
                                      .where(PlanRow.plan_date < before)).scalar_one(),
            }
            if not dry_run:
                conn.execute(delete(AttemptRow).where(AttemptRow.attempted_at < cutoff))
                conn.execute(delete(PlanRow).where(PlanRow.plan_date < before))
                self._drop_unused_files(conn)
                conn.execute(delete(ImportRow).where(~ImportRow.id.in_(
                    select(AttemptRow.import_id).where(AttemptRow.import_id.is_not(None)))))
        return counts

    # --- suppressions --------------------------------------------------------------------------
    def _add_suppressions(self, conn: Connection, entries: Iterable[Suppression], now: dt.datetime) -> int:
        rows = [{"debtor_id": s.debtor_id, "destination": s.destination,
                 "channel": s.channel.value if s.channel else "", "reason": s.reason, "source": s.source,
                 "created_at": now, "expires_on": s.expires_on, "effective_at": s.since or now} for s in entries]
        if not rows:
            return 0
        before = conn.execute(select(func.count()).select_from(SuppressionRow)).scalar_one()
        stmt = self._insert(SuppressionRow.__table__).on_conflict_do_nothing(
            index_elements=["debtor_id", "destination", "channel", "source"])
        conn.execute(stmt, rows)
        return conn.execute(select(func.count()).select_from(SuppressionRow)).scalar_one() - before

    def add_suppressions(self, entries: Sequence[Suppression], now: dt.datetime) -> int:
        """Add entries in one transaction; an entry already present (same debtor, destination,
        channel and source) is kept as it was. Returns how many were added. An entry without
        ``since`` is in force from ``now``. Destinations must be normalised already (E.164 or a
        lower-case e-mail: io.phones.destination_address), or they match nothing."""
        with self.transaction() as conn:
            return self._add_suppressions(conn, entries, now)

    def suppressions(self, *, debtor_id: str | None = None) -> list[Suppression]:
        query = select(SuppressionRow).order_by(SuppressionRow.debtor_id, SuppressionRow.destination,
                                                SuppressionRow.channel, SuppressionRow.source)
        if debtor_id is not None:
            query = query.where(SuppressionRow.debtor_id == debtor_id)
        with self.transaction() as conn:
            return [_suppression(r) for r in conn.execute(query).all()]

    # --- what a plan needs ---------------------------------------------------------------------
    def load_for_plan(self, debtor_ids: set[str], destinations: set[str], plan_date: dt.date,
                      lookback_days: int = 35) -> StoreData:
        """History of the last ``lookback_days`` (enough for every shipped window), the
        suppressions active on the plan date by debtor and by destination, and every consent
        record of the debtors (the latest of each destination and channel decides)."""
        since = dt.datetime.combine(plan_date - dt.timedelta(days=lookback_days), dt.time(0), UTC)
        history: dict[str, list[Attempt]] = defaultdict(list)
        by_debtor: dict[str, list[Suppression]] = defaultdict(list)
        by_destination: dict[str, list[Suppression]] = defaultdict(list)
        with self.transaction() as conn, paused_gc():  # a month of history is millions of attempts
            for a in self._attempt_rows(conn, since, of=debtor_ids):
                history[a.debtor_id].append(a)
            for row in conn.execute(select(SuppressionRow)):
                s = _suppression(row)
                if not s.active_on(plan_date):
                    continue
                if s.debtor_id and s.debtor_id in debtor_ids:
                    by_debtor[s.debtor_id].append(s)
                elif not s.debtor_id and s.destination in destinations:
                    by_destination[s.destination].append(s)
            consents: dict[str, list[ConsentRecord]] = defaultdict(list)
            for row in conn.execute(select(ConsentRow).order_by(ConsentRow.at, ConsentRow.record_id)):
                if row.debtor_id in debtor_ids:
                    consents[row.debtor_id].append(_consent(row))
        return StoreData(history, by_debtor, by_destination, consents)

    # --- consent records --------------------------------------------------------------------------
    def import_consents(self, records: Sequence[ConsentRecord], *, now: dt.datetime) -> tuple[int, int]:
        """Add consent records in one transaction; returns (records, added). A record id already
        stored with the same content is skipped (re-importing adds nothing); with other content
        it raises RecordConflict and nothing is imported."""
        with self.transaction() as conn:
            position = {r.record_id: i for i, r in enumerate(records)}
            stored: set[str] = set()
            ids = list(position)
            for k in range(0, len(ids), 5_000):
                for row in conn.execute(select(ConsentRow).where(ConsentRow.record_id.in_(ids[k:k + 5_000]))):
                    i = position[row.record_id]
                    mine = records[i]
                    theirs = _consent(row)
                    for column, a, b in (("debtor_id", mine.debtor_id, theirs.debtor_id),
                                         ("channel", mine.channel, theirs.channel),
                                         ("destination", mine.destination, theirs.destination),
                                         ("granted_at" if mine.granted else "revoked_at", (mine.granted, mine.at),
                                          (theirs.granted, theirs.at))):
                        if a != b:
                            raise AttemptConflict(i, column)
                    stored.add(row.record_id)
            rows = [{"record_id": r.record_id, "debtor_id": r.debtor_id, "channel": r.channel.value,
                     "destination": r.destination, "granted": r.granted, "at": r.at,
                     "utc_offset_minutes": offset_minutes(r.at), "source": r.source, "imported_at": now}
                    for r in records if r.record_id not in stored]
            if rows:
                stmt = self._insert(ConsentRow.__table__).on_conflict_do_nothing(index_elements=["record_id"])
                for k in range(0, len(rows), 20_000):
                    conn.execute(stmt, rows[k:k + 20_000])
        return len(records), len(rows)

    def consents(self, *, debtor_id: str | None = None) -> list[ConsentRecord]:
        query = select(ConsentRow).order_by(ConsentRow.debtor_id, ConsentRow.at, ConsentRow.record_id)
        if debtor_id is not None:
            query = query.where(ConsentRow.debtor_id == debtor_id)
        with self.transaction() as conn:
            return [_consent(r) for r in conn.execute(query).all()]

    # --- dialer lists ---------------------------------------------------------------------------
    def list_numbers(self, target: str, keys: Sequence[str]) -> dict[str, int]:
        """A stable number for each list key of a dialer: the one it was given before, or the
        next free one (1, 2, ...). The same key gets the same number every day."""
        for attempt in range(3):
            try:
                with self.transaction() as conn:
                    known = {r.key: r.number for r in conn.execute(
                        select(DialerListRow.key, DialerListRow.number).where(DialerListRow.target == target))}
                    new = [k for k in dict.fromkeys(keys) if k not in known]
                    if new:
                        start = max(known.values(), default=0) + 1
                        rows = [{"target": target, "key": k, "number": start + i} for i, k in enumerate(new)]
                        conn.execute(DialerListRow.__table__.insert(), rows)
                        known.update((r["key"], r["number"]) for r in rows)
                    return {k: known[k] for k in keys}
            except IntegrityError:  # a concurrent run numbered the same keys first: read them again
                if attempt == 2:
                    raise StoreError(tr("dialer list numbers are being assigned by another run; try again")) from None
        raise AssertionError("unreachable")

    # --- plan archive --------------------------------------------------------------------------
    def archive_plan(self, plan, now: dt.datetime) -> None:
        """Store the plan and its contacts; archiving the same plan id again replaces it. Two runs
        archiving the same plan at once: the second waits, then replaces the first's identical rows."""
        for attempt in range(3):
            try:
                return self._archive(plan, now)
            except IntegrityError:
                if attempt == 2:
                    raise StoreError(tr("plan {plan_id} is being archived by another run; try again",
                                        plan_id=plan.plan_id)) from None

    def _archive(self, plan, now: dt.datetime) -> None:
        c = plan.counts
        # Encoded before the transaction opens: it holds the database only for the writes.
        content, sha256 = plan_archive.encode(plan.contacts)
        with self.transaction() as conn:
            replaced = conn.execute(select(PlanRow.contacts_sha256).where(PlanRow.plan_id == plan.plan_id)
                                    ).scalar_one_or_none()
            conn.execute(delete(PlanRow).where(PlanRow.plan_id == plan.plan_id))
            conn.execute(self._insert(PlanFileRow.__table__).values(
                sha256=sha256, format=plan_archive.FORMAT, contacts=len(plan.contacts), content=content
            ).on_conflict_do_nothing(index_elements=["sha256"]))
            conn.execute(PlanRow.__table__.insert().values(
                plan_id=plan.plan_id, plan_date=plan.plan_date, created_at=now, status=str(plan.status),
                objective=plan.objective, options=plan.options,
                counts={"read": c.read, "planned": c.planned, "excluded": c.excluded, "rejected": c.rejected,
                        "rows": c.rows, "rejected_rows": c.rejected_rows,
                        **({"arms": dict(plan.arms)} if getattr(plan, "arms", None) else {})},
                provenance=dict(plan.provenance), contacts_sha256=sha256))
            if replaced is not None and replaced != sha256:
                self._drop_unused_files(conn)

    @staticmethod
    def _drop_unused_files(conn: Connection) -> None:
        conn.execute(delete(PlanFileRow).where(~PlanFileRow.sha256.in_(
            select(PlanRow.contacts_sha256).where(PlanRow.contacts_sha256.is_not(None)))))

    def plans(self) -> list[dict]:
        with self.transaction() as conn:
            return [dict(r._mapping) for r in conn.execute(select(PlanRow).order_by(PlanRow.plan_date))]

    def _plan_file(self, conn: Connection, sha256: str) -> bytes:
        content, form = conn.execute(select(PlanFileRow.content, PlanFileRow.format)
                                     .where(PlanFileRow.sha256 == sha256)).one()
        if form != plan_archive.FORMAT:
            raise StoreError(tr("archived plan file {sha256} is in format {format}, which this version cannot "
                                "read; upgrade contactplan", sha256=sha256, format=form))
        return content

    def planned_contacts(self, plan_id: str) -> list[PlannedContact]:
        """The archived plan's contacts, in its order."""
        with self.transaction() as conn:
            sha256 = conn.execute(select(PlanRow.contacts_sha256).where(PlanRow.plan_id == plan_id)
                                  ).scalar_one_or_none()
            if sha256 is None:  # no such plan
                return []
            content = self._plan_file(conn, sha256)
        return plan_archive.decode(content)

    # --- the outcome loop (report, learn) ------------------------------------------------------
    def attempts_between(self, first: dt.date, last: dt.date) -> Iterator[Attempt]:
        """The stored attempts whose local date (in their own recorded offset) may fall from
        ``first`` to ``last``: UTC offsets run from -12 to +14 hours, so the query reaches a day
        either side and the caller keeps the local dates it wants. Streamed, not listed."""
        day = dt.timedelta(days=1)
        # (the calendar's own ends, 0001-01-01 and 9999-12-31, have no day beyond them)
        since = dt.datetime.combine(first - day if first > dt.date.min else first, dt.time(0), UTC)
        until = dt.datetime.combine(last + 2 * day, dt.time(0), UTC) if last < dt.date.max - 2 * day else \
            dt.datetime.max.replace(tzinfo=UTC)
        with self.transaction() as conn, paused_gc():
            yield from self._attempt_rows(conn, since, until, ordered=True)

    def _attempt_rows(self, conn: Connection, since: dt.datetime | None = None, until: dt.datetime | None = None,
                      *, debtor_id: str | None = None, ordered: bool = False,
                      of: set[str] | None = None) -> Iterator[Attempt]:
        """Stored attempts made from ``since`` and before ``until`` (of one debtor, when given;
        of the debtors in ``of``, when given: the others' rows are skipped before any parsing,
        since a store holds every portfolio's history and a plan reads one portfolio's)
        as Attempts, the one way the store reads them back; streamed, read
        straight from the driver: SQLAlchemy's row and type processing was three quarters of the
        time of loading a month of history (a million attempts) for a plan. SQLite's text times
        are parsed with datetime.fromisoformat (the form _time_value writes); PostgreSQL returns
        datetimes. Times are stored naive in UTC (UTCDateTime)."""
        text = self.dialect == "sqlite"
        mark = "?" if text else "%s"
        where, params = [], []
        for condition, value in (("attempted_at >=", self._time_value(since)),
                                 ("attempted_at <", self._time_value(until)), ("debtor_id =", debtor_id)):
            if value is not None:
                where.append(f"{condition} {mark}")
                params.append(value)
        table = "attempts"
        if text and where and debtor_id is None and not ordered and self._most_rows(conn, where, params):
            # SQLite's planner takes the time index for any range, and reads each row of the
            # table at random through it: twice the cost per row of reading the table in order,
            # so a range holding half the rows or more is read faster by scanning them all.
            table = "attempts NOT INDEXED"
        sql = f"SELECT {', '.join(_ATTEMPT_COLUMNS)} FROM {table}" + (f" WHERE {' AND '.join(where)}" if where else "")
        if ordered:
            sql += " ORDER BY attempted_at, attempt_id"
        channels, outcomes, directions, new = CHANNEL_OF, OUTCOME_OF, DIRECTION_OF, _new_attempt
        parse = dt.datetime.fromisoformat
        utc = UTC
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(20_000):
                for aid, did, channel, dest, at, offset, outcome, account, agent, direction, callback, cb_offset in rows:
                    if of is not None and did not in of:
                        continue
                    if text:  # UTC said in the text: datetime.replace costs ten times the parse
                        at = parse(at + "+00:00").astimezone(_offset(offset))
                        if callback is not None:
                            callback = parse(callback + "+00:00").astimezone(_offset(cb_offset or 0))
                    else:
                        at = at.replace(tzinfo=utc).astimezone(_offset(offset))
                        if callback is not None:
                            callback = callback.replace(tzinfo=utc).astimezone(_offset(cb_offset or 0))
                    yield new(aid, did, channels[channel], dest, at, outcomes[outcome], account, agent,
                              directions[direction or "outbound"], callback)
        finally:
            cursor.close()

    @staticmethod
    def _most_rows(conn: Connection, where: list[str], params: list) -> bool:
        """Whether the attempts matching ``where`` are half the table or more (both counts read
        the time index only: milliseconds at a million attempts)."""
        cursor = conn.connection.driver_connection.cursor()
        try:
            matching = cursor.execute(f"SELECT count(*) FROM attempts WHERE {' AND '.join(where)}",
                                      params).fetchone()[0]
            total = cursor.execute("SELECT count(*) FROM attempts").fetchone()[0]
        finally:
            cursor.close()
        return matching * 2 >= total > 0

    def archived_contacts(self, first: dt.date, last: dt.date) -> dict[tuple[str, dt.date], list[tuple[str, str, str]]]:
        """(debtor id, plan date) -> [(channel, pool, arm)] of the archived plans dated from
        ``first`` to ``last``; where a day has several plans (re-plans), the latest archived one
        that holds the debtor decides."""
        out: dict[tuple[str, dt.date], list[tuple[str, str, str]]] = {}
        made: dict[tuple[str, dt.date], dt.datetime] = {}
        with self.transaction() as conn:
            plans = conn.execute(select(PlanRow.plan_date, PlanRow.created_at, PlanRow.contacts_sha256)
                                 .where(PlanRow.plan_date >= first, PlanRow.plan_date <= last)
                                 .order_by(PlanRow.created_at, PlanRow.plan_id)).all()
            for day, created, sha256 in plans:
                frame = plan_archive.columns(self._plan_file(conn, sha256), ["debtor_id", "channel", "pool", "arm"])
                for debtor_id, channel, pool, arm in zip(*(frame[c].to_list() for c in frame.columns), strict=True):
                    key = (debtor_id, day)
                    if made.get(key) != created:  # a later plan of the day replaces an earlier one's contacts
                        made[key] = created
                        out[key] = []
                    out[key].append((channel, pool, arm))
        return out

    def holdout_plans(self, first: dt.date, last: dt.date) -> list[dict]:
        """The archived plans dated from ``first`` to ``last`` that were made with a holdout:
        date, plan id, and the debtors assigned to each arm (``counts["arms"]``)."""
        with self.transaction() as conn:
            rows = conn.execute(select(PlanRow).where(PlanRow.plan_date >= first, PlanRow.plan_date <= last)
                                .order_by(PlanRow.plan_date, PlanRow.created_at)).all()
        return [{"plan_id": r.plan_id, "plan_date": r.plan_date, "arms": r.counts["arms"],
                 "provenance": r.provenance} for r in rows if r.counts.get("arms")]


def _differs(mine: dict, stored: dict) -> str | None:
    """The first history column in which a file's attempt (a LOG_SCHEMA row) differs from the stored
    attempt of its id (the driver's row), or None. Instants compare as instants."""
    def instant(value: Any) -> dt.datetime | None:
        if value is None:
            return None
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else value

    pairs = (("debtor_id", mine["debtor_id"], stored["debtor_id"]), ("channel", mine["channel"], stored["channel"]),
             ("destination", mine["destination"], stored["destination"]),
             ("attempted_at", (instant(mine["attempted_at"]), mine["utc_offset_minutes"]),
              (instant(stored["attempted_at"]), stored["utc_offset_minutes"])),
             ("outcome", mine["outcome"], stored["outcome"]), ("agent_id", mine["agent_id"], stored["agent_id"]),
             ("account_id", mine["account_id"], stored["account_id"]),
             ("direction", mine["direction"], stored["direction"] or "outbound"),
             ("callback_at", instant(mine["callback_at"]), instant(stored["callback_at"])))
    return next((name for name, a, b in pairs if a != b), None)


# A history file's columns as attempts_in stages them (LOG_SCHEMA without the line), and those
# the check against stored attempts compares as stored (direction apart: NULL in old rows).
_STAGED_COLUMNS = ("attempt_id", "debtor_id", "account_id", "channel", "destination", "attempted_at",
                   "utc_offset_minutes", "outcome", "agent_id", "direction", "callback_at", "callback_offset_minutes")
_STAGED_SQL = ("attempt_id VARCHAR(128), debtor_id VARCHAR(128), account_id VARCHAR(128), channel VARCHAR(16), "
               "destination VARCHAR(320), attempted_at TIMESTAMP, utc_offset_minutes INTEGER, outcome VARCHAR(32), "
               "agent_id VARCHAR(128), direction VARCHAR(8), callback_at TIMESTAMP, callback_offset_minutes INTEGER")
_COMPARED = ("debtor_id", "channel", "destination", "attempted_at", "utc_offset_minutes", "outcome", "agent_id",
             "account_id", "callback_at")
_ATTEMPT_COLUMNS = ("attempt_id", "debtor_id", "channel", "destination", "attempted_at", "utc_offset_minutes",
                    "outcome", "account_id", "agent_id", "direction", "callback_at", "callback_offset_minutes")
# Fewer attempts than this go into the lookup indexes as they are (Store._bulk_indexes).
_BULK_MIN = 50_000
_OFFSETS: dict[int, dt.timezone] = {}
_new_attempt = constructor(Attempt)  # a month of outcomes is millions of rows


def _offset(minutes: int) -> dt.timezone:
    zone = _OFFSETS.get(minutes)
    if zone is None:
        zone = _OFFSETS[minutes] = dt.timezone(dt.timedelta(minutes=minutes))
    return zone


def _consent(row: Any) -> ConsentRecord:
    zone = dt.timezone(dt.timedelta(minutes=row.utc_offset_minutes))
    return ConsentRecord(row.record_id, row.debtor_id, Channel(row.channel), row.destination, bool(row.granted),
                         row.at.astimezone(zone), row.source)


def _suppression(row: Any) -> Suppression:
    return Suppression(row.debtor_id, row.destination, Channel(row.channel) if row.channel else None, row.reason,
                       row.source, row.expires_on, row.effective_at or row.created_at)


def _private_file(url: str) -> None:
    """Create the embedded database readable by the owner only: it holds phones and e-mails."""
    path = url.removeprefix("sqlite:///")
    if url.startswith("sqlite:///") and path and path != ":memory:" and not os.path.exists(path):
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StoreError(tr("cannot create database file {path}: {problem}", path=path,
                                problem=os_reason(exc))) from None


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and create or upgrade to the latest schema) the database at ``url``."""
    try:
        engine = create_engine(url, future=True)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise InputError(redact(url), tr("not a usable database URL: {problem}", problem=exc)) from None
    if engine.dialect.name == "sqlite":
        _private_file(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    elif engine.dialect.name != "postgresql":
        raise InputError(redact(url), tr("only sqlite:/// and postgresql:// databases are supported"))
    _OPEN.add(engine)
    store = Store(engine)
    if migrate:
        upgrade(store)
    return store


# Every engine open_store made that is still alive: close_stores() closes their connections.
_OPEN: weakref.WeakSet[Engine] = weakref.WeakSet()


def close_stores() -> None:
    """Close the connections of every store opened in this process (they reopen if used again)."""
    for engine in list(_OPEN):
        engine.dispose()


# Any constant: the advisory lock that lets one run at a time create or upgrade a PostgreSQL
# schema (two first runs on an empty database would otherwise both create the tables).
_MIGRATION_LOCK = 0x636F6E74  # "cont"


def upgrade(store: Store) -> None:
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.util import CommandError

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("contactplan") / "migrations"))
    where = redact(str(store.engine.url))
    try:
        with store.engine.begin() as conn:
            if store.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except DBAPIError as exc:
        raise StoreError(tr("cannot open database {url}: {problem}", url=where, problem=db_message(exc))) from None
    except CommandError:
        raise StoreError(tr("database {url} was made by a newer contactplan (its schema revision is unknown to this "
                            "version); upgrade contactplan", url=where)) from None
    except SQLAlchemyError as exc:
        raise StoreError(tr("cannot open database {url}: {problem}", url=where, problem=type(exc).__name__)) from None


def db_message(exc: DBAPIError) -> str:
    """The database's own message, first line only: what follows (PostgreSQL's DETAIL, SQLAlchemy's
    parameters) may quote a row's values, a phone number among them."""
    text = str(exc.orig).strip().splitlines()
    return text[0] if text else type(exc.orig).__name__
