"""exclusion: a debtor flag that forbids every contact on the covered channels.

Examples: do_not_contact (LGPD art. 18 §2; 12 CFR 1006.14(h)), cease_and_desist (15 U.S.C.
1692c(c)), bankruptcy (11 U.S.C. 362(a)(6) automatic stay), disputed (1692g(b)), deceased.
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
    contact_wise = True
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> Exclusion:
        no_extra(params, {"flag"})
        flag = take(params, "flag", str)
        if flag not in FLAGS:
            raise ParamError("flag", tr("must be one of {names}", names=", ".join(FLAGS)))
        return cls(meta, {"flag": flag})

    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        # A flag that covers only some channels removes those channels, not the debtor (GateRule).
        return tr("{flag} is set", flag=self.params["flag"]) if self.params["flag"] in debtor.flags else None

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if self.params["flag"] not in debtor.flags:
            return []
        return [self.violation(debtor, tr("{channel} contact planned while {flag} is set", channel=c.channel,
                                          flag=self.params["flag"]), c)
                for c in self.relevant(contacts)]


@dataclass(frozen=True)
class DebtAge(GateRule):
    """debt_age: no collection contact once the debt is older than ``max_days_past_due``.

    Brazil: STJ 3ª Turma (REsp 2.088.100/SP, 2023) bars extrajudicial collection of prescribed
    debt (5 years, CC art. 206 §5 I; binding thesis pending, Tema 1.264); Febraban SARB 27/2023
    bars phone collection after 1,825 days. A debtor without ``days_past_due`` is not blocked.
    """

    kind = "debt_age"
    contact_wise = True

    @classmethod
    def build(cls, meta, params: dict) -> DebtAge:
        no_extra(params, {"max_days_past_due"})
        limit = take(params, "max_days_past_due", int)
        if limit < 0:
            raise ParamError("max_days_past_due", tr("must be 0 or more"))
        return cls(meta, {"max": limit})

    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        dpd = debtor.days_past_due
        if dpd is not None and dpd > self.params["max"]:
            return tr("debt is {days} days past due; no collection contact after {max} days", days=dpd,
                      max=self.params["max"])
        return None

    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        why = self.gate(debtor, ctx)
        return [self.violation(debtor, tr("{channel} contact: {reason}", channel=c.channel, reason=why), c)
                for c in self.relevant(contacts)] if why else []
