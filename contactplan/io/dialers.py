"""Exports of a plan for the tools contact centres already run (issue 7).

``export_plan(fmt, plan, debtors, out)`` writes one or more files into the directory ``out`` and
returns their paths. Formats:

- ``csv``: plan.csv (the README contract) with a chosen delimiter and encoding,
  ``plan_<YYYYMMDD>.csv``.
- ``vicidial``: VICIdial "standard" lead files, pipe-delimited, no header, columns 0-22 of
  ``../shared/domain/peers.md`` §3.1. One file (one list) per (channel, pool, phone code, UTC
  offset): ``vicidial_<YYYYMMDD>_<channel>[-<pool>]_<phone code>_utc<±HHMM>_<list_id>.txt``, plus
  ``vicidial_<YYYYMMDD>_lists.csv``, the manifest of lists. The list id is the last ``_`` field of
  the name so that the CLI loader's ``--forcelistfilename`` reads it back.
- ``genesys``: a Genesys Cloud contact-list CSV, ``genesys_<YYYYMMDD>.csv``: each phone column has
  a time-zone column (IANA names) for the list's ``callableTimeColumn``, plus the window columns.
- ``batches``: ``sms_<YYYYMMDD>.csv``, ``whatsapp_<YYYYMMDD>.csv``, ``email_<YYYYMMDD>.csv`` with the
  send window in UTC and in the debtor's local time; WhatsApp rows carry the template name,
  language and positional parameters, and only debtors who opted in.

Which VICIdial variant (details in docs/exports.md): VICIdial gives every lead of a country code
other than 1, 52 and 61 the offset of the first ``vicidial_phone_codes`` row of that country
(peers.md §3.4), so all of +55 is evaluated at one offset and a debtor in Acre (UTC-5) would be
called at 06:00 local by a campaign set to 08:00. Lists are therefore always split per UTC offset.
``vicidial_variant="standard"`` (default) writes exactly the 23 documented columns (§3.3
recommendation; loads with the web and the CLI loader); then every list whose offset differs from
VICIdial's +55 offset needs its own list call time, shifted by the difference. ``"forcegmt"`` adds
column 23 with the offset for ``VICIDIAL_IN_new_leads_file.pl --forcegmt`` (§3.2), so VICIdial's
own call times run in the debtor's real local time: use it for Brazilian portfolios loaded with
the CLI loader. Its price: the loader also reads column 23 as called_count (digits only, so -3
loads as 3), and ``ADMIN_adjust_GMTnow_on_leads.pl`` must skip these lists (``--omitlistid``).

Every file is rendered and encoded before the first one is written, so a bad value or a character
the chosen encoding cannot hold fails the export with nothing written; each file is then written
atomically (temporary file, fsync, rename) and readable by the owner only. Pure library code: no
clock, no machine time zone. Messages name the debtor id, never a phone, e-mail or name.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import phonenumbers

from contactplan.errors import ContactplanError, OutputError
from contactplan.io.plan_csv import render as render_plan_csv
from contactplan.io.plan_csv import write_bytes_atomic
from contactplan.model import Channel, Debtor, PlannedContact

if TYPE_CHECKING:
    from contactplan.planner import Plan

FORMATS = ("csv", "vicidial", "genesys", "batches")
VICIDIAL_VARIANTS = ("standard", "forcegmt")
WHATSAPP_PARAMS = ("debtor_id", "balance")
DIALER_CHANNELS = (Channel.VOICE, Channel.IVR)
MESSAGE_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL)
CSV_DELIMITERS = (",", ";", "\t", "|")

# peers.md §3.1, 0-based; the web loader's columns 23-24 (rank, owner) and the CLI loader's
# 23-26 (called_count, status, entry_date, multi-alt) differ (§3.3), so "standard" stops at 22.
VICIDIAL_COLUMNS = ("vendor_lead_code", "source_id", "list_id", "phone_code", "phone_number", "title", "first_name",
                    "middle_initial", "last_name", "address1", "address2", "address3", "city", "state", "province",
                    "postal_code", "country_code", "gender", "date_of_birth", "alt_phone", "email",
                    "security_phrase", "comments")
VICIDIAL_GMT_COLUMN = "gmt_offset"  # column 23 with --forcegmt (§3.2)
# VARCHAR widths of vicidial_list (§3.1): a longer value would be cut and the lead lose its identity.
_VICIDIAL_WIDTHS = {"vendor_lead_code": 20, "source_id": 50, "state": 2, "country_code": 3, "comments": 255}
# The web loader deletes these from every field (§3.1); | and TAB split fields, newlines split leads.
_VICIDIAL_STRIPPED = re.compile(r"[\"`\\;|\t\r\n]")
_ISO3 = {"BR": "BRA", "US": "USA"}
_WA_LANGUAGE = {"BR": "pt_BR", "US": "en_US"}
_WA_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")  # Meta template names: lower case, digits, "_"

PHONE_COLUMNS = ("phone",)  # Genesys: each gets a "<column>_timezone" column
GENESYS_COLUMNS = ("debtor_id", "plan_id", "channel", "pool", "rank", "phone", "phone_timezone", "state", "country",
                   "window_start_utc", "window_end_utc", "window_start_local", "window_end_local")
BATCH_COLUMNS = ("plan_id", "debtor_id", "channel", "destination", "timezone", "window_start_local",
                 "window_end_local", "window_start_utc", "window_end_utc", "rank")
MANIFEST_COLUMNS = ("list_id", "file", "channel", "pool", "phone_code", "utc_offset", "gmt_offset", "leads", "zones",
                    "first_window_start_utc", "last_window_end_utc")


class ExportError(ContactplanError):
    """The plan cannot be exported (exit code 2). Raised before any file is written, except for an
    I/O failure while writing, which names how many files of the export were already replaced."""


def export_plan(fmt: str, plan: Plan, debtors: Mapping[str, Debtor] | Iterable[Debtor], out: str | Path, *,
                encoding: str = "utf-8", delimiter: str = ",", list_id_base: int = 1000,
                vicidial_variant: str = "standard", whatsapp_template: str = "payment_reminder",
                whatsapp_params: Sequence[str] = WHATSAPP_PARAMS) -> list[Path]:
    """Write ``plan`` in format ``fmt`` into the directory ``out``; return the files written.

    Args:
        fmt: ``csv``, ``vicidial``, ``genesys`` or ``batches``.
        plan: the plan from ``build_plan``.
        debtors: the plan's debtors by id (or an iterable of them): country, UF and consents.
        out: directory, created if missing.
        encoding: any Python codec, e.g. ``cp1252`` (with ``;``) for Excel in Brazil.
        delimiter: for the CSV files (not the VICIdial lead files, which are always ``|``).
        list_id_base: the first VICIdial list id (VICIdial refuses ids below 100).
        vicidial_variant: ``standard`` (23 columns) or ``forcegmt`` (column 23 = UTC offset in hours).
        whatsapp_template: name of the Meta-approved template for the WhatsApp batch.
        whatsapp_params: the template's positional parameters, from ``debtor_id`` and ``balance``.

    Raises:
        ExportError: an unknown option, a contact whose debtor is missing, a WhatsApp contact
            without opt-in, a value the target cannot hold, or a character the encoding lacks
            (nothing written); or an I/O error while writing (each file is whole or untouched).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if delimiter not in CSV_DELIMITERS:
        raise ExportError(f"delimiter must be one of {', '.join(map(repr, CSV_DELIMITERS))}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ExportError(f"unknown encoding {encoding!r}") from None
    by_id = debtors if isinstance(debtors, Mapping) else {d.debtor_id: d for d in debtors}
    day = f"{plan.plan_date:%Y%m%d}"
    if fmt == "csv":
        files = {f"plan_{day}.csv": plan_csv_text(plan, delimiter)}
    elif fmt == "vicidial":
        files = _vicidial_files(plan, by_id, day, list_id_base, vicidial_variant, delimiter)
    elif fmt == "genesys":
        files = {f"genesys_{day}.csv": _genesys_text(plan, by_id, delimiter)}
    else:
        files = _batch_files(plan, by_id, day, delimiter, whatsapp_template, tuple(whatsapp_params))
    encoded = {name: encode_text(name, text, encoding) for name, text in files.items()}
    directory = Path(out)
    if directory.exists() and not directory.is_dir():
        raise ExportError(f"{directory}: exports go to a directory; this is a file")
    written: list[Path] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, data in encoded.items():
            write_bytes_atomic(directory / name, data)
            written.append(directory / name)
    except (OSError, OutputError) as exc:
        done = f" ({len(written)} of {len(encoded)} files were written before)" if written else ""
        if isinstance(exc, OutputError):
            raise ExportError(f"{exc}{done}") from None
        raise ExportError(f"{directory}: cannot write: {exc.strerror or exc}{done}") from None
    return written


# --- readers (round trips) ----------------------------------------------------------------------


def read_vicidial(path: str | Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    """Read a lead file we wrote: one dict per lead keyed by ``VICIDIAL_COLUMNS`` (+ ``gmt_offset``)."""
    leads = []
    for n, line in enumerate(Path(path).read_text(encoding=encoding).splitlines(), 1):
        fields = line.split("|")
        names = VICIDIAL_COLUMNS + (VICIDIAL_GMT_COLUMN,) if len(fields) == 24 else VICIDIAL_COLUMNS
        if len(fields) != len(names):
            raise ExportError(f"{path}:{n}: {len(fields)} fields; a standard lead has 23 (24 with forcegmt)")
        leads.append(dict(zip(names, fields, strict=True)))
    return leads


def read_csv_export(path: str | Path, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    """Read a CSV export (Genesys, batches, manifest, plan) back as dicts keyed by its header."""
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def parse_comments(comments: str) -> dict[str, str]:
    """The window, rank, channel and pool that a VICIdial lead carries in ``comments``."""
    m = re.fullmatch(r"window=(\S+)/(\S+) rank=(\d+) channel=(\w+) pool=(.*)", comments)
    if not m:
        raise ExportError(f"comments {comments!r} are not in contactplan's layout")
    return dict(zip(("window_start", "window_end", "rank", "channel", "pool"), m.groups(), strict=True))


# --- VICIdial -----------------------------------------------------------------------------------


def _vicidial_files(plan: Plan, debtors: Mapping[str, Debtor], day: str, list_id_base: int, variant: str,
                    delimiter: str) -> dict[str, str]:
    if variant not in VICIDIAL_VARIANTS:
        raise ExportError(f"unknown VICIdial variant {variant!r}; expected one of {', '.join(VICIDIAL_VARIANTS)}")
    if list_id_base < 100:
        raise ExportError("VICIdial list ids must be 100 or more (its loaders reject smaller ones as INVALID LIST ID)")
    # A list per (channel, pool, phone code, offset): IVR and each agent pool are separate
    # campaigns, and one offset per list is what lets VICIdial's call times be right (§3.4).
    groups: dict[tuple[str, str, str, int], list[PlannedContact]] = defaultdict(list)
    for c in plan.contacts:
        if c.channel in DIALER_CHANNELS:
            code, _ = _split_phone(c)
            groups[(c.channel.value, c.pool, code, _offset_minutes(c))].append(c)
    files, manifest = {}, []
    for list_id, key in enumerate(sorted(groups), list_id_base):
        channel, pool, code, offset = key
        contacts = groups[key]
        name = f"vicidial_{day}_{channel}{'-' + _slug(pool) if pool else ''}_{code}_utc{_hhmm(offset)}_{list_id}.txt"
        rows = [_vicidial_row(c, _debtor(debtors, c), plan.plan_id, list_id, variant) for c in contacts]
        files[name] = "".join("|".join(r) + "\n" for r in rows)
        manifest.append([str(list_id), name, channel, pool, code, _hhmm(offset, colon=True), _gmt(offset),
                         str(len(contacts)), " ".join(sorted({c.timezone for c in contacts})),
                         _utc(min(c.window_start for c in contacts)), _utc(max(c.window_end for c in contacts))])
    files[f"vicidial_{day}_lists.csv"] = _csv_text(MANIFEST_COLUMNS, manifest, delimiter)
    return files


def _vicidial_row(c: PlannedContact, d: Debtor, plan_id: str, list_id: int, variant: str) -> list[str]:
    code, national = _split_phone(c)
    values = dict.fromkeys(VICIDIAL_COLUMNS, "")
    # No names, addresses or alternate phones: the plan chose one destination and checked its
    # rules; VICIdial's alt-dial would call numbers nobody checked (e.g. a work number).
    values.update(vendor_lead_code=c.debtor_id, source_id=plan_id, list_id=str(list_id), phone_code=code,
                  phone_number=national, state=d.region, country_code=_ISO3.get(d.country, ""),
                  comments=f"window={_local(c.window_start, c)}/{_local(c.window_end, c)} rank={c.rank} "
                           f"channel={c.channel.value} pool={c.pool}")
    for column, value in values.items():
        if column == "comments":
            values[column] = _VICIDIAL_STRIPPED.sub(" ", value)  # what VICIdial would store anyway
        elif _VICIDIAL_STRIPPED.search(value):
            raise ExportError(f"debtor {_safe_id(c)}: {column} holds a character VICIdial strips or splits on")
        if len(values[column]) > _VICIDIAL_WIDTHS.get(column, 100):
            raise ExportError(f"debtor {_safe_id(c)}: {column} is longer than VICIdial's "
                              f"{_VICIDIAL_WIDTHS.get(column, 100)} characters")
    if not 5 <= len(national) <= 18:
        raise ExportError(f"debtor {_safe_id(c)}: VICIdial needs a 5-18 digit phone number")
    row = [values[k] for k in VICIDIAL_COLUMNS]
    return row + [_gmt(_offset_minutes(c))] if variant == "forcegmt" else row


def _gmt(minutes: int) -> str:
    # Fewest digits: with --forcegmt the CLI loader also reads this column as called_count
    # (non-digits stripped, §3.2), so "-3" loads as 3 where "-3.00" would load as 300.
    return f"{minutes / 60:.2f}".rstrip("0").rstrip(".")


def _hhmm(minutes: int, colon: bool = False) -> str:
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}{':' if colon else ''}{m:02d}"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower() or "pool"


# --- Genesys Cloud ------------------------------------------------------------------------------


def _genesys_text(plan: Plan, debtors: Mapping[str, Debtor], delimiter: str) -> str:
    # The zone column is named as the phone column's callableTimeColumn (automatic time-zone
    # mapping off), so Genesys checks its contactable times in the debtor's IANA zone (peers.md §1).
    rows = []
    for c in plan.contacts:
        if c.channel in DIALER_CHANNELS:
            d = _debtor(debtors, c)
            rows.append([c.debtor_id, plan.plan_id, c.channel.value, c.pool, str(c.rank), c.destination, c.timezone,
                         d.region, d.country, _utc(c.window_start), _utc(c.window_end), _local(c.window_start, c),
                         _local(c.window_end, c)])
    return _csv_text(GENESYS_COLUMNS, rows, delimiter)


# --- message batches ----------------------------------------------------------------------------


def _batch_files(plan: Plan, debtors: Mapping[str, Debtor], day: str, delimiter: str, template: str,
                 params: tuple[str, ...]) -> dict[str, str]:
    if not _WA_TEMPLATE_NAME.fullmatch(template):
        raise ExportError("the WhatsApp template name must be lower-case letters, digits and underscores, "
                          "as Meta requires")
    for p in params:
        if p not in WHATSAPP_PARAMS:
            raise ExportError(f"unknown WhatsApp template parameter {p!r}; expected {', '.join(WHATSAPP_PARAMS)}")
    wa_columns = ("template_name", "template_language", *(f"template_param_{i}" for i in range(1, len(params) + 1)))
    files = {}
    for channel in MESSAGE_CHANNELS:
        rows = []
        for c in plan.contacts:
            if c.channel is not channel:
                continue
            d = _debtor(debtors, c)
            row = [plan.plan_id, c.debtor_id, c.channel.value, c.destination, c.timezone, _local(c.window_start, c),
                   _local(c.window_end, c), _utc(c.window_start), _utc(c.window_end), str(c.rank)]
            if channel is Channel.WHATSAPP:
                # Meta requires opt-in before business-initiated messages (rules-brazil.md §1.8
                # WA-OPTIN); a contact without it is a planner bug, never something to drop quietly.
                if d.consents.get("whatsapp_consent") is not True:
                    raise ExportError(f"debtor {_safe_id(c)}: WhatsApp contact without a recorded opt-in "
                                      "(whatsapp_consent is not true); nothing was written")
                values = {"debtor_id": c.debtor_id, "balance": _money(d.balance, d.country)}
                row += [template, _WA_LANGUAGE.get(d.country, d.language), *(values[p] for p in params)]
            rows.append(row)
        columns = BATCH_COLUMNS + wa_columns if channel is Channel.WHATSAPP else BATCH_COLUMNS
        files[f"{channel.value}_{day}.csv"] = _csv_text(columns, rows, delimiter)
    return files


def _money(amount: Decimal, country: str) -> str:
    text = f"{amount.quantize(Decimal('0.01')):,.2f}"
    if country == "BR":
        return "R$ " + text.translate(str.maketrans(",.", ".,"))
    return "$" + text if country == "US" else text


# --- shared helpers -----------------------------------------------------------------------------


def _debtor(debtors: Mapping[str, Debtor], c: PlannedContact) -> Debtor:
    try:
        return debtors[c.debtor_id]
    except KeyError:
        raise ExportError(f"debtor {_safe_id(c)} is in the plan but not among the debtors given") from None


def _safe_id(c: PlannedContact) -> str:
    return c.debtor_id[:40]


def _split_phone(c: PlannedContact) -> tuple[str, str]:
    try:
        number = phonenumbers.parse(c.destination)
    except phonenumbers.NumberParseException:
        raise ExportError(f"debtor {_safe_id(c)}: the {c.channel.value} destination is not an E.164 number") from None
    return str(number.country_code), phonenumbers.national_significant_number(number)


def _offset_minutes(c: PlannedContact) -> int:
    # The offset in force at the window's start, from the tz database (DST-aware for the USA).
    offset = c.window_start.astimezone(ZoneInfo(c.timezone)).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _utc(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(t: dt.datetime, c: PlannedContact) -> str:
    return t.astimezone(ZoneInfo(c.timezone)).isoformat()


def plan_csv_text(plan: Plan, delimiter: str = ",") -> str:
    """plan.csv (the contract's columns) with another delimiter, for Excel users."""
    return _redelimit(render_plan_csv(plan.plan_id, plan.plan_date, plan.contacts), delimiter)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _redelimit(text: str, delimiter: str) -> str:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return _csv_text(rows[0], rows[1:], delimiter)


def encode_text(name: str, text: str, encoding: str) -> bytes:
    """Text in the chosen encoding, or ExportError naming the line that cannot be encoded."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise ExportError(f"{name}:{line}: a character cannot be written in {encoding}; "
                          "choose utf-8 or remove it from the input") from None
