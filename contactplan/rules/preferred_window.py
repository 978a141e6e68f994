"""preferred_window: when the debtor said when to call (the ``preferred_window`` column, local
time), contact only then.

References:
    - USA: 15 U.S.C. 1692c(a)(1) and 12 CFR 1006.6(b)(1)(i): a collector may not communicate at
      a time it knows or should know is inconvenient to the consumer; a time the debtor named
      tells it which times are.
    - Brazil: Código de Defesa do Consumidor (Lei 8.078/1990) art. 71 (no interference with
      work, rest or leisure) and LGPD (Lei 13.709/2018) art. 18 §2 (opposition): a courtesy the
      debtor asked for.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from contactplan.i18n import tr
from contactplan.model import Channel, Debtor, PlannedContact
from contactplan.rules.base import Context, Interval, Rule, Violation, no_extra
from contactplan.rules.local_time import local_end, local_windows


@dataclass(frozen=True)
class PreferredWindow(Rule):
    kind = "preferred_window"
    store_blind = True  # reads the debtor file and the calendar only
    contact_wise = True
    regional = False

    @classmethod
    def build(cls, meta, params: dict) -> PreferredWindow:
        no_extra(params, set())
        return cls(meta, {})

    # --- generation -----------------------------------------------------------------------
    def allowed(self, debtor: Debtor, channel: Channel, ctx: Context) -> list[Interval] | None:
        if not self.covers(channel) or debtor.preferred_window is None:
            return None
        return local_windows(debtor, ctx.plan_date, [debtor.preferred_window])

    # --- specification --------------------------------------------------------------------
    def check(self, debtor: Debtor, contacts: Sequence[PlannedContact], ctx: Context) -> list[Violation]:
        """A violation for each contact whose window is not inside the preferred local window in
        every candidate zone (said once, for the first zone where it is not)."""
        if debtor.preferred_window is None:
            return []
        start, end = debtor.preferred_window
        out = []
        for c in self.relevant(contacts):
            for name in debtor.zones:
                zone = ZoneInfo(name)
                s, e = c.window_start.astimezone(zone), c.window_end.astimezone(zone)
                if not (s.time() >= start and e <= local_end(s.date(), end, zone)):
                    out.append(self.violation(debtor, tr(
                        "{channel} window {start:%H:%M}-{end:%H:%M} local {zone} is outside the debtor's preferred "
                        "{preferred_start:%H:%M}-{preferred_end:%H:%M}", channel=c.channel, start=s, end=e,
                        zone=name, preferred_start=start, preferred_end=end), c))
                    break
        return out

    def memo_key(self, debtor: Debtor, ctx: Context) -> Hashable:
        return (debtor.preferred_window, debtor.zones)
