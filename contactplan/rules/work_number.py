"""work_number: no contact on the work number once the debtor asked not to be called at work
(the debtor flag ``flag``, ``no_work_calls`` by default).

References:
    - Brazil: Código de Defesa do Consumidor (Lei 8.078/1990) art. 71 (collection may not
      "interfira com seu trabalho"); LGPD (Lei 13.709/2018) art. 18 §2 (opposition).
    - USA: 15 U.S.C. 1692c(a)(3) and 12 CFR 1006.6(b)(3): no communication at the consumer's
      place of employment when the collector knows or has reason to know the employer prohibits
      it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Channel, Debtor, Destination, LineType, PlannedContact
from contactplan.rules.base import Context, Rule, Violation, no_extra, take
from contactplan.rules.consent import destination_of


@dataclass(frozen=True)
class WorkNumber(Rule):

    kind = "work_number"
    store_blind = True  # reads the debtor file and the calendar only
    contact_wise = True
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> WorkNumber:
        no_extra(params, {"flag"})
        return cls(meta, {"flag": take(params, "flag", str, "no_work_calls")})

    # --- generation -----------------------------------------------------------------------
    def destination_ok(self, debtor: Debtor, channel: Channel, dest: Destination, ctx: Context) -> str | None:
        if self.covers(channel) and dest.line_type is LineType.WORK and self.params["flag"] in debtor.flags:
            return tr("{flag} is set", flag=self.params["flag"])
        return None

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if self.params["flag"] not in debtor.flags:
            return []  # the debtor did not ask: every number may be called
        out = []
        for c in self.relevant(contacts):
            dest = destination_of(debtor, c)
            if dest and self.destination_ok(debtor, c.channel, dest, ctx):
                out.append(self.violation(debtor, tr("{channel} to the work number while {flag} is set",
                                                     channel=c.channel, flag=self.params["flag"]), c))
        return out
