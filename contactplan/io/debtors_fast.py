"""The vectorised fast path of ``read_debtors``: polars reads and checks whole columns, Python
only builds the Debtor objects. The result is exactly the row path's DebtorFile.

Reading a million rows one dict at a time takes over a minute, nearly all of it in Python per
value. How this module stays exact:

* The file. Only plain files come here (``contactplan.io.plain_csv``: one record per physical
  line, split and unquoted as the csv module does it, so line numbers stay physical); anything
  else (quoted newlines, odd quoting, misaligned rows, header problems, an empty file, bytes
  neither UTF-8 nor cp1252) returns None and the row path reads the whole file and reports what
  it reports now.
* The rows. A row is *clean* when this module can tell that the row path accepts it: the
  columns with few distinct values are stripped and checked by str.strip() and the row path's
  own check functions, once per distinct value; phones by the vectorised twin of phones' fast
  path; e-mails by the same pattern; amounts in the plain shapes of _PLAIN_AMOUNTS. Every row of a
  debtor with a row that is not clean goes through the row path (``_parse_account`` then
  ``merge_accounts``), so every rejection and its message comes from there and there is one copy of the
  validation rules.
* The merge. Debtors with several accounts go through the row path's ``merge_accounts`` on accounts
  built here; single-account debtors (most of a portfolio) are built directly, with the zone
  resolution (``resolve_place``) done once per distinct place.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from contactplan.io import debtor_rows as rows
from contactplan.io.csvfile import CsvTable, Row
from contactplan.io.debtor_rows import ANSWER_COLUMNS, KNOWN, REQUIRED, Account, DebtorFile, RowError
from contactplan.io.frozen import constructor, paused_gc
from contactplan.io.phones import fast_e164_frame
from contactplan.io.values import CONTROL_CHARACTERS
from contactplan.io.plain_csv import BOM, PY_WHITESPACE, Layout, is_utf8, layout, load, plain_bytes
from contactplan.model import Channel, Debtor, Destination, LineType, Rejection
from contactplan.timezones import address_key

MOBILE, HOME, WORK, EMAIL = LineType.MOBILE, LineType.HOME, LineType.WORK, LineType.EMAIL
# The loops below run a million times: they call these positionally, in the order given here.
new_destination = constructor(Destination, "address", "line_type", "maybe_mobile", "column")
new_debtor = constructor(Debtor, "debtor_id", "country", "region", "balance", "zones", "zone_source", "zone_note",
                         "destinations", "flags", "consents", "municipality_code", "p_pay", "days_past_due",
                         "segment", "language", "preferred_channel", "preferred_window", "account_ids", "lines")

_PHONES = ("phone_mobile", "phone_home", "phone_work")
_UNUSED = ("name", "cpf", "document")  # known columns the row path never reads
_PROFILE = ("segment", "language", "preferred_channel", "preferred_window", "municipality_code")
# Columns with many distinct values: polars strips them. The others are stripped by str.strip()
# itself, once per distinct value, where they are checked.
_STRIPPED = ("debtor_id", "account_id", "balance", *_PHONES, "email")
# Balances the fast path reads itself, and how parse_money reads them: 1234.56 or 1234,56 (one
# separator, not before three digits), 1.234,56 (thousands dots) and 1,234.56 (thousands commas).
# At most 11 digits, so the balance-weighted p_pay of one account is exactly its own p_pay (the
# Decimal product of a float's 17 digits and 11 digits is exact at 28 digits, the default
# precision; read() leaves a program that lowered it to the row path).
_PLAIN_AMOUNTS = (
    (r"^[0-9]{1,9}(?:[.,][0-9]{1,2})?$", ((",", "."),)),
    (r"^[0-9]{1,3}(?:\.[0-9]{3}){1,2},[0-9]{1,2}$", ((".", ""), (",", "."))),
    (r"^[0-9]{1,3}(?:,[0-9]{3}){1,2}\.[0-9]{1,2}$", ((",", ""),)),
)
_PLAIN_EMAIL = r"^[^@,;]+@[^@,;]+\.[^@,;]+$"  # rows._EMAIL on values without whitespace
_SEP = "\x00"  # joins key columns: a file with a NUL byte never gets here
_FAST_COLUMNS = ("line", "debtor_id", "account_id", "amount", "cc", "cc_code", "region", "municipality_code",
                 "timezone", "address", "email_address", "answers", "profile", "p_pay_code", "dpd_code",
                 *(f"{c}_{part}" for c in ("phone_mobile", "phone_home", "phone_work")
                   for part in ("e164", "maybe_mobile", "area", "zone_key")))


def read(name: str, raw: bytes) -> DebtorFile | None:
    """The DebtorFile for these bytes, or None when the row path must read the whole file."""
    if decimal.getcontext().prec < 28:
        return None  # the Decimal arithmetic _PLAIN_AMOUNTS counts on
    if not plain_bytes(raw):
        return None  # a NUL, or a CR that does not end a line: the row path says what it says
    if raw.startswith(BOM):
        found = _read_as(name, raw[3:], "utf-8-sig")
    else:
        found = _read_as(name, raw, "utf-8")
        if found is None and not is_utf8(raw):
            # What read_csv does with text that is not UTF-8 (Excel in Brazil writes cp1252): the
            # same text, given to polars as UTF-8. Bytes cp1252 lacks fail here as they fail there.
            try:
                found = _read_as(name, raw.decode("cp1252").encode("utf-8"), "cp1252")
            except UnicodeDecodeError:
                return None
    if found is None:
        return None
    shape, frame = found
    table = CsvTable(name, shape.header, shape.encoding, shape.delimiter, [], hashlib.sha256(raw).hexdigest())
    unknown = [h for h in shape.header if h not in KNOWN]
    with paused_gc():
        return _Reader(table, frame.slice(1)).read(unknown)


def _read_as(name: str, body: bytes, encoding: str) -> tuple[Layout, pl.DataFrame] | None:
    shape = layout(name, body, encoding, REQUIRED, KNOWN)
    if shape is None or not rows.has_contact_column(shape.header):
        return None
    frame = load(body, shape.delimiter, len(shape.header))  # row 0 is the header
    return (shape, frame) if frame is not None else None


def _distinct(series: pl.Series, parse: Callable[[str], object]) -> tuple[pl.Series, list]:
    """Codes into a table of parsed values, one parse per distinct value; null where parse raises."""
    keys, table = [], []
    for value in series.unique(maintain_order=True).to_list():
        if value is None:
            continue
        try:
            table.append(parse(value))
        except RowError:
            continue
        keys.append(value)
    return series.replace_strict(keys, list(range(len(keys))), default=None, return_dtype=pl.UInt32), table


def _joined(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.Series:
    """One string per row standing for the row's values in ``columns`` (null counts as "")."""
    return frame.select(pl.concat_str([pl.col(c).fill_null("") for c in columns], separator=_SEP)).to_series()


class _Reader:
    """One file's rows (all strings, header removed) -> DebtorFile."""

    def __init__(self, table: CsvTable, raw: pl.DataFrame):
        self.table = table
        self.raw = raw  # row i is line i + 2
        self.rejections: list[Rejection] = []
        self.bad_ids: set[str] = set()
        self.read_ids: set[str] = set()
        self.by_line: list[Debtor | None] = [None] * (raw.height + 2)  # debtors at the line of their first row
        self.rows = 0  # rows the csv reader would give (blank lines are skipped)

    def read(self, unknown: list[str]) -> DebtorFile:
        frame = self._checked(self._values())
        unclean_ids = frame.filter(~pl.col("clean")).get_column("debtor_id").unique()
        if len(unclean_ids):
            slow = frame.get_column("debtor_id").is_in(unclean_ids.implode())
            self._read_slow(frame.get_column("line").filter(slow))
            frame = frame.filter(~slow)
        self._read_fast(frame)
        self.rejections.sort(key=lambda r: r.line)
        return DebtorFile(self.table.path, [d for d in self.by_line if d is not None], self.rejections,
                          self.rows, len(self.bad_ids), unknown, self.table.encoding, self.table.delimiter,
                          sha256=self.table.sha256, read_ids=self.read_ids)

    def _values(self) -> pl.DataFrame:
        """``line`` and the known columns ("" when the header lacks one; those in _STRIPPED stripped
        as the row path strips them), without the blank rows the csv reader skips."""
        frame = self.raw.select(pl.int_range(2, self.raw.height + 2).alias("line"),
                                *(self._known(n) for n in KNOWN if n not in _UNUSED))
        # A row with a debtor_id is not blank; only the others need every column looked at.
        no_id = frame.get_column("debtor_id") == ""
        if no_id.any():
            everything = [pl.col(c).str.strip_chars(PY_WHITESPACE) == "" for c in self.raw.columns]
            blank = self.raw.filter(no_id).select(pl.all_horizontal(everything)).to_series()
            frame = frame.filter(~_scatter(no_id, blank))
        self.rows = frame.height
        return frame

    def _known(self, name: str) -> pl.Expr:
        if name not in self.table.header:
            return pl.lit("", dtype=pl.String).alias(name)
        column = pl.col(f"c{self.table.header.index(name)}")
        return (column.str.strip_chars(PY_WHITESPACE) if name in _STRIPPED else column).alias(name)

    # -- which rows are clean -------------------------------------------------------------------

    def _checked(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Adds parsed values (codes into tables kept on self) and the row's ``clean`` flag."""
        country, self.countries = _distinct(frame.get_column("country"), lambda v: rows.parse_country(v.strip()))
        frame = frame.with_columns(
            country.alias("cc_code"),
            country.replace_strict(list(range(len(self.countries))), self.countries, default=None,
                                   return_dtype=pl.String).alias("cc"))
        answers, self.answers = _distinct(_joined(frame, ANSWER_COLUMNS), _parse_answers)
        profile, self.profiles = _distinct(_joined(frame, _PROFILE), _parse_profile)
        p_pay, self.p_pays = _distinct(frame.get_column("p_pay"), lambda v: rows.parse_optional("p_pay", v.strip()))
        dpd, self.dpds = _distinct(frame.get_column("days_past_due"),
                                   lambda v: rows.parse_optional("days_past_due", v.strip()))
        due, _ = _distinct(frame.get_column("due_date"), lambda v: rows.parse_optional("due_date", v.strip()))
        frame = frame.with_columns(answers.alias("answers"), profile.alias("profile"), p_pay.alias("p_pay_code"),
                                   dpd.alias("dpd_code"), due.alias("due_code"), _amount().alias("amount"),
                                   *_phone_columns(frame))
        email = pl.col("email")
        email_ok = email.str.contains(r"^[!-~]+$") & email.str.contains(_PLAIN_EMAIL)
        clean = pl.all_horizontal(
            pl.col("debtor_id") != "", pl.col("cc").is_not_null(), pl.col("amount").is_not_null(),
            # An id with a control character is rejected by the row path (control_character_problem).
            ~pl.col("debtor_id").str.contains(CONTROL_CHARACTERS),
            ~pl.col("account_id").str.contains(CONTROL_CHARACTERS),
            *(pl.col(f"{c}_ok") for c in _PHONES), (email == "") | email_ok,
            pl.any_horizontal(pl.col(c) != "" for c in (*_PHONES, "email")),  # some way to reach the person
            *(pl.col(c).is_not_null() for c in ("answers", "profile", "p_pay_code", "dpd_code", "due_code")))
        return frame.with_columns(clean.fill_null(False).alias("clean"),
                                  pl.when(email != "").then(email.str.to_lowercase()).alias("email_address"),
                                  self._addresses(frame).alias("address"))

    def _addresses(self, frame: pl.DataFrame) -> pl.Series:
        """timezones.address_key per row, worked out once per distinct (region, ZIP, city) of the
        US rows (every other row: "", nothing to narrow; a Brazilian CEP is never looked at)."""
        us = frame.get_column("cc") == "US"
        if not us.any():
            return pl.Series("address", [""] * frame.height, dtype=pl.String)
        joined = _joined(frame, ("region", "postal_code", "city"))
        keys = joined.filter(us).unique(maintain_order=True).to_list()
        table = [address_key("US", *key.split(_SEP)) for key in keys]
        found = joined.replace_strict(keys, table, default="", return_dtype=pl.String)
        return pl.when(us).then(found).otherwise(pl.lit("")).alias("address")

    # -- debtors with a row that is not clean ------------------------------------------------------

    def _read_slow(self, lines: pl.Series) -> None:
        """The row path, on these lines' rows as the csv reader gives them."""
        header = self.table.header
        lines_list = lines.to_list()
        records = self.raw[[line - 2 for line in lines_list]].iter_rows()
        table_rows = [Row(line, {h: v.strip() for h, v in zip(header, record)})
                      for line, record in zip(lines_list, records)]
        out = rows.read_rows(self.table, table_rows)
        self.rejections += out.rejections
        self.bad_ids |= out.bad_ids
        self.read_ids.update(r.values["debtor_id"] for r in table_rows)
        for d in out.debtors:
            self.by_line[d.lines[0]] = d

    # -- debtors whose rows are all clean ----------------------------------------------------------

    def _read_fast(self, frame: pl.DataFrame) -> None:
        frame = frame.select(_FAST_COLUMNS)  # only what is read from here on: filtering copies columns
        shared = frame.get_column("debtor_id").is_duplicated()
        self._read_singles(frame.filter(~shared))
        self._read_multis(frame.filter(shared))

    def _read_singles(self, frame: pl.DataFrame) -> None:
        """Debtors with one (clean) account row, built here as merge_accounts builds them of one account."""
        places = self._places(frame)
        answers, profiles, p_pays, dpds, by_line = self.answers, self.profiles, self.p_pays, self.dpds, self.by_line
        debtor_ids, lines, *columns = _lists(
            frame, "debtor_id", "line", "account_id", "amount", "phone_mobile_e164", "phone_home_e164",
            "phone_home_maybe_mobile", "phone_work_e164", "phone_work_maybe_mobile", "email_address", "answers",
            "profile", "p_pay_code", "dpd_code")
        self.read_ids.update(debtor_ids)
        for (debtor_id, line, where, account_id, amount, mobile, home, home_mobile, work, work_mobile, email,
             answer, profile, p_pay, dpd) in zip(debtor_ids, lines, places, *columns):
            if isinstance(where, RowError):
                self.reject(line, where, debtor_id)
                continue
            destinations = []
            if mobile is not None:
                destinations.append(new_destination(mobile, MOBILE, True, "phone_mobile"))
            if home is not None:
                destinations.append(new_destination(home, HOME, home_mobile, "phone_home"))
            if work is not None:
                destinations.append(new_destination(work, WORK, work_mobile, "phone_work"))
            if email is not None:
                destinations.append(new_destination(email, EMAIL, False, "email"))
            a, p = answers[answer], profiles[profile]
            # The balance is Decimal("0") + amount in merge_accounts, the same Decimal for the plain amounts
            # read here; p_pay is the balance-weighted mean of one value (see _PLAIN_AMOUNTS).
            by_line[line] = new_debtor(
                debtor_id, where.country, where.region, Decimal(amount), where.zones, where.zone_source,
                where.zone_note, tuple(destinations), a.flags, dict(a.consents), p.municipality_code, p_pays[p_pay],
                dpds[dpd], p.segment, p.debtor_language, p.debtor_channel, p.window,
                (account_id,) if account_id else (), (line,))

    def _read_multis(self, frame: pl.DataFrame) -> None:
        """Debtors with several (clean) account rows: the row path's merge_accounts on accounts built here."""
        by_debtor: dict[str, list[Account]] = defaultdict(list)
        columns = _lists(frame, "debtor_id", "line", "cc_code", "region", "timezone", "account_id", "amount",
                         "phone_mobile_e164", "phone_mobile_area", "phone_home_e164", "phone_home_maybe_mobile",
                         "phone_home_area", "phone_work_e164", "phone_work_maybe_mobile", "phone_work_area",
                         "email_address", "answers", "profile", "p_pay_code", "dpd_code", "address")
        self.read_ids.update(columns[0])
        for (debtor_id, line, cc, region, timezone, account_id, amount, mobile, mobile_area, home, home_mobile,
             home_area, work, work_mobile, work_area, email, answer, profile, p_pay, dpd, address) in zip(*columns):
            destinations, areas = [], []
            if mobile is not None:
                destinations.append(new_destination(mobile, MOBILE, True, "phone_mobile"))
                areas.append(mobile_area)
            if home is not None:
                destinations.append(new_destination(home, HOME, home_mobile, "phone_home"))
                areas.append(home_area)
            if work is not None:
                destinations.append(new_destination(work, WORK, work_mobile, "phone_work"))
                areas.append(work_area)
            phone_zones = [rows.zones_of_phone(d.address) for d in destinations]
            if email is not None:
                destinations.append(new_destination(email, EMAIL, False, "email"))
            p = self.profiles[profile]
            by_debtor[debtor_id].append(Account(
                line, self.countries[cc], region.strip(), p.municipality_code, timezone.strip(), p.segment,
                p.language, account_id,
                Decimal(amount), destinations, areas, phone_zones, self.answers[answer].answers, self.p_pays[p_pay],
                self.dpds[dpd], p.channel, p.window, address))
        for debtor_id, accounts in by_debtor.items():
            try:
                self.by_line[accounts[0].line] = rows.merge_accounts(debtor_id, accounts)
            except RowError as err:
                self.reject(accounts[0].line, err, debtor_id)

    def reject(self, line: int, err: RowError, debtor_id: str) -> None:
        self.rejections.append(rows.reject(self.table, line, err, debtor_id))
        self.bad_ids.add(debtor_id)

    def _places(self, frame: pl.DataFrame) -> list[_Where | RowError]:
        """Each row's place (or the RowError resolve_place raised for it), resolved once per distinct
        (country, region, municipality, time zone, phones)."""
        key = _joined(frame, ("cc", "region", "municipality_code", "timezone", "address",
                              *(f"{c}_zone_key" for c in _PHONES)))
        firsts = frame.filter(key.is_first_distinct())
        table: list[_Where | RowError] = []
        for first in firsts.iter_rows(named=True):
            present = [c for c in _PHONES if first[f"{c}_e164"] is not None]
            areas = tuple(dict.fromkeys(first[f"{c}_area"] for c in present))
            phone_zones = tuple(dict.fromkeys(rows.zones_of_phone(first[f"{c}_e164"]) for c in present))
            try:
                place = rows.resolve_place(first["cc"], first["region"].strip().upper(),
                                           first["municipality_code"].strip(), first["timezone"].strip(), areas,
                                           phone_zones, first["address"])
            except RowError as err:
                table.append(err)
                continue
            table.append(_Where(first["cc"], place.region, place.zones, place.zone_source, place.zone_note))
        codes = key.replace_strict(key.unique(maintain_order=True), list(range(len(table))), return_dtype=pl.UInt32)
        return [table[code] for code in codes.to_list()]


@dataclass(frozen=True, slots=True)
class _Where:
    """A single-account debtor's place, as its Debtor gets it."""

    country: str
    region: str
    zones: tuple[str, ...]
    zone_source: str
    zone_note: str


@dataclass(frozen=True, slots=True)
class _Answers:
    answers: tuple[bool | None, ...]  # in ANSWER_COLUMNS order, as Account holds them
    flags: frozenset[str]  # what merge_accounts makes of them for one account
    consents: dict[str, bool | None]


def _parse_answers(joined: str) -> _Answers:
    answers = tuple([rows.parse_answer(c, v.strip()) for c, v in zip(ANSWER_COLUMNS, joined.split(_SEP))])
    return _Answers(answers, *rows.combine_answers((answers,)))


@dataclass(frozen=True, slots=True)
class _Profile:
    segment: str  # the next five as Account holds them
    language: str
    channel: str
    window: tuple[dt.time, dt.time] | None
    municipality_code: str
    debtor_language: str  # what merge_accounts makes of them for one account
    debtor_channel: Channel | None


def _parse_profile(joined: str) -> _Profile:
    segment, language, channel, window, municipality_code = (v.strip() for v in joined.split(_SEP))
    channel = rows.parse_channel(channel)
    return _Profile(segment, language, channel, rows.parse_optional("preferred_window", window),
                    rows.parse_municipality(municipality_code), language.lower(), Channel(channel) if channel else None)


def _scatter(mask: pl.Series, values: pl.Series) -> pl.Series:
    """``mask`` with the positions where it is true set to ``values`` in turn."""
    return mask.clone().scatter(mask.arg_true(), values)


def _amount() -> pl.Expr:
    """The balance as Decimal() reads it the way parse_money does, for _PLAIN_AMOUNTS; else null."""
    balance = pl.col("balance")
    amount = pl.lit(None, dtype=pl.String)
    for pattern, replacements in reversed(_PLAIN_AMOUNTS):
        text = balance
        for old, new in replacements:
            text = text.str.replace_all(old, new, literal=True)
        amount = pl.when(balance.str.contains(pattern)).then(text).otherwise(amount)
    return amount


def _lists(frame: pl.DataFrame, *columns: str) -> list[list]:
    return [frame.get_column(c).to_list() for c in columns]


def _phone_columns(frame: pl.DataFrame) -> list[pl.Series]:
    """Per phone column: ``_e164`` (null when blank or not read here), ``_mobile``, ``_area``,
    ``_zone_key`` and ``_ok`` (blank, or read by phones' fast path for the row's country; any
    other value is for the row path). The filled values of the three columns are read together."""
    n = frame.height
    stacked = pl.concat([frame.select(pl.lit(slot, dtype=pl.UInt8).alias("slot"), pl.int_range(n).alias("row"),
                                      "cc", pl.col(column).alias("value"))
                         for slot, column in enumerate(_PHONES)]).filter(pl.col("value") != "")
    found = [pl.DataFrame(schema={"slot": pl.UInt8, "row": pl.Int64, "e164": pl.String, "maybe_mobile": pl.Boolean,
                                  "area": pl.String, "zone_key": pl.String})]
    for region, area_digits in (("BR", 2), ("US", 3)):  # _parse_phone's area code: 2 digits after +55, 3 after +1
        here = stacked.filter(pl.col("cc") == region)
        read = fast_e164_frame(here.get_column("value"), region) if here.height else None
        if read is None:
            continue
        # zones_of_phone reads only the DDD of a +55 number; other numbers are their own key.
        zone_key = read.get_column("e164").str.slice(0, 5) if region == "BR" else read.get_column("e164")
        found.append(pl.concat([here.select("slot", "row"), read.select(
            "e164", "maybe_mobile", pl.col("nsn").str.slice(0, area_digits).alias("area"),
            zone_key.alias("zone_key"))], how="horizontal"))
    read = pl.concat(found)
    out = []
    for slot, column in enumerate(_PHONES):
        part = read.filter(pl.col("slot") == slot)
        for name in ("e164", "maybe_mobile", "area", "zone_key"):
            values = part.get_column(name)
            out.append(pl.repeat(None, n, dtype=values.dtype, eager=True).scatter(part.get_column("row"), values)
                       .alias(f"{column}_{name}"))
        out.append(((frame.get_column(column) == "") | out[-4].is_not_null()).alias(f"{column}_ok"))
    return out
