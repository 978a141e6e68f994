"""What the generated files hold: their columns, in the order of the input contracts
(``debtors.csv``, ``agents.csv`` in DESIGN.md), and the fixed values some columns take."""

from __future__ import annotations

from datetime import date

DEBTOR_COLUMNS: tuple[str, ...] = (
    "debtor_id",
    "account_id",
    "name",
    "country",
    "region",
    "city",
    "municipality_code",
    "phone_mobile",
    "phone_home",
    "phone_work",
    "email",
    "balance",
    "days_past_due",
    "due_date",
    "p_pay",
    "segment",
    "language",
    "preferred_channel",
    "preferred_window",
    "no_work_calls",
    "sms_consent",
    "whatsapp_consent",
    "email_consent",
    "autodial_consent",
    "do_not_contact",
    "cease_and_desist",
    "disputed",
    "bankruptcy",
    "deceased",
    "attorney_represented",
)

AGENT_COLUMNS: tuple[str, ...] = (
    "agent_id",
    "pool",
    "shift_start",
    "shift_end",
    "timezone",
    "contacts_per_hour",
    "break_start",
    "break_end",
    "segments",
    "languages",
    "days",
)

# The generator has no notion of "today"; due dates are counted back from this fixed day so the
# same seed gives the same file on any machine and any date.
PORTFOLIO_AS_OF = date(2026, 1, 5)

# Columns that differ between the account rows of one debtor; every other column describes the
# person and is repeated verbatim, which is what the reader's merge step expects.
ACCOUNT_COLUMNS: tuple[str, ...] = ("account_id", "balance", "days_past_due", "due_date")

SEGMENTS = ("cards", "personal_loan", "telecom", "retail")
