"""Messages in English and Brazilian Portuguese: the catalogue is complete, compiled and safe to
format, the language is chosen as documented, and what machines read is the same in both."""

from __future__ import annotations

import ast
import gettext
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from contactplan import i18n
from factories import MINIMAL_PACK
from contactplan.i18n import language_code, language_from_environment, ntr, tr, use_language

PACKAGE = Path(i18n.__file__).parent
PO = PACKAGE / "locale" / "pt_BR" / "LC_MESSAGES" / "contactplan.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"tr": None, "ntr": (1, 2), "trc": ((1, "c"), 2), "N_": None}  # scripts/catalog extract


def _source_messages() -> dict[tuple[str | None, str], tuple[str, ...]]:
    """(context, msgid) -> its forms, for every tr/ntr/trc/N_ call in the package, as
    `scripts/catalog extract` sees them."""
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
            str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=()):
        forms = message if isinstance(message, tuple) else (message,)
        found[context, forms[0]] = forms
    return found


def _calls_in_code() -> set[tuple[str | None, str]]:
    """Every tr/ntr/trc/N_ call with a literal message, found by Python's own parser (which also
    sees calls inside f-string fields)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS:
                args = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
                if node.func.id == "trc":
                    found.add((args[0], args[1]))
                elif args and isinstance(args[0], str):
                    found.add((None, args[0]))
    return found


@pytest.fixture(scope="module")
def catalogue():
    with PO.open("rb") as f:
        return read_po(f, locale="pt_BR")


def _forms(message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A catalogue entry's English forms and its translations, plural or not."""
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    return ids, message.string if isinstance(message.string, tuple) else (message.string,)


def _fields(template: str) -> list[tuple[str, str]]:
    return sorted((name, spec or "") for _, name, spec, _ in string.Formatter().parse(template) if name is not None)


def test_the_extractor_sees_every_message():
    # Babel's extractor does not look inside f-string fields: a tr() there would never reach the
    # catalogue (and `scripts/catalog update` would drop its translation). Call tr outside them.
    unseen = _calls_in_code() - set(_source_messages())
    assert not unseen, f"tr() calls the extractor cannot see (inside an f-string?): {sorted(unseen)[:3]}"


def test_every_message_has_a_portuguese_translation(catalogue):
    source = _source_messages()
    assert len(source) > 300  # the whole package is translated, not a sample

    def translated(context, msgid):
        m = catalogue.get(msgid, context)
        return m is not None and all(m.string if isinstance(m.string, tuple) else (m.string,))

    missing = [m for m in source if not translated(*m)]
    fuzzy = [m for m in source if catalogue.get(m[1], m[0]) is not None and catalogue.get(m[1], m[0]).fuzzy]
    assert not missing, f"{len(missing)} message(s) without a translation (scripts/catalog update), e.g. {missing[:3]}"
    assert not fuzzy, f"fuzzy translations to review: {fuzzy[:3]}"


def test_the_catalogue_holds_no_message_the_code_no_longer_has(catalogue):
    source = _source_messages()
    stale = [m.id for m in catalogue
             if m.id and (m.context, m.id[0] if isinstance(m.id, tuple) else m.id) not in source]
    assert not stale, f"translations of messages no longer in the code: {stale[:3]}"


def test_translations_keep_every_placeholder_and_its_format(catalogue):
    # A field renamed or dropped in a translation would raise KeyError (or lose a number) only when
    # that message is shown in Portuguese: a crash in the middle of an error report.
    for message in catalogue:
        if not message.id:
            continue
        ids, strings = _forms(message)
        expected = _fields(ids[-1])
        for text in strings:
            assert _fields(text) == expected or (len(ids) > 1 and _fields(text) == _fields(ids[0])), (ids[0], text)


def test_translations_keep_the_markup(catalogue):
    for message in catalogue:
        if not message.id:
            continue
        ids, strings = _forms(message)
        tags = sorted(t for t in ("[red]", "[/red]", "[yellow]", "[/yellow]", "[green]", "[/green]", "[bold]",
                                  "[/bold]", "[dim]", "[/dim]") if t in ids[0])
        for text in strings:
            assert sorted(t for t in tags if t in text) == tags, (ids[0], text)


def test_the_compiled_catalogue_is_the_edited_one(catalogue):
    # The program reads the .mo; a .po edited without `scripts/catalog compile` would not be seen.
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 - the compiled messages themselves
    expected = {}
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if message.context:
            key = f"{message.context}\x04{key}"  # how gettext stores a message's context
        if isinstance(message.id, tuple):
            for k, text in enumerate(message.string):
                expected[(key, k)] = text
        else:
            expected[key] = message.string
    compiled = {k: v for k, v in compiled.items() if k != ""}
    assert compiled == expected


def test_numbers_follow_the_language():
    use_language("pt-BR")
    assert tr("{n:,} contacts planned", n=1234567).startswith("1.234.567 ")
    assert "3,14" in tr("{x:.2f}", x=3.14159)
    use_language("en")
    assert tr("{n:,} contacts planned", n=1234567) == "1,234,567 contacts planned"
    assert tr("{x:.2f}", x=3.14159) == "3.14"


def test_amounts_follow_the_language_too():
    # expected_value and balances are Decimal: 7,538.08 read in Brazil is about seven reais.
    from decimal import Decimal

    use_language("pt-BR")
    assert tr("{value:,.2f}", value=Decimal("7538.08")) == "7.538,08"
    assert tr("{value:.2f}", value=Decimal("55.4")) == "55,40"
    use_language("en")
    assert tr("{value:,.2f}", value=Decimal("7538.08")) == "7,538.08"


def test_plural_forms_follow_the_count():
    use_language("en")
    assert ntr("{n} row", "{n} rows", 1) == "1 row" and ntr("{n} row", "{n} rows", 2) == "2 rows"


@pytest.mark.parametrize(("environ", "language"), [
    ({}, "en"), ({"LANG": "C.UTF-8"}, "en"), ({"LANG": "pt_BR.UTF-8"}, "pt-BR"), ({"LANG": "pt_PT"}, "pt-BR"),
    ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "pt_BR.UTF-8"}, "pt-BR"),
    ({"LANG": "pt_BR.UTF-8", "LC_ALL": "C"}, "en"),  # LC_ALL overrides every other variable (POSIX)
    ({"LANG": "", "LC_MESSAGES": "", "LC_ALL": ""}, "en"),
])
def test_the_environment_chooses_the_language(environ, language):
    assert language_from_environment(environ) == language


@pytest.mark.parametrize(("typed", "code"), [("pt-BR", "pt-BR"), ("pt_BR", "pt-BR"), ("PT-br", "pt-BR"),
                                             ("pt", "pt-BR"), ("en", "en"), ("EN", "en"), ("fr", None), ("", None)])
def test_language_codes_people_type(typed, code):
    assert language_code(typed) == code


def test_holiday_names_follow_the_reader_not_the_machine(monkeypatch):
    # holidays words its names after the machine's locale unless told; ours never depend on it.
    import datetime as dt

    from contactplan.calendars import Calendars

    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    monkeypatch.setenv("LANGUAGE", "pt_BR")
    use_language("en")
    assert Calendars().holiday("BR", "SP", dt.date(2026, 11, 20)) == "National Day of Zumbi and Black Awareness"
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE")
    use_language("pt-BR")
    assert Calendars().holiday("BR", "SP", dt.date(2026, 11, 20)) == "Dia Nacional de Zumbi e da Consciência Negra"
    assert Calendars().holiday("BR", "SP", dt.date(2026, 11, 19)) is None


@pytest.mark.parametrize("pack", ["br", "us", "br-febraban"])
def test_every_shipped_rule_is_worded_in_portuguese(pack):
    from contactplan.rules.packs import load_builtin

    for rule in load_builtin(pack).rules:
        languages = [lang for lang, title, citation, confidence in rule.meta.translations
                     if title.strip() and citation.strip() and bool(confidence) == bool(rule.meta.confidence)]
        assert languages == ["pt-BR"], rule.meta.id
    assert load_builtin(pack).translations[0][0] == "pt-BR"
    rule = load_builtin(pack).rules[0]
    use_language("pt-BR")
    assert rule.meta.shown_title() != rule.meta.title
    use_language("en")
    assert (rule.meta.shown_title(), rule.meta.shown_citation()) == (rule.meta.title, rule.meta.citation)




@pytest.mark.parametrize(("table", "key", "problem"), [
    ('[rule.translations.fr]\ntitle = "x"\ncitation = "y"\n', "translations.fr", "unknown language"),
    ('[rule.translations.en]\ntitle = "x"\ncitation = "y"\n', "translations.en", "unknown language"),
    ('[rule.translations.pt-BR]\ntitle = "x"\n', "translations.pt-BR.citation", "is required"),
    ('[rule.translations.pt-BR]\ntitle = " "\ncitation = "y"\n', "translations.pt-BR.title", "is blank"),
    ('[rule.translations.pt-BR]\ntitle = "x"\ncitation = "y"\nnote = "z"\n', "translations.pt-BR.note", "unknown key"),
    ('[rule.translations.pt-BR]\ntitle = "x"\ncitation = "y"\nconfidence = ""\n', "translations.pt-BR.confidence",
     "is blank"),
    ('[rule.translations.pt-BR]\ntitle = 3\ncitation = "y"\n', "translations.pt-BR.title", "must be str"),
    ('[rule]\ntranslations = "pt-BR"\n', "translations", "must be dict"),
])
def test_a_pack_translation_is_validated(table, key, problem):
    from contactplan.errors import InputError
    from contactplan.rules.packs import parse_pack

    text = MINIMAL_PACK + table if not table.startswith("[rule]") else MINIMAL_PACK.replace(
        'severity = "policy"', 'severity = "policy"\ntranslations = "pt-BR"')
    with pytest.raises(InputError) as found:
        parse_pack(text, "t.toml")
    assert key in str(found.value) and problem in str(found.value)


def test_every_call_fills_every_field_of_its_message():
    # A field the call does not pass is a KeyError when the message is shown: in English and in
    # Portuguese alike, and usually on the error path nobody ran.
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in
                    ("tr", "ntr", "trc")):
                continue
            if any(k.arg is None for k in node.keywords):
                continue  # **fields: checked where they are built
            given = {k.arg for k in node.keywords} | ({"n"} if node.func.id == "ntr" else set())
            literals = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            templates = literals[1:] if node.func.id == "trc" else literals
            for template in templates:
                needed = {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template)
                          if name}
                if needed - given or (given - needed - {"n"}):
                    wrong.append(f"{path.name}:{node.lineno}: needs {sorted(needed)}, given {sorted(given)}")
    assert not wrong, wrong[:5]


def test_the_systems_reasons_are_read_in_the_language_too(tmp_path):
    from contactplan.i18n import os_reason

    try:
        (tmp_path / "missing.csv").open(encoding="utf-8")
    except OSError as exc:
        missing = exc
    assert os_reason(missing) == missing.strerror  # English: the system's own words
    use_language("pt-BR")
    assert os_reason(missing) == "arquivo ou pasta inexistente"
    assert str(os_reason(ValueError("odd"))) == "odd"  # not a system error: as it is
