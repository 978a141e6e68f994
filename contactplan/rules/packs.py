"""Rule packs: strictly validated TOML that instantiates rule kinds with citations.

A pack file has one ``[pack]`` table and any number of ``[[rule]]`` tables. Unknown keys, an
unknown kind, a wrong type or a bad parameter are errors naming the file and the key path, e.g.
``br.toml: rule[3].params.windows.sun: day key must be ...``. Packs are chosen per debtor from
its country; every applicable rule must hold (strictest wins), so adding a rule can only narrow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import importlib
import pkgutil
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from contactplan.errors import InputError
from contactplan.i18n import tr
from contactplan import rules as rules_package
from contactplan.model import Channel, Debtor
from contactplan.rules.base import ParamError, Rule, RuleMeta, Severity


def _kinds() -> dict[str, type[Rule]]:
    """Every rule kind: the module of contactplan/rules/ named as the kind defines it (a class
    whose ``kind`` is the module's name), so a new kind is one new module. The other modules
    there (base, local_time, attempts, callbacks, packs) are what kinds share."""
    found: dict[str, type[Rule]] = {}
    for module in pkgutil.iter_modules(rules_package.__path__):
        names = vars(importlib.import_module(f"{rules_package.__name__}.{module.name}"))
        for value in names.values():
            if isinstance(value, type) and issubclass(value, Rule) and value.kind == module.name:
                found[value.kind] = value
    return found


KINDS: dict[str, type[Rule]] = _kinds()
BUILTIN = ("br", "us", "br-febraban")  # br-febraban is opt-in (bank signatories)
DEFAULT = ("br", "us")
_PACK_KEYS = {"id", "title", "country", "version", "description", "translations"}
_RULE_KEYS = {"id", "kind", "title", "citation", "severity", "reference", "confidence", "effective_from",
              "effective_to", "channels", "regions", "params", "values", "translations"}
_VALUE_KEYS = {"from", "params", "citation", "reference", "translations"}
# Ids are written into plan.csv (the rules column, ";"-separated) and the archive: letters,
# digits, ".", "_" and "-" only, so no id can split a column or a row of what dialers read.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_RULE_REQUIRED = ("id", "kind", "title", "citation", "severity")


@dataclass(frozen=True)
class RulePack:
    id: str
    title: str
    country: str
    version: str
    rules: tuple[Rule, ...]
    source: str
    sha256: str
    translations: tuple[tuple[str, ...], ...] = ()  # (language, title): [pack.translations.pt-BR]

    def rules_for(self, debtor: Debtor, on: dt.date) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.applies(debtor, on))

    def by_id(self) -> list[tuple[Rule, ...]]:
        """The pack's rules in order, the periods of a rule whose parameters change by date
        ([[rule.values]]) together, oldest first."""
        out: dict[str, list[Rule]] = {}
        for r in self.rules:
            out.setdefault(r.id, []).append(r)
        return [tuple(periods) for periods in out.values()]

    def shown_title(self) -> str:
        """The pack's title in the reader's language when the pack words it so, else as written."""
        from contactplan.i18n import current_language

        return next((title for lang, title in self.translations if lang == current_language()), self.title)


class PackSet:
    """The packs in force, by country. A country without a pack cannot be planned.

    Several packs for one country layer (country, then company policy): every rule of every
    layer must hold, so a later layer can only narrow what an earlier one allows.
    """

    def __init__(self, packs: list[RulePack]):
        self.packs = packs
        self.by_country: dict[str, list[RulePack]] = {}
        seen: set[str] = set()
        for p in packs:
            clash = seen & {r.id for r in p.rules}
            if clash:
                raise InputError(p.source, tr("rule id {rule_id} is already defined by another pack",
                                              rule_id=sorted(clash)[0]))
            seen |= {r.id for r in p.rules}
            self.by_country.setdefault(p.country, []).append(p)
        self._cache: dict[tuple[str, str, dt.date], tuple[Rule, ...]] = {}
        self._interned: dict[tuple[int, ...], tuple[Rule, ...]] = {}

    def rules_for(self, debtor: Debtor, on: dt.date) -> tuple[Rule, ...]:
        # Which rules apply depends only on country, region and date (Rule.applies).
        key = (debtor.country, debtor.region, on)
        found = self._cache.get(key)
        if found is None:
            found = tuple(r for p in self.by_country.get(debtor.country, ()) for r in p.rules_for(debtor, on))
            # The same rules on many days are one tuple, so a caller can group contacts by the
            # rules in force by identity (the rules themselves live as long as the packs).
            found = self._cache[key] = self._interned.setdefault(tuple(id(r) for r in found), found)
        return found

    def covers(self, country: str) -> bool:
        return country in self.by_country

    @property
    def history_days(self) -> int:
        """How many days of history before a contact are read to judge it: as far back as the
        longest rule window reads, two days more (a candidate zone's local date may lie a day
        from UTC's), and at least 35 (a month of outcomes for explain and the indicators)."""
        return max(35, self.lookback_days + 2)

    @property
    def lookback_days(self) -> int:
        """The longest history any rule in force reads, in local days before the plan date."""
        return max((r.lookback_days for p in self.packs for r in p.rules), default=0)

    @property
    def sha256(self) -> str:
        h = hashlib.sha256()
        for p in sorted(self.packs, key=lambda p: p.id):
            h.update(p.sha256.encode())
        return h.hexdigest()


def _fail(source: str, key: str, message: str) -> InputError:
    return InputError(source, f"{key}: {message}")


def _type(source: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _fail(source, key, tr("must be {expected}, got {got}", expected=name, got=type(value).__name__))
    return value


def _regions(source: str, where: str, raw: Any, country: str) -> frozenset[str]:
    """A rule's regions: the country's state (UF) codes. A code the country does not have would
    make the rule apply nowhere, silently: refused, like any other typo in a pack."""
    from contactplan import timezones

    known = {"BR": timezones.BRAZIL_UFS, "US": timezones.US_STATES}.get(country)
    regions = set()
    for code in _type(source, where, raw, list):
        if not isinstance(code, str) or not code.strip():
            raise _fail(source, where, tr("must list state codes as text, such as \"SP\" or \"NY\""))
        code = code.strip().upper()
        if known is not None and code not in known:
            raise _fail(source, where, tr("{code} is not a state of {country}; expected one of {codes}", code=code,
                                          country=country, codes=", ".join(known)))
        regions.add(code)
    return frozenset(regions)


def _id(source: str, where: str, value: str) -> str:
    if not _ID.fullmatch(value):
        raise _fail(source, where, tr("must be letters, digits, '.', '_' or '-', starting with a letter or digit"))
    return value


def _keys(source: str, where: str, table: dict, allowed: set[str], required: tuple[str, ...]) -> None:
    """A table of a pack has only keys it may have (an unknown one is the likeliest typo: said
    first) and every key it must."""
    for key in sorted(set(table) - allowed):
        raise _fail(source, f"{where}.{key}", tr("unknown key; expected one of {keys}",
                                                 keys=", ".join(sorted(allowed))))
    for key in required:
        if key not in table:
            raise _fail(source, f"{where}.{key}", tr("is required"))


def parse_pack(text: str, source: str) -> RulePack:
    from contactplan.io.files import parse_toml

    data = parse_toml(text, source)
    unknown = sorted(set(data) - {"pack", "rule"})
    if unknown:
        raise _fail(source, unknown[0], tr("unknown top-level key; expected [pack] and [[rule]]"))
    head = _type(source, "pack", data.get("pack"), dict) if "pack" in data else None
    if head is None:
        raise _fail(source, "pack", tr("missing [pack] table with id, title and country"))
    _keys(source, "pack", head, _PACK_KEYS, ("id", "title", "country"))
    for key in ("id", "title", "country"):
        _type(source, f"pack.{key}", head[key], str)
    pack_id = _id(source, "pack.id", head["id"])
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(_type(source, "rule", data.get("rule", []), list)):
        where = f"rule[{i}]"
        _type(source, where, raw, dict)
        _keys(source, where, raw, _RULE_KEYS, _RULE_REQUIRED)
        for key in _RULE_REQUIRED:
            _type(source, f"{where}.{key}", raw[key], str)
        rule_id = _id(source, f"{where}.id", raw["id"])
        where = f"rule[{i}] ({rule_id})"
        if rule_id in seen:
            raise _fail(source, f"{where}.id", tr("duplicate rule id"))
        seen.add(rule_id)
        if raw["kind"] not in KINDS:
            raise _fail(source, f"{where}.kind", tr("unknown kind '{kind}'; known: {kinds}", kind=raw["kind"],
                                                    kinds=", ".join(sorted(KINDS))))
        try:
            severity = Severity(raw["severity"])
        except ValueError:
            raise _fail(source, f"{where}.severity", tr("must be law, self_regulation or policy")) from None
        channels = tuple(Channel)
        if "channels" in raw:
            names = _type(source, f"{where}.channels", raw["channels"], list)
            try:
                channels = tuple(Channel(n) for n in names)
            except ValueError:
                raise _fail(source, f"{where}.channels", tr("must list voice, ivr, sms, whatsapp, email")) from None
        regions = _regions(source, f"{where}.regions", raw.get("regions", []), head["country"].upper())
        dates = {}
        for key in ("effective_from", "effective_to"):
            if key in raw:
                dates[key] = _type(source, f"{where}.{key}", raw[key], dt.date)
        meta = RuleMeta(id=rule_id, kind=raw["kind"], title=raw["title"], citation=raw["citation"],
                        severity=severity, pack=pack_id, reference=raw.get("reference", ""),
                        confidence=raw.get("confidence", ""), channels=channels, regions=regions,
                        translations=_translations(source, where, raw.get("translations", {})), **dates)
        params = _type(source, f"{where}.params", raw.get("params", {}), dict)
        for meta_here, params_here, key in _periods(source, where, meta, params, raw.get("values", [])):
            try:
                rules.append(KINDS[raw["kind"]].build(meta_here, params_here))
            except ParamError as exc:
                raise _fail(source, f"{key}.{exc.key}", str(exc)) from None
    return RulePack(pack_id, head["title"], head["country"].upper(), str(head.get("version", "")), tuple(rules),
                    source, hashlib.sha256(text.encode()).hexdigest(),
                    _translations(source, "pack", head.get("translations", {}), keys=("title",), optional=()))


def _periods(source: str, where: str, meta: RuleMeta, params: dict, raw: Any
             ) -> list[tuple[RuleMeta, dict, str]]:
    """A rule whose parameters change by date (``[[rule.values]]``, OpenFisca's model: a law
    change is a new dated value of the same parameter, with its own citation, not a second rule)
    as one (meta, params, where its params are) per period. The rule's ``params`` hold until the
    first value's ``from``; each value changes the parameters it names from its date until the
    next value's, the others kept. The periods partition the rule's effective dates, so on any
    date exactly one is in force (Rule.applies), the same rule id throughout, and a violation
    cites the rule and the value in force on its day."""
    values = _type(source, f"{where}.values", raw, list)
    if not values:
        return [(meta, params, f"{where}.params")]
    dated: list[tuple[dt.date, dict, str, tuple[tuple[str, str], ...], str]] = []
    for k, value in enumerate(values):
        here = f"{where}.values[{k}]"
        _type(source, here, value, dict)
        _keys(source, here, value, _VALUE_KEYS, ("from", "params", "citation"))
        since = _type(source, f"{here}.from", value["from"], dt.date)
        if isinstance(since, dt.datetime):
            raise _fail(source, f"{here}.from", tr("must be a date (YYYY-MM-DD), not a date and time"))
        if dated and since <= dated[-1][0]:
            raise _fail(source, f"{here}.from", tr("must be after {day}, the start of the value before it",
                                                   day=dated[-1][0]))
        if meta.effective_from is not None and since <= meta.effective_from:
            raise _fail(source, f"{here}.from", tr("must be after the rule's effective_from {day}",
                                                   day=meta.effective_from))
        if meta.effective_to is not None and since > meta.effective_to:
            raise _fail(source, f"{here}.from", tr("is after the rule's effective_to {day}", day=meta.effective_to))
        changes = _type(source, f"{here}.params", value["params"], dict)
        if not changes:
            raise _fail(source, f"{here}.params", tr("must name at least one parameter that changes"))
        if not _type(source, f"{here}.citation", value["citation"], str).strip():
            raise _fail(source, f"{here}.citation", tr("is blank"))
        words = tuple((language, citation) for language, citation in
                      _translations(source, here, value.get("translations", {}), keys=("citation",), optional=()))
        dated.append((since, changes, value["citation"], words,
                      _type(source, f"{here}.reference", value.get("reference", ""), str)))
    periods = []
    current = dict(params)
    starts = [meta.effective_from, *(since for since, *_ in dated)]
    ends = [*(since - dt.timedelta(days=1) for since, *_ in dated), meta.effective_to]
    periods.append((dataclasses.replace(meta, effective_to=ends[0]), dict(current), f"{where}.params"))
    for k, (since, changes, citation, words, reference) in enumerate(dated):
        current = {**current, **changes}
        worded = dict(words)
        translations = tuple((language, title, f"{shown}; {worded.get(language, citation)}", confidence)
                             for language, title, shown, confidence in meta.translations)
        periods.append((dataclasses.replace(meta, effective_from=starts[k + 1], effective_to=ends[k + 1],
                                            citation=f"{meta.citation}; {citation}",
                                            reference=reference or meta.reference, translations=translations,
                                            value_from=since, value_citation=citation,
                                            value_translations=words),
                        dict(current), f"{where}.values[{k}].params"))
    return periods


def _translations(source: str, where: str, raw: Any, keys: tuple[str, ...] = ("title", "citation"),
                  optional: tuple[str, ...] = ("confidence",)) -> tuple[tuple[str, ...], ...]:
    """``[rule.translations.pt-BR]`` title, citation and optionally confidence (``[pack.translations.
    pt-BR]`` title): the rule worded for readers of another language (the rule itself, its
    parameters and id, are the same). Each entry: (language, *keys, *optional), "" where absent."""
    from contactplan.i18n import LANGUAGES

    out = []
    for language, words in sorted(_type(source, f"{where}.translations", raw, dict).items()):
        here = f"{where}.translations.{language}"
        if language not in LANGUAGES or language == "en":
            raise _fail(source, here, tr("unknown language; expected one of {languages}",
                                         languages=", ".join(x for x in LANGUAGES if x != "en")))
        _type(source, here, words, dict)
        _keys(source, here, words, {*keys, *optional}, keys)
        for key in (k for k in (*keys, *optional) if k in words):
            if not _type(source, f"{here}.{key}", words[key], str).strip():
                raise _fail(source, f"{here}.{key}", tr("is blank"))
        out.append((language, *(words.get(key, "") for key in (*keys, *optional))))
    return tuple(out)


def load_builtin(name: str) -> RulePack:
    if name not in BUILTIN:
        raise InputError(name, tr("unknown built-in rule pack; available: {packs}", packs=", ".join(BUILTIN)))
    text = resources.files("contactplan.rules").joinpath("packs", f"{name}.toml").read_text(encoding="utf-8")
    return parse_pack(text, f"{name}.toml")


def load_pack(name_or_path: str) -> RulePack:
    if name_or_path in BUILTIN:
        return load_builtin(name_or_path)
    from contactplan.io.files import TOML_LIMIT, parse_toml, read_limited

    path = Path(name_or_path)
    raw = read_limited(path, TOML_LIMIT, tr("rule pack")).removeprefix(b"\xef\xbb\xbf")
    parse_toml(raw, str(path))  # undecodable bytes are reported before the pack's own checks
    return parse_pack(raw.decode("utf-8"), str(path))


def load_packs(names: tuple[str, ...] | list[str]) -> PackSet:
    """Built-in pack names or paths to pack files, in layering order."""
    return PackSet([load_pack(n) for n in names])


def default_packs() -> PackSet:
    return load_packs(DEFAULT)
