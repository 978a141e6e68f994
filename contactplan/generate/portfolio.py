"""A portfolio: the two countries (``country.Country``: geography, phone numbers and their
formats, agent sites) and the two entry points, ``generate_portfolio`` and ``write_portfolio``."""

from __future__ import annotations

import csv
import io
import pathlib
from collections.abc import Sequence
from datetime import date

import numpy as np

from contactplan.generate.agents import agent_count, br_agents, into_teams, us_agents
from contactplan.generate.columns import AGENT_COLUMNS, DEBTOR_COLUMNS, PORTFOLIO_AS_OF
from contactplan.generate.country import Country
from contactplan.generate.debtors import debtor_rows
from contactplan.generate.geography import br_geography, us_geography
from contactplan.generate.phones import br_formats, draw_br_numbers, draw_us_numbers, us_formats
from contactplan.i18n import tr
from contactplan.io.plan_csv import write_bytes_atomic


COUNTRIES: dict[str, Country] = {
    "BR": Country(
        code="BR",
        language="pt",
        geography=br_geography,
        phone_region="BR",
        calling_code=55,
        draw_numbers=draw_br_numbers,
        formatters=br_formats(),
        format_weights=(0.30, 0.30, 0.25, 0.15),
        agents=br_agents,
    ),
    "US": Country(
        code="US",
        language="en",
        geography=us_geography,
        phone_region="US",
        calling_code=1,
        draw_numbers=draw_us_numbers,
        formatters=us_formats(),
        format_weights=(0.25, 0.30, 0.20, 0.15, 0.10),
        agents=us_agents,
    ),
}


def generate_portfolio(
    n_debtors: int,
    seed: int,
    country: str = "BR",
    *,
    as_of: date = PORTFOLIO_AS_OF,
    pools: int | None = None,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Generate a synthetic portfolio.

    Args:
        n_debtors: number of distinct debtors (persons); about 12 % of them get 2-3 account rows.
        seed: seed for ``numpy.random.default_rng``; equal inputs give equal output.
        country: "BR" or "US".
        as_of: the day ``due_date`` is counted back from (``days_past_due`` days before it).
        pools: split the agents into this many pools (teams of the four shift patterns, some
            serving one segment only); None keeps the four pools.

    Returns:
        ``(debtor_rows, agent_rows)``: string dicts keyed by ``DEBTOR_COLUMNS`` /
        ``AGENT_COLUMNS``, ready for ``csv.DictWriter``.

    Raises:
        ValueError: negative ``n_debtors`` or an unsupported country.
    """
    spec = _country_spec(country)
    if n_debtors < 0:
        raise ValueError(tr("n_debtors must be >= 0, got {n}", n=n_debtors))
    rng = np.random.default_rng(seed)
    debtors = debtor_rows(rng, n_debtors, spec, as_of)
    agents = spec.agents(rng, agent_count(n_debtors))
    if pools is not None:
        agents = into_teams(agents, pools)
    return debtors, agents


def write_portfolio(
    directory: pathlib.Path,
    n_debtors: int,
    seed: int,
    country: str = "BR",
    *,
    as_of: date = PORTFOLIO_AS_OF,
    pools: int | None = None,
) -> tuple[pathlib.Path, pathlib.Path]:
    """Write ``debtors.csv`` and ``agents.csv`` (UTF-8, comma, header) into ``directory``.

    Each file is written to a temporary file in the same directory and renamed into place, so a
    reader never sees half a file. Returns ``(debtors_path, agents_path)``.
    """
    directory = pathlib.Path(directory)
    debtors, agents = generate_portfolio(n_debtors, seed, country, as_of=as_of, pools=pools)
    directory.mkdir(parents=True, exist_ok=True)
    debtors_path = directory / "debtors.csv"
    agents_path = directory / "agents.csv"
    _write_csv_atomic(debtors_path, DEBTOR_COLUMNS, debtors)
    _write_csv_atomic(agents_path, AGENT_COLUMNS, agents)
    return debtors_path, agents_path


def _write_csv_atomic(
    path: pathlib.Path, columns: Sequence[str], rows: list[dict[str, str]]
) -> None:
    # Owner-only like every file contactplan writes: the phone numbers are random but valid,
    # so they may be real people's.
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([row[c] for c in columns] for row in rows)
    write_bytes_atomic(path, buf.getvalue().encode("utf-8"))


def _country_spec(country: str) -> Country:
    try:
        return COUNTRIES[country.upper()]
    except KeyError:
        raise ValueError(
            tr("unsupported country {country!r}; expected one of {expected}", country=country,
               expected=sorted(COUNTRIES))
        ) from None
