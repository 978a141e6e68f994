"""Exports of a plan for the tools contact centres already run.

``export_plan(fmt, plan, debtors, out)`` writes a set of files into the directory ``out`` and
returns what it wrote and what it refused. Formats:

- ``csv``: plan.csv (the README contract) with a chosen delimiter and encoding, ``plan_<YYYYMMDD>.csv``.
- ``vicidial``: lead files in ``vicidial_<YYYYMMDD>_leads/`` (one per list), the manifest
  ``vicidial_<YYYYMMDD>_lists.csv`` and ``vicidial_<YYYYMMDD>_setup.sql``, which creates the lists
  with their call times and time-zone method (io/vicidial.py).
- ``genesys``: contact lists ``genesys-<YYYYMMDD>-...csv`` (one per channel, pool, zone and callable
  window) and the manifest ``genesys_<YYYYMMDD>_lists.csv`` (io/genesys.py).
- ``batches``: ``sms_<YYYYMMDD>.csv``, ``whatsapp_<YYYYMMDD>.csv``, ``email_<YYYYMMDD>.csv`` with the
  send window in UTC and in the debtor's local time, the rendered SMS text, the e-mail template
  and subject, the WhatsApp template and its parameters (io/batches.py).

A dialer does not keep to the plan's windows, so a dialer export gives every contact the call
time in which it is legal (its allowed span, in every candidate zone: io/calltimes.py) and groups
contacts by it; a contact that cannot be given one is refused and listed in
``<format>_<YYYYMMDD>_refused.csv`` (debtor id and reason), never written silently.

The set is all or nothing: every file is rendered and encoded first (a bad value or a character
the encoding cannot hold fails with nothing written), then written into a temporary directory
beside the target and moved into place, so a full disk or a kill leaves the previous set as it
was. Files are readable by the owner only. Pure library code: no clock, no machine time zone.
Messages name the debtor id, never a phone, e-mail or name.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from contactplan.errors import ContactplanError
from contactplan.i18n import os_reason, tr
from contactplan.io import batches, genesys, vicidial
from contactplan.io.calltimes import offset_at
from contactplan.io.csvfile import safe_row
from contactplan.io.plan_csv import render as render_plan_csv
from contactplan.model import Channel, Debtor, Plan, PlannedContact, consent_refusal
from contactplan.timezones import area_code_zones

FORMATS = ("csv", "vicidial", "genesys", "batches")
VICIDIAL_VARIANTS = vicidial.VARIANTS
WHATSAPP_PARAMS = batches.WHATSAPP_PARAMS
MESSAGE_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL)
CSV_DELIMITERS = (",", ";", "\t", "|")
VICIDIAL_COLUMNS = vicidial.COLUMNS
GENESYS_COLUMNS = genesys.COLUMNS
BATCH_COLUMNS = ("plan_id", "debtor_id", "channel", "destination", "timezone", "window_start_local",
                 "window_end_local", "window_start_utc", "window_end_utc", "rank")
MANIFEST_COLUMNS = ("list_id", "file", "channel", "pool", "campaign_id", "phone_code", "time_zone_code",
                    "vicidial_offsets", "call_time_id", "weekday", "call_time_start", "call_time_end", "leads",
                    "zones", "first_window_start_utc", "last_window_end_utc")
REFUSED_COLUMNS = ("debtor_id", "channel", "pool", "window_start_utc", "reason")
_WA_LANGUAGE = {"BR": "pt_BR", "US": "en_US"}
_WA_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,512}")  # Meta template names: lower case, digits, "_"
_EMAIL_TEMPLATE_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")


class ExportError(ContactplanError):
    """The plan cannot be exported (exit code 2); nothing of the set was written."""


@dataclass(frozen=True)
class ExportOptions:
    """How to write an export (the CLI's options; defaults are what the README documents)."""

    encoding: str = "utf-8"  # CSV exports for people (plan, batches, manifests); dialer files are UTF-8
    delimiter: str = ","
    vicidial_variant: str = "owner-tz"
    # VICIdial list ids are this base + the list's number; None: the plan's own block
    # (default_list_block), so no two plans ever share a list.
    list_id_base: int | None = None
    vicidial_campaigns: Mapping[str, str] = field(default_factory=dict)  # pool (or "ivr") -> campaign id
    whatsapp_template: str = "payment_reminder"
    whatsapp_params: tuple[str, ...] = WHATSAPP_PARAMS
    sms_template: str | None = None  # message text with {placeholders} (batches.PLACEHOLDERS)
    email_template_id: str = ""  # the e-mail provider's template id
    email_subject: str | None = None  # subject with {placeholders}
    min_minutes: int = 1  # the shortest call time worth giving a dialer


@dataclass
class Export:
    files: list[Path]
    refused: list[tuple[PlannedContact, str]]
    lists: int = 0
    notes: list[str] = field(default_factory=list)  # what the user should know (no personal data)


ListNumbers = Callable[[Sequence[str]], Mapping[str, int]]


def sorted_numbers(keys: Sequence[str]) -> dict[str, int]:
    """List numbers without a store: 1, 2, ... in the keys' order (not kept from day to day)."""
    return {key: k for k, key in enumerate(keys, 1)}


def export_plan(fmt: str, plan: Plan, debtors: Mapping[str, Debtor] | Iterable[Debtor], out: str | Path,
                options: ExportOptions | None = None, *, list_numbers: ListNumbers = sorted_numbers,
                protect: Iterable[str | Path] = (), **kwargs) -> Export:
    """Write ``plan`` in format ``fmt`` into the directory ``out``.

    Args:
        fmt: ``csv``, ``vicidial``, ``genesys`` or ``batches``.
        plan: the plan from ``build_plan``.
        debtors: the plan's debtors by id (or an iterable of them): country, UF and consents.
        out: directory, created if missing.
        options: ExportOptions (or its fields as keyword arguments).
        list_numbers: the number of each VICIdial list key, kept from day to day (the store's);
            the default numbers them in order.
        protect: files that must not be overwritten (the run's inputs): an export file of the
            same path is an error, nothing written.

    Raises:
        ExportError: an unknown option, a contact whose debtor is missing, a WhatsApp contact
            without opt-in, a value the target cannot hold, a character the encoding lacks, or an
            I/O error; nothing of the set is then written (the previous set stays as it was).
    """
    options = dataclasses.replace(options or ExportOptions(), **kwargs)
    if fmt not in FORMATS:
        raise ExportError(tr("unknown export format {format}; expected one of {formats}", format=repr(fmt),
                             formats=", ".join(FORMATS)))
    if options.delimiter not in CSV_DELIMITERS:
        raise ExportError(tr("delimiter must be one of {delimiters}", delimiters=", ".join(map(repr, CSV_DELIMITERS))))
    try:
        codecs.lookup(options.encoding)
    except LookupError:
        raise ExportError(tr("unknown encoding {encoding}", encoding=repr(options.encoding))) from None
    by_id = debtors if isinstance(debtors, Mapping) else {d.debtor_id: d for d in debtors}
    for c in plan.contacts:
        _debtor(by_id, c)
    day = f"{plan.plan_date:%Y%m%d}"
    refused: list[tuple[PlannedContact, str]] = []
    lists, notes = 0, []
    if fmt == "csv":
        files = {f"plan_{day}.csv": _encode(f"plan_{day}.csv", plan_csv_text(plan, options.delimiter), options.encoding)}
    elif fmt == "vicidial":
        files, refused, lists, notes = _vicidial_files(plan, by_id, day, options, list_numbers)
    elif fmt == "genesys":
        files, refused, lists = _genesys_files(plan, by_id, day, options)
    else:
        files = _batch_files(plan, by_id, day, options)
    if refused:
        rows = [[c.debtor_id, c.channel.value, c.pool, _utc(c.window_start), why] for c, why in refused]
        name = f"{fmt}_{day}_refused.csv"
        files[name] = _encode(name, _csv_text(REFUSED_COLUMNS, rows, options.delimiter), options.encoding)
    return Export(write_set(Path(out), files, protect), refused, lists, notes)


# --- writing a set of files at once -------------------------------------------------------------


def write_set(directory: Path, files: dict[str, bytes], protect: Iterable[str | Path] = ()) -> list[Path]:
    """Write every file (names may sit in one subdirectory, "leads/x.txt") or none of them.

    All are written and fsynced into a temporary directory inside ``directory`` first; only
    then are they moved into place (a subdirectory as a whole), the files people open first
    (manifests) last. A failure while writing removes the temporary directory and leaves the
    previous set untouched."""
    if directory.exists() and not directory.is_dir():
        raise ExportError(tr("{path}: exports go to a directory; this is a file", path=directory))
    for given in protect:
        for name in files:
            target = directory / name
            if target.exists() and os.path.samefile(target, given):
                raise ExportError(tr("{path} is an input of this run; writing the export would destroy it",
                                     path=target))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".contactplan-export-", dir=directory))
    except OSError as exc:
        raise ExportError(tr("{path}: cannot write here: {problem}", path=directory, problem=os_reason(exc))) \
            from None
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(tr("{path}: cannot write the export ({problem}); nothing was written, "
                             "the previous files are unchanged", path=directory, problem=os_reason(exc))) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    tops = sorted({name.split("/", 1)[0] for name in files}, key=lambda n: ("/" not in n and n in files, n))
    try:
        for top in tops:
            source, target = staging / top, directory / top
            if source.is_dir():
                if target.exists():
                    old = staging / f".old-{top}"
                    target.rename(old)
                source.rename(target)
            else:
                os.replace(source, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [directory / name for name in files]


# --- VICIdial -----------------------------------------------------------------------------------


def default_list_block(plan: Plan) -> int:
    """The plan's block of VICIdial list ids: yymmdd, the re-plan's --not-before as hhmm (0000 for
    a plan of the whole day) and four digits for the list's number, e.g. 26112400000007 for list
    7 on 2026-11-24 and 26112414000007 for the same list in the 14:00 re-plan. Each plan's leads
    are in lists of their own, so switching earlier lists off never touches today's."""
    replan = plan.provenance.get("not_before", "") if plan.provenance else ""
    hhmm = dt.datetime.fromisoformat(replan).strftime("%H%M") if replan else "0000"
    return int(f"{plan.plan_date:%y%m%d}{hhmm}") * 10_000



def _vicidial_files(plan: Plan, debtors: Mapping[str, Debtor], day: str, options: ExportOptions,
                    list_numbers: ListNumbers) -> tuple[dict[str, bytes], list, int, list[str]]:
    variant = options.vicidial_variant
    if variant == "forcegmt":
        raise ExportError(tr("the forcegmt variant is no longer written: VICIdial's nightly "
                             "ADMIN_adjust_GMTnow_on_leads.pl overwrites forced offsets (every +55 lead becomes "
                             "-3, or -2 in its old DST season). Use owner-tz (default), owner-tz-web or standard "
                             "(docs/exports.md)"))
    if variant not in VICIDIAL_VARIANTS:
        raise ExportError(tr("unknown VICIdial variant {variant}; expected one of {variants}", variant=repr(variant),
                             variants=", ".join(VICIDIAL_VARIANTS)))
    base = options.list_id_base
    if base is None:
        base = default_list_block(plan)
    if base < 100:
        raise ExportError(tr("VICIdial list ids must be 100 or more (its loaders reject smaller ones as INVALID LIST "
                             "ID)"))
    leads, refused = vicidial.plan_leads(plan.contacts, debtors, variant, area_code_zones, options.min_minutes)
    groups = vicidial.group_lists(leads)
    numbers = list_numbers([g.key for g in groups])
    files: dict[str, bytes] = {}
    manifest, placed = [], []
    memo: dict = {}  # lead_row's, for this plan's leads
    leads_dir = f"vicidial_{day}_leads"
    for vl in groups:
        number = numbers[vl.key]
        if not 1 <= number <= 9999:
            raise ExportError(tr("VICIdial list number {number} is outside 1-9999 (list ids are the day's block + it)",
                                 number=number))
        list_id = base + number
        rows = []
        kept = []
        for lead in vl.leads:
            try:
                rows.append(vicidial.lead_row(lead, plan.plan_id, list_id, variant, memo))
                kept.append(lead)
            except vicidial.VicidialRefusal as exc:
                refused.append((lead.contact, str(exc)))
        if not rows:
            continue
        name = f"{leads_dir}/{vicidial.file_name(day, vl, list_id)}"
        # The loaders read bytes and VICIdial stores UTF-8: the lead files are UTF-8, no BOM.
        files[name] = "".join("|".join(r) + "\n" for r in rows).encode("utf-8")
        placed.append((dataclasses.replace(vl, leads=tuple(kept)), list_id))
        contacts = [lead.contact for lead in kept]
        manifest.append([str(list_id), name, vl.channel, vl.pool, vicidial.campaign_for(vl.channel, vl.pool,
                                                                                       options.vicidial_campaigns),
                         vl.phone_code, vl.clock if variant != "standard" else "",
                         " ".join(f"{o / 60:+g}" for o in sorted({o for lead in kept for o in lead.offsets})),
                         vicidial.call_time_id(vl.call), vl.call.day.strftime("%A"), vl.call.hhmm(vl.call.start),
                         vl.call.hhmm(vl.call.end), str(len(kept)), " ".join(sorted({c.timezone for c in contacts})),
                         _utc(min(c.window_start for c in contacts)), _utc(max(c.window_end for c in contacts))])
    notes = []
    if variant == "standard":
        moved = sum(1 for vl, _ in placed for lead in vl.leads
                    if lead.offsets != (offset_at(ZoneInfo(lead.contact.timezone), lead.contact.window_start),))
        if moved:
            notes.append(tr("{n} lead(s) may be given another offset than their debtor's by VICIdial's own look-up "
                            "(its +55 row, or the area code); their call times are narrowed to what is legal in "
                            "every such offset. The owner-tz variant keeps them whole (docs/exports.md).", n=moved))
    sql = vicidial.setup_sql(plan.plan_id, plan.plan_date, placed, variant, options.vicidial_campaigns)
    files[f"vicidial_{day}_setup.sql"] = sql.encode("utf-8")
    name = f"vicidial_{day}_lists.csv"
    files[name] = _encode(name, _csv_text(MANIFEST_COLUMNS, manifest, options.delimiter), options.encoding)
    return files, refused, len(placed), notes


# --- Genesys Cloud ------------------------------------------------------------------------------


def _genesys_files(plan: Plan, debtors: Mapping[str, Debtor], day: str, options: ExportOptions
                   ) -> tuple[dict[str, bytes], list, int]:
    lists, refused = genesys.group_lists(plan.contacts, options.min_minutes)
    files: dict[str, bytes] = {}
    manifest = []
    instants = _Instants()
    for gl in lists:
        name = genesys.file_name(day, gl)
        # Genesys takes contact lists as comma-separated UTF-8 only.
        files[name] = _csv_text(genesys.COLUMNS, genesys.rows(gl, plan.plan_id, debtors, instants.utc, instants.local),
                                ",").encode()
        manifest.append(genesys.manifest_row(name, gl, _utc))
    name = f"genesys_{day}_lists.csv"
    files[name] = _encode(name, _csv_text(genesys.MANIFEST_COLUMNS, manifest, options.delimiter), options.encoding)
    return files, refused, len(lists)


# --- message batches ----------------------------------------------------------------------------


def _batch_files(plan: Plan, debtors: Mapping[str, Debtor], day: str, options: ExportOptions) -> dict[str, bytes]:
    template, params = options.whatsapp_template, tuple(options.whatsapp_params)
    if not _WA_TEMPLATE_NAME.fullmatch(template):
        raise ExportError(tr("the WhatsApp template name must be lower-case letters, digits and underscores, "
                             "as Meta requires"))
    for p in params:
        if p not in WHATSAPP_PARAMS:
            raise ExportError(tr("unknown WhatsApp template parameter {parameter}; expected {parameters}",
                                 parameter=repr(p), parameters=", ".join(WHATSAPP_PARAMS)))
    if options.email_template_id and not _EMAIL_TEMPLATE_ID.fullmatch(options.email_template_id):
        raise ExportError(tr("the e-mail template id may hold letters, digits and _ . : - (at most 128)"))
    try:
        for text, what in ((options.sms_template, tr("SMS template")), (options.email_subject, tr("e-mail subject"))):
            if text is not None:
                batches.check_template(text, what)
    except batches.TemplateError as exc:
        raise ExportError(str(exc)) from None
    columns = {
        Channel.SMS: BATCH_COLUMNS + (("message", "sms_parts") if options.sms_template is not None else ()),
        Channel.WHATSAPP: BATCH_COLUMNS + ("template_name", "template_language",
                                           *(f"template_param_{i}" for i in range(1, len(params) + 1))),
        Channel.EMAIL: BATCH_COLUMNS + (("template_id",) if options.email_template_id else ())
        + (("subject",) if options.email_subject is not None else ()),
    }
    rows: dict[Channel, list[list[str]]] = {ch: [] for ch in MESSAGE_CHANNELS}
    for c in plan.contacts:
        if c.channel not in rows:
            continue
        d = debtors[c.debtor_id]
        row = [plan.plan_id, c.debtor_id, c.channel.value, c.destination, c.timezone, _local(c.window_start, c),
               _local(c.window_end, c), _utc(c.window_start), _utc(c.window_end), str(c.rank)]
        if c.channel is Channel.SMS and options.sms_template is not None:
            text = batches.render(options.sms_template, c, d, plan.plan_date)
            row += [text, str(batches.sms_parts(text))]
        elif c.channel is Channel.WHATSAPP:
            # Meta requires opt-in before business-initiated messages (rules-brazil.md §1.8
            # WA-OPTIN); a contact without it is a planner bug, never something to drop quietly.
            if consent_refusal(d, "whatsapp_consent", "opt_in", Channel.WHATSAPP, c.destination):
                raise ExportError(tr("debtor {debtor_id}: WhatsApp contact without a recorded opt-in "
                                     "(whatsapp_consent is not true and no consent record grants it); nothing was "
                                     "written", debtor_id=_safe_id(c)))
            row += [template, _WA_LANGUAGE.get(d.country, d.language),
                    *batches.whatsapp_values(c, d, params, plan.plan_date)]
        elif c.channel is Channel.EMAIL:
            row += [options.email_template_id] if options.email_template_id else []
            if options.email_subject is not None:
                row.append(batches.render(options.email_subject, c, d, plan.plan_date))
        rows[c.channel].append(row)
    out = {}
    for channel in MESSAGE_CHANNELS:
        name = f"{channel.value}_{day}.csv"
        out[name] = _encode(name, _csv_text(columns[channel], rows[channel], options.delimiter), options.encoding)
    return out


# --- readers (round trips) ----------------------------------------------------------------------


def read_vicidial(path: str | Path, variant: str = "owner-tz") -> list[dict[str, str]]:
    """Read a lead file we wrote: one dict per lead, keyed by the variant's columns."""
    names = vicidial.COLUMNS + vicidial.TAIL[variant]
    leads = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("|")
        if len(fields) != len(names):
            raise ExportError(tr("{path}:{line}: {found} fields; a {variant} lead has {expected}", path=path, line=n,
                                 found=len(fields), variant=variant, expected=len(names)))
        leads.append(dict(zip(names, fields, strict=True)))
    return leads


def read_csv_export(path: str | Path, encoding: str = "utf-8", delimiter: str = ",") -> list[dict[str, str]]:
    """Read a CSV export (Genesys, batches, manifest, plan) back as dicts keyed by its header."""
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def parse_comments(comments: str) -> dict[str, str]:
    """The window, rank, channel, pool and call time that a VICIdial lead carries in ``comments``."""
    m = re.fullmatch(r"window=(\S+)/(\S+) rank=(\d+) channel=(\w+) pool=(.*) calltime=(\S+)", comments)
    if not m:
        raise ExportError(tr("comments {comments} are not in contactplan's layout", comments=repr(comments)))
    return dict(zip(("window_start", "window_end", "rank", "channel", "pool", "calltime"), m.groups(), strict=True))


# --- shared helpers -----------------------------------------------------------------------------


def _debtor(debtors: Mapping[str, Debtor], c: PlannedContact) -> Debtor:
    try:
        return debtors[c.debtor_id]
    except KeyError:
        raise ExportError(tr("debtor {debtor_id} is in the plan but not among the debtors given",
                             debtor_id=_safe_id(c))) from None


def _safe_id(c: PlannedContact) -> str:
    return c.debtor_id[:40]


def _utc(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(t: dt.datetime, c: PlannedContact) -> str:
    return t.astimezone(ZoneInfo(c.timezone)).isoformat()


class _Instants:
    """_utc and _local for one export's contacts, which share a few hundred window objects: each
    written once, the objects known by identity (an aware datetime's hash asks its zone for the
    offset) and held in the entry, so that an id is not reused meanwhile."""

    def __init__(self) -> None:
        # (id,) for the UTC text, (id, zone) for the local one: one dict holds both.
        self.seen: dict[tuple, tuple[dt.datetime, str]] = {}

    def utc(self, t: dt.datetime) -> str:
        found = self.seen.get((id(t),))
        if found is None or found[0] is not t:
            found = self.seen[(id(t),)] = (t, _utc(t))
        return found[1]

    def local(self, t: dt.datetime, c: PlannedContact) -> str:
        found = self.seen.get((id(t), c.timezone))
        if found is None or found[0] is not t:
            found = self.seen[(id(t), c.timezone)] = (t, _local(t, c))
        return found[1]


def plan_csv_text(plan: Plan, delimiter: str = ",") -> str:
    """plan.csv (the contract's columns) with another delimiter, for Excel users."""
    return render_plan_csv(plan.plan_id, plan.plan_date, plan.contacts, arm=bool(plan.arms), delimiter=delimiter)


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]], delimiter: str) -> str:
    """CSV text; every cell a spreadsheet would run as a formula is neutralised (csvfile.spreadsheet_safe)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(map(safe_row, rows))
    return buf.getvalue()


def _encode(name: str, text: str, encoding: str) -> bytes:
    """Text in the chosen encoding, or ExportError naming the line that cannot be encoded."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        line = text.count("\n", 0, exc.start) + 1
        raise ExportError(tr("{name}:{line}: a character cannot be written in {encoding}; "
                             "choose utf-8 or remove it from the input", name=name, line=line, encoding=encoding)) \
            from None


encode_text = _encode
