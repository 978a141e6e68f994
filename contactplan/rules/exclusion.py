"""exclusion: a debtor flag that forbids every contact on the covered channels.

Examples: do_not_contact (LGPD art. 18 §2; 12 CFR 1006.14(h)), cease_and_desist (15 U.S.C.
1692c(c)), bankruptcy (11 U.S.C. 362(a)(6) automatic stay), disputed (1692g(b)), deceased.

References:
    - Brazil: LGPD (Lei 13.709/2018) art. 18 §2 (opposition); Código de Defesa do Consumidor
      (Lei 8.078/1990) arts. 42 and 71 (insistent collection is constraint), art. 42 sole
      paragraph (undue charges repaid in double: a disputed debt), arts. 104-A to 104-C (Lei
      14.181/2021, over-indebtedness); Lei 11.101/2005 (insolvency); Código Civil art. 1.997
      (the estate, not the family, answers for a deceased debtor's debts).
    - USA: 15 U.S.C. 1692c(c) (cease communication), 1692c(a)(2) (represented by an attorney),
      1692g(b) (disputed, until verified); 11 U.S.C. 362(a)(6) (the bankruptcy stay); 12 CFR
      1006.14(h) (the consumer's refusal of a medium).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Debtor, PlannedContact
from contactplan.rules.base import Context, GateRule, ParamError, Violation, no_extra, take

FLAGS = ("do_not_contact", "cease_and_desist", "disputed", "bankruptcy", "deceased", "attorney_represented")


@dataclass(frozen=True)
class Exclusion(GateRule):
    kind = "exclusion"
    store_blind = True  # reads the debtor file and the calendar only
    contact_wise = True
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> Exclusion:
        no_extra(params, {"flag"})
        flag = take(params, "flag", str)
        if flag not in FLAGS:
            raise ParamError("flag", tr("must be one of {names}", names=", ".join(FLAGS)))
        return cls(meta, {"flag": flag})

    # --- generation -----------------------------------------------------------------------
    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        # A flag that covers only some channels removes those channels, not the debtor (GateRule).
        return tr("{flag} is set", flag=self.params["flag"]) if self.params["flag"] in debtor.flags else None

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if self.params["flag"] not in debtor.flags:
            return []
        return [self.violation(debtor, tr("{channel} contact planned while {flag} is set", channel=c.channel,
                                          flag=self.params["flag"]), c)
                for c in self.relevant(contacts)]
