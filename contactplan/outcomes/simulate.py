"""Simulated outcomes of a plan under a hidden ground truth, for bench/simulate.py and the
examples' results files: what a dialer would report back if the world behaved as ``Truth``.

The truth is deliberately unlike the config's constants (which assume late mornings and after
work are best, and voice is worth three to five times a message): here lunchtime and the
evening are best for voice, WhatsApp beats voice for some segments, and segments differ. A
learned model can only beat the constants if it finds that out from the outcomes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contactplan.model import Channel, PlannedContact

SEGMENTS = ("cards", "personal_loan", "telecom", "retail", "")
# Right-party contact rate by channel at its best hour; how the hour and the segment move it.
_BASE_RPC = {Channel.VOICE: 0.30, Channel.IVR: 0.12, Channel.SMS: 0.06, Channel.WHATSAPP: 0.22, Channel.EMAIL: 0.03}
_BASE_PTP = {Channel.VOICE: 0.40, Channel.IVR: 0.25, Channel.SMS: 0.30, Channel.WHATSAPP: 0.45, Channel.EMAIL: 0.30}
_VOICE_HOURS = {8: 0.45, 9: 0.55, 10: 0.6, 11: 0.75, 12: 1.0, 13: 0.95, 14: 0.55, 15: 0.5, 16: 0.55, 17: 0.7,
                18: 0.9, 19: 1.0, 20: 0.85, 21: 0.6}
_MESSAGE_HOURS = {8: 0.6, 9: 0.7, 10: 0.7, 11: 0.75, 12: 0.9, 13: 0.85, 14: 0.7, 15: 0.7, 16: 0.75, 17: 0.85,
                  18: 1.0, 19: 1.0, 20: 0.95, 21: 0.8}
_SEGMENT = {"cards": {Channel.VOICE: 1.0, Channel.WHATSAPP: 1.3}, "personal_loan": {Channel.VOICE: 1.2},
            "telecom": {Channel.VOICE: 0.6, Channel.WHATSAPP: 1.5, Channel.SMS: 1.4}, "retail": {Channel.EMAIL: 1.8}}


@dataclass(frozen=True)
class Truth:
    """P(right-party contact | attempt) and P(promise | right-party contact) by channel, local
    hour and segment, with seeded noise so that no two seeds share a world."""

    rpc: Mapping[tuple[Channel, int, str], float]
    ptp: Mapping[tuple[Channel, int, str], float]

    def p_rpc(self, channel: Channel, hour: int, segment: str) -> float:
        return self.rpc.get((channel, hour, segment), 0.0)

    def p_promise(self, channel: Channel, hour: int, segment: str) -> float:
        return self.rpc.get((channel, hour, segment), 0.0) * self.ptp.get((channel, hour, segment), 0.0)


def make_truth(seed: int) -> Truth:
    rng = random.Random(seed)
    rpc, ptp = {}, {}
    for channel in Channel:
        hours = _VOICE_HOURS if channel.needs_agent or channel is Channel.IVR else _MESSAGE_HOURS
        for hour in range(24):
            for segment in SEGMENTS:
                lift = _SEGMENT.get(segment, {}).get(channel, 1.0)
                noise = rng.uniform(0.85, 1.15)
                rpc[(channel, hour, segment)] = min(0.95, _BASE_RPC[channel] * hours.get(hour, 0.3) * lift * noise)
                ptp[(channel, hour, segment)] = min(0.95, _BASE_PTP[channel] * rng.uniform(0.85, 1.15))
    return Truth(rpc, ptp)


HISTORY_COLUMNS = ("attempt_id", "debtor_id", "channel", "destination", "attempted_at", "outcome", "agent_id")
_NOT_REACHED_CALL = ("no_answer",) * 5 + ("busy", "busy", "voicemail", "voicemail", "wrong_party")


@dataclass(frozen=True)
class SimulatedDay:
    rows: list[tuple[str, ...]]  # history rows (HISTORY_COLUMNS)
    promises: int
    promised_value: float  # balances of the debtors who promised
    expected_value: float  # sum over contacts of balance x true P(promise): the same, without the luck
    truth_of: dict[str, tuple[float, float]]  # attempt id -> (true p_rpc, true p_promise)


def simulate_day(contacts: Iterable[PlannedContact], truth: Truth, debtors: Mapping[str, tuple[str, float]],
                 seed: int, prefix: str) -> SimulatedDay:
    """One attempt per planned contact, at a minute drawn inside its window, with an outcome
    drawn from the truth at the attempt's local hour. ``debtors``: id -> (segment, balance)."""
    rng = random.Random(seed)
    rows, truth_of = [], {}
    promises, promised, expected = 0, 0.0, 0.0
    for n, c in enumerate(contacts):
        segment, balance = debtors.get(c.debtor_id, ("", 0.0))
        minutes = max(1, int((c.window_end - c.window_start).total_seconds() // 60))
        at = c.window_start + dt.timedelta(minutes=rng.randrange(minutes))
        hour = at.hour  # window_start carries the debtor's offset: this is the local hour
        p_rpc, p_promise = truth.p_rpc(c.channel, hour, segment), truth.p_promise(c.channel, hour, segment)
        expected += balance * p_promise
        if rng.random() < p_rpc:
            if rng.random() < truth.ptp.get((c.channel, hour, segment), 0.0):
                outcome = "promise_to_pay"
                promises += 1
                promised += balance
            else:
                outcome = "conversation"
        elif c.channel.needs_agent or c.channel is Channel.IVR:
            outcome = rng.choice(_NOT_REACHED_CALL)
        else:
            outcome = "delivered"
        attempt_id = f"{prefix}{n:07d}"
        truth_of[attempt_id] = (p_rpc, p_promise)
        rows.append((attempt_id, c.debtor_id, c.channel.value, c.destination, at.isoformat(), outcome,
                     c.pool and f"{c.pool}-{rng.randrange(1, 11):02d}"))
    return SimulatedDay(rows, promises, promised, expected, truth_of)


def history_csv(rows: Iterable[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HISTORY_COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
