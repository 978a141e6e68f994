"""The synthetic portfolio generator: determinism, realism where the planner depends on it, files."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict

import phonenumbers
import pytest

from contactplan.generate import (
    ACCOUNT_COLUMNS,
    AGENT_COLUMNS,
    DEBTOR_COLUMNS,
    generate_portfolio,
    write_portfolio,
)
from contactplan.timezones import (
    AM_WEST_MUNICIPALITIES,
    BRAZIL_UFS,
    DDDS_BY_UF,
    IBGE_STATE_PREFIX,
    US_STATES,
)

PHONE_COLUMNS = ("phone_mobile", "phone_home", "phone_work")
CONTACT_COLUMNS = (*PHONE_COLUMNS, "email")
BOOL_COLUMNS = (
    "no_work_calls", "do_not_contact", "cease_and_desist", "disputed", "bankruptcy", "deceased",
    "attorney_represented",
)  # fmt: skip
CONSENT_COLUMNS = ("sms_consent", "whatsapp_consent", "email_consent", "autodial_consent")


@pytest.fixture(scope="module")
def br() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    return generate_portfolio(2000, seed=11)


@pytest.fixture(scope="module")
def us() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    return generate_portfolio(1500, seed=11, country="US")


def by_debtor(rows: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        grouped[row["debtor_id"]].append(row)
    return grouped


def phones(rows: list[dict[str, str]]):
    for row in rows:
        for column in PHONE_COLUMNS:
            if row[column]:
                yield row, column, row[column]


# --- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize("country", ["BR", "US"])
def test_same_seed_gives_identical_rows(country: str) -> None:
    assert generate_portfolio(300, 5, country) == generate_portfolio(300, 5, country)


def test_different_seed_gives_different_rows() -> None:
    first, _ = generate_portfolio(300, 5)
    second, _ = generate_portfolio(300, 6)
    assert first != second


# --- shape -------------------------------------------------------------------------------------


def test_rows_have_exactly_the_contract_columns(br, us) -> None:
    for debtors, agents in (br, us):
        assert all(tuple(row) == DEBTOR_COLUMNS for row in debtors)
        assert all(tuple(row) == AGENT_COLUMNS for row in agents)
        assert all(isinstance(v, str) for row in debtors + agents for v in row.values())


def test_debtor_count_is_persons_not_accounts(br) -> None:
    debtors, _ = br
    assert len(by_debtor(debtors)) == 2000
    assert len({row["account_id"] for row in debtors}) == len(debtors)


@pytest.mark.parametrize("n", [0, 1, 26, 27])
def test_tiny_portfolios(n: int) -> None:
    debtors, agents = generate_portfolio(n, 1)
    assert len(by_debtor(debtors)) == n
    assert len(agents) == 4
    if n >= len(BRAZIL_UFS):
        assert {row["region"] for row in debtors} == set(BRAZIL_UFS)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="country"):
        generate_portfolio(10, 1, "XX")
    with pytest.raises(ValueError, match="n_debtors"):
        generate_portfolio(-1, 1)


# --- Brazilian geography -----------------------------------------------------------------------


def test_all_27_ufs_present_weighted_by_population(br) -> None:
    debtors, _ = br
    per_uf = Counter(rows[0]["region"] for rows in by_debtor(debtors).values())
    assert set(per_uf) == set(BRAZIL_UFS) and len(per_uf) == 27
    assert 0.19 < per_uf["SP"] / 2000 < 0.25
    assert per_uf["SP"] > per_uf["MG"] > per_uf["RR"]


def test_small_states_present_at_500() -> None:
    debtors, _ = generate_portfolio(500, 3)
    assert {"RR", "AP", "AC"} <= {row["region"] for row in debtors}


def test_municipality_code_prefix_matches_uf(br) -> None:
    debtors, _ = br
    coded = [row for row in debtors if row["municipality_code"]]
    for row in coded:
        assert re.fullmatch(r"\d{7}", row["municipality_code"])
        assert IBGE_STATE_PREFIX[row["municipality_code"][:2]] == row["region"]
    blank_share = 1 - len(coded) / len(debtors)
    assert 0.06 < blank_share < 0.14


def test_western_amazonas_is_represented(br) -> None:
    debtors, _ = br
    am = [row for row in debtors if row["region"] == "AM"]
    west = [row for row in am if row["municipality_code"] in AM_WEST_MUNICIPALITIES]
    assert west and len(west) < len(am) / 2


def test_br_phones_valid_and_area_code_in_debtor_uf(br) -> None:
    debtors, _ = br
    seen_styles = set()
    for row, column, text in phones(debtors):
        number = phonenumbers.parse(text, "BR")
        assert phonenumbers.is_valid_number(number), text
        nsn = str(number.national_number)
        assert nsn[:2] in DDDS_BY_UF[row["region"]], (text, row["region"])
        if column == "phone_mobile":
            assert len(nsn) == 11 and nsn[2] == "9", text
        else:
            assert len(nsn) == 10 and nsn[2] in "2345", text
        seen_styles.add(_style(text))
    assert seen_styles == {"+55 spaced", "(DDD)", "digits", "E.164"}


def _style(text: str) -> str:
    if text.startswith("+55 "):
        return "+55 spaced"
    if text.startswith("+"):
        return "E.164"
    return "(DDD)" if text.startswith("(") else "digits"


# --- contacts, accounts, values ----------------------------------------------------------------


def test_every_debtor_has_a_contact_method(br, us) -> None:
    for debtors, _ in (br, us):
        assert all(any(row[c] for c in CONTACT_COLUMNS) for row in debtors)


def test_channel_mix(br) -> None:
    debtors, _ = br
    persons = [rows[0] for rows in by_debtor(debtors).values()]
    share = {c: sum(bool(p[c]) for p in persons) / len(persons) for c in CONTACT_COLUMNS}
    assert 0.80 < share["phone_mobile"] < 0.90
    assert 0.34 < share["phone_home"] < 0.46
    assert 0.11 < share["phone_work"] < 0.19
    assert any(p["email"] and not any(p[c] for c in PHONE_COLUMNS) for p in persons)
    assert all(p["email"].endswith("@example.com") for p in persons if p["email"])


def test_multi_account_debtors_share_personal_columns(br) -> None:
    debtors, _ = br
    groups = by_debtor(debtors)
    multi = [rows for rows in groups.values() if len(rows) > 1]
    assert 0.08 < len(multi) / len(groups) < 0.16
    assert {len(rows) for rows in multi} == {2, 3}
    personal = [c for c in DEBTOR_COLUMNS if c not in ACCOUNT_COLUMNS]
    for rows in multi:
        assert len({tuple(r[c] for c in personal) for r in rows}) == 1
        assert len({r["account_id"] for r in rows}) == len(rows)


def test_value_ranges(br) -> None:
    debtors, _ = br
    for row in debtors:
        assert re.fullmatch(r"D\d{7}", row["debtor_id"])
        assert re.fullmatch(r"\d+\.\d{2}", row["balance"])
        assert 50 <= float(row["balance"]) <= 100_000
        assert 1 <= int(row["days_past_due"]) <= 2000
        assert re.fullmatch(r"[01]\.\d{3}", row["p_pay"]) and 0 <= float(row["p_pay"]) <= 1
        assert row["segment"] in {"cards", "personal_loan", "telecom", "retail"}
        assert row["preferred_channel"] in {"", "voice", "sms", "whatsapp", "email"}
        assert row["preferred_window"] in {"", "09:00-12:00", "18:00-20:00"}
        assert (row["country"], row["language"]) == ("BR", "pt")
        assert all(row[c] in {"true", "false"} for c in BOOL_COLUMNS)
        assert all(row[c] in {"true", "false", ""} for c in CONSENT_COLUMNS)
    balances = sorted(float(row["balance"]) for row in debtors)
    assert 1000 < balances[len(balances) // 2] < 2200
    mean_p = sum(float(row["p_pay"]) for row in debtors) / len(debtors)
    assert 0.12 < mean_p < 0.18


def test_due_date_is_days_past_due_before_as_of() -> None:
    import datetime as dt

    as_of = dt.date(2025, 3, 1)
    debtors, _ = generate_portfolio(50, 2, as_of=as_of)
    for row in debtors:
        due = dt.date.fromisoformat(row["due_date"])
        assert (as_of - due).days == int(row["days_past_due"])


# --- agents ------------------------------------------------------------------------------------


def test_br_agents(br) -> None:
    _, agents = br
    assert len(agents) == 40
    assert {a["pool"] for a in agents} == {"early", "late", "weekend", "specialists"}
    zones = Counter(a["timezone"] for a in agents)
    assert zones["America/Manaus"] >= 1 and zones["America/Sao_Paulo"] > zones["America/Manaus"]
    assert all(8 <= int(a["contacts_per_hour"]) <= 14 for a in agents)
    assert all(a["languages"] == "pt" and a["days"] in {"Mon-Fri", "Mon-Sat"} for a in agents)
    late = next(a for a in agents if a["pool"] == "late")
    assert (late["shift_start"], late["shift_end"], late["break_start"]) == ("14:00", "20:00", "17:00")
    specialist = next(a for a in agents if a["pool"] == "specialists")
    assert specialist["segments"] == "cards;personal_loan"


# --- USA ---------------------------------------------------------------------------------------


def test_us_phones_valid_and_rows_american(us) -> None:
    debtors, agents = us
    for _, _, text in phones(debtors):
        number = phonenumbers.parse(text, "US")
        assert phonenumbers.is_valid_number(number), text
        assert phonenumbers.region_code_for_number(number) == "US", text
    assert {row["region"] for row in debtors} <= set(US_STATES)
    assert {"TX", "FL", "CA", "NY"} <= {row["region"] for row in debtors}
    assert all(row["municipality_code"] == "" for row in debtors)
    assert all((row["country"], row["language"]) == ("US", "en") for row in debtors)
    assert {a["timezone"] for a in agents} == {"America/New_York", "America/Chicago"}
    assert all(a["languages"] == "en;es" for a in agents)


# --- files -------------------------------------------------------------------------------------


def test_write_portfolio_writes_both_files_with_exact_header(tmp_path) -> None:
    target = tmp_path / "nested" / "portfolio"
    debtors_path, agents_path = write_portfolio(target, 120, 9)
    assert (debtors_path, agents_path) == (target / "debtors.csv", target / "agents.csv")
    assert sorted(p.name for p in target.iterdir()) == ["agents.csv", "debtors.csv"]  # no temps
    expected_debtors, expected_agents = generate_portfolio(120, 9)
    for path, columns, expected in (
        (debtors_path, DEBTOR_COLUMNS, expected_debtors),
        (agents_path, AGENT_COLUMNS, expected_agents),
    ):
        text = path.read_text(encoding="utf-8")
        assert text.splitlines()[0] == ",".join(columns)
        with path.open(encoding="utf-8", newline="") as fh:
            assert list(csv.DictReader(fh)) == expected


def test_write_portfolio_replaces_existing_files(tmp_path) -> None:
    write_portfolio(tmp_path, 50, 1)
    debtors_path, _ = write_portfolio(tmp_path, 10, 2)
    with debtors_path.open(encoding="utf-8", newline="") as fh:
        assert len(by_debtor(list(csv.DictReader(fh)))) == 10


def test_pools_split_agents_into_teams_with_one_segment_set_each():
    from collections import defaultdict

    from contactplan.generate import SEGMENTS, generate_portfolio

    _, agents = generate_portfolio(5000, seed=3, pools=50)
    segments = defaultdict(set)
    for a in agents:
        segments[a["pool"]].add(a["segments"])
    assert len(segments) == 50 and all(len(s) == 1 for s in segments.values())  # the agents reader's rule
    served = {next(iter(s)) for s in segments.values()}
    assert "*" in served and set(SEGMENTS) <= served
    assert len(agents) == len(generate_portfolio(5000, seed=3)[1])  # the same agents, regrouped
    with pytest.raises(ValueError, match="pools"):
        generate_portfolio(100, seed=3, pools=50)
