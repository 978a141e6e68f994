"""The fast audit and plan writer give exactly what the straightforward versions gave.

The audit and ``render`` remember what depends only on (zones, window) -- local dates and times,
holiday look-ups, the slot a window starts in, formatted times -- and take other short cuts
(one pass for capacity, direct joins of plain CSV rows). Each test here compares them with a
reference: the audit as it was before those short cuts, calling each rule's ``check`` (the
specification, in the rule's own module) with nothing remembered and no faster ``judge``, on
random plans that mix zones, DST nights (US 2026-11-01
and 2027-03-14), windows across local midnight and slot boundaries, the second 01:30 of a night
the clocks go back, unknown debtors and pools, history, suppressions and municipal holidays.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import random
from collections import Counter, defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from contactplan import audit as audit_module
from contactplan.audit import _destination_fits, _SlotFinder, audit_plan
from contactplan.calendars import Calendars
from contactplan.config import ChannelConfig, Config
from contactplan.io.plan_csv import COLUMNS, render, write_plan
from contactplan.model import (Attempt, Channel, Debtor, Destination, LineType, Outcome, PlannedContact, Pool, Slot,
                               Suppression)
from contactplan.rules.base import Context, Severity, Violation
from contactplan.rules.packs import KINDS, load_packs
from contactplan.solver.capacity import slot_grid

UTC = dt.timezone.utc
# One pack set for every test, as in a long-running process: the rules' memos outlive a plan
# date, a calendar and a portfolio, and must still answer right.
PACKS = load_packs(("br", "us", "br-febraban"))
DATES = [dt.date(2026, 11, 24), dt.date(2026, 11, 1), dt.date(2026, 11, 2), dt.date(2027, 3, 14),
         dt.date(2027, 3, 13), dt.date(2026, 11, 20), dt.date(2026, 12, 25)]
MANAUS, RECIFE = "1302603", "2611606"


# --- the reference: the audit and the writer before the short cuts -------------------------------

_CONTRACT = "contactplan plan contract (README: plan.csv)"


def _core(rule_id, debtor_id, message, contact=None):
    return Violation(rule_id, Severity.POLICY, _CONTRACT, debtor_id, message,
                     contact.channel if contact else None, contact.window_start if contact else None)


def reference_audit(contacts, debtors, packs, plan_date, *, pools=None, slots=None, config=None, calendars=None):
    ctx = Context(plan_date, calendars or Calendars())
    by_debtor = defaultdict(list)
    out = []
    for c in contacts:
        by_debtor[c.debtor_id].append(c)
    for debtor_id, planned in by_debtor.items():
        debtor = debtors.get(debtor_id)
        if debtor is None:
            out.append(_core("audit.unknown_debtor", debtor_id, "debtor_id is not in the debtor file"))
            continue
        if not packs.covers(debtor.country):
            out.append(_core("audit.no_rule_pack", debtor_id, f"no rule pack for country {debtor.country}"))
            continue
        for c in planned:
            if c.window_end <= c.window_start:
                out.append(_core("audit.window", debtor_id, "window ends before it starts", c))
            if not any(d.address == c.destination for d in debtor.destinations_for(c.channel)):
                out.append(_core("audit.destination", debtor_id,
                                 f"destination is not one of the debtor's {c.channel} destinations", c))
            for name in debtor.zones:
                zone = ZoneInfo(name)
                first = c.window_start.astimezone(zone).date()
                last = (c.window_end - dt.timedelta(microseconds=1)).astimezone(zone).date()
                if first != plan_date or last != plan_date:
                    out.append(_core("audit.plan_date", debtor_id,
                                     f"window is on {first} local {name}, not on the plan date {plan_date}", c))
        for rule in packs.rules_for(debtor, plan_date):
            out.extend(rule.check(debtor, planned, ctx))  # the specification, unremembered
    if pools is not None and slots is not None:
        out.extend(_reference_capacity(contacts, debtors, pools, slots, config or Config()))
    return sorted(out, key=lambda v: (v.debtor_id, v.rule_id, v.at or dt.datetime.min.replace(tzinfo=dt.UTC)))


def _reference_slot_of(slots, c):
    return next((s for s in slots if s.start <= c.window_start < s.end), None)


def _reference_capacity(contacts, debtors, pools, slots, config):
    out = []
    by_pool = {p.name: p for p in pools}
    pool_use, channel_slot, channel_day = Counter(), Counter(), Counter()
    for c in contacts:
        slot = _reference_slot_of(slots, c)
        if slot is None:
            out.append(_core("audit.slot", c.debtor_id, "window starts outside the plan day's grid", c))
            continue
        channel_slot[(c.channel, slot.index)] += 1
        channel_day[c.channel] += 1
        if c.channel.needs_agent:
            pool = by_pool.get(c.pool)
            if pool is None:
                out.append(_core("audit.pool", c.debtor_id, f"agent call without a known pool ('{c.pool}')", c))
                continue
            debtor = debtors.get(c.debtor_id)
            if debtor is not None and not pool.serves(debtor):
                out.append(_core("audit.pool", c.debtor_id, f"pool {pool.name} does not serve this debtor's "
                                                             "segment or language", c))
            pool_use[(pool.name, slot.index)] += 1
    for (name, index), used in sorted(pool_use.items()):
        cap = by_pool[name].capacity[index]
        if used > cap:
            out.append(_core("audit.capacity", "", f"pool {name} has {used} calls in the slot starting "
                                                   f"{slots[index].start:%H:%M} UTC; capacity {cap}"))
    for (channel, index), used in sorted(channel_slot.items()):
        limit = config.channels[channel].per_slot
        if limit is not None and used > limit:
            out.append(_core("audit.capacity", "", f"{channel}: {used} contacts in the slot starting "
                                                   f"{slots[index].start:%H:%M} UTC; limit {limit}"))
    for channel, used in sorted(channel_day.items()):
        limit = config.channels[channel].per_day
        if limit is not None and used > limit:
            out.append(_core("audit.capacity", "", f"{channel}: {used} contacts today; daily limit {limit}"))
        if not config.channels[channel].enabled:
            out.append(_core("audit.channel_disabled", "", f"{channel} is disabled in the configuration"))
    return out


def _utc(t):
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def reference_render(plan_id, plan_date, contacts, delimiter=",", arm=False):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow([*COLUMNS, *(("arm",) if arm else ())])
    for c in contacts:
        zone = ZoneInfo(c.timezone)
        w.writerow([plan_id, plan_date.isoformat(), c.debtor_id, c.channel.value, c.destination,
                    c.window_start.astimezone(zone).isoformat(), c.window_end.astimezone(zone).isoformat(),
                    c.timezone, _utc(c.window_start), _utc(c.window_end), c.pool, c.rank,
                    f"{c.expected_value:.2f}", ";".join(c.rules), *((c.arm,) if arm else ())])
    return buf.getvalue()


# --- random worlds ----------------------------------------------------------------------------

# (country, region, municipality, candidate zones): one zone, several, DST and not, unknown UF.
PLACES = [
    ("BR", "SP", "3550308", ("America/Sao_Paulo",)),
    ("BR", "RJ", "", ("America/Sao_Paulo",)),
    ("BR", "AM", MANAUS, ("America/Manaus",)),
    ("BR", "AM", "", ("America/Manaus", "America/Eirunepe")),
    ("BR", "PE", RECIFE, ("America/Recife",)),
    ("BR", "PE", "", ("America/Recife", "America/Noronha")),
    ("BR", "MT", "", ("America/Cuiaba",)),
    ("BR", "AL", "", ("America/Maceio",)),
    ("BR", "AC", "", ("America/Rio_Branco",)),
    ("BR", "", "", ("America/Sao_Paulo", "America/Manaus")),
    ("US", "NY", "", ("America/New_York",)),
    ("US", "TX", "", ("America/Chicago", "America/Denver")),
    ("US", "FL", "", ("America/New_York", "America/Chicago")),
    ("US", "AZ", "", ("America/Phoenix", "America/Denver")),
    ("US", "CA", "", ("America/Los_Angeles",)),
    ("US", "HI", "", ("Pacific/Honolulu",)),
    ("US", "AK", "", ("America/Anchorage",)),
    ("XX", "", "", ("UTC",)),  # no rule pack
]
FLAGS = ["do_not_contact", "cease_and_desist", "disputed", "bankruptcy", "deceased", "attorney_represented",
         "no_work_calls"]
CONSENTS = ["sms_consent", "whatsapp_consent", "email_consent", "autodial_consent"]


def _debtor(rng: random.Random, k: int, day: dt.date) -> Debtor:
    country, region, municipality, zones = rng.choice(PLACES)
    phone = f"+55119{k:08d}" if country != "US" else f"+1415{k:07d}"
    dests = [Destination(phone, LineType.MOBILE, True, "phone_mobile")]
    if rng.random() < 0.5:
        dests.append(Destination(phone[:-1] + "8", LineType.HOME, rng.random() < 0.3, "phone_home"))
    if rng.random() < 0.4:
        dests.append(Destination(phone[:-1] + "9", LineType.WORK, False, "phone_work"))
    if rng.random() < 0.7:
        dests.append(Destination(f"d{k}@example.com", LineType.EMAIL, False, "email"))
    rng.shuffle(dests)
    history = []
    for n in range(rng.choice([0, 0, 0, 1, 3, 9, 12])):
        dest = rng.choice(dests)
        history.append(Attempt(f"H{k}-{n}", f"D{k}", rng.choice(list(Channel)), dest.address,
                               dt.datetime.combine(day - dt.timedelta(days=rng.randrange(0, 9)),
                                                   dt.time(rng.randrange(24), rng.randrange(60)), UTC),
                               rng.choice(list(Outcome))))
    history.sort(key=lambda a: a.attempted_at)
    suppressions = []
    if rng.random() < 0.15:
        suppressions.append(Suppression(f"D{k}", rng.choice(["", dests[0].address]), rng.choice([None, *Channel]),
                                        "asked", "test", rng.choice([None, day, day + dt.timedelta(days=3)])))
    preferred = None
    if rng.random() < 0.2:
        a, b = sorted(rng.sample(range(6, 23), 2))
        preferred = (dt.time(a), dt.time(b) if b < 23 else dt.time.max)
    return Debtor(f"D{k}", country, region, Decimal("100"), zones, "region", "", tuple(dests),
                  flags=frozenset(f for f in FLAGS if rng.random() < 0.06),
                  consents={f: rng.choice([True, True, False, None]) for f in CONSENTS},
                  municipality_code=municipality, days_past_due=rng.choice([None, 30, 1825, 1826, 3000]),
                  segment=rng.choice(["", "retail", "sme"]), language=rng.choice(["", "pt", "en"]),
                  preferred_window=preferred, history=tuple(history), suppressions=tuple(suppressions))


def _windows(rng: random.Random, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """Shared windows (many debtors get the same objects, as in our plans) and odd ones."""
    out = []
    for _ in range(40):
        start = dt.datetime.combine(day, dt.time(0), UTC) + dt.timedelta(minutes=rng.randrange(-12 * 60, 36 * 60, 15))
        out.append((start, start + dt.timedelta(minutes=rng.choice([15, 30, 30, 60]))))
    # Windows around the US DST changes, written in a local zone with fold 0 and 1: the two
    # 01:30s of 2026-11-01 in New York compare equal but are an hour apart.
    ny = ZoneInfo("America/New_York")
    for fold in (0, 1):
        for hhmm in ("01:30", "01:00", "00:45", "02:30"):
            start = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), ny).replace(fold=fold)
            out.append((start, start + dt.timedelta(minutes=30)))
    return out


def _contact(rng: random.Random, debtor: Debtor, shared, day: dt.date) -> PlannedContact:
    channel = rng.choice(list(Channel))
    usable = debtor.destinations_for(channel)
    dest = rng.choice(usable).address if usable and rng.random() < 0.9 else rng.choice(debtor.destinations).address
    if rng.random() < 0.7:
        start, end = rng.choice(shared)
    else:  # another system's window: any minute, any length, crossing slots and local midnight
        start = (dt.datetime.combine(day, dt.time(0), ZoneInfo(rng.choice(debtor.zones)))
                 + dt.timedelta(minutes=rng.randrange(-300, 1740), seconds=rng.choice([0, 0, 30])))
        end = start + dt.timedelta(minutes=rng.choice([-5, 0, 1, 7, 45, 200]))
        if rng.random() < 0.3:
            zone = ZoneInfo(rng.choice(debtor.zones))
            start, end = start.astimezone(zone), end.astimezone(zone)
    pool = rng.choice(["main", "main", "sme", "nowhere", ""]) if channel is Channel.VOICE else ""
    return PlannedContact(debtor.debtor_id, channel, dest, start, end, debtor.zones[0], pool=pool,
                          rank=rng.randrange(1, 50), expected_value=Decimal(rng.randrange(0, 10000)) / 100)


def _world(seed: int, day: dt.date, n: int = 250):
    rng = random.Random(seed)
    debtors = [_debtor(rng, k, day) for k in range(n)]
    shared = _windows(rng, day)
    contacts = []
    for d in debtors:
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            contacts.append(_contact(rng, d, shared, day))
    for k in range(3):  # debtors missing from the debtor file
        contacts.append(dataclasses.replace(contacts[k], debtor_id=f"GONE{k}"))
    rng.shuffle(contacts)
    by_id = {d.debtor_id: d for d in debtors}
    slots = slot_grid(day, {z for d in debtors for z in d.zones}, 30)
    pools = [Pool("main", frozenset({"*"}), frozenset(), tuple(rng.randrange(0, 4) for _ in slots)),
             Pool("sme", frozenset({"sme"}), frozenset({"pt"}), tuple(rng.randrange(0, 3) for _ in slots))]
    return contacts, by_id, pools, slots


def _calendars(day: dt.date, municipal: bool) -> Calendars:
    if not municipal:
        return Calendars()
    return Calendars({MANAUS: {day: "Aniversário de Manaus"}, RECIFE: {day - dt.timedelta(days=1): "Recife"}})


TIGHT = Config(channels={ch: ChannelConfig(per_day=40, per_slot=3, enabled=ch is not Channel.IVR) for ch in Channel})


def _same(found: list[Violation], expected: list[Violation]) -> None:
    assert [v.message for v in found] == [v.message for v in expected]
    assert found == expected
    # The same objects in `at`, so the same instants and the same fold.
    assert all(a.at is b.at for a, b in zip(found, expected, strict=True))


# --- the audit ----------------------------------------------------------------------------------

@pytest.mark.parametrize("day", DATES, ids=str)
@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.slow), pytest.param(3, marks=pytest.mark.slow)])
def test_audit_matches_the_reference(day, seed):
    contacts, by_id, pools, slots = _world(seed, day)
    for municipal in (False, True):
        calendars = _calendars(day, municipal)
        for config in (Config(), TIGHT):
            expected = reference_audit(contacts, by_id, PACKS, day, pools=pools, slots=slots, config=config,
                                       calendars=calendars)
            found = audit_plan(contacts, by_id, PACKS, day, pools=pools, slots=slots, config=config,
                               calendars=calendars)
            _same(found, expected)
        assert len(expected) > 50  # the worlds break rules of every kind
        _same(audit_plan(contacts, by_id, PACKS, day, calendars=calendars),
              reference_audit(contacts, by_id, PACKS, day, calendars=calendars))


def test_every_rule_kind_and_core_check_is_exercised():
    kind_of = {r.id: r.kind for p in PACKS.packs for r in p.rules}
    kinds = set()
    for day in DATES:
        contacts, by_id, pools, slots = _world(1, day)
        kinds |= {kind_of.get(v.rule_id, v.rule_id)
                  for v in reference_audit(contacts, by_id, PACKS, day, pools=pools, slots=slots, config=TIGHT,
                                           calendars=_calendars(day, True))}
    assert set(KINDS) <= kinds
    assert {"audit.window", "audit.destination", "audit.plan_date", "audit.unknown_debtor", "audit.no_rule_pack",
            "audit.slot", "audit.pool", "audit.capacity", "audit.channel_disabled"} <= kinds


def test_the_memos_are_right_after_they_are_emptied(monkeypatch):
    monkeypatch.setattr(audit_module, "MEMO_LIMIT", 3)
    monkeypatch.setattr(audit_module, "_VERDICTS", {})  # not what earlier tests left
    day = DATES[1]
    contacts, by_id, pools, slots = _world(7, day)
    calendars = _calendars(day, True)
    expected = reference_audit(contacts, by_id, PACKS, day, pools=pools, slots=slots, calendars=calendars)
    _same(audit_plan(contacts, by_id, PACKS, day, pools=pools, slots=slots, calendars=calendars), expected)
    assert audit_module._VERDICTS and all(len(memo) <= 3 for _, memo in audit_module._VERDICTS.values())


def test_holiday_answers_are_per_calendar():
    """The same pack set, window and place with and without a municipal holiday file."""
    day = dt.date(2026, 11, 24)
    manaus = Debtor("M", "BR", "AM", Decimal("1"), ("America/Manaus",), "municipality", "",
                    (Destination("+5592991230003", LineType.MOBILE, True, "phone_mobile"),),
                    municipality_code=MANAUS)
    start = dt.datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    c = PlannedContact("M", Channel.VOICE, "+5592991230003", start, start + dt.timedelta(minutes=30),
                       "America/Manaus")
    for calendars in (Calendars(), _calendars(day, True), Calendars(), _calendars(day, True)):
        expected = reference_audit([c], {"M": manaus}, PACKS, day, calendars=calendars)
        _same(audit_plan([c], {"M": manaus}, PACKS, day, calendars=calendars), expected)
    assert any("Aniversário de Manaus" in v.message for v in expected)


def test_the_two_0130s_of_a_night_the_clocks_go_back_are_two_windows():
    """01:30 fold 0 and fold 1 in New York compare equal (same tzinfo, same wall clock) but are an
    hour apart; in Chicago they are 00:30 and 01:30 local. Each gets its own verdict."""
    day = dt.date(2026, 11, 1)
    ny = ZoneInfo("America/New_York")
    chicago = Debtor("C", "US", "IL", Decimal("1"), ("America/Chicago",), "region", "",
                     (Destination("+13125550100", LineType.MOBILE, True, "phone_mobile"),))
    contacts = []
    for fold in (0, 1):
        start = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny, fold=fold)
        end = (start.astimezone(UTC) + dt.timedelta(minutes=15)).astimezone(ny)  # 01:45 with the same fold
        contacts.append(PlannedContact("C", Channel.VOICE, "+13125550100", start, end, "America/Chicago"))
    assert contacts[0].window_start == contacts[1].window_start
    for order in (contacts, contacts[::-1]):
        expected = reference_audit(order, {"C": chicago}, PACKS, day)
        found = audit_plan(order, {"C": chicago}, PACKS, day)
        _same(found, expected)
        messages = " ".join(v.message for v in found)
        assert "00:30-00:45 local America/Chicago" in messages and "01:30-01:45 local America/Chicago" in messages
    # At UTC-6 the hour between them holds local midnight: 23:30 on Oct 31, then 00:30 on Nov 1,
    # a (municipal) holiday. A debtor may have any zone; the memo of local dates must keep both.
    regina = Debtor("R", "BR", "AM", Decimal("1"), ("America/Regina",), "override", "",
                    (Destination("+5592991230003", LineType.MOBILE, True, "phone_mobile"),), municipality_code=MANAUS)
    calendars = Calendars({MANAUS: {day: "All Saints (test)"}})
    contacts = [dataclasses.replace(c, debtor_id="R", destination="+5592991230003") for c in contacts]
    for order in (contacts, contacts[::-1]):
        expected = reference_audit(order, {"R": regina}, PACKS, day, calendars=calendars)
        _same(audit_plan(order, {"R": regina}, PACKS, day, calendars=calendars), expected)
        assert sum("All Saints" in v.message for v in expected) == 1


def test_a_one_shot_iterator_is_audited_as_before():
    """Capacity used to be a second pass over ``contacts``: a generator had nothing left for it."""
    day = DATES[0]
    contacts, by_id, pools, slots = _world(4, day)
    expected = reference_audit(iter(contacts), by_id, PACKS, day, pools=pools, slots=slots, config=TIGHT)
    _same(audit_plan(iter(contacts), by_id, PACKS, day, pools=pools, slots=slots, config=TIGHT), expected)
    assert not any(v.rule_id in ("audit.slot", "audit.capacity") for v in expected)


@pytest.mark.parametrize("channel", list(Channel))
def test_destination_fits_as_destinations_for(channel):
    dests = tuple(Destination(f"+55119000000{k}{t.value}", t, mobile, t.value)
                  for k, t in enumerate(LineType) for mobile in (False, True))
    debtor = Debtor("D", "BR", "SP", Decimal("1"), ("America/Sao_Paulo",), "region", "", dests)
    for address in [d.address for d in dests] + ["+5511000000000"]:
        c = PlannedContact("D", channel, address, dt.datetime(2026, 11, 24, 12, tzinfo=UTC),
                           dt.datetime(2026, 11, 24, 13, tzinfo=UTC), "America/Sao_Paulo")
        assert _destination_fits(debtor, c) == any(d.address == address for d in debtor.destinations_for(channel))


def test_slot_finder_finds_the_first_slot_as_a_scan_would():
    day = dt.date(2026, 11, 1)
    grid = slot_grid(day, {"America/Sao_Paulo", "America/New_York", "Pacific/Honolulu"}, 30)
    rng = random.Random(5)
    shuffled = grid[:]
    rng.shuffle(shuffled)
    t0 = grid[0].start

    def hours(h: float) -> dt.datetime:
        return t0 + dt.timedelta(hours=h)

    overlapping = [Slot(0, t0, hours(2)), Slot(1, hours(1), hours(3))]
    gaps = [s for s in grid if s.index % 3]
    backwards = [Slot(0, t0, hours(1)), Slot(1, hours(3), hours(1)), Slot(2, hours(2), hours(4))]  # a slot ends first
    ny = ZoneInfo("America/New_York")
    probes = [t0 + dt.timedelta(minutes=m) for m in range(-60, 60 * 50, 7)]
    probes += [dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny, fold=f) for f in (0, 1)]
    for slots in (grid, shuffled, overlapping, gaps, backwards, []):
        find = _SlotFinder(slots)
        for when in probes + probes:  # the second round is answered from the memo
            c = PlannedContact("D", Channel.SMS, "x", when, when + dt.timedelta(minutes=5), "UTC")
            assert find(when) is _reference_slot_of(slots, c)


def test_audit_module_never_imports_the_solver():
    with open(audit_module.__file__, encoding="utf-8") as f:
        assert "contactplan.solver" not in f.read()


# --- the writer ---------------------------------------------------------------------------------

def _odd_contacts(rng: random.Random) -> list[PlannedContact]:
    day = dt.date(2026, 11, 1)
    contacts, by_id, _, _ = _world(11, day, n=120)
    odd_text = ["plain", "with,comma", 'with "quote"', "line\nbreak", "carriage\rreturn", "", "ünïcödé", " lead"]
    out = []
    for c in contacts:
        roll = rng.random()
        if roll < 0.1:
            c = dataclasses.replace(c, debtor_id=rng.choice(odd_text))
        elif roll < 0.2:
            c = dataclasses.replace(c, pool=rng.choice([*odd_text, None]))
        elif roll < 0.3:
            c = dataclasses.replace(c, rules=tuple(rng.sample(odd_text, 2)))
        elif roll < 0.35:
            c = dataclasses.replace(c, rank=rng.choice([None, True, -3, 0]))
        elif roll < 0.4:
            c = dataclasses.replace(c, expected_value=rng.choice([Decimal("1.005"), 2.675, Decimal("-0"), 7]))
        elif roll < 0.45:
            c = dataclasses.replace(c, destination=rng.choice(odd_text))
        elif roll < 0.5:
            c = dataclasses.replace(c, timezone=rng.choice(["Pacific/Honolulu", "America/New_York", "UTC"]))
        elif roll < 0.55:
            start = c.window_start + dt.timedelta(microseconds=rng.randrange(1, 10**6))
            c = dataclasses.replace(c, window_start=start)
        out.append(c)
    return out


@pytest.mark.parametrize("plan_id", ["CP-20261101-abcdef12", "odd,id", 'odd"id', "odd;id", "odd|id"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_render_matches_csv_writer(plan_id, delimiter):
    """One writer for plan.csv and for its other delimiters (--delimiter, for Excel users)."""
    rng = random.Random(3)
    contacts = _odd_contacts(rng)
    for day in (dt.date(2026, 11, 1), dt.date(2027, 3, 14)):
        assert render(plan_id, day, contacts, delimiter=delimiter) == reference_render(plan_id, day, contacts,
                                                                                       delimiter)
    assert render(plan_id, day, [], delimiter=delimiter) == reference_render(plan_id, day, [], delimiter)


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_render_with_the_arm_column(delimiter):
    rng = random.Random(4)
    contacts = [dataclasses.replace(c, arm=rng.choice(["champion", "challenger"])) for c in _odd_contacts(rng)]
    day = dt.date(2026, 11, 24)
    expected = reference_render("CP-1", day, contacts, delimiter, arm=True)
    assert render("CP-1", day, contacts, arm=True, delimiter=delimiter) == expected


def test_render_of_a_real_plan_and_write_plan_bytes(tmp_path):
    from contactplan.planner import build_plan
    from factories import make_agent, make_debtor, make_inputs

    debtors = [make_debtor(f"D{k}", region=r, mobile=f"+55{ddd}9876540{k:02d}")
               for k, (r, ddd) in enumerate([("SP", "11"), ("AM", "92"), ("PE", "81"), ("AC", "68")] * 5)]
    day = dt.date(2026, 11, 24)
    plan = build_plan(make_inputs(debtors, [make_agent(per_hour=4)]), day)
    assert plan.contacts
    expected = reference_render(plan.plan_id, day, plan.contacts)
    assert render(plan.plan_id, day, plan.contacts) == expected
    write_plan(tmp_path / "plan.csv", plan.plan_id, day, plan.contacts)
    assert (tmp_path / "plan.csv").read_bytes() == expected.encode("utf-8")


def test_write_plan_in_pieces_writes_what_render_gives(tmp_path):
    """write_plan encodes and writes a few thousand lines at a time: the file is the same bytes,
    across piece boundaries and with rows that need csv.writer's quoting."""
    contacts = _odd_contacts(random.Random(8)) * 40  # > 4096 rows
    target = tmp_path / "plan.csv"
    write_plan(target, "CP-1", dt.date(2026, 11, 1), contacts)
    assert target.read_bytes() == reference_render("CP-1", dt.date(2026, 11, 1), contacts).encode("utf-8")


def test_write_plan_that_fails_midway_leaves_the_previous_file(tmp_path):
    target = tmp_path / "plan.csv"
    target.write_text("previous", encoding="utf-8")
    contacts = _odd_contacts(random.Random(9)) * 40

    def failing():
        yield from contacts
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_plan(target, "CP-1", dt.date(2026, 11, 1), failing())
    assert target.read_text(encoding="utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.csv"]


# --- contact-wise kinds: judged together, as each alone -----------------------------------------

def test_contact_wise_kinds_judge_each_contact_alone():
    """A kind that says it is contact-wise (Rule.contact_wise) must give, for a debtor's contacts
    judged together, exactly what it gives for each judged alone on another day, with another
    history (none, or the contacts before it as attempts): the log audit judges such kinds for
    all of a debtor's attempts at once (log_judge.judge_debtor), on the first attempt's day."""
    declared = {kind for kind, cls in KINDS.items() if cls.contact_wise}
    assert declared == {"calling_hours", "preferred_window", "holidays", "consent", "work_number", "exclusion",
                        "debt_age"}
    rules = [r for p in PACKS.packs for r in p.rules if r.contact_wise]
    assert {r.kind for r in rules} == declared  # every declared kind exercised by a shipped rule
    found = 0
    for seed, day in ((11, DATES[0]), (12, DATES[1]), (13, DATES[6])):
        contacts, by_id, _, _ = _world(seed, day)
        calendars = _calendars(day, True)
        mine = defaultdict(list)
        for c in contacts:
            mine[c.debtor_id].append(c)
        for debtor_id, planned in mine.items():
            debtor = by_id.get(debtor_id)
            if debtor is None:
                continue
            past = tuple(Attempt(f"P{k}", debtor_id, c.channel, c.destination, c.window_start, Outcome.CONVERSATION)
                         for k, c in enumerate(planned))
            for rule in (r for r in PACKS.rules_for(debtor, day) if r.contact_wise):
                together = rule.check(debtor, planned, Context(day, calendars))
                found += len(together)
                for history in ((), past):
                    other = dataclasses.replace(debtor, history=history)
                    alone = [v for k, c in enumerate(planned)
                             for v in rule.check(other, [c], Context(day + dt.timedelta(days=k + 1), calendars))]
                    assert alone == together, (rule.id, debtor_id)
    assert found > 100  # the worlds break these rules: the comparison is not of empty answers


def test_caps_count_one_by_one_when_dates_do_not_allow_bisection():
    """Candidate zones 26 hours apart (UTC+14 and UTC-12): an instant's local dates may be two
    days apart with none between, so frequency caps count attempt by attempt (_Counting.of
    refuses them), still exactly as the reference does."""
    from contactplan.rules.frequency_cap import _Counting

    day = dt.date(2026, 11, 24)
    a = Attempt("A", "D", Channel.VOICE, "+1", dt.datetime(2026, 11, 24, 11, tzinfo=UTC), Outcome.NO_ANSWER)
    b = dataclasses.replace(a, attempt_id="B", attempted_at=a.attempted_at + dt.timedelta(hours=1))
    assert _Counting.of([(a, frozenset({day - dt.timedelta(days=1), day + dt.timedelta(days=1)}))]) is None
    assert _Counting.of([(a, frozenset({day})), (b, frozenset({day - dt.timedelta(days=1)}))]) is None
    assert _Counting.of([(a, frozenset({day})), (b, frozenset({day, day + dt.timedelta(days=1)}))]) is not None
    contacts, by_id, _, _ = _world(7, day, n=120)
    apart = {k: dataclasses.replace(d, zones=("Pacific/Kiritimati", "Etc/GMT+12")) for k, d in by_id.items()}
    expected = reference_audit(contacts, apart, PACKS, day)
    assert any(v.rule_id.endswith(("one_contact_per_day", "attempts_7_days")) for v in expected)
    _same(audit_plan(contacts, apart, PACKS, day), expected)
