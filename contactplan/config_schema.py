"""The schema of contactplan.toml (config.load_config validates with it).

Unknown keys are errors (a typo must not silently become a default) and values are not coerced
("30" is not 30, true is not 1): a config is typed by its author, and a wrong type is a mistake.
pydantic's errors are worded as contactplan's messages always were: the key path and what the
value must be, with its valid range.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from contactplan.errors import InputError
from contactplan.i18n import N_, tr


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class _ChannelSection(_Strict):
    enabled: bool | None = None
    cost: float | None = Field(None, ge=0, le=1e6)
    effectiveness: float | None = Field(None, ge=0, le=100)
    per_day: int | None = Field(None, ge=0, le=10**9)
    per_slot: int | None = Field(None, ge=0, le=10**9)


class ConfigFile(_Strict):
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
    language: str | None = None


# What a wrong value of a key must be, in the words the messages have always used.
_EXPECTED = {
    "packs": N_("must be a list of built-in pack names or pack file paths"),
    "channels": N_("must be a table such as [channels.voice]"),
    "hours": N_("must be a table of local hour (\"0\"..\"23\") to factor"),
    "database_url": N_("must be a URL such as sqlite:///contactplan.db"),
    "municipal_holidays": N_("must be a path to a municipality_code,date,name CSV"),
    "report_timezone": N_("must be an IANA zone such as America/Sao_Paulo"),
    "model": N_("must be a path to a model file written by contactplan learn"),
    "enabled": N_("must be true or false"),
    "language": N_("must be en or pt-BR"),
}


def _range(model: type[BaseModel], name: str) -> tuple[float, float] | None:
    lo = hi = None
    for rule in model.model_fields[name].metadata:
        lo = getattr(rule, "ge", lo)
        hi = getattr(rule, "le", hi)
    return None if lo is None or hi is None else (lo, hi)


def _bound(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def message(source: str, error: dict) -> InputError:
    """One pydantic error as today's message: the key path and what the value must be."""
    loc = [str(part) for part in error["loc"]]
    key, top = ".".join(loc), loc[0]
    if error["type"] == "extra_forbidden":
        where = _ChannelSection if len(loc) == 3 and top == "channels" else ConfigFile
        return InputError(source, tr("{key}: unknown key; expected one of {keys}", key=key,
                                     keys=", ".join(sorted(where.model_fields))))
    if top == "channels" and len(loc) == 2:
        return InputError(source, tr("{key}: must be a table", key=key))
    if top == "hours" and len(loc) == 2:
        return InputError(source, tr("{key}: must be a number between 0 and 100", key=key))
    if top in _EXPECTED and (len(loc) == 1 or top == "packs"):
        return InputError(source, f"{top}: {tr(_EXPECTED[top])}")
    name = loc[-1]
    if name in _EXPECTED:
        return InputError(source, f"{key}: {tr(_EXPECTED[name])}")
    owner = _ChannelSection if top == "channels" else ConfigFile
    if name not in owner.model_fields:
        return InputError(source, f"{key}: {error['msg']}")
    bounds = _range(owner, name)
    whole = owner.model_fields[name].annotation in (int, int | None)
    if bounds:
        lo, hi = _bound(bounds[0]), _bound(bounds[1])
        if whole:
            return InputError(source, tr("{key}: must be a whole number between {lo} and {hi}", key=key, lo=lo, hi=hi))
        return InputError(source, tr("{key}: must be a number between {lo} and {hi}", key=key, lo=lo, hi=hi))
    if whole:
        return InputError(source, tr("{key}: must be a whole number", key=key))
    return InputError(source, tr("{key}: must be a number", key=key))
