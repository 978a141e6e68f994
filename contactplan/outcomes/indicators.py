"""Collection indicators from imported outcomes: contact, right-party contact and promise rates.

Definitions (DESIGN.md, README "Indicators"), used by ``report`` and ``learn`` alike:

- an *attempt* is an outbound row of the history (a call the debtor placed or a message the
  debtor sent is not an attempt of the operation, so it is not counted at all);
- *connects*: someone answered or replied -- conversation, promise_to_pay, wrong_party,
  refused, opt_out, and callback_requested (the debtor spoke to ask for the call back);
- *rpc* (right-party contact): connects except wrong_party;
- *promises*: promise_to_pay;
- rates are per attempt; ``hour`` and ``weekday`` are local to the attempt, in the UTC offset
  it was recorded with (a 19:30-05:00 call in Rio Branco is hour 19, whatever the site's zone).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from contactplan.model import CONNECTS, Attempt, Direction, Outcome

KEYS = ("channel", "hour", "weekday", "pool", "segment", "region", "arm", "date")
COLUMNS = ("attempts", "connects", "rpc", "promises", "connect_rate", "rpc_rate", "ptp_rate")
RPC = CONNECTS - {Outcome.WRONG_PARTY}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# What a key reads when the attempt cannot be joined: no archived plan held the debtor that day
# (pool, arm), or the debtor is not in the --debtors file (segment, region).
UNPLANNED = "(unplanned)"
UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class Joined:
    """What an attempt is joined to: its debtor's segment and region, and the archived plan's
    pool and arm for the debtor on the attempt's day."""

    segment: str = UNKNOWN
    region: str = UNKNOWN
    pool: str = UNPLANNED
    arm: str = UNPLANNED


@dataclass
class Tally:
    attempts: int = 0
    connects: int = 0
    rpc: int = 0
    promises: int = 0

    def add(self, outcome: Outcome) -> None:
        self.attempts += 1
        if outcome in CONNECTS:
            self.connects += 1
            if outcome in RPC:
                self.rpc += 1
                if outcome is Outcome.PROMISE_TO_PAY:
                    self.promises += 1

    def rate(self, count: int) -> float | None:
        return count / self.attempts if self.attempts else None


@dataclass(frozen=True)
class Row:
    key: tuple[str, ...]
    tally: Tally
    thin: bool

    def values(self) -> tuple[int | float | None, ...]:
        t = self.tally
        return (t.attempts, t.connects, t.rpc, t.promises, t.rate(t.connects), t.rate(t.rpc), t.rate(t.promises))


_KEY: dict[str, Callable[[Attempt, Joined], str]] = {
    "channel": lambda a, j: a.channel.value,
    "hour": lambda a, j: f"{a.attempted_at.hour:02d}",
    "weekday": lambda a, j: WEEKDAYS[a.attempted_at.weekday()],
    "pool": lambda a, j: j.pool,
    "segment": lambda a, j: j.segment,
    "region": lambda a, j: j.region,
    "arm": lambda a, j: j.arm,
    "date": lambda a, j: a.attempted_at.date().isoformat(),
}


def _order(name: str, value: str) -> tuple:
    # Weekdays in calendar order, joined-but-missing values last; everything else as text (hours
    # are zero-padded, dates ISO, so text order is their order).
    if name == "weekday" and value in WEEKDAYS:
        return (0, WEEKDAYS.index(value), "")
    return (1 if value.startswith("(") else 0, 0, value)


@dataclass(frozen=True)
class Indicators:
    by: tuple[str, ...]
    rows: tuple[Row, ...]
    total: Tally
    inbound: int  # inbound rows in the period: history for the rules, not attempts
    first: dt.date
    last: dt.date
    callbacks: int = 0  # rows with outcome callback_requested (either direction): calls back asked for
    side: Mapping[str, Mapping[tuple, Tally]] = field(default_factory=dict)  # indicators(side=...)


def indicators(attempts: Iterable[Attempt], by: Sequence[str], first: dt.date, last: dt.date, *,
               join: Callable[[Attempt], Joined] | None = None, min_attempts: int = 30,
               side: Mapping[str, Callable[[Attempt], tuple]] | None = None,
               observe: Callable[[Attempt, Joined | None], None] | None = None) -> Indicators:
    """The indicators of the attempts made from ``first`` to ``last`` (local dates of the
    attempts), grouped by ``by``. Rows with fewer than ``min_attempts`` are flagged thin, never
    dropped: a manager must see that a cell has too little data, not miss that it exists.

    One pass over the attempts (a store streams millions): ``side`` names more groupings to
    tally in the same pass (the page's charts), and ``observe`` sees every row of the period,
    inbound ones included, with its join (the holdout's lift)."""
    keys = [_KEY[name] for name in by]
    needs_join = join is not None and bool({"pool", "segment", "region", "arm"} & set(by) or observe)
    cells: dict[tuple[str, ...], Tally] = {}
    sides: dict[str, dict[tuple, Tally]] = {name: {} for name in side or ()}
    side_keys = list((side or {}).items())
    total = Tally()
    inbound = callbacks = 0
    nobody = Joined()
    for a in attempts:
        if not first <= a.attempted_at.date() <= last:
            continue
        joined = join(a) if needs_join else nobody
        if observe is not None:
            observe(a, joined)
        if a.outcome is Outcome.CALLBACK_REQUESTED:
            callbacks += 1
        if a.direction is Direction.INBOUND:
            inbound += 1
            continue
        key = tuple(k(a, joined) for k in keys)
        tally = cells.get(key)
        if tally is None:
            tally = cells[key] = Tally()
        tally.add(a.outcome)
        total.add(a.outcome)
        for name, side_key in side_keys:
            k = side_key(a)
            found = sides[name].get(k)
            if found is None:
                found = sides[name][k] = Tally()
            found.add(a.outcome)
    ordered = sorted(cells, key=lambda key: tuple(_order(n, v) for n, v in zip(by, key, strict=True)))
    rows = tuple(Row(key, cells[key], cells[key].attempts < min_attempts) for key in ordered)
    return Indicators(tuple(by), rows, total, inbound, first, last, callbacks, sides)


def rate_text(value: float | None) -> str:
    """Rates as decimals with four places; blank where there were no attempts."""
    return "" if value is None else f"{value:.4f}"


def table_rows(result: Indicators) -> list[list[str]]:
    """The CSV rows (header first): the keys, the counts and rates, then ``thin``."""
    out = [[*result.by, *COLUMNS, "thin"]]
    for row in result.rows:
        values = row.values()
        out.append([*row.key, *(str(v) for v in values[:4]), *(rate_text(v) for v in values[4:]),
                    "true" if row.thin else "false"])
    return out


def as_json(result: Indicators, min_attempts: int) -> dict:
    def rates(t: Tally) -> dict:
        return {"connect_rate": _round(t.rate(t.connects)), "rpc_rate": _round(t.rate(t.rpc)),
                "ptp_rate": _round(t.rate(t.promises))}

    return {
        "schema": 1, "from": result.first.isoformat(), "to": result.last.isoformat(), "by": list(result.by),
        "min_attempts": min_attempts, "inbound_not_counted": result.inbound,
        "callbacks_requested": result.callbacks,
        "total": {"attempts": result.total.attempts, "connects": result.total.connects, "rpc": result.total.rpc,
                  "promises": result.total.promises, **rates(result.total)},
        "rows": [{**dict(zip(result.by, row.key, strict=True)), "attempts": row.tally.attempts,
                  "connects": row.tally.connects, "rpc": row.tally.rpc, "promises": row.tally.promises,
                  **rates(row.tally), "thin": row.thin} for row in result.rows],
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
