"""The debtors' rows: one person per debtor (where they live, how to reach them, consents and
flags) and one row per account, the person's columns repeated as the reader's merge expects."""

from __future__ import annotations

from datetime import date

import numpy as np

from contactplan.generate.columns import DEBTOR_COLUMNS, SEGMENTS
from contactplan.generate.country import Country
from contactplan.generate.draws import choice, flags, take
from contactplan.generate.geography import Geography
from contactplan.generate.phones import phone_column

# --------------------------------------------------------------------------------------------
# Shared distributions (shares are per debtor)
# --------------------------------------------------------------------------------------------

PHONE_SHARES = {"phone_mobile": 0.85, "phone_home": 0.40, "phone_work": 0.15}
EMAIL_SHARE = 0.55
MULTI_ACCOUNT_SHARE = 0.12
FLAG_SHARES = {
    "no_work_calls": 0.05,
    "do_not_contact": 0.02,
    "cease_and_desist": 0.01,
    "disputed": 0.02,
    "bankruptcy": 0.005,
    "deceased": 0.003,
    "attorney_represented": 0.005,
}
# (true, false); the rest is blank, i.e. "unknown" to the consent rules.
CONSENT_SHARES = {
    "sms_consent": (0.35, 0.05),
    "whatsapp_consent": (0.45, 0.15),
    "email_consent": (0.40, 0.05),
    "autodial_consent": (0.50, 0.10),
}
SEGMENT_WEIGHTS = (0.35, 0.25, 0.25, 0.15)
PREFERRED_CHANNELS = ("", "voice", "sms", "whatsapp", "email")
PREFERRED_CHANNEL_WEIGHTS = (0.85, 0.05, 0.03, 0.05, 0.02)
PREFERRED_WINDOWS = ("", "09:00-12:00", "18:00-20:00")
PREFERRED_WINDOW_WEIGHTS = (0.90, 0.05, 0.05)
BALANCE_MEDIAN, BALANCE_SIGMA, BALANCE_MIN, BALANCE_MAX = 1500.0, 1.0, 50.0, 100_000.0
# Lognormal days past due: median ~4 months, a thin tail past the 5-year (1825-day) mark where
# limitation periods start to matter.
DPD_MEDIAN, DPD_SIGMA, DPD_MAX = 120.0, 1.1, 2000
P_PAY_ALPHA, P_PAY_BETA = 1.6, 9.0  # mean 0.151

# --------------------------------------------------------------------------------------------
# Debtor rows
# --------------------------------------------------------------------------------------------


def debtor_rows(
    rng: np.random.Generator, n: int, spec: Country, as_of: date
) -> list[dict[str, str]]:
    person = _person_columns(rng, n, spec)
    n_accounts = _accounts_per_debtor(rng, n)
    owner = np.repeat(np.arange(n), n_accounts)
    account = _account_columns(rng, len(owner), as_of)
    owner_list = owner.tolist()
    columns = [
        account[name] if name in account else take(person[name], owner_list)
        for name in DEBTOR_COLUMNS
    ]
    return [dict(zip(DEBTOR_COLUMNS, values, strict=True)) for values in zip(*columns)]


def _person_columns(rng: np.random.Generator, n: int, spec: Country) -> dict[str, list[str]]:
    numbers = np.arange(1, n + 1)
    geo = spec.geography(rng, n)
    cols: dict[str, list[str]] = {
        "debtor_id": [f"D{i:07d}" for i in numbers],
        "name": [f"Debtor {i:06d}" for i in numbers],
        "country": [spec.code] * n,
        "region": geo.region,
        "city": geo.city,
        "municipality_code": geo.municipality_code,
        "language": [spec.language] * n,
    }
    cols.update(_contact_columns(rng, n, spec, geo))
    cols["p_pay"] = [f"{p:.3f}" for p in rng.beta(P_PAY_ALPHA, P_PAY_BETA, n)]
    cols["segment"] = choice(rng, SEGMENTS, SEGMENT_WEIGHTS, n)
    cols["preferred_channel"] = _preferred_channel(rng, cols)
    cols["preferred_window"] = choice(rng, PREFERRED_WINDOWS, PREFERRED_WINDOW_WEIGHTS, n)
    for name, (p_true, p_false) in CONSENT_SHARES.items():
        cols[name] = choice(rng, ("true", "false", ""), (p_true, p_false, 1 - p_true - p_false), n)
    for name, share in FLAG_SHARES.items():
        cols[name] = flags(rng, share, n)
    return cols


def _contact_columns(
    rng: np.random.Generator, n: int, spec: Country, geo: Geography
) -> dict[str, list[str]]:
    has = {name: rng.random(n) < share for name, share in PHONE_SHARES.items()}
    has_email = rng.random(n) < EMAIL_SHARE
    # The contract needs at least one way to reach a debtor; those without a phone get e-mail.
    has_email |= ~(has["phone_mobile"] | has["phone_home"] | has["phone_work"])
    cols = {
        name: phone_column(rng, spec, geo.mobile_area if name == "phone_mobile" else geo.home_area,
                           mask, "mobile" if name == "phone_mobile" else "fixed")
        for name, mask in has.items()
    }
    cols["email"] = [f"d{i:07d}@example.com" if e else "" for i, e in enumerate(has_email, 1)]
    return cols


def _preferred_channel(rng: np.random.Generator, cols: dict[str, list[str]]) -> list[str]:
    """A stated preference only for a channel the debtor can actually be reached on."""
    wanted = choice(rng, PREFERRED_CHANNELS, PREFERRED_CHANNEL_WEIGHTS, len(cols["email"]))
    reachable = {
        "voice": lambda i: bool(cols["phone_mobile"][i] or cols["phone_home"][i]),
        "sms": lambda i: bool(cols["phone_mobile"][i]),
        "whatsapp": lambda i: bool(cols["phone_mobile"][i]),
        "email": lambda i: bool(cols["email"][i]),
    }
    return [w if not w or reachable[w](i) else "" for i, w in enumerate(wanted)]


def _accounts_per_debtor(rng: np.random.Generator, n: int) -> np.ndarray:
    multi = rng.random(n) < MULTI_ACCOUNT_SHARE
    extra = rng.integers(1, 3, n)  # 1 or 2 extra accounts -> 2-3 rows
    return 1 + np.where(multi, extra, 0)


def _account_columns(rng: np.random.Generator, n_rows: int, as_of: date) -> dict[str, list[str]]:
    balance = rng.lognormal(np.log(BALANCE_MEDIAN), BALANCE_SIGMA, n_rows)
    balance = np.clip(balance, BALANCE_MIN, BALANCE_MAX)
    dpd = np.rint(rng.lognormal(np.log(DPD_MEDIAN), DPD_SIGMA, n_rows))
    dpd = np.clip(dpd, 1, DPD_MAX).astype(np.int64)
    due = np.datetime64(as_of, "D") - dpd.astype("timedelta64[D]")
    return {
        "account_id": [f"A{i:08d}" for i in range(1, n_rows + 1)],
        "balance": [f"{b:.2f}" for b in balance],
        "days_past_due": [str(d) for d in dpd.tolist()],
        "due_date": due.astype(str).tolist(),
    }
