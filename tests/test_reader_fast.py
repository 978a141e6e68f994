"""The vectorised debtor reader (contactplan.io.debtors_fast) gives exactly what the row path gives.

Every comparison reads the same bytes twice, with ``strategy="fast"`` and ``strategy="rows"``, and
requires the same DebtorFile (debtors in order, rejections with their file:line:column and
message, counts, hashes) or the same InputError. The generated portfolios check that the fast
path really ran; the corpus files and odd layouts may legitimately fall back to the row path.
"""

from __future__ import annotations

import csv
import dataclasses
import decimal
import io
import random
import re
import sys
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactplan.generate import DEBTOR_COLUMNS, generate_portfolio
from contactplan.io import debtors_fast, plain_csv, values
from contactplan.io.debtors import DEBTOR_COLUMNS_FOR_FUZZ, read_debtors
from contactplan.io.frozen import constructor
from contactplan.io.phones import FAST_PHONE_VALUE, _fast, fast_e164_frame
from contactplan.model import Debtor, Destination, LineType
from suite import examples

CORPUS = Path(__file__).parent / "corpus" / "debtors"


def _outcome(path: Path, strategy: str):
    try:
        result = read_debtors(path, strategy=strategy)
    except Exception as exc:  # noqa: BLE001 - the same error either way, even one that is a bug
        return ("error", type(exc).__name__, str(exc))
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    fields["read_ids"] = sorted(fields["read_ids"])  # equal sets may print in different orders
    return fields


def assert_same(path: Path, *, fast_path_runs: bool = False, monkeypatch=None) -> None:
    """Both strategies agree on ``path`` (compared with == and with repr, which also sees Decimal
    exponents and float digits); with ``fast_path_runs``, the fast path did not fall back."""
    if fast_path_runs:
        calls = []
        real = debtors_fast.read
        monkeypatch.setattr(debtors_fast, "read", lambda *a: calls.append(real(*a)) or calls[-1])
    fast, rows = _outcome(path, "fast"), _outcome(path, "rows")
    assert fast == rows
    assert repr(fast) == repr(rows)
    if fast_path_runs:
        assert calls and calls[0] is not None, "the fast path fell back to the row path"


# -- generated portfolios, with bad and odd values injected ------------------------------------

ODD_VALUES = [  # (column, value): invalid, valid but outside the fast path's plain shapes, or edge cases
    ("balance", "-5"), ("balance", "1,234"), ("balance", "1.234,56"), ("balance", " 12.50 "), ("balance", "R$ 10"),
    ("balance", "abc"), ("balance", "12345678901.5"), ("balance", "0,5"), ("balance", "007"), ("balance", ""),
    ("country", "XX"), ("country", "br"), ("country", "ZZ"), ("country", "BRA"), ("country", "PT"),
    ("region", "XX"), ("region", "sp"), ("region", ""), ("region", "BR-SP"), ("region", "\u3000RJ"),
    ("phone_mobile", "12345"), ("phone_mobile", "+1 512 555 0100"), ("phone_mobile", "(11) 98765-4321\u00a0"),
    ("phone_mobile", "011 98765-4321"), ("phone_mobile", "+55 (11) 9 8765-4321"), ("phone_mobile", "1198765432１"),
    ("phone_home", "0xx11 3333-4444"), ("phone_home", "+55 11 3333-4444"), ("phone_work", "(21) 2222-3333"),
    ("phone_work", "abc"), ("email", "not-an-email"), ("email", "Ana@Example.COM"),
    ("email", "josé@exemplo.com.br"), ("email", "a b@c.de"), ("email", "x@y.z\x1f"),
    ("p_pay", "1.5"), ("p_pay", "0,25"), ("p_pay", "nan"), ("p_pay", ".5"), ("p_pay", "1e-3"), ("p_pay", ""),
    ("days_past_due", "-3"), ("days_past_due", "12.5"), ("days_past_due", " 7 "), ("due_date", "31/02/2026"),
    ("due_date", "24/11/2026"), ("due_date", "2026-13-01"), ("preferred_window", "20:00-08:00"),
    ("preferred_window", "09:00-12:00"), ("preferred_window", "9-12"), ("preferred_channel", "fax"),
    ("preferred_channel", "SMS"), ("do_not_contact", "talvez"), ("do_not_contact", "Sim"), ("disputed", "1"),
    ("sms_consent", "não"), ("email_consent", "yes"), ("municipality_code", "123"),
    ("municipality_code", "1302603"), ("municipality_code", "3550308"), ("municipality_code", "٣٥٥٠٣٠٨"),
    ("timezone", "Mars/Base"), ("timezone", "America/Rio_Branco"), ("timezone", "america/sao_paulo"),
    ("debtor_id", ""), ("debtor_id", " D0000001 "), ("debtor_id", "D0000002"), ("segment", "Télécom"),
    ("language", "PT"), ("account_id", ""), ("name", "Zoë\x1c"), ("city", ""),
    # Control characters inside ids: rejected (a tab or an escape would shift a dialer file's row).
    ("debtor_id", "D\t0000003"), ("debtor_id", "D0000004\x1bX"), ("account_id", "A\x7f1"),
    # A US state with several zones, narrowed by its ZIP code or its city (and what must not narrow).
    ("postal_code", "32501"), ("postal_code", "97914-1234"), ("postal_code", "3250"), ("postal_code", "01310-100"),
    ("postal_code", "79901 "), ("city", "Pensacola"), ("city", "  el   paso "), ("city", "Nowhere Town"),
    ("region", "FL"), ("region", "OR"), ("region", "TX"),
]


def _portfolio(tmp_path: Path, seed: int, country: str, *, delimiter: str = ",", newline: str = "\n",
               bom: bool = False, inject: bool = True, encoding: str = "utf-8", quoting: int | None = None) -> Path:
    rows, _ = generate_portfolio(3000, seed, country)
    rng = random.Random(seed)
    if delimiter == ";":  # as Excel in Brazil writes amounts
        for row in rows:
            whole, cents = row["balance"].split(".")
            row["balance"] = f"{int(whole):,}".replace(",", ".") + "," + cents
    if inject:
        # Without quoting asked for, no value needs quotes (the file then has none).
        odd = [(c, v) for c, v in ODD_VALUES if quoting is not None or delimiter not in v]
        for row in rng.sample(rows, k=len(rows) // 12):
            column, value = rng.choice(odd)
            row[column] = value
        for row in rng.sample(rows, k=20):  # no way to reach the person
            row.update(phone_mobile="", phone_home="", phone_work="", email="")
        for row in rng.sample(rows, k=20):  # an account of someone else: merged, maybe disagreeing
            row["debtor_id"] = rng.choice(rows)["debtor_id"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline,
                        quoting=csv.QUOTE_MINIMAL if quoting is None else quoting)
    if quoting is not None:
        for row in rows[::7]:
            row["name"] = f'Silva{delimiter} "Ana"'  # quoted, with doubled quotes inside
    columns = (*DEBTOR_COLUMNS, "postal_code")
    writer.writerow(columns)
    for i, row in enumerate(rows):
        writer.writerow([row.get(c, "") for c in columns])
        if inject and i % 500 == 7:  # blank lines: empty, delimiters only, spaces only
            out.write(["", delimiter * 5, "   "][i % 3] + newline)
    path = tmp_path / f"debtors-{seed}-{country}.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding, errors="replace"))
    return path


@pytest.mark.parametrize("seed", [20261124, 7, 424242])
@pytest.mark.parametrize("country", ["BR", "US"])
def test_generated_portfolios_with_bad_rows(tmp_path, monkeypatch, seed, country):
    assert_same(_portfolio(tmp_path, seed, country), fast_path_runs=True, monkeypatch=monkeypatch)


def test_clean_portfolio_is_read_entirely_by_the_fast_path(tmp_path, monkeypatch):
    path = _portfolio(tmp_path, 11, "BR", inject=False)
    monkeypatch.setattr(debtors_fast.rows, "_parse_account", None)  # the row path would crash
    assert len(read_debtors(path, strategy="fast").debtors) == 3000


@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])
def test_quoted_fields(tmp_path, monkeypatch, quoting):
    path = _portfolio(tmp_path, 9, "BR", quoting=quoting)
    assert_same(path, fast_path_runs=True, monkeypatch=monkeypatch)


@pytest.mark.parametrize(("delimiter", "newline", "bom", "encoding"), [
    (";", "\r\n", True, "utf-8"), (";", "\r\n", False, "cp1252"), ("\t", "\n", False, "utf-8"),
    (",", "\r\n", False, "cp1252")])
def test_excel_layouts(tmp_path, monkeypatch, delimiter, newline, bom, encoding):
    path = _portfolio(tmp_path, 3, "BR", delimiter=delimiter, newline=newline, bom=bom, encoding=encoding)
    assert_same(path, fast_path_runs=True, monkeypatch=monkeypatch)


# -- files the fast path must hand to the row path (or read the same) --------------------------

@pytest.mark.parametrize("name", sorted(p.name for p in CORPUS.glob("*.csv")))
def test_corpus_files(name):
    assert_same(CORPUS / name)


HEADER = "debtor_id,country,region,phone_mobile,balance,p_pay,name\n"
ODD_FILES = {
    "cp1252": (HEADER + "D1,BR,SP,(11) 98765-4321,10,,Jos\xe9\n").encode("cp1252"),
    "quoted": (HEADER + 'D1,BR,SP,(11) 98765-4321,"1,50",,"Silva, Ana"\n').encode(),
    "quoted header": ('"debtor_id","country","region","phone_mobile","balance"\n"D1","BR","SP","(11) 98765-4321","5"\n'
                      ).encode(),
    "quote inside a bare field": (HEADER + 'D1,BR,SP,(11) 98765-4321,5,,Ana "Bia"\n').encode(),
    "text after a closing quote": (HEADER + 'D1,BR,SP,(11) 98765-4321,5,,"Ana"x\n').encode(),
    "space before a quote": (HEADER + 'D1,BR,SP,(11) 98765-4321,5,, "Ana"\n').encode(),
    "quoted blank row": (HEADER + '"",""\n"D1","BR","SP","(11) 98765-4321","5","",""\n').encode(),
    "header quote spans lines": ('"debtor_id\n",country,region,phone_mobile,balance\nD1,BR,SP,x,5\n').encode(),
    "quoted newline": (HEADER + 'D1,BR,SP,(11) 98765-4321,5,,"Ana\nSilva"\nD2,BR,SP,x,5,,\n').encode(),
    "lone CR": (HEADER + "D1,BR,SP,(11) 98765-4321,5,,\rD2,BR,SP,(11) 98765-4321,5,,\n").encode(),
    "short rows": (HEADER + "D1,BR,SP,(11) 98765-4321,5\nD2,BR\n").encode(),
    "wide row, blank extra": (HEADER + "D1,BR,SP,(11) 98765-4321,5,,,,\n").encode(),
    "wide row": (HEADER + "D1,BR,SP,(11) 98765-4321,5,,,x\n").encode(),
    "NUL": (HEADER + "D1,BR,SP,(11) 98765-4321,5,,\x00\n").encode(),
    "no contact column": b"debtor_id,country,region,balance\nD1,BR,SP,5\n",
    "blank header name": b"debtor_id,,country,region,balance,email\n",
    "spaces around header": b" debtor_id , country,region ,balance,email\nD1,BR,SP,5,a@b.cd\n",
    "BOM and blank lines": b"\xef\xbb\xbf" + (HEADER + "\n\n,,,\nD1,BR,SP,(11) 98765-4321,5,,\n \n").encode(),
    "whitespace everywhere": (HEADER + "\u3000D1\t,\x1cBR , sp,\xa0(11) 98765-4321 ,\u2003 5.5,0.5 ,\n").encode(),
    "invalid UTF-8 after BOM": b"\xef\xbb\xbf" + HEADER.encode() + b"D1,BR,SP,(11) 98765-4321,5,,\xff\n",
    "header only, CRLF": HEADER.replace("\n", "\r\n").encode(),
    "no final newline": (HEADER + "D1,BR,SP,(11) 98765-4321,5,,").encode(),
    "whitespace only": b"  \n\n",
    "same debtor, other state": (HEADER + "D1,BR,SP,(11) 98765-4321,5,,\nD1,BR,RJ,(21) 98765-4321,5,,\n").encode(),
    "huge field": (HEADER + "D1,BR,SP,(11) 98765-4321,5,," + "x" * 140_000 + "\n").encode(),
}


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_odd_files(tmp_path, name):
    path = tmp_path / "d.csv"
    path.write_bytes(ODD_FILES[name])
    assert_same(path)


# -- any table: the fuzz tests' cells, read both ways --------------------------------------------

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "SP", "BR", "US", "sp", " RJ ", "XX", "1.234,56", "1,234", "12.5", "0", "-5", "abc", "sim",
                     "não", "true", "2026-02-30", "2026-11-24", "08:00-20:00", "25:00", "+5511987654321",
                     "(11) 98765-4321", "(11) 3333-4444", "0xx11 98765-4321", "+1 (512) 555-0199", "512-555-0199",
                     "ab@cd.ef", "AB@CD.EF", "1302603", "99999999", "America/Sao_Paulo", "Mars/Base", "0.5", "2",
                     "voice", "fax", "\u3000", "\x1c", "\xa0x\xa0"]),
)
header_st = st.lists(st.sampled_from(DEBTOR_COLUMNS_FOR_FUZZ), min_size=1, max_size=len(DEBTOR_COLUMNS_FOR_FUZZ),
                     unique=True)
REQUIRED_FIRST = ("debtor_id", "balance", "country", "region", "phone_mobile")
FUZZ = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}


@settings(max_examples=examples(120), **FUZZ)
@given(header=header_st, rows=st.lists(st.lists(cell, max_size=12), max_size=8),
       delimiter=st.sampled_from([",", ";", "\t"]), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       required=st.booleans())
def test_any_table(tmp_path_factory, header, rows, delimiter, encoding, required):
    if required:  # most tables then get past the header checks, to the rows
        header = [*REQUIRED_FIRST, *(h for h in header if h not in REQUIRED_FIRST)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("t") / "d.csv"
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))
    assert_same(path)


NOT_PLAIN = "\r\n\x00"  # quoted line ends and NUL: files with these go to the row path
plain_cell = st.one_of(cell.filter(lambda v: not any(c in v for c in NOT_PLAIN)),
                       st.text(st.characters(exclude_categories=("Cs",), exclude_characters=NOT_PLAIN), max_size=8))


@settings(max_examples=examples(150), **FUZZ)
@given(header=header_st, data=st.data(), delimiter=st.sampled_from([",", ";", "\t"]))
def test_any_plain_table_takes_the_fast_path(tmp_path_factory, monkeypatch, header, data, delimiter):
    """Tables the fast path must take (UTF-8, whole-field quoting, no row wider than the header)."""
    header = [*REQUIRED_FIRST, *(h for h in header if h not in REQUIRED_FIRST)]
    rows = data.draw(st.lists(st.lists(plain_cell, max_size=len(header)), max_size=8))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")  # quotes where needed
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("t") / "d.csv"
    path.write_bytes(out.getvalue().encode())
    with monkeypatch.context() as m:
        assert_same(path, fast_path_runs=True, monkeypatch=m)


# -- the pieces the fast path relies on ------------------------------------------------------------

def test_strip_characters_are_pythons():
    assert set(plain_csv.PY_WHITESPACE) == {chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace()}


@settings(max_examples=examples(300), deadline=None)
@given(st.lists(st.one_of(st.text(alphabet="0123456789+ ().-/", max_size=18),
                          st.from_regex(r"\A(\+55 ?|0|)\(?[1-9][0-9]\)? ?9?[0-9]{4}-?[0-9]{4}\Z"),
                          st.from_regex(r"\A(\+1 ?|1)?\(?[2-9][0-9]{2}\)? ?[2-9][0-9]{2}-?[0-9]{4}\Z")),
                min_size=1, max_size=30),
       st.sampled_from(["BR", "US"]))
def test_vectorised_phone_fast_path_is_phones_fast_path(texts, region):
    frame = fast_e164_frame(pl.Series(texts, dtype=pl.String), region)
    got = list(zip(frame["e164"].to_list(), frame["maybe_mobile"].to_list(), frame["nsn"].to_list()))
    for text, (e164, mobile, nsn) in zip(texts, got):
        expected = _fast(text, region) if re.fullmatch(FAST_PHONE_VALUE[1:-1], text) else None
        assert (None if e164 is None else (e164, mobile, nsn)) == expected, text


@given(st.sampled_from(debtors_fast._PLAIN_AMOUNTS).flatmap(
    lambda shape: st.tuples(st.from_regex(shape[0].replace("^", "\\A").replace("$", "\\Z")), st.just(shape[1]))))
def test_plain_amounts_are_read_as_parse_money_reads_them(case):
    text, replacements = case
    # debtors_fast reads these as Decimal(text after the replacements), and takes Decimal("0") + it as itself.
    mine = text
    for old, new in replacements:
        mine = mine.replace(old, new)
    assert repr(values.parse_money(text)) == repr(Decimal(mine)) == repr(Decimal("0") + Decimal(mine))


def test_frozen_constructor_builds_what_the_class_builds():
    cases = ((Destination, ("+5511987654321", LineType.MOBILE, True, "phone_mobile")),
             (Debtor, ("D1", "BR", "SP", Decimal("1.50"), ("America/Sao_Paulo",), "region", "n", (),
                       frozenset({"disputed"}), {"sms_consent": None})))
    for cls, args in cases:
        names = [f.name for f in dataclasses.fields(cls)][:len(args)]
        expected = cls(*args)
        for built in (constructor(cls)(*args), constructor(cls)(**dict(zip(names, args))),
                      constructor(cls, *reversed(names))(*reversed(args)) if cls is Destination else expected):
            assert type(built) is cls and built == expected and repr(built) == repr(expected)
            assert list(vars(built).items()) == list(vars(expected).items())
    assert constructor(Debtor)("D1", "BR", "SP", 1, (), "", "", ()).consents == {}  # default_factory
    assert constructor(Debtor)("D1", "BR", "SP", 1, (), "", "", ()).consents is not constructor(Debtor)(
        "D1", "BR", "SP", 1, (), "", "", ()).consents
    with pytest.raises(TypeError):
        constructor(Destination, "address", "colour")
    with pytest.raises(TypeError):
        constructor(Destination, "line_type")  # address has no default


def test_lowered_decimal_precision_leaves_the_file_to_the_row_path(tmp_path):
    path = _portfolio(tmp_path, 5, "BR", inject=False)
    with decimal.localcontext() as context:
        context.prec = 12
        assert debtors_fast.read(str(path), path.read_bytes()) is None
        assert_same(path)


def test_strategy_must_be_known(tmp_path):
    with pytest.raises(ValueError):
        read_debtors(CORPUS / "bom_utf8.csv", strategy="quick")
