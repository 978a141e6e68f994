"""A law change is a new dated value of the same parameter ([[rule.values]]), each with its own
citation, not a second rule: the plan date picks the value, violations cite the value in force,
``rules show`` prints the history, and the pack stays strictly validated."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from contactplan.audit import audit_plan
from contactplan.cli import app
from contactplan.errors import InputError
from contactplan.i18n import use_language
from contactplan.model import Channel, PlannedContact
from contactplan.rules.packs import PackSet, parse_pack
from factories import make_debtor

SAO_PAULO = ZoneInfo("America/Sao_Paulo")

HEAD = '''[pack]
id = "dated"
title = "dated values"
country = "BR"

[[rule]]
id = "dated.daily"
kind = "daily_cap"
title = "contacts a day"
citation = "Lei 1/2020 art. 1"
severity = "law"
params = { max = 3 }
[rule.translations.pt-BR]
title = "contatos por dia"
citation = "Lei 1/2020 art. 1 (pt)"
'''
VALUES = '''[[rule.values]]
from = 2026-01-01
params = { max = 2 }
citation = "Lei 2/2025 art. 3 (max 3 -> 2)"
[rule.values.translations.pt-BR]
citation = "Lei 2/2025 art. 3 (máx. 3 -> 2)"
'''
MORE = '''[[rule.values]]
from = 2026-07-01
params = { directions = ["outbound", "inbound"] }
citation = "Lei 3/2026 art. 1 (inbound counted)"
'''


def _pack(text: str = HEAD + VALUES) -> PackSet:
    return PackSet([parse_pack(text, "dated.toml")])


def _contacts(day: dt.date, n: int) -> list[PlannedContact]:
    start = dt.datetime.combine(day, dt.time(9), SAO_PAULO)
    return [PlannedContact("D1", Channel.VOICE, "+5511987654321", start + dt.timedelta(hours=2 * k),
                           start + dt.timedelta(hours=2 * k, minutes=15), "America/Sao_Paulo") for k in range(n)]


@pytest.mark.parametrize(("day", "allowed"), [(dt.date(2025, 12, 30), 3), (dt.date(2025, 12, 31), 3),
                                              (dt.date(2026, 1, 1), 2), (dt.date(2026, 1, 2), 2)])
def test_the_plan_date_picks_the_value_on_both_sides_of_the_change(day, allowed):
    packs, debtor = _pack(), make_debtor("D1")
    (rule,) = packs.rules_for(debtor, day)
    assert rule.id == "dated.daily" and rule.params["max"] == allowed
    assert audit_plan(_contacts(day, allowed), {"D1": debtor}, packs, day) == []
    found = audit_plan(_contacts(day, allowed + 1), {"D1": debtor}, packs, day)
    assert [v.rule_id for v in found] == ["dated.daily"]
    assert f"at most {allowed}" in found[0].message
    # The violation cites the rule and, after the change, the text that set the value in force.
    if allowed == 2:
        assert found[0].citation == "Lei 1/2020 art. 1; Lei 2/2025 art. 3 (max 3 -> 2)"
    else:
        assert found[0].citation == "Lei 1/2020 art. 1"


def test_a_later_value_changes_only_what_it_names():
    packs, debtor = _pack(HEAD + VALUES + MORE), make_debtor("D1")
    (before,) = packs.rules_for(debtor, dt.date(2026, 6, 30))
    (after,) = packs.rules_for(debtor, dt.date(2026, 7, 1))
    assert before.params["max"] == after.params["max"] == 2
    assert {d.value for d in before.params["directions"]} == {"outbound"}
    assert {d.value for d in after.params["directions"]} == {"outbound", "inbound"}
    assert after.meta.citation == "Lei 1/2020 art. 1; Lei 3/2026 art. 1 (inbound counted)"


def test_the_periods_keep_the_rules_effective_dates():
    text = HEAD.replace('severity = "law"', 'severity = "law"\neffective_from = 2020-03-01\neffective_to = 2027-12-31')
    pack = parse_pack(text + VALUES, "dated.toml")
    (periods,) = pack.by_id()
    assert [(r.meta.effective_from, r.meta.effective_to) for r in periods] == [
        (dt.date(2020, 3, 1), dt.date(2025, 12, 31)), (dt.date(2026, 1, 1), dt.date(2027, 12, 31))]
    debtor = make_debtor("D1")
    assert PackSet([pack]).rules_for(debtor, dt.date(2020, 2, 29)) == ()
    assert PackSet([pack]).rules_for(debtor, dt.date(2028, 1, 1)) == ()


def test_the_value_citation_is_worded_in_the_readers_language():
    packs, debtor = _pack(), make_debtor("D1")
    day = dt.date(2026, 1, 1)
    use_language("pt-BR")
    try:
        (v,) = audit_plan(_contacts(day, 3), {"D1": debtor}, packs, day)
    finally:
        use_language("en")
    assert v.citation == "Lei 1/2020 art. 1 (pt); Lei 2/2025 art. 3 (máx. 3 -> 2)"


def test_rules_show_prints_the_history(tmp_path):
    path = tmp_path / "dated.toml"
    path.write_text(HEAD + VALUES + MORE, encoding="utf-8")
    result = CliRunner().invoke(app, ["rules", "show", str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("dated.daily") == 1
    assert "rule until 2025-12-31: at most 3 a local day" in out
    assert "rule from 2026-01-01: at most 2 a local day" in out
    assert "citation: Lei 2/2025 art. 3 (max 3 -> 2)" in out
    assert "rule from 2026-07-01: at most 2 a local day, the day's earlier attempts included; counts inbound and " \
           "outbound attempts" in out
    listed = CliRunner().invoke(app, ["rules", "list", "--policy", str(path)])
    assert listed.exit_code == 0 and listed.output.count("dated.daily") == 1
    assert "values change on 2026-01-01, 2026-07-01" in " ".join(listed.output.split())


@pytest.mark.parametrize(("values", "where", "says"), [
    ('[[rule.values]]\nfrom = 2026-01-01\nparams = { max = 2 }\n', "values[0].citation", "is required"),
    ('[[rule.values]]\nparams = { max = 2 }\ncitation = "x"\n', "values[0].from", "is required"),
    ('[[rule.values]]\nfrom = 2026-01-01\ncitation = "x"\n', "values[0].params", "is required"),
    ('[[rule.values]]\nfrom = 2026-01-01\nparams = {}\ncitation = "x"\n', "values[0].params", "at least one"),
    ('[[rule.values]]\nfrom = 2026-01-01\nparams = { max = 2 }\ncitation = " "\n', "values[0].citation", "blank"),
    ('[[rule.values]]\nfrom = 2026-01-01\nparams = { max = 2 }\ncitation = "x"\nwhy = "y"\n', "values[0].why",
     "unknown key"),
    ('[[rule.values]]\nfrom = "2026-01-01"\nparams = { max = 2 }\ncitation = "x"\n', "values[0].from", "date"),
    ('[[rule.values]]\nfrom = 2026-01-01T00:00:00\nparams = { max = 2 }\ncitation = "x"\n', "values[0].from",
     "not a date and time"),
    ('[[rule.values]]\nfrom = 2026-01-01\nparams = { maxx = 2 }\ncitation = "x"\n', "values[0].params.maxx",
     "unknown parameter"),
    ('[[rule.values]]\nfrom = 2026-01-01\nparams = { max = -1 }\ncitation = "x"\n', "values[0].params.max",
     "0 or more"),
    (VALUES + VALUES, "values[1].from", "must be after 2026-01-01"),
    (MORE + VALUES, "values[1].from", "must be after 2026-07-01"),
])
def test_values_are_strictly_validated(values, where, says):
    with pytest.raises(InputError) as caught:
        parse_pack(HEAD + values, "dated.toml")
    text = str(caught.value)
    assert f"rule[0] (dated.daily).{where}" in text and says in text, text


def test_a_value_must_fall_inside_the_rules_effective_dates():
    early = HEAD.replace('severity = "law"', 'severity = "law"\neffective_from = 2026-01-01')
    with pytest.raises(InputError, match=r"values\[0\]\.from: must be after the rule's effective_from 2026-01-01"):
        parse_pack(early + VALUES, "dated.toml")
    late = HEAD.replace('severity = "law"', 'severity = "law"\neffective_to = 2025-06-30')
    with pytest.raises(InputError, match=r"values\[0\]\.from.*after the rule's effective_to 2025-06-30"):
        parse_pack(late + VALUES, "dated.toml")


def test_the_base_params_are_still_validated_on_their_own():
    with pytest.raises(InputError, match=r"rule\[0\] \(dated.daily\)\.params\.max"):
        parse_pack(HEAD.replace("max = 3", "max = -3") + VALUES, "dated.toml")
