"""contactplan.toml: slot length, channel costs and effectiveness, channel capacities, packs.

Strict like the packs: an unknown key is an error naming the file and the key path. Every value
has a documented default, so the file is optional.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactplan.errors import InputError
from contactplan.model import Channel
from contactplan.rules.packs import BUILTIN


@dataclass(frozen=True)
class ChannelConfig:
    enabled: bool = True
    cost: float = 0.0  # money per contact, in the portfolio's currency
    effectiveness: float = 1.0  # relative chance that a contact leads to payment
    per_day: int | None = None  # None: no limit of its own
    per_slot: int | None = None


DEFAULT_CHANNELS = {
    Channel.VOICE: ChannelConfig(cost=2.00, effectiveness=1.00),
    Channel.IVR: ChannelConfig(cost=0.30, effectiveness=0.35),
    Channel.WHATSAPP: ChannelConfig(cost=0.05, effectiveness=0.30),
    Channel.SMS: ChannelConfig(cost=0.08, effectiveness=0.20),
    Channel.EMAIL: ChannelConfig(cost=0.01, effectiveness=0.08),
}
# Relative chance of reaching the debtor by local hour: late mornings and after work are best.
DEFAULT_HOURS = {7: 0.7, 8: 0.9, 9: 1.0, 10: 1.0, 11: 0.95, 12: 0.8, 13: 0.8, 14: 0.9, 15: 0.9, 16: 0.9,
                 17: 0.95, 18: 1.05, 19: 1.05, 20: 0.95}


@dataclass(frozen=True)
class Config:
    slot_minutes: int = 30
    min_window_minutes: int = 15
    default_p_pay: float = 0.05
    report_timezone: str = "America/Sao_Paulo"
    packs: tuple[str, ...] = ("br", "us")
    channels: dict[Channel, ChannelConfig] = field(default_factory=lambda: dict(DEFAULT_CHANNELS))
    hour_effectiveness: dict[int, float] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    source: str = "(defaults)"
    database_url: str | None = None
    municipal_holidays: str | None = None  # municipality_code,date,name CSV
    # How far below the optimum a plan may be, as a fraction (0 = prove optimality). The solver
    # reports the plan's objective, the proven bound and the gap, which never exceeds this.
    max_gap: float = 0.001
    # Plan today within a horizon of this many days (1 = today alone), so weekly attempt budgets
    # go where they are worth most; later days' values count at horizon_discount per day.
    horizon_days: int = 1
    horizon_discount: float = 0.9
    # Learned effectiveness (outcomes.learned.Model, ``plan --model`` or the config's ``model``):
    # where it has a cell it replaces the channel's effectiveness x the hour's reach.
    model: Any = None

    def hour_factor(self, hour: int) -> float:
        return self.hour_effectiveness.get(hour, 0.7)

    def worth(self, channel: Channel, hour: int, segment: str) -> tuple[float, float, bool]:
        """(effectiveness, reach factor, learned) of a contact on the channel at the debtor's
        local hour: the model's cell where it has one, else the configured constants."""
        cc = self.channels[channel]
        if self.model is None:
            return cc.effectiveness, self.hour_factor(hour), False
        learned = self.model.factor(channel, hour, segment, self.channels[self.model.reference_channel].effectiveness)
        if learned is None:
            return 1.0, cc.effectiveness * self.hour_factor(hour), False
        return 1.0, learned, True


_TOP = {"model", "slot_minutes", "min_window_minutes", "default_p_pay", "report_timezone", "packs", "channels", "hours",
        "database_url", "municipal_holidays", "max_gap_percent",
        "horizon_days", "horizon_discount"}
_CHANNEL_KEYS = {"enabled", "cost", "effectiveness", "per_day", "per_slot"}


def _num(source: str, key: str, value: Any, lo: float, hi: float, integer: bool = False) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not lo <= value <= hi:
        kind = "a whole number" if integer else "a number"
        raise InputError(source, f"{key}: must be {kind} between {lo} and {hi}")
    return value


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    source = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(source, f"cannot read config: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(source, f"is not UTF-8 text (byte {exc.start}); TOML files are UTF-8: save it as UTF-8") \
            from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(source, f"invalid TOML: {exc}") from None
    for key in sorted(set(data) - _TOP):
        raise InputError(source, f"{key}: unknown key; expected one of {', '.join(sorted(_TOP))}")
    slot = _num(source, "slot_minutes", data.get("slot_minutes", 30), 5, 240, integer=True)
    if 1440 % slot:
        raise InputError(source, "slot_minutes: must divide a day evenly (e.g. 15, 30, 60)")
    min_window = _num(source, "min_window_minutes", data.get("min_window_minutes", 15), 1, slot, integer=True)
    p_pay = _num(source, "default_p_pay", data.get("default_p_pay", 0.05), 0, 1)
    tz = data.get("report_timezone", "America/Sao_Paulo")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(source, "report_timezone: must be an IANA zone such as America/Sao_Paulo") from None
    packs = data.get("packs", ["br", "us"])
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        raise InputError(source, "packs: must be a list of built-in pack names or pack file paths")
    # A pack path is relative to the config file, not to wherever the planner happens to run.
    packs = [p if p in BUILTIN or Path(p).is_absolute() else str(Path(path).parent / p) for p in packs]
    channels = dict(DEFAULT_CHANNELS)
    raw_channels = data.get("channels", {})
    if not isinstance(raw_channels, dict):
        raise InputError(source, "channels: must be a table such as [channels.voice]")
    for name, raw in raw_channels.items():
        try:
            channel = Channel(name)
        except ValueError:
            raise InputError(source, f"channels.{name}: unknown channel; expected voice, ivr, sms, whatsapp, email") \
                from None
        if not isinstance(raw, dict):
            raise InputError(source, f"channels.{name}: must be a table")
        for key in sorted(set(raw) - _CHANNEL_KEYS):
            raise InputError(source, f"channels.{name}.{key}: unknown key; expected one of "
                                     f"{', '.join(sorted(_CHANNEL_KEYS))}")
        base = channels[channel]
        enabled = raw.get("enabled", base.enabled)
        if not isinstance(enabled, bool):
            raise InputError(source, f"channels.{name}.enabled: must be true or false")
        channels[channel] = ChannelConfig(
            enabled=enabled,
            cost=_num(source, f"channels.{name}.cost", raw.get("cost", base.cost), 0, 1e6),
            effectiveness=_num(source, f"channels.{name}.effectiveness", raw.get("effectiveness", base.effectiveness),
                               0, 100),
            per_day=_num(source, f"channels.{name}.per_day", raw["per_day"], 0, 10**9, integer=True)
            if "per_day" in raw else None,
            per_slot=_num(source, f"channels.{name}.per_slot", raw["per_slot"], 0, 10**9, integer=True)
            if "per_slot" in raw else None,
        )
    hours = dict(DEFAULT_HOURS)
    raw_hours = data.get("hours", {})
    if not isinstance(raw_hours, dict):
        raise InputError(source, "hours: must be a table of local hour (\"0\"..\"23\") to factor")
    for key, value in raw_hours.items():
        if not key.isdigit() or not 0 <= int(key) <= 23:
            raise InputError(source, f"hours.{key}: keys are local hours \"0\" to \"23\"")
        hours[int(key)] = _num(source, f"hours.{key}", value, 0, 100)
    database_url = data.get("database_url")
    if database_url is not None and not isinstance(database_url, str):
        raise InputError(source, "database_url: must be a URL such as sqlite:///contactplan.db")
    municipal = data.get("municipal_holidays")
    if municipal is not None and not isinstance(municipal, str):
        raise InputError(source, "municipal_holidays: must be a path to a municipality_code,date,name CSV")
    if municipal and not Path(municipal).is_absolute():
        municipal = str(Path(path).parent / municipal)
    max_gap = _num(source, "max_gap_percent", data.get("max_gap_percent", 0.1), 0, 10) / 100
    horizon = _num(source, "horizon_days", data.get("horizon_days", 1), 1, 7, integer=True)
    discount = _num(source, "horizon_discount", data.get("horizon_discount", 0.9), 0, 1)
    model = data.get("model")
    if model is not None:
        if not isinstance(model, str):
            raise InputError(source, "model: must be a path to a model file written by contactplan learn")
        from contactplan.outcomes.learned import read_model

        model = read_model(model if Path(model).is_absolute() else Path(path).parent / model)
    return Config(database_url=database_url, municipal_holidays=municipal, slot_minutes=slot,
                  min_window_minutes=min_window, default_p_pay=float(p_pay), report_timezone=tz,
                  packs=tuple(packs), channels=channels, hour_effectiveness=hours, source=source, max_gap=max_gap,
                  horizon_days=horizon, horizon_discount=float(discount), model=model)
