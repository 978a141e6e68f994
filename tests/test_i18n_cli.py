"""Every command in both languages, through the CLI: the same exit code and the same data out,
people's text in the language asked for (and no English sentence left in the Portuguese)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contactplan.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BR, US = EXAMPLES / "br", EXAMPLES / "us"
DAY = "2026-11-24"

# Words of English prose that no Portuguese message holds (data such as column names, rule ids,
# channels and citations may still be English, and are not prose).
ENGLISH = re.compile(r"\b(the|is|are|was|were|not|of|and|with|from|which|wrote|written|planned|"
                     r"contacts?|attempts?|debtors?|rows?|error|warning|missing|must|expected|nothing)\b")


def _run(args, lang, tmp_path, env=None):
    return CliRunner(env={"COLUMNS": "400", **(env or {})}).invoke(app, ["--lang", lang, *args])


def _prose(text: str) -> str:
    """Text a person reads, without what is data: paths, rule ids, column and option names,
    quoted values and the rules' own titles and citations (pack data, written in the pack)."""
    # A suppression's reason is stored data (the store keeps it as recorded, in any language),
    # like the one an opt-out in the history records: "opt_out outcome, attempt <id>".
    text = re.sub(r"outcome,\s+[│ ]*attempt", " ", text)
    text = re.sub(r"\S*/\S*", " ", text)  # paths, dates with slashes, URLs
    text = re.sub(r"\b[a-z]+(?:[._-][a-z0-9]+)+\b", " ", text)  # rule ids, column_names, option-names
    text = re.sub(r"--?[a-z][a-z-]*", " ", text)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", " ", text)
    return text


def _bad_debtors(tmp_path: Path) -> Path:
    lines = (US / "debtors.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    bad = lines[1].split(",")
    bad[header.index("balance")] = "lots"
    path = tmp_path / "debtors.csv"
    path.write_text("\n".join([lines[0], ",".join(bad), *lines[2:]]) + "\n", encoding="utf-8")
    return path


def _scenarios(tmp_path: Path) -> dict[str, list[str]]:
    plan = ["plan", "-d", str(BR / "debtors.csv"), "-a", str(BR / "agents.csv"), "-c", str(BR / "contactplan.toml"),
            "--date", DAY, "--no-store"]
    plan_us = ["plan", "-d", str(US / "debtors.csv"), "-a", str(US / "agents.csv"), "-c", str(US / "contactplan.toml"),
               "--date", DAY, "--no-store"]
    db = f"sqlite:///{tmp_path / 'store.db'}"
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("slot_minutes = 7\n", encoding="utf-8")
    return {
        "plan": [*plan, "-o", str(tmp_path / "plan.csv")],
        "plan-us-stdout": plan_us,
        "plan-dry-run": [*plan_us, "--dry-run"],
        "plan-bad-row": ["plan", "-d", str(_bad_debtors(tmp_path)), "-a", str(US / "agents.csv"), "--date", DAY,
                         "--no-store", "--dry-run"],
        "plan-bad-row-fail": ["plan", "-d", str(_bad_debtors(tmp_path)), "-a", str(US / "agents.csv"), "--date", DAY,
                              "--no-store", "--dry-run", "--on-error", "fail"],
        "plan-bad-config": [*plan_us[:-1], "-c", str(bad_config), "--dry-run"],
        "plan-missing-file": ["plan", "-d", str(tmp_path / "nope.csv"), "-a", str(BR / "agents.csv"), "--date", DAY],
        "vicidial": [*plan, "--format", "vicidial", "-o", str(tmp_path / "vici")],
        "audit-log": ["audit", "--log", str(BR / "dialer-log.csv"), "-d", str(BR / "debtors.csv"), "-c",
                      str(BR / "contactplan.toml"), "--no-store"],
        "audit-log-json": ["audit", "--log", str(BR / "dialer-log.csv"), "-d", str(BR / "debtors.csv"), "-c",
                           str(BR / "contactplan.toml"), "--no-store", "--json"],
        "explain": ["explain", "D0000001", "-d", str(BR / "debtors.csv"), "-a", str(BR / "agents.csv"), "--date", DAY,
                    "-c", str(BR / "contactplan.toml"), "--no-store"],
        "rules-list": ["rules", "list"],
        "history-import": ["history", "import", str(BR / "results.csv"), "--db", db],
        "report": ["report", "--from", "2026-11-16", "--to", "2026-11-20", "--db", db, "--by", "channel,hour"],
        "report-html": ["report", "--from", "2026-11-16", "--to", "2026-11-20", "--db", db, "--format", "csv",
                        "-o", str(tmp_path / "indicators.csv"), "--html", str(tmp_path / "indicators.html")],
        "learn": ["learn", "--from", "2026-11-16", "--to", "2026-11-20", "--db", db, "-o", str(tmp_path / "model.toml")],
        "history-show": ["history", "show", "D0000001", "--db", db],
        "suppress-add": ["suppress", "add", "--debtor", "D0000002", "--reason", "pediu", "--db", db],
        "rules-show-missing": ["rules", "show", "xx"],
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each scenario run in English and in Portuguese, in fresh directories."""
    out = {}
    for lang in ("en", "pt-BR"):
        base = tmp_path_factory.mktemp(lang)
        scenarios = _scenarios(base)
        assert list(scenarios) == NAMES
        for name, args in scenarios.items():
            out[name, lang] = (_run(args, lang, base), base)
    return out


NAMES = ["plan", "plan-us-stdout", "plan-dry-run", "plan-bad-row", "plan-bad-row-fail", "plan-bad-config",
         "plan-missing-file", "vicidial", "audit-log", "audit-log-json", "explain", "rules-list", "history-import", "report", "report-html", "learn",
         "history-show", "suppress-add", "rules-show-missing"]


@pytest.mark.slow  # 26 CLI runs (19 s); the fast suite keeps the config, environment and page tests
def test_every_scenario_in_both_languages(runs):
    """One test for all scenarios, so that they run once (a worker each would run them twice)."""
    _data_files_are_identical_in_both_languages(runs)
    _audit_json_keeps_its_keys_and_rule_ids(runs)
    problems = []
    for name in NAMES:
        en, pt = runs[name, "en"][0], runs[name, "pt-BR"][0]
        if en.exit_code != pt.exit_code:
            problems.append((name, "exit code", en.exit_code, pt.exit_code, pt.stderr[-300:]))
        if "Traceback" in pt.stderr or "internal error" in pt.stderr.lower() or pt.exception and \
                not isinstance(pt.exception, SystemExit):
            problems.append((name, "fault", pt.stderr[-300:]))
        if en.stderr.strip():
            if pt.stderr == en.stderr:
                problems.append((name, "not translated"))
            leftover = sorted({m.group(0) for m in ENGLISH.finditer(_prose(pt.stderr))})
            if leftover:
                problems.append((name, "English prose", leftover, pt.stderr[:1500]))
    assert not problems, problems


def _data_files_are_identical_in_both_languages(runs):
    for name in ("plan",):
        en, pt = runs[name, "en"][1] / "plan.csv", runs[name, "pt-BR"][1] / "plan.csv"
        assert en.read_bytes() == pt.read_bytes()
    en_dir, pt_dir = runs["vicidial", "en"][1] / "vici", runs["vicidial", "pt-BR"][1] / "vici"
    names = sorted(str(p.relative_to(en_dir)) for p in en_dir.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(pt_dir)) for p in pt_dir.rglob("*") if p.is_file()) and names
    for n in names:
        assert (en_dir / n).read_bytes() == (pt_dir / n).read_bytes(), n
    assert runs["plan-us-stdout", "en"][0].stdout == runs["plan-us-stdout", "pt-BR"][0].stdout
    for name in ("indicators.csv", "model.toml"):
        en, pt = (runs["report-html", lang][1] / name for lang in ("en", "pt-BR"))
        assert en.read_bytes() == pt.read_bytes(), name
    assert '<html lang="pt-BR"' in (runs["report-html", "pt-BR"][1] / "indicators.html").read_text(encoding="utf-8")


def _audit_json_keeps_its_keys_and_rule_ids(runs):
    en = json.loads(runs["audit-log-json", "en"][0].stdout)
    pt = json.loads(runs["audit-log-json", "pt-BR"][0].stdout)

    def shape(doc):
        return sorted(doc), [(v["rule_id"], v["debtor_id"], v.get("at")) for v in doc["violations"]]

    assert shape(en) == shape(pt) and en["violations"]
    assert [v["message"] for v in en["violations"]] != [v["message"] for v in pt["violations"]]


def test_the_config_chooses_portuguese_and_lang_overrides_it(tmp_path):
    config = tmp_path / "contactplan.toml"
    shutil.copy(BR / "contactplan.toml", config)
    config.write_text('language = "pt-BR"\n' + config.read_text(encoding="utf-8"), encoding="utf-8")
    args = ["plan", "-d", str(BR / "debtors.csv"), "-a", str(BR / "agents.csv"), "-c", str(config), "--date", DAY,
            "--no-store", "--dry-run"]
    english = CliRunner().invoke(app, ["--lang", "en", *args])
    default = CliRunner().invoke(app, args)
    assert default.exit_code == english.exit_code == 0
    assert default.stderr != english.stderr
    assert not ENGLISH.search(_prose(default.stderr.split("\n", 1)[-1]))


def test_explain_prints_its_colours_not_their_markup(tmp_path):
    for lang, said in (("en", "Not planned"), ("pt-BR", "Não planejado")):
        r = CliRunner().invoke(app, ["--lang", lang, "explain", "D0000068", "-d", str(BR / "debtors.csv"), "-a",
                                     str(BR / "agents.csv"), "--date", DAY, "--no-store"])
        assert r.exit_code == 0 and said in r.stdout and "[yellow]" not in r.stdout and "[/" not in r.stdout


def test_the_environment_chooses_portuguese(tmp_path):
    args = ["rules", "show", "xx"]
    english = CliRunner().invoke(app, args)
    portuguese = CliRunner(env={"LANG": "pt_BR.UTF-8"}).invoke(app, args)
    assert english.exit_code == portuguese.exit_code == 2
    assert english.stderr != portuguese.stderr
    overridden = CliRunner(env={"LANG": "pt_BR.UTF-8"}).invoke(app, ["--lang", "en", *args])
    assert overridden.stderr == english.stderr


def test_a_bad_language_is_a_usage_error():
    r = CliRunner().invoke(app, ["--lang", "fr", "rules", "list"])
    assert r.exit_code == 2 and "pt-BR" in r.stderr


def test_a_bad_language_in_the_config_names_the_key(tmp_path):
    config = tmp_path / "contactplan.toml"
    config.write_text('language = "klingon"\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["rules", "list", "-c", str(config)])
    assert r.exit_code == 2 and "language" in r.stderr and "klingon" not in r.stderr
