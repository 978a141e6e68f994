"""The only module that calls the `holidays` package.

Holiday data changes between releases of `holidays`, so its version is recorded with every plan.
Calendars are built per (country, subdivision, year, categories, language) once and reused.

Holiday names are always asked for in an explicit language (the reader's: en_US or pt_BR), since
`holidays` otherwise words them after the machine's locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG),
and the same plan would read differently on two machines. Which days are holidays never depends
on the language.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from contactplan.i18n import current_language, tr

HOLIDAYS_VERSION = holidays.__version__
_HOLIDAY_LANGUAGE = {"en": "en_US", "pt-BR": "pt_BR"}  # holidays' names for our languages


def _calendar(country: str, subdiv: str, year: int, categories: tuple[str, ...]) -> holidays.HolidayBase:
    return _worded(country, subdiv, year, categories, _HOLIDAY_LANGUAGE[current_language()])


@lru_cache(maxsize=4096)
def _worded(country: str, subdiv: str, year: int, categories: tuple[str, ...], language: str) -> holidays.HolidayBase:
    # A country whose names are not translated into ``language`` gets its own default wording
    # (holidays does that itself for an unsupported language, without reading the locale).
    return holidays.country_holidays(country, subdiv=subdiv or None, years=year, categories=categories,
                                     language=language)


def supports(country: str, subdiv: str) -> bool:
    try:
        _calendar(country, subdiv, 2000, ("public",))
    except NotImplementedError:
        return False
    return True


class Calendars:
    """Holiday look-ups for the debtors' countries and subdivisions, plus the user's municipal
    holidays (the `holidays` package has none): {IBGE municipality code: {date: name}}."""

    def __init__(self, municipal: dict[str, dict[dt.date, str]] | None = None, source: str = "", sha256: str = ""):
        self.municipal = municipal or {}
        self.municipal_source = source
        self.sha256 = sha256  # of the municipal file: part of the plan id

    def municipal_holiday(self, municipality_code: str, day: dt.date) -> str | None:
        return self.municipal.get(municipality_code, {}).get(day)

    def holiday(self, country: str, subdiv: str, day: dt.date, categories: tuple[str, ...] = ("public",)) -> str | None:
        """Name of the holiday on ``day`` (national or of ``subdiv``), or None."""
        try:
            cal = _calendar(country, subdiv, day.year, tuple(categories))
        except NotImplementedError:
            # A subdivision the package does not know: fall back to national holidays only,
            # never to "no holidays at all".
            cal = _calendar(country, "", day.year, tuple(categories))
        return cal.get(day)

    def holiday_anywhere(self, country: str, day: dt.date, categories: tuple[str, ...] = ("public",)) -> str | None:
        """A holiday on ``day`` in the country or in any of its subdivisions: for a debtor whose
        state is unknown, the strictest reading (a contact must be allowed wherever they may be)."""
        national = _calendar(country, "", day.year, tuple(categories))
        for subdiv in ("", *national.subdivisions):
            name = self.holiday(country, subdiv, day, categories)
            if name:
                return f"{name} ({subdiv})" if subdiv else name
        return None


def read_municipal_holidays(path: str) -> Calendars:
    """municipality_code,date,name CSV (e.g. a city's anniversary); any bad row fails the file."""
    from contactplan.io.csvfile import read_csv

    table, _ = read_csv(path, ("municipality_code", "date"), ("municipality_code", "date", "name"))
    days: dict[str, dict[dt.date, str]] = {}
    for row in table.rows:
        code = row.values["municipality_code"]
        if not (len(code) == 7 and code.isascii() and code.isdigit()):
            raise table.error(row.line, "municipality_code", tr("must be the 7-digit IBGE code"))
        try:
            day = dt.date.fromisoformat(row.values["date"])
        except ValueError:
            raise table.error(row.line, "date", tr("is not a date (YYYY-MM-DD)")) from None
        days.setdefault(code, {})[day] = row.values.get("name") or tr("municipal holiday")
    return Calendars(days, table.path, table.sha256)
