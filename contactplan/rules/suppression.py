"""suppression: the do-not-contact list kept in the store (``contactplan suppress``, and opt-out
outcomes imported with the history).

An entry names a debtor, a destination, or both, for one channel or all, with an optional
expiry. A debtor-wide entry for every channel removes the debtor; a channel entry removes the
channel; a destination entry removes only that phone or address (LGPD art. 18 §2 opposition;
12 CFR 1006.14(h) and 47 CFR 64.1200 revocation in the USA).

References:
    - Brazil: LGPD (Lei 13.709/2018) art. 18 §2 (opposition to processing); Código de Defesa do
      Consumidor (Lei 8.078/1990) art. 71.
    - USA: 12 CFR 1006.14(h) (a consumer's request not to be contacted through a medium);
      47 CFR 64.1200(a)(10) (revocation of consent by any reasonable means).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Channel, Debtor, Destination, PlannedContact, Suppression
from contactplan.rules.base import Context, Rule, Violation, no_extra


def _says(s: Suppression) -> str:
    scope = tr("every channel") if s.channel is None else str(s.channel)
    where = tr("this destination") if s.destination else tr("the debtor")
    if s.expires_on:
        return tr("suppressed ({where}, {scope} until {until}; source {source}: {reason})", where=where, scope=scope,
                  until=s.expires_on, source=s.source, reason=s.reason)
    return tr("suppressed ({where}, {scope}; source {source}: {reason})", where=where, scope=scope, source=s.source,
              reason=s.reason)


@dataclass(frozen=True)
class SuppressionList(Rule):
    kind = "suppression"
    regional = False
    only_with_store_data = True  # the list is the store's; nothing on it, nothing to block

    @classmethod
    def build(cls, meta, params: dict) -> SuppressionList:
        no_extra(params, set())
        return cls(meta, {})

    def store_quiet(self, debtor: Debtor, ctx: Context) -> bool:
        return not debtor.suppressions

    def _active(self, debtor: Debtor, ctx: Context) -> list[Suppression]:
        return [s for s in debtor.suppressions if s.active_on(ctx.plan_date)]

    # --- generation -----------------------------------------------------------------------
    def excludes(self, debtor: Debtor, ctx: Context) -> str | None:
        hit = next((s for s in self._active(debtor, ctx) if not s.destination and s.channel is None), None)
        return _says(hit) if hit and self.meta.channels == tuple(Channel) else None

    def channel_blocked(self, debtor: Debtor, channel: Channel, ctx: Context) -> str | None:
        if not debtor.suppressions or not self.covers(channel):
            return None
        hit = next((s for s in self._active(debtor, ctx)
                    if not s.destination and s.channel in (None, channel)), None)
        return _says(hit) if hit else None

    def destination_ok(self, debtor: Debtor, channel: Channel, dest: Destination, ctx: Context) -> str | None:
        # The store only loads entries active on the plan date (see store.load_for_plan), so no date here.
        if not debtor.suppressions or not self.covers(channel):
            return None
        hit = next((s for s in debtor.suppressions if s.destination == dest.address
                    and s.channel in (None, channel)), None)
        return _says(hit) if hit else None

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        if not debtor.suppressions:
            return []  # not on the list
        out = []
        for c in self.relevant(contacts):
            # A plan is still to be run, so every entry known now holds for it. An attempt a log
            # records is judged by the entries in force when it was made (on its own local day:
            # a log's contacts span many days): not backwards, so an opt-out never makes the
            # attempt that carried it a contact while suppressed.
            day = ctx.plan_date if c.attempted_at is None else c.window_start.date()
            hit = next((s for s in debtor.suppressions if s.active_on(day) and s.channel in (None, c.channel)
                        and s.destination in ("", c.destination)
                        and (s.since is None or c.attempted_at is None or c.attempted_at > s.since)), None)
            if hit:
                out.append(self.violation(debtor, tr("{channel} contact while {suppression}", channel=c.channel,
                                                     suppression=_says(hit)), c))
        return out
