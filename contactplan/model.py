"""The domain vocabulary: debtors, their destinations, agent pools, slots, options and plans.

Everything here is a frozen value. Times are timezone-aware; dates are the debtor's local
calendar date. Nothing in this module reads the clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from contactplan.i18n import tr


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
