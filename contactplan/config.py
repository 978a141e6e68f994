"""contactplan.toml: slot length, channel costs and effectiveness, channel capacities, packs.

Strict like the packs: an unknown key is an error naming the file and the key path. Every value
has a documented default, so the file is optional. The schema is a pydantic model (config_schema.ConfigFile, imported only when there is a file);
its errors are worded as contactplan's messages always were: the key path and the valid range.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contactplan.errors import InputError
from contactplan.i18n import tr
from contactplan.model import DEFAULT_CHANNELS, DEFAULT_HOURS, Channel, ChannelConfig, Config
from contactplan.rules.packs import BUILTIN


def load_config(path: str | Path | None) -> Config:
    if path is None:
        return Config()
    source = str(path)
    from contactplan.io.files import load_toml

    data = load_toml(path, tr("config"))
    from pydantic import ValidationError

    from contactplan.config_schema import ConfigFile, message

    try:
        raw = ConfigFile.model_validate(data)
    except ValidationError as exc:
        # An unknown key first (the likeliest typo), then the first wrong value.
        errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
        raise message(source, errors[0]) from None
    if 1440 % raw.slot_minutes:
        raise InputError(source, tr("slot_minutes: must divide a day evenly (e.g. 15, 30, 60)"))
    if raw.min_window_minutes > raw.slot_minutes:
        raise InputError(source, tr("min_window_minutes: must be a whole number between 1 and {slot} (the slot)",
                                    slot=raw.slot_minutes))
    slot, min_window, p_pay, tz = raw.slot_minutes, raw.min_window_minutes, raw.default_p_pay, raw.report_timezone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputError(source, tr("report_timezone: must be an IANA zone such as America/Sao_Paulo")) from None
    # A pack path is relative to the config file, not to wherever the planner happens to run.
    packs = [p if p in BUILTIN or Path(p).is_absolute() else str(Path(path).parent / p) for p in raw.packs]
    channels = dict(DEFAULT_CHANNELS)
    for name, section in raw.channels.items():
        try:
            channel = Channel(name)
        except ValueError:
            raise InputError(source, tr("channels.{name}: unknown channel; expected voice, ivr, sms, whatsapp, email",
                                        name=name)) from None
        base = channels[channel]
        channels[channel] = ChannelConfig(
            enabled=base.enabled if section.enabled is None else section.enabled,
            cost=base.cost if section.cost is None else section.cost,
            effectiveness=base.effectiveness if section.effectiveness is None else section.effectiveness,
            per_day=section.per_day, per_slot=section.per_slot)
    hours = dict(DEFAULT_HOURS)
    for key, value in raw.hours.items():
        if not key.isdigit() or not 0 <= int(key) <= 23:
            raise InputError(source, tr("hours.{key}: keys are local hours \"0\" to \"23\"", key=key))
        if not 0 <= value <= 100:
            raise InputError(source, tr("{key}: must be a number between 0 and 100", key=f"hours.{key}"))
        hours[int(key)] = value
    database_url = raw.database_url
    municipal = raw.municipal_holidays
    if municipal and not Path(municipal).is_absolute():
        municipal = str(Path(path).parent / municipal)
    max_gap = raw.max_gap_percent / 100
    horizon, discount = raw.horizon_days, raw.horizon_discount
    language = None
    if raw.language is not None:
        from contactplan.i18n import language_code

        language = language_code(raw.language)
        if language is None:
            raise InputError(source, tr("language: must be en or pt-BR"))
    model = None
    if raw.model is not None:
        from contactplan.outcomes.learned import read_model

        model = read_model(raw.model if Path(raw.model).is_absolute() else Path(path).parent / raw.model)
    return Config(database_url=database_url, municipal_holidays=municipal, slot_minutes=slot,
                  min_window_minutes=min_window, default_p_pay=float(p_pay), report_timezone=tz,
                  packs=tuple(packs), channels=channels, hour_effectiveness=hours, source=source, max_gap=max_gap,
                  horizon_days=horizon, horizon_discount=float(discount), model=model,
                  language=language)
