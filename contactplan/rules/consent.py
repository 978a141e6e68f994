"""consent and work_number: which destinations a channel may use for this debtor.

consent ``mode = "opt_in"`` needs an explicit yes (WhatsApp business-initiated messages, Meta
opt-in policy; TCPA prior express consent for automated calls and texts to cell phones, 47 U.S.C.
227(b)(1)(A)(iii)); ``mode = "opt_out"`` allows unless the debtor said no (LGPD art. 18 §2
opposition). ``line_types = ["mobile"]`` limits the rule to numbers that may be wireless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.model import Channel, Debtor, Destination, LineType, PlannedContact
from contactplan.rules.base import Context, ParamError, Rule, Violation, no_extra, take

CONSENT_FIELDS = ("sms_consent", "whatsapp_consent", "email_consent", "autodial_consent")


def _destination(debtor: Debtor, contact: PlannedContact) -> Destination | None:
    return next((d for d in debtor.destinations if d.address == contact.destination), None)


@dataclass(frozen=True)
class Consent(Rule):
    kind = "consent"
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> Consent:
        no_extra(params, {"field", "mode", "line_types"})
        field = take(params, "field", str)
        if field not in CONSENT_FIELDS:
            raise ParamError("field", f"must be one of {', '.join(CONSENT_FIELDS)}")
        mode = take(params, "mode", str)
        if mode not in ("opt_in", "opt_out"):
            raise ParamError("mode", "must be opt_in or opt_out")
        line_types = take(params, "line_types", list, [])
        if any(t != "mobile" for t in line_types):
            raise ParamError("line_types", "only [\"mobile\"] is supported")
        return cls(meta, {"field": field, "mode": mode, "mobile_only": bool(line_types)})

    def destination_ok(self, debtor: Debtor, channel: Channel, dest: Destination, ctx: Context) -> str | None:
        if not self.covers(channel) or (self.params["mobile_only"] and not dest.maybe_mobile):
            return None
        field, answer = self.params["field"], debtor.consents.get(self.params["field"])
        if answer is False:
            return f"{field} is false"
        if self.params["mode"] == "opt_in" and answer is not True:
            return f"no opt-in recorded ({field} is blank)"
        return None

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        out = []
        covered = self._covered  # relevant(), inlined: four consent rules look at every debtor
        for c in contacts:
            if c.channel not in covered:
                continue
            dest = _destination(debtor, c)
            reason = self.destination_ok(debtor, c.channel, dest, ctx) if dest else None
            if reason:
                out.append(self.violation(debtor, f"{c.channel} to {dest.column}: {reason}", c))
        return out


@dataclass(frozen=True)
class WorkNumber(Rule):
    """The debtor asked not to be called at work (CDC art. 71 "interfira com seu trabalho"; FDCPA 1692c(a)(3))."""

    kind = "work_number"
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> WorkNumber:
        no_extra(params, {"flag"})
        return cls(meta, {"flag": take(params, "flag", str, "no_work_calls")})

    def destination_ok(self, debtor: Debtor, channel: Channel, dest: Destination, ctx: Context) -> str | None:
        if self.covers(channel) and dest.line_type is LineType.WORK and self.params["flag"] in debtor.flags:
            return f"{self.params['flag']} is set"
        return None

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if self.params["flag"] not in debtor.flags:
            return []  # the debtor did not ask: every number may be called
        out = []
        for c in self.relevant(contacts):
            dest = _destination(debtor, c)
            if dest and self.destination_ok(debtor, c.channel, dest, ctx):
                out.append(self.violation(debtor, f"{c.channel} to the work number while {self.params['flag']} is set",
                                          c))
        return out
