"""daily_cap: at most ``max`` contacts a local day on the covered channels, the day's earlier
attempts in the history included. A cap over one local day, so the same counting as
frequency_cap with ``window_days = 1`` (and its check).

References:
    - Mato Grosso, Lei 11.792/2022 art. 4: collection agencies may contact a debtor at most
      twice a day.
    - Brazil elsewhere: one contact a day is policy grounded in Código de Defesa do Consumidor
      (Lei 8.078/1990) arts. 42 and 71 (courts found dozens of calls a day abusive;
      rules-brazil.md §4.10).
"""

from __future__ import annotations

from dataclasses import dataclass

from contactplan.i18n import tr
from contactplan.model import Channel
from contactplan.rules.attempts import counts_text, directions, outcomes
from contactplan.rules.base import ParamError, no_extra, take
from contactplan.rules.frequency_cap import FrequencyCap


@dataclass(frozen=True)
class DailyCap(FrequencyCap):

    kind = "daily_cap"

    @classmethod
    def build(cls, meta, params: dict) -> DailyCap:
        no_extra(params, {"max", "not_counted", "directions"})
        limit = take(params, "max", int)
        if limit < 0:
            raise ParamError("max", tr("must be 0 or more"))
        return cls(meta, {"max": limit, "days": 1, "not_counted": outcomes(params, "not_counted", []),
                          "scope": "debtor", "line_types": None, "directions": directions(params, ["outbound"]),
                          "consented": "counted"})

    def summary(self) -> str:
        return tr("at most {max} a local day, the day's earlier attempts included; {counts}", max=self.params["max"],
                  counts=counts_text(self.params["directions"], self.params["not_counted"]))

    def daily_limit(self, channel: Channel) -> int | None:
        return self.params["max"] if self.covers(channel) else None
