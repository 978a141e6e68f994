"""The planning run's own steps (plan_run.py): what it tells the planner about the store's data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from contactplan.model import Attempt, Channel, Outcome, StoreData, with_history
from contactplan.plan_run import _warn_about_today
from tests.factories import TUESDAY, make_agent, make_debtor, make_inputs

SITE = "America/Sao_Paulo"


class _Notes:
    def __init__(self):
        self.lines: list[str] = []

    def note(self, text: str) -> None:
        self.lines.append(text)


def _inputs_with(*times: dt.datetime):
    debtor = make_debtor()
    history = {debtor.debtor_id: [Attempt(f"A{k}", debtor.debtor_id, Channel.VOICE, "+5511987654321", t,
                                          Outcome.NO_ANSWER) for k, t in enumerate(times)]}
    return with_history(make_inputs([debtor], [make_agent()]), StoreData(history))


@pytest.mark.parametrize(("when", "today"), [
    (dt.datetime(2026, 11, 23, 23, 59, 59, 999999, ZoneInfo(SITE)), False),  # the day before, in the site's zone
    (dt.datetime(2026, 11, 24, 0, 0, tzinfo=ZoneInfo(SITE)), True),
    (dt.datetime(2026, 11, 24, 23, 59, 59, 999999, ZoneInfo(SITE)), True),
    (dt.datetime(2026, 11, 25, 0, 0, tzinfo=ZoneInfo(SITE)), False),
    # 01:30 UTC on the 24th is still the 23rd in Sao Paulo (-03:00)
    (dt.datetime(2026, 11, 24, 1, 30, tzinfo=dt.timezone.utc), False),
    (dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.timezone.utc), True),
])
def test_attempts_made_on_the_plan_date_in_the_sites_zone_are_noted(when, today):
    notes = _Notes()
    _warn_about_today(_inputs_with(when), TUESDAY, SITE, notes)
    assert bool(notes.lines) is today
    if today:
        assert "1 attempt(s)" in notes.lines[0] and f"{when.astimezone(ZoneInfo(SITE)):%H:%M}" in notes.lines[0]


def test_the_note_names_the_latest_of_the_days_attempts():
    zone = ZoneInfo(SITE)
    notes = _Notes()
    _warn_about_today(_inputs_with(dt.datetime(2026, 11, 24, 9, 5, tzinfo=zone),
                                   dt.datetime(2026, 11, 24, 14, 40, tzinfo=zone),
                                   dt.datetime(2026, 11, 23, 18, 0, tzinfo=zone)), TUESDAY, SITE, notes)
    assert len(notes.lines) == 1 and "2 attempt(s)" in notes.lines[0] and "14:40" in notes.lines[0]
