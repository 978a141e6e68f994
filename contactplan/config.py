"""contactplan.toml: slot length, channel costs and effectiveness, channel capacities, packs.

Strict like the packs: an unknown key is an error naming the file and the key path. Every value
has a documented default, so the file is optional. The schema is a pydantic model (_ConfigFile);
its errors are worded as contactplan's messages always were: the key path and the valid range.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


class _Strict(BaseModel):
    # Unknown keys are errors (a typo must not silently become a default); no coercion of "30"
    # to 30 or of true to 1: a config is typed by its author, and a wrong type is a mistake.
    model_config = ConfigDict(extra="forbid", strict=True)


class _ChannelSection(_Strict):
    enabled: bool | None = None
    cost: float | None = Field(None, ge=0, le=1e6)
    effectiveness: float | None = Field(None, ge=0, le=100)
    per_day: int | None = Field(None, ge=0, le=10**9)
    per_slot: int | None = Field(None, ge=0, le=10**9)


class _ConfigFile(_Strict):
    """The schema of contactplan.toml. Ranges here are the documented ones (README, config)."""

    slot_minutes: int = Field(30, ge=5, le=240)
    min_window_minutes: int = Field(15, ge=1, le=240)
    default_p_pay: float = Field(0.05, ge=0, le=1)
    report_timezone: str = "America/Sao_Paulo"
    packs: list[str] = ["br", "us"]
    channels: dict[str, _ChannelSection] = {}
    hours: dict[str, float] = {}
    database_url: str | None = None
    municipal_holidays: str | None = None
    max_gap_percent: float = Field(0.1, ge=0, le=10)
    horizon_days: int = Field(1, ge=1, le=7)
    horizon_discount: float = Field(0.9, ge=0, le=1)
    model: str | None = None


# What a wrong value of a key must be, in the words the messages have always used.
_EXPECTED = {
    "packs": "must be a list of built-in pack names or pack file paths",
    "channels": "must be a table such as [channels.voice]",
    "hours": "must be a table of local hour (\"0\"..\"23\") to factor",
    "database_url": "must be a URL such as sqlite:///contactplan.db",
    "municipal_holidays": "must be a path to a municipality_code,date,name CSV",
    "report_timezone": "must be an IANA zone such as America/Sao_Paulo",
    "model": "must be a path to a model file written by contactplan learn",
    "enabled": "must be true or false",
}


def _range(model: type[BaseModel], name: str) -> tuple[float, float] | None:
    lo = hi = None
    for rule in model.model_fields[name].metadata:
        lo = getattr(rule, "ge", lo)
        hi = getattr(rule, "le", hi)
    return None if lo is None or hi is None else (lo, hi)


def _bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _message(source: str, error: dict) -> InputError:
    """One pydantic error as today's message: the key path and what the value must be."""
    loc = [str(part) for part in error["loc"]]
    key, top = ".".join(loc), loc[0]
    if error["type"] == "extra_forbidden":
        where = _ChannelSection if len(loc) == 3 and top == "channels" else _ConfigFile
        return InputError(source, f"{key}: unknown key; expected one of {', '.join(sorted(where.model_fields))}")
    if top == "channels" and len(loc) == 2:
        return InputError(source, f"{key}: must be a table")
    if top == "hours" and len(loc) == 2:
        return InputError(source, f"{key}: must be a number between 0 and 100")
    if top in _EXPECTED and (len(loc) == 1 or top == "packs"):
        return InputError(source, f"{top}: {_EXPECTED[top]}")
    name = loc[-1]
    if name in _EXPECTED:
        return InputError(source, f"{key}: {_EXPECTED[name]}")
    owner = _ChannelSection if top == "channels" else _ConfigFile
    if name not in owner.model_fields:
        return InputError(source, f"{key}: {error['msg']}")
    bounds = _range(owner, name)
    kind = "a whole number" if owner.model_fields[name].annotation in (int, int | None) else "a number"
    if bounds:
        return InputError(source, f"{key}: must be {kind} between {_bound(bounds[0])} and {_bound(bounds[1])}")
    return InputError(source, f"{key}: must be {kind}")


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
    try:
        raw = _ConfigFile.model_validate(data)
    except ValidationError as exc:
        # An unknown key first (the likeliest typo), then the first wrong value.
        errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
        raise _message(source, errors[0]) from None
    if 1440 % raw.slot_minutes:
        raise InputError(source, "slot_minutes: must divide a day evenly (e.g. 15, 30, 60)")
    if raw.min_window_minutes > raw.slot_minutes:
        raise InputError(source, f"min_window_minutes: must be a whole number between 1 and {raw.slot_minutes} "
                                 "(the slot)")
    slot, min_window, p_pay, tz = raw.slot_minutes, raw.min_window_minutes, raw.default_p_pay, raw.report_timezone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(source, "report_timezone: must be an IANA zone such as America/Sao_Paulo") from None
    # A pack path is relative to the config file, not to wherever the planner happens to run.
    packs = [p if p in BUILTIN or Path(p).is_absolute() else str(Path(path).parent / p) for p in raw.packs]
    channels = dict(DEFAULT_CHANNELS)
    for name, section in raw.channels.items():
        try:
            channel = Channel(name)
        except ValueError:
            raise InputError(source, f"channels.{name}: unknown channel; expected voice, ivr, sms, whatsapp, email") \
                from None
        base = channels[channel]
        channels[channel] = ChannelConfig(
            enabled=base.enabled if section.enabled is None else section.enabled,
            cost=base.cost if section.cost is None else section.cost,
            effectiveness=base.effectiveness if section.effectiveness is None else section.effectiveness,
            per_day=section.per_day, per_slot=section.per_slot)
    hours = dict(DEFAULT_HOURS)
    for key, value in raw.hours.items():
        if not key.isdigit() or not 0 <= int(key) <= 23:
            raise InputError(source, f"hours.{key}: keys are local hours \"0\" to \"23\"")
        if not 0 <= value <= 100:
            raise InputError(source, f"hours.{key}: must be a number between 0 and 100")
        hours[int(key)] = value
    database_url = raw.database_url
    municipal = raw.municipal_holidays
    if municipal and not Path(municipal).is_absolute():
        municipal = str(Path(path).parent / municipal)
    max_gap = raw.max_gap_percent / 100
    horizon, discount = raw.horizon_days, raw.horizon_discount
    model = None
    if raw.model is not None:
        from contactplan.outcomes.learned import read_model

        model = read_model(raw.model if Path(raw.model).is_absolute() else Path(path).parent / raw.model)
    return Config(database_url=database_url, municipal_holidays=municipal, slot_minutes=slot,
                  min_window_minutes=min_window, default_p_pay=float(p_pay), report_timezone=tz,
                  packs=tuple(packs), channels=channels, hour_effectiveness=hours, source=source, max_gap=max_gap,
                  horizon_days=horizon, horizon_discount=float(discount), model=model)
