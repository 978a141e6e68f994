"""Small factories so tests read like the domain: make_debtor(region="AC"), make_agent(pool="early")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from contactplan.calendars import Calendars
from contactplan.io.debtors import DebtorFile
from contactplan.model import Agent, Channel, Debtor, Destination, LineType, PlannedContact
from contactplan.planner import Inputs
from contactplan.rules.base import Context
from contactplan.timezones import resolve_zones

CALENDARS = Calendars()
# The smallest valid rule pack: one calling-hours rule, for tests of the pack reader.
MINIMAL_PACK = """[pack]
id = "t"
title = "test"
country = "BR"

[[rule]]
id = "t.hours"
kind = "calling_hours"
title = "hours"
citation = "test"
severity = "policy"
params = { windows = { "mon-fri" = "08:00-20:00" } }
"""
TUESDAY = dt.date(2026, 11, 24)
SATURDAY = dt.date(2026, 11, 28)
SUNDAY = dt.date(2026, 11, 29)


def make_debtor(debtor_id: str = "D1", *, country: str = "BR", region: str = "SP", municipality_code: str = "",
                timezone: str = "", mobile: str | None = "+5511987654321", home: str | None = None,
                work: str | None = None, email: str | None = "d1@example.com", balance: str = "1000",
                p_pay: float | None = 0.2, flags: frozenset[str] = frozenset(), consents: dict | None = None,
                segment: str = "", language: str = "") -> Debtor:
    res = resolve_zones(country, region, municipality_code=municipality_code or None, timezone=timezone or None)
    dests = []
    if mobile:
        dests.append(Destination(mobile, LineType.MOBILE, True, "phone_mobile"))
    if home:
        dests.append(Destination(home, LineType.HOME, False, "phone_home"))
    if work:
        dests.append(Destination(work, LineType.WORK, False, "phone_work"))
    if email:
        dests.append(Destination(email, LineType.EMAIL, False, "email"))
    return Debtor(debtor_id=debtor_id, country=country, region=region, balance=Decimal(balance), zones=res.zones,
                  zone_source=res.source, zone_note=res.note, destinations=tuple(dests), flags=flags,
                  consents=consents if consents is not None else {
                      "sms_consent": True, "whatsapp_consent": True, "email_consent": True,
                      "autodial_consent": True},
                  municipality_code=municipality_code, p_pay=p_pay, segment=segment, language=language)


def make_agent(agent_id: str = "A1", *, pool: str = "main", timezone: str = "America/Sao_Paulo",
               start: str = "08:00", end: str = "20:00", per_hour: float = 10, days=range(6),
               break_start: str | None = None, break_end: str | None = None) -> Agent:
    t = dt.time.fromisoformat
    return Agent(agent_id, pool, timezone, t(start), dt.time.max if end == "24:00" else t(end), per_hour,
                 t(break_start) if break_start else None, t(break_end) if break_end else None,
                 days=frozenset(days))


def make_inputs(debtors: list[Debtor], agents: list[Agent]) -> Inputs:
    df = DebtorFile("debtors.csv", debtors, [], len(debtors), 0, [], "utf-8", ",", sha256="test",
                    read_ids={d.debtor_id for d in debtors})
    return Inputs(df, agents, "agents.csv", "test", [])


def local(day: dt.date, hhmm: str, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), ZoneInfo(zone))


def contact(debtor: Debtor, channel: Channel, start: dt.datetime, minutes: int = 15,
            destination: str | None = None, pool: str = "") -> PlannedContact:
    dest = destination or debtor.destinations_for(channel)[0].address
    return PlannedContact(debtor.debtor_id, channel, dest, start, start + dt.timedelta(minutes=minutes),
                          debtor.primary_zone, pool=pool or ("main" if channel is Channel.VOICE else ""))


def ctx(day: dt.date) -> Context:
    return Context(day, CALENDARS)


def attempts(debtor: Debtor, days_ago: list[int], *, plan_day: dt.date = TUESDAY, channel: Channel = Channel.VOICE,
             outcome: str = "no_answer", at: str = "10:00") -> tuple:
    """Past attempts at ``at`` local time, ``days_ago`` days before ``plan_day``."""
    from contactplan.model import Attempt, Outcome

    return tuple(Attempt(f"{debtor.debtor_id}-{k}", debtor.debtor_id, channel,
                         debtor.destinations_for(channel)[0].address,
                         local(plan_day - dt.timedelta(days=n), at, debtor.primary_zone), Outcome(outcome))
                 for k, n in enumerate(days_ago))


def ibge_check_digit_ok(code: str) -> bool:
    """IBGE municipality code check digit (weights 1,2,1,2,1,2; digits of products summed)."""
    total = 0
    for i, ch in enumerate(code[:6]):
        p = int(ch) * (1 if i % 2 == 0 else 2)
        total += p // 10 + p % 10
    return (10 - total % 10) % 10 == int(code[6])
