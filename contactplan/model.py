"""The domain vocabulary: debtors, their destinations and what they said, agent pools, slots,
planned contacts, violations, the planning settings and plans.

Everything every layer speaks lives here, so that no module has to import one above it for a
type (docs/architecture.md). Everything here is a value. Times are timezone-aware; dates are the
debtor's local calendar date. Nothing in this module reads the clock.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import enum
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from contactplan.i18n import N_, current_language, tr


# The dates contactplan plans for: the holiday calendars, the tz database and the date arithmetic
# of a plan (a day before and after, a week of horizon) are all good inside this range.
FIRST_PLAN_DATE = dt.date(2000, 1, 1)
LAST_PLAN_DATE = dt.date(2099, 12, 31)


def plan_date_problem(day: dt.date) -> str | None:
    """Why ``day`` cannot be a plan date, or None."""
    if FIRST_PLAN_DATE <= day <= LAST_PLAN_DATE:
        return None
    return tr("is outside the dates contactplan plans for ({first} to {last})", first=FIRST_PLAN_DATE,
              last=LAST_PLAN_DATE)


class Channel(enum.StrEnum):
    """How a debtor is contacted. Values are the contract names used in files."""

    VOICE = "voice"  # a call by a human agent from a pool
    IVR = "ivr"  # automated / prerecorded voice ("URA ativa")
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"

    @property
    def needs_agent(self) -> bool:
        return self is Channel.VOICE

    @property
    def is_phone(self) -> bool:
        return self is not Channel.EMAIL


class LineType(enum.StrEnum):
    MOBILE = "mobile"
    HOME = "home"
    WORK = "work"
    EMAIL = "email"


@dataclass(frozen=True)
class Destination:
    """A phone (E.164) or e-mail address of the debtor, with where it came from."""

    address: str
    line_type: LineType
    # True when the number may reach a wireless device (TCPA treats these as cell phones).
    maybe_mobile: bool = False
    # The source column; phones are never printed in messages, the column is.
    column: str = ""


class Direction(enum.StrEnum):
    """Who made a contact: the collector (outbound) or the debtor (inbound: a call placed by the
    debtor, a message the debtor sent). 12 CFR 1006.14(b)(2) counts calls the collector places; a
    conversation is a conversation whoever dialled (CFPB FAQ on 1006.14(b)(4))."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Outcome(enum.StrEnum):
    """Dialer / messaging dispositions accepted in history files (DESIGN.md)."""

    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    CONVERSATION = "conversation"
    PROMISE_TO_PAY = "promise_to_pay"
    WRONG_PARTY = "wrong_party"
    REFUSED = "refused"
    OPT_OUT = "opt_out"
    DELIVERED = "delivered"
    FAILED = "failed"
    NOT_IN_SERVICE = "not_in_service"
    # The debtor asked to be called back at a given time (the attempt's ``callback_at``).
    CALLBACK_REQUESTED = "callback_requested"


# Whoever answered or replied: the contact reached someone (report: connects).
CONNECTS = frozenset({Outcome.CONVERSATION, Outcome.PROMISE_TO_PAY, Outcome.WRONG_PARTY, Outcome.REFUSED,
                      Outcome.OPT_OUT, Outcome.CALLBACK_REQUESTED})


@dataclass(frozen=True)
class Attempt:
    """One past contact attempt from the history store."""

    attempt_id: str
    debtor_id: str
    channel: Channel
    destination: str
    attempted_at: dt.datetime  # aware
    outcome: Outcome
    account_id: str = ""
    agent_id: str = ""
    direction: Direction = Direction.OUTBOUND
    callback_at: dt.datetime | None = None  # outcome callback_requested: when the debtor asked to be called


# Attempts in the order they were made (a history, a log): the sort key every reader and rule uses.
by_time = operator.attrgetter("attempted_at")


@dataclass(frozen=True)
class ConsentRecord:
    """A dated opt-in or revocation of one channel, for one destination or every destination of
    the debtor on that channel (``contactplan consent import``). The latest record of a
    (destination, channel) is the debtor's word; a "no" in the debtor file still wins."""

    record_id: str  # the file's evidence id (cited by the audit and explain, never the content)
    debtor_id: str
    channel: Channel
    destination: str  # "" = every destination of the debtor on this channel
    granted: bool
    at: dt.datetime  # aware
    source: str = ""


@dataclass(frozen=True)
class Suppression:
    """A do-not-contact entry: a debtor, a destination, or both; one channel or all (None)."""

    debtor_id: str  # "" = whoever has this destination
    destination: str  # "" = every destination of the debtor
    channel: Channel | None
    reason: str
    source: str
    expires_on: dt.date | None = None  # suppressed on days before this date; None = for good
    # In force for attempts made after this instant: when it was recorded, or for an opt-out the
    # attempt that carried it (that attempt itself came first). Plans are still to be run: every
    # stored entry holds for them, whenever it was made. None: in force for every attempt.
    since: dt.datetime | None = None

    def active_on(self, day: dt.date) -> bool:
        return self.expires_on is None or day < self.expires_on


@dataclass(frozen=True)
class StoreData:
    """What the store knows about a portfolio's debtors, by debtor id (and suppressions of a
    destination whoever has it): what the rules read besides the debtor file."""

    history: Mapping[str, Sequence[Attempt]] = field(default_factory=dict)
    suppressed: Mapping[str, Sequence[Suppression]] = field(default_factory=dict)
    suppressed_destinations: Mapping[str, Sequence[Suppression]] = field(default_factory=dict)
    consents: Mapping[str, Sequence[ConsentRecord]] = field(default_factory=dict)


def opt_out_suppression(attempt: Attempt, source: str) -> Suppression:
    """The do-not-contact entry an opt-out outcome makes: that destination on that channel, in
    force after the attempt that carried it (LGPD art. 18 §2; 47 CFR 64.1200(a)(10))."""
    return Suppression(attempt.debtor_id, attempt.destination, attempt.channel,
                       f"opt_out outcome, attempt {attempt.attempt_id}", source, since=attempt.attempted_at)


@dataclass(frozen=True)
class Debtor:
    """One person, after merging every account row that shares ``debtor_id``."""

    debtor_id: str
    country: str  # ISO alpha-2, upper case
    region: str  # UF / state code, upper case ("" when only the area code told us)
    balance: Decimal
    zones: tuple[str, ...]  # candidate IANA zones; a contact must be allowed in all of them
    zone_source: str  # override | municipality | region | area_code
    zone_note: str
    destinations: tuple[Destination, ...]
    flags: frozenset[str] = frozenset()  # do_not_contact, cease_and_desist, ...
    consents: dict[str, bool | None] = field(default_factory=dict)  # sms_consent -> True/False/None
    municipality_code: str = ""
    p_pay: float | None = None
    days_past_due: int | None = None
    segment: str = ""
    language: str = ""
    preferred_channel: Channel | None = None
    preferred_window: tuple[dt.time, dt.time] | None = None
    account_ids: tuple[str, ...] = ()
    lines: tuple[int, ...] = ()  # source line numbers, for messages
    history: tuple[Attempt, ...] = ()  # past attempts from the store (recent window only)
    suppressions: tuple[Suppression, ...] = ()  # active do-not-contact entries from the store
    consent_records: tuple[ConsentRecord, ...] = ()  # dated opt-ins and revocations from the store

    @property
    def has_store_data(self) -> bool:
        """Whether the store told anything about this debtor (history, suppressions, consents)."""
        return bool(self.history or self.suppressions or self.consent_records)

    @cached_property
    def latest_attempt_at(self) -> dt.datetime | None:
        """The latest instant in the history (None without one), worked out once for every rule
        that asks: an attempt window or gap that begins after it holds no attempt, which most
        debtors show at once (none was called today, say), so the rules need not look further.
        Cached in the instance dict, which a frozen dataclass still has (_with_store drops it)."""
        return max((a.attempted_at for a in self.history), default=None)

    def __hash__(self) -> int:  # consents is a dict; identity is the debtor id
        return hash(self.debtor_id)

    @property
    def primary_zone(self) -> str:
        return self.zones[0]

    def destinations_for(self, channel: Channel) -> tuple[Destination, ...]:
        """Destinations a channel can use, best first (mobile before landlines)."""
        if channel is Channel.EMAIL:
            return tuple(d for d in self.destinations if d.line_type is LineType.EMAIL)
        if channel in (Channel.SMS, Channel.WHATSAPP):
            return tuple(d for d in self.destinations if d.line_type is LineType.MOBILE)
        phones = [d for d in self.destinations if d.line_type is not LineType.EMAIL]
        if len(phones) > 1:
            phones.sort(key=lambda d: _PHONE_ORDER[d.line_type])
        return tuple(phones)


_PHONE_ORDER = {LineType.MOBILE: 0, LineType.HOME: 1, LineType.WORK: 2}


@dataclass(frozen=True)
class Agent:
    agent_id: str
    pool: str
    timezone: str
    shift_start: dt.time
    shift_end: dt.time
    contacts_per_hour: float
    break_start: dt.time | None = None
    break_end: dt.time | None = None
    segments: frozenset[str] = frozenset({"*"})
    languages: frozenset[str] = frozenset()
    days: frozenset[int] = frozenset(range(5))  # ISO weekday - 1: Monday = 0
    line: int = 0


@dataclass(frozen=True)
class Pool:
    """Agents that share a queue: what they serve and how many contacts they make per slot."""

    name: str
    segments: frozenset[str]
    languages: frozenset[str]
    capacity: tuple[int, ...]  # contacts per slot index

    def serves(self, debtor: Debtor) -> bool:
        if "*" not in self.segments and debtor.segment not in self.segments:
            return False
        return not (self.languages and debtor.language and debtor.language not in self.languages)


@dataclass(frozen=True)
class Slot:
    """A half-open UTC interval [start, end) of the planning grid."""

    index: int
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class PlannedContact:
    """One row of plan.csv: a debtor, a channel, a destination and a window."""

    debtor_id: str
    channel: Channel
    destination: str
    window_start: dt.datetime  # aware; written with the debtor's offset and in UTC
    window_end: dt.datetime
    timezone: str
    pool: str = ""
    rank: int = 0
    expected_value: Decimal = Decimal("0")
    rules: tuple[str, ...] = ()
    slot: int = -1
    # Set for what a dialer log says was done: the instant of the attempt (the window then only
    # stands for it). A planned contact may happen at any instant of its window.
    attempted_at: dt.datetime | None = None
    # For a contact the planner made: the whole allowed interval of the day that holds the
    # window (every rule, every candidate zone), the most a dialer may be given as call time.
    allowed: tuple[dt.datetime, dt.datetime] | None = None
    # The holdout arm that planned it (``plan --holdout``): "champion" (the optimiser) or
    # "challenger" (the comparison strategy); blank for a plan without a holdout.
    arm: str = ""
    # For a contact from a dialer log: the recorded attempt it is. A log is judged with all its
    # attempts in the debtor's history, so what counts against a contact is every other attempt
    # that may come before it, never its own (may_follow).
    attempt: Attempt | None = field(default=None, compare=False, repr=False)

    def may_follow(self, attempt: Attempt) -> bool:
        """Whether a recorded attempt may come before the contact, or with it: the attempts a
        cap, a cooldown or a gap must count against this contact. A logged contact's own attempt
        never does."""
        when = attempt.attempted_at
        if self.attempted_at is not None:
            return self.attempted_at >= when and attempt is not self.attempt
        return self.window_end > when


@dataclass(frozen=True)
class Exclusion:
    """Why a debtor (or one of its channels) was not planned, and when that could change."""

    debtor_id: str
    rule_id: str
    citation: str
    reason: str
    channel: Channel | None = None  # None: the whole debtor
    next_eligible: dt.date | None = None


@dataclass(frozen=True)
class Rejection:
    """A bad input row: never planned, always reported with file:line:column."""

    path: str
    line: int
    column: str
    column_index: int
    message: str
    debtor_id: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}"
        if self.column_index:
            where += f":{self.column_index}"
        col = f" {self.column}:" if self.column else ""
        return f"{where}:{col} {self.message}"


# --- what the audit finds ---------------------------------------------------------------------

class Severity(enum.StrEnum):
    LAW = "law"
    SELF_REGULATION = "self_regulation"
    POLICY = "policy"


@dataclass(frozen=True)
class Violation:
    rule_id: str
    severity: Severity
    citation: str
    debtor_id: str
    message: str
    channel: Channel | None = None
    at: dt.datetime | None = None

    def __reduce__(self):
        # A log's workers send back hundreds of thousands of these: rebuilt from plain values
        # and the enums' own tables, not by pickle's generic path (an Enum call per field).
        return (_violation, (self.rule_id, self.severity.value, self.citation, self.debtor_id, self.message,
                             self.channel.value if self.channel is not None else None, self.at))


_SEVERITY = Severity._value2member_map_
_CHANNEL = Channel._value2member_map_


def _violation(rule_id: str, severity: str, citation: str, debtor_id: str, message: str, channel: str | None,
               at: dt.datetime | None) -> Violation:
    return Violation(rule_id, _SEVERITY[severity], citation, debtor_id, message,
                     _CHANNEL[channel] if channel is not None else None, at)


# --- what the debtor said about a channel: the file's flags and the store's dated records -----

CONSENT_FIELDS = ("sms_consent", "whatsapp_consent", "email_consent", "autodial_consent")

# The refusals that depend only on the consent field, in the reader's language, each worked out
# once (the option builder asks for them for every debtor the store knows something about).
_IS_FALSE = N_("{field} is false")
_NO_OPT_IN = N_("no opt-in recorded ({field} is blank and no consent record grants it)")
_SAID: dict[tuple[str, str, str], str] = {}


def _said(template: str, field: str) -> str:
    key = (current_language(), template, field)
    found = _SAID.get(key)
    if found is None:
        found = _SAID[key] = tr(template, field=field)
    return found


def latest_consent_record(debtor: Debtor, channel: Channel, address: str, before: dt.datetime | None = None
                          ) -> ConsentRecord | None:
    """The debtor's latest dated consent record for this channel and destination (a record for
    every destination of the channel counts too), made no later than ``before`` when given."""
    found = [r for r in debtor.consent_records if r.channel is channel and r.destination in ("", address)
             and (before is None or r.at <= before)]
    return max(found, key=lambda r: (r.at, not r.granted)) if found else None


def consent_refusal(debtor: Debtor, field: str, mode: str, channel: Channel, address: str,
                    before: dt.datetime | None = None) -> str | None:
    """Why the consent does not allow this channel to this destination, or None.

    The debtor file's flag and the store's dated records combine so that a "no" always wins: a
    false flag, or a latest record that revokes, refuses; an opt-in (``mode = "opt_in"``) needs a
    true flag or a latest record that grants. The reason cites a record by id and date, never
    its content."""
    answer = debtor.consents.get(field)
    if answer is False:
        return _said(_IS_FALSE, field)
    record = latest_consent_record(debtor, channel, address, before) if debtor.consent_records else None
    if record is not None and not record.granted:
        return tr("consent revoked on {day} (record {record})", day=record.at.date(), record=record.record_id)
    if mode == "opt_in" and answer is not True and record is None:
        return _said(_NO_OPT_IN, field)
    return None


# --- the planning settings (contactplan.toml; config.load_config reads the file) ---------------

@dataclass(frozen=True)
class ChannelConfig:
    enabled: bool = True
    cost: float = 0.0  # money per contact, in the portfolio's currency
    effectiveness: float = 1.0  # relative chance that a contact leads to payment
    per_day: int | None = None  # None: no limit of its own
    per_slot: int | None = None


DEFAULT_CHANNELS = {
    Channel.VOICE: ChannelConfig(cost=2.00, effectiveness=1.00),
    Channel.IVR: ChannelConfig(cost=0.30, effectiveness=0.35),
    Channel.WHATSAPP: ChannelConfig(cost=0.05, effectiveness=0.30),
    Channel.SMS: ChannelConfig(cost=0.08, effectiveness=0.20),
    Channel.EMAIL: ChannelConfig(cost=0.01, effectiveness=0.08),
}
# Relative chance of reaching the debtor by local hour: late mornings and after work are best.
DEFAULT_HOURS = {7: 0.7, 8: 0.9, 9: 1.0, 10: 1.0, 11: 0.95, 12: 0.8, 13: 0.8, 14: 0.9, 15: 0.9, 16: 0.9,
                 17: 0.95, 18: 1.05, 19: 1.05, 20: 0.95}


@dataclass(frozen=True)
class Config:
    slot_minutes: int = 30
    min_window_minutes: int = 15
    default_p_pay: float = 0.05
    report_timezone: str = "America/Sao_Paulo"
    packs: tuple[str, ...] = ("br", "us")
    channels: dict[Channel, ChannelConfig] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    hour_effectiveness: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    source: str = "(defaults)"
    database_url: str | None = None
    municipal_holidays: str | None = None  # municipality_code,date,name CSV
    # How far below the optimum a plan may be, as a fraction (0 = prove optimality). The solver
    # reports the plan's objective, the proven bound and the gap, which never exceeds this.
    max_gap: float = 0.001
    # Plan today within a horizon of this many days (1 = today alone), so weekly attempt budgets
    # go where they are worth most; later days' values count at horizon_discount per day.
    horizon_days: int = 1
    horizon_discount: float = 0.9
    # Processes the optimiser may use (plan --workers): the day is cut into parts that share no
    # capacity, or whose shared channel limits are coordinated by prices (solver.parts).
    workers: int = 1
    # Learned effectiveness (outcomes.learned.Model, ``plan --model`` or the config's ``model``):
    # where it has a cell it replaces the channel's effectiveness x the hour's reach.
    model: Any = None
    # The language messages and reports are read in (i18n.LANGUAGES); None leaves it to --lang or
    # the environment. --lang wins over it: the config is the team's, the run is the planner's.
    language: str | None = None

    def hour_factor(self, hour: int) -> float:
        return self.hour_effectiveness.get(hour, 0.7)

    def worth(self, channel: Channel, hour: int, segment: str) -> tuple[float, float, bool]:
        """(effectiveness, reach factor, learned) of a contact on the channel at the debtor's
        local hour: the model's cell where it has one, else the configured constants."""
        cc = self.channels[channel]
        if self.model is None:
            return cc.effectiveness, self.hour_factor(hour), False
        learned = self.model.factor(channel, hour, segment, self.channels[self.model.reference_channel].effectiveness)
        if learned is None:
            return 1.0, cc.effectiveness * self.hour_factor(hour), False
        return 1.0, learned, True


# --- the store's data, attached to the debtors it concerns ----------------------------------------

def attach_store_data(debtors: list[Debtor], data: StoreData, *, before: dt.datetime | None = None) -> list[Debtor]:
    """Each debtor with its recent attempts (only those made before ``before``, when given), its
    active suppressions (a destination entry applies to whichever debtor has that phone or
    address) and its dated consent records, from the store."""
    out = []
    history, suppressed, by_destination, consents = (data.history, data.suppressed, data.suppressed_destinations,
                                                     data.consents)
    for d in debtors:
        mine = history.get(d.debtor_id)
        entries = list(suppressed.get(d.debtor_id, ()))
        if by_destination:
            for dest in d.destinations:
                entries.extend(by_destination.get(dest.address, ()))
        records = consents.get(d.debtor_id, ())
        if not mine and not entries and not records:
            out.append(d)  # most debtors: nothing to attach
            continue
        attempts = sorted(mine or (), key=by_time)
        if before is not None:  # those made before it: a head of the attempts in time order
            del attempts[bisect.bisect_left(attempts, before, key=by_time):]
        attempts = tuple(attempts)
        if not attempts and not entries and not records:
            out.append(d)
            continue
        new = _with_store(d, attempts, tuple(entries), tuple(records))
        # In time order, so the latest attempt is the last: Debtor.latest_attempt_at, which every
        # history rule asks of every debtor, known here for nothing.
        new.__dict__["latest_attempt_at"] = attempts[-1].attempted_at if attempts else None
        out.append(new)
    return out


def _with_store(debtor: Debtor, history: tuple[Attempt, ...], suppressions: tuple[Suppression, ...],
                consent_records: tuple[ConsentRecord, ...] = ()) -> Debtor:
    """dataclasses.replace(debtor, history=..., suppressions=..., consent_records=...) without
    re-running __init__ on every field (a Debtor has no __post_init__ or derived fields): a tenth
    of the time, and the store attaches data to hundreds of thousands of debtors."""
    new = object.__new__(Debtor)
    new.__dict__.update(debtor.__dict__)
    new.__dict__.pop("latest_attempt_at", None)  # the old history's, if it was asked
    new.__dict__["history"] = history
    new.__dict__["suppressions"] = suppressions
    new.__dict__["consent_records"] = consent_records
    return new


def with_history(inputs: Inputs, data: StoreData) -> Inputs:
    """The inputs with the store's history, suppressions and consent records attached to their debtors."""
    debtors = attach_store_data(inputs.debtors.debtors, data)
    return dataclasses.replace(inputs, debtors=dataclasses.replace(inputs.debtors, debtors=debtors))


# --- a plan and what it is made from -------------------------------------------------------------

@dataclass
class DebtorFile:
    path: str
    debtors: list[Debtor]
    rejections: list[Rejection]
    rows: int
    rejected_debtors: int
    unknown_columns: list[str]
    encoding: str
    delimiter: str
    sha256: str = ""
    read_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Inputs:
    debtors: DebtorFile
    agents: list[Agent]
    agents_path: str
    agents_sha256: str
    agents_unknown: list[str]


class SolveStatus(enum.StrEnum):
    OPTIMAL = "OPTIMAL"  # proven optimal (exact mode, or binned with a zero gap)
    FEASIBLE = "FEASIBLE"  # a plan within the stated gap of the proven bound
    INFEASIBLE = "INFEASIBLE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class CallbackRefusal:
    """A call back that could not be booked: the rule that stops it and when it could be."""

    debtor_id: str
    callback_at: dt.datetime
    rule_id: str
    reason: str
    next_time: dt.datetime | None = None  # a later time the same day when it could be made
    next_date: dt.date | None = None  # else the next day with allowed time


@dataclass(frozen=True)
class Counts:
    read: int  # distinct debtor ids in the file
    planned: int
    excluded: int
    rejected: int
    rows: int
    rejected_rows: int

    @property
    def add_up(self) -> bool:
        return self.read == self.planned + self.excluded + self.rejected


@dataclass(frozen=True)
class Holdout:
    """``plan --holdout PERCENT --holdout-seed SEED``: the challenger's share of the debtors."""

    percent: float
    seed: int = 0


@dataclass(frozen=True)
class Plan:
    plan_id: str
    plan_date: dt.date
    contacts: tuple[PlannedContact, ...]
    exclusions: tuple[Exclusion, ...]
    rejections: tuple[Rejection, ...]
    counts: Counts
    status: SolveStatus
    objective: float
    options: int
    pools: tuple[Pool, ...]
    slots: tuple[Slot, ...]
    config: Config
    provenance: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    violations: tuple[Violation, ...] = ()
    zone_sources: dict[str, int] = field(default_factory=dict)  # override|municipality|region|area_code -> debtors
    zone_notes: dict[str, int] = field(default_factory=dict)  # ambiguity or fallback note -> debtors
    # The greedy baseline's value on the same options, when asked for (bench/).
    greedy: float | None = None
    # Proven upper bound on the optimum: the objective itself when the solve was exact.
    bound: float = 0.0
    solver_note: str = ""
    callbacks_booked: int = 0  # calls back the debtors asked for, booked ahead of the optimiser
    callbacks_refused: tuple[CallbackRefusal, ...] = ()  # and those no rule allowed, with why
    holdout: Holdout | None = None
    arms: dict[str, int] = field(default_factory=dict)  # holdout arm -> debtors of the portfolio assigned to it
    arm_values: dict[str, float] = field(default_factory=dict)  # holdout arm -> value of its contacts
    # With a model: (options valued by the model's cells, options valued by the config's constants).
    model_options: tuple[int, int] | None = None

    @property
    def gap(self) -> float:
        """How far below the optimum the plan may be, as a fraction of the bound."""
        return (self.bound - self.objective) / self.bound if self.bound > 0 else 0.0
