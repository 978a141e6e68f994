"""debt_age: no collection contact once the debt is older than ``max_days_past_due``. A debtor
without ``days_past_due`` is not blocked.

References:
    - Brazil: Código Civil art. 206 §5 I (five years for debts in a written instrument); STJ 3ª
      Turma, REsp 2.088.100/SP (October 2023): no extrajudicial collection of a prescribed debt
      (binding thesis pending, Tema 1.264); Febraban Normativo SARB 27/2023 (no telephone
      collection after 1,825 days; low confidence, secondary sources: narrows only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Debtor, PlannedContact
from contactplan.rules.base import Context, GateRule, ParamError, Violation, no_extra, take


@dataclass(frozen=True)
class DebtAge(GateRule):

    kind = "debt_age"
    store_blind = True  # reads the debtor file and the calendar only
    contact_wise = True

    @classmethod
    def build(cls, meta, params: dict) -> DebtAge:
        no_extra(params, {"max_days_past_due"})
        limit = take(params, "max_days_past_due", int)
        if limit < 0:
            raise ParamError("max_days_past_due", tr("must be 0 or more"))
        return cls(meta, {"max": limit})

    # --- generation -----------------------------------------------------------------------
    def gate(self, debtor: Debtor, ctx: Context) -> str | None:
        dpd = debtor.days_past_due
        if dpd is not None and dpd > self.params["max"]:
            return tr("debt is {days} days past due; no collection contact after {max} days", days=dpd,
                      max=self.params["max"])
        return None

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        why = self.gate(debtor, ctx)
        return [self.violation(debtor, tr("{channel} contact: {reason}", channel=c.channel, reason=why), c)
                for c in self.relevant(contacts)] if why else []
