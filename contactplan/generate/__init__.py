"""Synthetic debtor portfolios and agent rosters for demos, tests and benchmarks.

The output follows the input contracts in DESIGN.md (``debtors.csv``, ``agents.csv``) so the
same readers, rules and solver run on it as on a real export. Realism goes where the planner is
sensitive: the spread of debtors over states (and so over time zones and state laws), area codes
that agree with the state, the UTC-5 corner of Amazonas and the UTC-2 island, multi-account
debtors, mixed phone formats, missing optional values, and the rare exclusion flags.

Nothing here is personal data: names are "Debtor 000123", e-mails use the reserved
``example.com`` domain. Phone numbers are random but *valid* (``phonenumbers``) because the
readers reject invalid ones; they may therefore belong to real subscribers, so generated files
must never be fed to a live dialer.

Output depends only on ``(n_debtors, seed, country, as_of)``: one ``numpy.random.default_rng``
drives everything, and the clock is never read.

The pieces: ``columns`` (the files' columns and their fixed values), ``geography`` (where the
debtors live, from the CSV files beside it: population by UF and state, municipalities, cities
and their area codes), ``debtors`` (the people and their accounts), ``phones``, ``agents`` (the
roster and its pools), ``draws`` (the random helpers they share), ``country`` (what differs by
country) and ``portfolio`` (the two countries and the entry points re-exported here).
"""

from contactplan.generate.columns import ACCOUNT_COLUMNS, AGENT_COLUMNS, DEBTOR_COLUMNS, PORTFOLIO_AS_OF, SEGMENTS
from contactplan.generate.portfolio import generate_portfolio, write_portfolio

__all__ = [
    "ACCOUNT_COLUMNS",
    "AGENT_COLUMNS",
    "DEBTOR_COLUMNS",
    "PORTFOLIO_AS_OF",
    "SEGMENTS",
    "generate_portfolio",
    "write_portfolio",
]
