"""What every rule kind shares.

A rule kind is code, one module under contactplan/rules/ (calling_hours.py, frequency_cap.py,
...) whose docstring says what the kind forbids and, under ``References:``, the law texts it
implements. A pack (TOML) instantiates kinds with parameters and a citation. Each kind answers two
kinds of question, on purpose through different code:

* generation: which debtors, channels, destinations and time intervals are allowed
  (``excludes``, ``channel_blocked``, ``destination_ok``, ``allowed``) -- used to build the
  solver's options;
* specification: ``check`` looks at concrete contacts and reports violations -- used by the
  audit, which therefore never trusts the option builder. ``check`` is written to be read: it
  *is* the rule. Speed comes from outside it: the audit remembers the verdicts of a contact-wise
  kind for every debtor that shares what it reads (``memo_key``, audit.verdicts), and a kind
  that counts a long history may add ``judge``, a faster way to the same verdicts, which a test
  holds to ``check`` (tests/test_rule_kinds.py).

A property test ties generation to the specification: every plan the solver returns passes the
audit with no violation (tests/test_property.py, on packs that use every kind).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from contactplan.i18n import current_language, tr
from contactplan.model import Channel, Debtor, Destination, PlannedContact, Severity, Violation

if TYPE_CHECKING:
    from contactplan.calendars import Calendars

ALL_CHANNELS = tuple(Channel)


@dataclass(frozen=True)
class RuleMeta:
    id: str
    kind: str
    title: str
    citation: str
    severity: Severity
    pack: str
    reference: str = ""
    confidence: str = ""
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    channels: tuple[Channel, ...] = ALL_CHANNELS
    regions: frozenset[str] = frozenset()  # empty: every region of the pack's country
    # The pack's own wording in other languages: (language, title, citation, confidence), e.g. the
    # br pack's Portuguese ("" confidence: as written). Shown in that language; the English title,
    # citation and confidence stay the rule's record.
    translations: tuple[tuple[str, str, str, str], ...] = ()
    # A period of a rule whose parameters change by date (packs: [[rule.values]]): the day this
    # period's value took effect and the citation of the text that set it (also appended to
    # ``citation``), with its wording in other languages: (language, citation).
    value_from: dt.date | None = None
    value_citation: str = ""
    value_translations: tuple[tuple[str, str], ...] = ()

    def shown_title(self) -> str:
        """The title in the reader's language when the pack words it so, else as written."""
        return self._shown()[0]

    def shown_citation(self) -> str:
        """The citation in the reader's language when the pack words it so, else as written."""
        return self._shown()[1]

    def shown_confidence(self) -> str:
        """The confidence note in the reader's language when the pack words it so, else as written."""
        return self._shown()[2] or self.confidence

    def shown_value_citation(self) -> str:
        """The citation of this period's value in the reader's language when the pack words it so."""
        language = current_language()
        return next((c for lang, c in self.value_translations if lang == language), self.value_citation)

    def _shown(self) -> tuple[str, str, str]:
        if self.translations:
            language = current_language()
            for lang, title, citation, confidence in self.translations:
                if lang == language:
                    return title, citation, confidence
        return self.title, self.citation, self.confidence


@dataclass(frozen=True)
class Context:
    """What rules may consult besides the debtor: the plan date and the calendars, and for an
    intra-day re-plan the instant before which no contact may start (``plan --not-before``)."""

    plan_date: dt.date
    calendars: Calendars
    not_before: dt.datetime | None = None


Interval = tuple[dt.datetime, dt.datetime]  # aware UTC, half-open

# A memo of verdicts is emptied when it grows past this many entries: our own plans have a few
# dozen distinct windows, another system's may have one per contact.
MEMO_LIMIT = 1 << 16

# Memos of what depends only on a window's instants (local dates and times in a zone) key the
# window as (start, start.fold, end, end.fold): a "window key". Aware datetimes that share a
# tzinfo compare by wall clock and ignore fold, so the two 01:30s of a night when the clocks go
# back would be one key although they are an hour apart; with fold they are two. Equal window
# keys are then the same instants.


@dataclass(frozen=True)
class Rule:
    """Base of every kind. Subclasses override only the questions they answer."""

    meta: RuleMeta
    params: dict[str, Any] = field(default_factory=dict, compare=False)

    kind: ClassVar[str] = ""
    # Whether allowed() depends only on the debtor's country, region, municipality and zones
    # (true for hours and holidays), so the option builder may share results across debtors.
    regional: ClassVar[bool] = True
    # Whether check() judges each contact on its own, from the debtor's file data, suppressions
    # and consent records, the contact and the calendars -- never the history, the other
    # contacts or the plan date. A log gives all of a debtor's logged contacts to every rule at
    # once (log_judge.judge_debtor): such a rule is right so by its nature
    # (tests/test_audit_fast.py holds every kind that says so to it); any other must count for a
    # logged contact only what may come before it (PlannedContact.may_follow) and read the plan
    # date only for a planned one (tests/test_log_bulk.py holds every such kind to that). False,
    # the safe answer.
    contact_wise: ClassVar[bool] = False

    @property
    def id(self) -> str:
        return self.meta.id

    def applies(self, debtor: Debtor, on: dt.date) -> bool:
        m = self.meta
        if m.effective_from and on < m.effective_from:
            return False
        if m.effective_to and on > m.effective_to:
            return False
        return not m.regions or debtor.region in m.regions

    def covers(self, channel: Channel) -> bool:
        return channel in self.meta.channels

    # --- generation -----------------------------------------------------------------------
    def excludes(self, debtor: Debtor, ctx: Context) -> str | None:
        """Reason the whole debtor may not be contacted today, or None."""
        return None

    def channel_blocked(self, debtor: Debtor, channel: Channel, ctx: Context) -> str | None:
        """Reason this channel may not be used for the debtor today, or None."""
        return None

    def destination_ok(self, debtor: Debtor, channel: Channel, dest: Destination, ctx: Context) -> str | None:
        """Reason this destination may not be used on this channel, or None."""
        return None

    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        """UTC intervals on the plan date when this rule allows contact; None means no time limit."""
        return None

    def daily_limit(self, channel: Channel) -> int | None:
        return None

    def eligible_again(self, debtor: Debtor, ctx: Context) -> dt.date | None:
        """When a block by this rule lifts by itself (caps and cooldowns roll off), or None."""
        return None

    @property
    def only_with_store_data(self) -> bool:
        """True when, for a debtor without history and without suppressions, every generation
        answer (excludes, channel_blocked, destination_ok, allowed) is "no restriction": the
        option builder then skips the rule for such debtors (a test holds kinds to it)."""
        return False

    # The consent flag of the debtor file (Debtor.consents) the rule reads, if any: only the
    # consent kind reads one (a test holds every other kind to it), so the option builder keys a
    # channel's options by the flags of the consent rules covering it alone.
    consent_field = None

    # True for a kind that reads none of the store's data on a debtor (history, suppressions,
    # consent records): only the debtor file and the calendar.
    store_blind = False

    def store_quiet(self, debtor: Debtor, ctx: Context) -> bool:
        """True when every generation answer of this rule today (excludes, channel_blocked,
        destination_ok, allowed) is the one it gives the debtor without its store data -- the
        attempts are too old or too few to reach today's windows, say: the option builder then
        shares the debtor's options with the debtors the store knows nothing about. A property
        test holds every kind to it (the options are those built debtor by debtor)."""
        return self.store_blind or not debtor.has_store_data

    @property
    def lookback_days(self) -> int:
        """How many local days of history before the plan date this rule can read (0: none).
        The store loads at least this much, so a cap never misses an attempt of its window."""
        return 0

    def horizon_budget(self, debtor: Debtor, first_day: dt.date, days: int) -> list[int] | None:
        """For a planning horizon of ``days`` days from ``first_day``: how many attempts on the
        covered channels this rule leaves for days 0..j together, for each j, counting the
        history only; None when the rule sets no such budget (most rules)."""
        return None

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """Violations of this rule by the debtor's planned contacts (all of them, any channel)."""
        return []

    def judge(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """check()'s verdict, reached as the audit reaches it: check() itself, unless the kind
        has a faster way to the same answer (bisection over a long history). A test holds every
        kind's judge() to its check() (tests/test_rule_kinds.py)."""
        return self.check(debtor, contacts, ctx)

    def memo_key(self, debtor: Debtor, ctx: Context) -> Hashable | None:
        """For a contact-wise kind whose verdict on a contact depends, besides the contact's
        channel and window, only on a few facts of the debtor and the context: those facts, so
        that the audit remembers its verdicts for every debtor that shares them (audit.verdicts).
        None: not remembered."""
        return None

    def violation(self, debtor: Debtor, message: str, contact: PlannedContact | None = None) -> Violation:
        return Violation(self.meta.id, self.meta.severity, self.meta.shown_citation(), debtor.debtor_id, message,
                         contact.channel if contact else None, contact.window_start if contact else None)

    def summary(self) -> str:
        """The rule's parameters in words, for ``contactplan rules show``."""
        def show(value: Any) -> str:
            if isinstance(value, (frozenset, set, tuple, list)):
                return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
            if isinstance(value, dt.timedelta):
                return f"{value.total_seconds() / 3600:g} h"
            return str(value)
        return ", ".join(f"{k} = {show(v)}" for k, v in self.params.items()) or tr("no parameters")

    def relevant(self, contacts: Sequence[PlannedContact]) -> list[PlannedContact]:
        # covers(), inlined: the audit asks this of every rule for every debtor, and most debtors
        # have one contact a day, which is answered without building a comprehension.
        covered = self.covered_channels
        if len(contacts) == 1:
            return [contacts[0]] if contacts[0].channel in covered else []
        return [c for c in contacts if c.channel in covered]

    # A frozen dataclass may still fill its instance dict, which is what cached_property does;
    # the attribute below is not a field, so equality, hashing and repr are unchanged.

    @cached_property
    def covered_channels(self) -> frozenset[Channel]:
        """The channels of covers(), as a set (for check() and the audit)."""
        return frozenset(self.meta.channels)


@dataclass(frozen=True)
class GateRule(Rule):
    """A rule that, when ``gate`` gives a reason, forbids every channel it covers: the whole
    debtor when it covers all channels, otherwise just those channels."""

    regional: ClassVar[bool] = False

    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        raise NotImplementedError

    def excludes(self, debtor: Debtor, ctx: Context) -> str | None:
        return self.gate(debtor, ctx) if self.meta.channels == ALL_CHANNELS else None

    def channel_blocked(self, debtor: Debtor, channel: Channel, ctx: Context) -> str | None:
        return self.gate(debtor, ctx) if self.covers(channel) else None


class ParamError(ValueError):
    """A pack parameter is wrong; ``key`` is the path inside ``params``."""

    def __init__(self, key: str, message: str):
        self.key = key
        super().__init__(message)


def take(params: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
    if key not in params:
        if default is ...:
            raise ParamError(key, tr("is required"))
        return default
    value = params[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple)
                                                                               else (kind,))):
        raise ParamError(key, tr("must be {expected}, got {got}", expected=getattr(kind, "__name__", kind),
                                 got=type(value).__name__))
    return value


def no_extra(params: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(params) - allowed)
    if extra:
        raise ParamError(extra[0], tr("unknown parameter; expected one of {names}",
                                      names=", ".join(sorted(allowed)) or tr("(none)")))


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return sorted(out)
