"""Message batches a sender can use as they are: SMS text, e-mail template and subject, WhatsApp template.

An SMS batch carries the message itself, rendered from a template with ``{placeholders}``; an
e-mail batch the provider's template id and a rendered subject; a WhatsApp batch the approved
template's name, language and positional parameters. Only what a template names leaves the plan
(no name, no document), and an unknown placeholder is an error before anything is written.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo

from contactplan.i18n import tr
from contactplan.model import Debtor, PlannedContact

# What a template may use: the debtor's reference, the amount, and the window (local time).
PLACEHOLDERS = ("debtor_id", "balance", "window_start", "window_end", "plan_date")
WHATSAPP_PARAMS = ("debtor_id", "balance")

# GSM 03.38: an SMS of these characters is 160 a part (153 when split); any other character
# makes the whole message UCS-2, 70 a part (67 when split). The extension table counts twice.
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
           "abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENSION = set("^{}\\[~]|€\f")


class TemplateError(ValueError):
    """A template that cannot be rendered (the message names the placeholder, never a value)."""


def check_template(text: str, what: str) -> None:
    """Raise TemplateError if ``text`` uses a placeholder that is not one of PLACEHOLDERS."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        raise TemplateError(tr("{what}: {problem} (write a literal brace as {{{{ or }}}})", what=what, problem=exc)) \
            from None
    for name in fields:
        if name not in PLACEHOLDERS:
            raise TemplateError(tr("{what}: unknown placeholder {{{name}}}; it may use {placeholders}", what=what,
                                   name=name, placeholders=", ".join(f"{{{p}}}" for p in PLACEHOLDERS)))


def values(contact: PlannedContact, debtor: Debtor, plan_date) -> dict[str, str]:
    zone = ZoneInfo(contact.timezone)
    return {"debtor_id": contact.debtor_id, "balance": money(debtor.balance, debtor.country),
            "window_start": f"{contact.window_start.astimezone(zone):%H:%M}",
            "window_end": f"{contact.window_end.astimezone(zone):%H:%M}", "plan_date": plan_date.isoformat()}


def render(text: str, contact: PlannedContact, debtor: Debtor, plan_date) -> str:
    return text.format_map(values(contact, debtor, plan_date))


def sms_parts(text: str) -> int:
    """How many SMS a message takes (GSM-7 or UCS-2, with the concatenation header)."""
    if all(ch in _GSM or ch in _GSM_EXTENSION for ch in text):
        length = len(text) + sum(1 for ch in text if ch in _GSM_EXTENSION)
        return 1 if length <= 160 else -(-length // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def money(amount: Decimal, country: str) -> str:
    text = f"{amount.quantize(Decimal('0.01')):,.2f}"
    if country == "BR":
        return "R$ " + text.translate(str.maketrans(",.", ".,"))
    return "$" + text if country == "US" else text


def whatsapp_values(contact: PlannedContact, debtor: Debtor, params, plan_date) -> list[str]:
    found: Mapping[str, str] = values(contact, debtor, plan_date)
    return [found[p] for p in params]
