"""The language people read: messages, summaries, errors and reports in English or Brazilian Portuguese.

Everything a person reads goes through ``tr`` (or ``ntr`` for counts); what machines read does not:
column names of the input and output contracts, rule ids, enum values (channels, outcomes,
severities), exit codes and the JSON keys stay the same in every language, so a dialer import or
a script never depends on who ran the plan.

Catalogues are GNU gettext files under ``contactplan/locale`` (``pt_BR/LC_MESSAGES/contactplan.po``
edited by people, ``.mo`` compiled with Babel: ``pybabel compile -d contactplan/locale -D
contactplan``; a test keeps the two in step and checks every message has a translation with the
same placeholders). Messages are ``str.format`` templates with *named* fields, so a translator may
reorder them: ``tr("{n:,} contacts planned", n=total)``. Numbers formatted with ``,`` or ``.`` in
the field follow the language's separators (1,234.5 in English, 1.234,5 in Portuguese).

The language is chosen by the CLI (``--lang``, else the config's ``language``, else the
environment's ``LC_ALL``/``LC_MESSAGES``/``LANG``) and defaults to English; the library never reads
the environment itself.
"""

from __future__ import annotations

import contextvars
import errno
import gettext
from decimal import Decimal
from pathlib import Path

LANGUAGES = ("en", "pt-BR")
DOMAIN = "contactplan"
LOCALE_DIR = Path(__file__).parent / "locale"

_ALIASES = {"en": "en", "pt-br": "pt-BR", "pt_br": "pt-BR", "pt": "pt-BR"}
_CATALOGUE = {"pt-BR": "pt_BR"}
_LANGUAGE: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="en")
_LOADED: dict[str, gettext.NullTranslations] = {}


def language_code(text: str) -> str | None:
    """``en`` or ``pt-BR`` for what a person may type (pt-BR, pt_BR, pt, EN), else None."""
    return _ALIASES.get(text.strip().lower())


def language_from_environment(environ: dict[str, str]) -> str:
    """The language POSIX locale variables ask for (LC_ALL, then LC_MESSAGES, then LANG):
    ``pt_BR.UTF-8`` or ``pt_PT`` read Portuguese, anything else (C, POSIX, en_US, de_DE) English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "").strip()
        if value:
            return "pt-BR" if value.lower().startswith("pt") else "en"
    return "en"


def use_language(code: str) -> None:
    """Read messages in ``code`` (one of LANGUAGES) from now on, in this context."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; one of {', '.join(LANGUAGES)}")
    _LANGUAGE.set(code)


def current_language() -> str:
    return _LANGUAGE.get()


def _translations(code: str) -> gettext.NullTranslations:
    found = _LOADED.get(code)
    if found is None:
        name = _CATALOGUE.get(code)
        found = (gettext.translation(DOMAIN, LOCALE_DIR, languages=[name]) if name
                 else gettext.NullTranslations())
        _LOADED[code] = found
    return found


class _Number:
    """A number in a Portuguese message: formatted as asked, then with the comma and the point
    swapped where the spec groups digits or fixes decimals (1,234.5 -> 1.234,5). Formatting stays
    in C (str.format_map): messages are made per contact in an audit of millions."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __format__(self, spec: str) -> str:
        text = format(self.value, spec)
        return text.translate(_SWAP) if "," in spec or "." in spec else text

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


_SWAP = str.maketrans({",": ".", ".": ","})


def _format(template: str, fields: dict) -> str:
    if _LANGUAGE.get() == "pt-BR":
        fields = {k: _Number(v) if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else v
                  for k, v in fields.items()}
    return template.format_map(fields)


def tr(message: str, /, **fields) -> str:
    """``message`` in the reader's language, its ``{named}`` fields filled in."""
    language = _LANGUAGE.get()
    if language == "en":  # the messages are English: no look-up (an audit words millions)
        return message.format_map(fields)
    return _format(_translations(language).gettext(message), fields)


def trc(context: str, message: str, /, **fields) -> str:
    """``message`` as meant in ``context`` (gettext's pgettext): one English word that Portuguese
    says two ways, e.g. "all" regions (todas) and "all" channels (todos)."""
    return _format(_translations(_LANGUAGE.get()).pgettext(context, message), fields)


def ntr(singular: str, plural: str, n: int, /, **fields) -> str:
    """The singular or plural form for ``n`` (``n`` is also a field), in the reader's language."""
    return _format(_translations(_LANGUAGE.get()).ngettext(singular, plural, n), {"n": n, **fields})


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for translation, translate later"
    """Mark a module-level message for the catalogue; ``tr`` it where it is shown."""
    return message


# What the operating system says, for the errors people meet reading and writing files. English
# keeps the system's own words; other languages get these (the C library's text is English).
_OS_REASONS = {errno.ENOENT: N_("No such file or directory"), errno.EISDIR: N_("Is a directory"),
               errno.ENOTDIR: N_("Not a directory"), errno.EACCES: N_("Permission denied"),
               errno.EPERM: N_("Operation not permitted"), errno.ENOSPC: N_("No space left on device"),
               errno.EROFS: N_("Read-only file system"), errno.EEXIST: N_("File exists")}


def os_reason(exc: BaseException) -> object:
    """Why a file operation failed, in the reader's language (``strerror``, or the error itself)."""
    code = getattr(exc, "errno", None)
    if _LANGUAGE.get() != "en" and code in _OS_REASONS:
        return tr(_OS_REASONS[code])
    return getattr(exc, "strerror", None) or exc
