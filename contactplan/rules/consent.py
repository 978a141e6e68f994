"""consent: which destinations a channel may use for this debtor.

consent ``mode = "opt_in"`` needs an explicit yes (WhatsApp business-initiated messages, Meta
opt-in policy; TCPA prior express consent for automated calls and texts to cell phones, 47 U.S.C.
227(b)(1)(A)(iii)); ``mode = "opt_out"`` allows unless the debtor said no (LGPD art. 18 §2
opposition). ``line_types = ["mobile"]`` limits the rule to numbers that may be wireless.

Dated opt-ins and revocations from the store (``contactplan consent import``) combine with the
debtor file's flag: the latest record of a (destination, channel) decides, a revocation always
wins over a file flag saying yes, an opt-in lets a debtor whose flag is blank be messaged, and a
file flag saying no is never overridden (a "no" anywhere wins, LGPD art. 18 §2; 47 CFR
64.1200(a)(10): consent may be revoked by any reasonable means).

References:
    - Brazil: LGPD (Lei 13.709/2018) art. 18 §2 (the data subject's opposition) and art. 8 §5
      (consent may be revoked at any time); Meta's WhatsApp Business policy: business-initiated
      messages need the person's opt-in.
    - USA: 47 U.S.C. 227(b)(1)(A)(iii) and 47 CFR 64.1200(a)(1)(iii) (prior express consent for
      autodialled or prerecorded calls and texts to a cell phone), 64.1200(a)(10) (revocation by
      any reasonable means); 12 CFR 1006.6(e) and 1006.14(h) (opting out of electronic
      communications, the consumer's chosen media).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import CONSENT_FIELDS, Channel, Debtor, Destination, PlannedContact, consent_refusal
from contactplan.rules.base import Context, ParamError, Rule, Violation, no_extra, take

def destination_of(debtor: Debtor, contact: PlannedContact) -> Destination | None:
    """The debtor file's destination a contact goes to, or None when the file does not list it."""
    return next((d for d in debtor.destinations if d.address == contact.destination), None)


@dataclass(frozen=True)
class Consent(Rule):
    kind = "consent"
    contact_wise = True
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> Consent:
        no_extra(params, {"field", "mode", "line_types"})
        field = take(params, "field", str)
        if field not in CONSENT_FIELDS:
            raise ParamError("field", tr("must be one of {names}", names=", ".join(CONSENT_FIELDS)))
        mode = take(params, "mode", str)
        if mode not in ("opt_in", "opt_out"):
            raise ParamError("mode", tr("must be {first} or {second}", first="opt_in", second="opt_out"))
        line_types = take(params, "line_types", list, [])
        if any(t != "mobile" for t in line_types):
            raise ParamError("line_types", tr('only ["mobile"] is supported'))
        return cls(meta, {"field": field, "mode": mode, "mobile_only": bool(line_types)})

    def store_quiet(self, debtor: Debtor, ctx: Context) -> bool:
        return not debtor.consent_records  # the file's consent columns alone decide

    @property
    def consent_field(self) -> str:
        return self.params["field"]

    # --- generation -----------------------------------------------------------------------
    def destination_ok(self, debtor: Debtor, channel: Channel, dest: Destination, ctx: Context) -> str | None:
        if not self.covers(channel) or (self.params["mobile_only"] and not dest.maybe_mobile):
            return None
        return consent_refusal(debtor, self.params["field"], self.params["mode"], channel, dest.address)

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        out = []
        covered = self.covered_channels  # relevant(), inlined: four consent rules look at every debtor
        for c in contacts:
            if c.channel not in covered:
                continue
            dest = destination_of(debtor, c)
            if dest is None or (self.params["mobile_only"] and not dest.maybe_mobile):
                continue
            # A plan is still to be run: every record known now holds. A logged attempt is judged
            # by the records made before it.
            reason = consent_refusal(debtor, self.params["field"], self.params["mode"], c.channel, dest.address,
                                     before=c.attempted_at)
            if reason:
                out.append(self.violation(debtor, tr("{channel} to {column}: {reason}", channel=c.channel,
                                                     column=dest.column, reason=reason), c))
        return out
