"""Effectiveness learned from outcomes (``contactplan learn``) and the model file it writes.

Per cell (channel x local hour, optionally x segment) the model holds the probability of a
right-party contact per attempt and of a promise given one, each a posterior mean under a Beta
prior centred on the channel's overall rate with a strength of ``prior_strength`` attempts
(Beta-binomial shrinkage): a cell with 3 attempts says little and stays near its channel, a cell
with 3,000 speaks for itself. With k the strength, p the channel's right-party rate and q its
promise rate per right-party contact:

    p_rpc              = (rpc + k p) / (attempts + k)
    p_promise_given_rpc = (promises + k q) / (rpc + k)

The channel's p and q are themselves shrunk, with the same k, toward the rates of all channels
together (two levels of the same Beta-binomial), so a channel with little data cannot carry its
cells away either.

The planner reads a cell's P(promise per attempt) = p_rpc x p_promise_given_rpc in the config's
units: the reference channel's overall learned rate is worth its configured effectiveness (voice,
1.0 by default), so a learned cell and a cell left to the config compare on one scale, and the
debtor's p_pay keeps its meaning.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contactplan.errors import InputError
from contactplan.i18n import tr
from contactplan.model import Attempt, Channel, Direction
from contactplan.outcomes.indicators import UNKNOWN, Tally

SCHEMA = 1
DEFAULT_PRIOR_STRENGTH = 20.0
BY_CHOICES = (("channel", "hour"), ("channel", "hour", "segment"))
# A cell may be worth at most this many times the reference channel's overall rate, and that rate
# may not be below MIN_REFERENCE_RATE: the option values stay in the range the solver's integer
# scaling is proven for (solver.flow.value_scale), and a file that says otherwise is refused.
MAX_WORTH = 1000.0
MIN_REFERENCE_RATE = 1e-6


@dataclass(frozen=True)
class Cell:
    channel: Channel
    hour: int
    segment: str | None
    attempts: int
    rpc: int
    promises: int
    p_rpc: float
    p_promise_given_rpc: float

    @property
    def p_promise(self) -> float:
        return self.p_rpc * self.p_promise_given_rpc


@dataclass(frozen=True)
class Model:
    by: tuple[str, ...]
    first: str
    last: str
    data_sha256: str
    prior_strength: float
    reference_channel: Channel
    reference_promise_rate: float  # the reference channel's overall promises per attempt
    cells: Mapping[tuple[Channel, int, str | None], Cell]
    source: str = "(learned)"
    sha256: str = ""
    left_to_config: tuple[str, ...] = ()  # channels with attempts but no promise: no cells, the config decides

    @property
    def by_segment(self) -> bool:
        return "segment" in self.by

    def cell(self, channel: Channel, hour: int, segment: str) -> Cell | None:
        return self.cells.get((channel, hour, segment if self.by_segment else None))

    def factor(self, channel: Channel, hour: int, segment: str, reference_effectiveness: float) -> float | None:
        """The cell's worth in the config's units (effectiveness x reach), or None without a cell."""
        found = self.cell(channel, hour, segment)
        if found is None or self.reference_promise_rate <= 0:
            return None
        return reference_effectiveness * found.p_promise / self.reference_promise_rate


def learn(attempts: Iterable[Attempt], first, last, *, by: tuple[str, ...] = ("channel", "hour"),
          segments: Mapping[str, str] | None = None, prior_strength: float = DEFAULT_PRIOR_STRENGTH) -> Model:
    """The model of the outbound attempts made from ``first`` to ``last`` (local dates)."""
    cells: dict[tuple[Channel, int, str | None], Tally] = {}
    channels: dict[Channel, Tally] = {}
    digest = hashlib.sha256()
    segments = segments or {}
    for a in attempts:
        if a.direction is Direction.INBOUND or not first <= a.attempted_at.date() <= last:
            continue
        digest.update(f"{a.attempt_id}\x1f{a.outcome.value}\x1e".encode())
        segment = segments.get(a.debtor_id, UNKNOWN) if "segment" in by else None
        key = (a.channel, a.attempted_at.hour, segment)
        cells.setdefault(key, Tally()).add(a.outcome)
        channels.setdefault(a.channel, Tally()).add(a.outcome)
    k = prior_strength
    everything = Tally()
    for t in channels.values():
        everything.attempts += t.attempts
        everything.rpc += t.rpc
        everything.promises += t.promises
    p_all = everything.rpc / everything.attempts if everything.attempts else 0.0
    q_all = everything.promises / everything.rpc if everything.rpc else 0.0
    out: dict[tuple[Channel, int, str | None], Cell] = {}
    for key in sorted(cells, key=lambda c: (c[0].value, c[1], c[2] or "")):
        t, overall = cells[key], channels[key[0]]
        if not overall.promises:
            # No promise on the channel at all: most often its outcomes do not record them
            # (a message log says "delivered", never what the debtor did next). A zero would
            # stop the channel for good and no data could ever correct it; leave it to the config.
            continue
        # The channel's own rate is shrunk the same way toward the rate of every channel, so a
        # channel tried forty times cannot swing its cells with it.
        p = (overall.rpc + k * p_all) / (overall.attempts + k)
        q = (overall.promises + k * q_all) / (overall.rpc + k) if overall.rpc + k else 0.0
        out[key] = Cell(key[0], key[1], key[2], t.attempts, t.rpc, t.promises,
                        (t.rpc + k * p) / (t.attempts + k), (t.promises + k * q) / (t.rpc + k) if t.rpc + k else 0.0)
    # The reference: voice (the config's unit, effectiveness 1.0), else the channel with the most
    # attempts among those that recorded a promise.
    scored = {c: t for c, t in channels.items() if t.promises}
    reference = Channel.VOICE if Channel.VOICE in scored else \
        max(scored, key=lambda c: (scored[c].attempts, c.value), default=Channel.VOICE)
    ref = scored.get(reference)
    rate = ref.promises / ref.attempts if ref and ref.attempts else 0.0
    silent = tuple(sorted(c.value for c, t in channels.items() if not t.promises))
    return Model(tuple(by), str(first), str(last), digest.hexdigest(), prior_strength, reference, rate, out,
                 left_to_config=silent)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def render_model(model: Model) -> str:
    lines = [
        "# contactplan effectiveness model (contactplan learn); plan --model FILE",
        f"schema = {SCHEMA}",
        f"by = [{', '.join(_toml(b) for b in model.by)}]",
        f"from = {_toml(model.first)}",
        f"to = {_toml(model.last)}",
        f"data_sha256 = {_toml(model.data_sha256)}",
        f"prior_strength = {_toml(float(model.prior_strength))}",
        f"reference_channel = {_toml(model.reference_channel.value)}",
        f"reference_promise_rate = {_toml(model.reference_promise_rate)}",
        f"left_to_config = [{', '.join(_toml(c) for c in model.left_to_config)}]",
    ]
    for c in model.cells.values():
        lines += ["", "[[cell]]", f"channel = {_toml(c.channel.value)}", f"hour = {c.hour}"]
        if c.segment is not None:
            lines.append(f"segment = {_toml(c.segment)}")
        lines += [f"attempts = {c.attempts}", f"rpc = {c.rpc}", f"promises = {c.promises}",
                  f"p_rpc = {_toml(c.p_rpc)}", f"p_promise_given_rpc = {_toml(c.p_promise_given_rpc)}"]
    return "\n".join(lines) + "\n"


_TOP = {"schema", "by", "from", "to", "data_sha256", "prior_strength", "reference_channel",
        "reference_promise_rate", "left_to_config", "cell"}
_CELL = {"channel", "hour", "segment", "attempts", "rpc", "promises", "p_rpc", "p_promise_given_rpc"}


def read_model(path: str | Path) -> Model:
    """The model file, validated as strictly as every other input: an unknown key, a wrong type,
    a probability outside 0..1, counts that do not add up or a cell given twice is an error
    naming the file, the cell and the key."""
    from contactplan.io.files import TOML_LIMIT, read_limited

    return parse_model(read_limited(path, 16 * TOML_LIMIT, tr("model file")), str(path))


def parse_model(raw: bytes, source: str) -> Model:
    """read_model on the file's bytes (learn checks its own output with it before writing)."""
    from contactplan.io.files import parse_toml

    data = parse_toml(raw.removeprefix(b"\xef\xbb\xbf"), source)

    def fail(key: str, what: str) -> InputError:
        return InputError(source, f"{key}: {what}")

    for key in sorted(set(data) - _TOP):
        raise fail(key, tr("unknown key; expected one of {keys}", keys=", ".join(sorted(_TOP))))
    for key in sorted(_TOP - {"cell", "left_to_config"} - set(data)):
        raise fail(key, tr("missing (write the file with contactplan learn)"))
    if data["schema"] != SCHEMA:
        raise fail("schema", tr("must be {schema} (this contactplan reads model schema {schema})", schema=SCHEMA))
    by = data["by"]
    if not isinstance(by, list) or tuple(by) not in BY_CHOICES:
        raise fail("by", tr("must be [\"channel\", \"hour\"] or [\"channel\", \"hour\", \"segment\"]"))
    for key in ("from", "to", "data_sha256"):
        if not isinstance(data[key], str):
            raise fail(key, tr("must be a string"))
    try:
        first, last = dt.date.fromisoformat(data["from"]), dt.date.fromisoformat(data["to"])
    except ValueError:
        raise fail("from", tr("from and to must be dates such as 2026-11-01")) from None
    if last < first:
        raise fail("to", tr("{last} is before from {first}", last=last, first=first))
    strength = _number(data["prior_strength"], 0, 1e9, lambda w: fail("prior_strength", w))
    try:
        reference = Channel(data["reference_channel"])
    except ValueError:
        raise fail("reference_channel", tr("unknown channel; expected voice, ivr, sms, whatsapp or email")) from None
    rate = _number(data["reference_promise_rate"], 0, 1, lambda w: fail("reference_promise_rate", w))
    if rate < MIN_REFERENCE_RATE:
        raise fail("reference_promise_rate", tr("must be at least {rate}: every cell is worth its promise rate "
                                                "divided by it", rate=f"{MIN_REFERENCE_RATE:g}"))
    silent = data.get("left_to_config", [])
    if not isinstance(silent, list) or not all(isinstance(c, str) and c in set(Channel) for c in silent):
        raise fail("left_to_config", tr("must be a list of channel names"))
    cells_raw = data.get("cell", [])
    if not isinstance(cells_raw, list):
        raise fail("cell", tr("must be an array of [[cell]] tables"))
    cells: dict[tuple[Channel, int, str | None], Cell] = {}
    for n, c in enumerate(cells_raw, start=1):
        where = f"cell {n}"
        if not isinstance(c, dict):
            raise fail(where, tr("must be a table"))
        for key in sorted(set(c) - _CELL):
            raise fail(f"{where}.{key}", tr("unknown key; expected one of {keys}", keys=", ".join(sorted(_CELL))))
        needed = _CELL - ({"segment"} if "segment" not in by else set())
        for key in sorted(needed - set(c)):
            raise fail(f"{where}.{key}", tr("missing"))
        if "segment" in c and "segment" not in by:
            raise fail(f"{where}.segment", tr("the model is not by segment (see by)"))
        try:
            channel = Channel(c["channel"])
        except (ValueError, TypeError):
            raise fail(f"{where}.channel", tr("unknown channel; expected voice, ivr, sms, whatsapp or email")) from None
        hour = _whole(c["hour"], 0, 23, lambda w: fail(f"{where}.hour", w))
        segment = c.get("segment")
        if segment is not None and not isinstance(segment, str):
            raise fail(f"{where}.segment", tr("must be a string"))
        attempts = _whole(c["attempts"], 1, 10**12, lambda w: fail(f"{where}.attempts", w))
        rpc = _whole(c["rpc"], 0, attempts, lambda w: fail(f"{where}.rpc", tr("{problem} (at most attempts)",
                                                                              problem=w)))
        promises = _whole(c["promises"], 0, rpc, lambda w: fail(f"{where}.promises", tr("{problem} (at most rpc)",
                                                                                       problem=w)))
        p_rpc = _number(c["p_rpc"], 0, 1, lambda w: fail(f"{where}.p_rpc", w))
        p_ptp = _number(c["p_promise_given_rpc"], 0, 1, lambda w: fail(f"{where}.p_promise_given_rpc", w))
        # The posterior means must be what the counts and the prior can give: between the raw rate
        # with the whole prior on 0 and with the whole prior on 1 (a hand-edited p=1.0 over 0 of
        # 28 attempts would steer the plan on nothing).
        slack = 1e-9
        if not rpc / (attempts + strength) - slack <= p_rpc <= (rpc + strength) / (attempts + strength) + slack:
            raise fail(f"{where}.p_rpc", tr("{p} cannot come from {rpc} of {attempts} attempts with prior strength "
                                            "{strength} (write the file with contactplan learn)", p=f"{p_rpc:g}",
                                            rpc=rpc, attempts=attempts, strength=f"{strength:g}"))
        if rpc + strength > 0 and not (promises / (rpc + strength) - slack <= p_ptp
                                       <= (promises + strength) / (rpc + strength) + slack):
            raise fail(f"{where}.p_promise_given_rpc", tr("{p} cannot come from {promises} of {rpc} right-party "
                                                          "contacts with prior strength {strength}", p=f"{p_ptp:g}",
                                                          promises=promises, rpc=rpc, strength=f"{strength:g}"))
        if p_rpc * p_ptp / rate > MAX_WORTH:
            raise fail(where, tr("worth {worth:,.0f} times the reference channel; at most {most}",
                                 worth=p_rpc * p_ptp / rate, most=f"{MAX_WORTH:g}"))
        key = (channel, hour, segment)
        if key in cells:
            if segment is not None:
                raise fail(where, tr("{channel} at {hour:02d}h segment {segment} is given twice", channel=channel,
                                     hour=hour, segment=segment))
            raise fail(where, tr("{channel} at {hour:02d}h is given twice", channel=channel, hour=hour))
        cells[key] = Cell(channel, hour, segment, attempts, rpc, promises, float(p_rpc), float(p_ptp))
    if not cells:
        raise fail("cell", tr("no [[cell]] at all: the model would change nothing (contactplan learn writes one per "
                              "channel and hour with outcomes)"))
    return Model(tuple(by), data["from"], data["to"], data["data_sha256"], float(strength), reference, float(rate),
                 cells, source, hashlib.sha256(raw).hexdigest(), tuple(silent))


def _number(value: Any, lo: float, hi: float, error) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not lo <= value <= hi:
        raise error(tr("must be a number from {lo} to {hi}", lo=f"{lo:g}", hi=f"{hi:g}"))
    return value


def _whole(value: Any, lo: int, hi: int, error) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise error(tr("must be a whole number from {lo} to {hi}", lo=lo, hi=hi))
    return value
