"""The HTML review report, rendered by a real headless browser (Debian chromium)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from contactplan.cli import app
from contactplan.generate import write_portfolio

runner = CliRunner()


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CONTACTPLAN_REQUIRE_BROWSER"):
        pytest.fail("headless chromium not installed")
    pytest.skip("headless chromium not installed")


def render(path, tmp_path) -> str:
    """The DOM after the page's script ran, as Chromium built it."""
    r = subprocess.run([_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory):
    return write_portfolio(tmp_path_factory.mktemp("html"), 120, seed=5)


def test_plan_report_renders_with_chart_and_exclusions(portfolio, tmp_path):
    html, out = tmp_path / "plan.html", tmp_path / "plan.csv"
    r = runner.invoke(app, ["plan", "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]), "--date",
                            "2026-11-24", "-o", str(out), "--html", str(html), "--no-store"])
    assert r.exit_code == 0, r.stderr
    dom = render(html, tmp_path)
    assert 'data-rendered="ok"' in dom  # the page's script ran in the browser
    contacts = len(out.read_text(encoding="utf-8").splitlines()) - 1
    assert re.search(r'id="chart-total">(\d+)<', dom).group(1) == str(contacts)
    assert re.search(r'id="violation-count">(\d+)<', dom).group(1) == "0"
    assert dom.count('class="capacity"') > 0 and dom.count('class="exclusion"') > 0
    assert "No violations." in dom
    # The planner's page: each pool against its own seats, per UF, the list paged and masked.
    rows = [line.split(",") for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    pools = {row[10] for row in rows if row[10]}
    assert all(f'id="pool-{pool}"' in dom for pool in pools)
    assert 'id="per-region"' in dom and 'id="per-zone"' in dom and 'id="per-channel"' in dom
    assert dom.count('class="contact"') == contacts
    assert re.search(r'id="page">page 1 of \d+ \(' + str(contacts) + r' rows\)<', dom)
    assert not any(row[4] in dom for row in rows)  # destinations only masked
    assert "No earlier plan in the archive." in dom


def test_plan_page_in_portuguese_draws_the_same_chart(portfolio, tmp_path):
    html, out = tmp_path / "plan.html", tmp_path / "plan.csv"
    r = runner.invoke(app, ["--lang", "pt-BR", "plan", "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]),
                            "--date", "2026-11-24", "-o", str(out), "--html", str(html), "--no-store"])
    assert r.exit_code == 0, r.stderr
    dom = render(html, tmp_path)
    assert '<html lang="pt-BR"' in dom and 'data-rendered="ok"' in dom
    contacts = len(out.read_text(encoding="utf-8").splitlines()) - 1
    assert re.search(r'id="chart-total">([\d.]+)<', dom).group(1).replace(".", "") == str(contacts)
    assert "Nenhuma violação." in dom and "No violations." not in dom
    assert re.search(r'id="page">página 1 de \d+ \(' + str(contacts) + r' linhas\)<', dom)


def test_plan_page_compares_with_the_previous_archived_plan(portfolio, tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    base = ["plan", "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]), "--db", db]
    assert runner.invoke(app, [*base, "--date", "2026-11-23", "-o", str(tmp_path / "a.csv")]).exit_code == 0
    html = tmp_path / "plan.html"
    r = runner.invoke(app, [*base, "--date", "2026-11-24", "-o", str(tmp_path / "b.csv"), "--html", str(html)])
    assert r.exit_code == 0, r.stderr
    dom = render(html, tmp_path)
    before = {line.split(",")[2] for line in (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()[1:]}
    now = {line.split(",")[2] for line in (tmp_path / "b.csv").read_text(encoding="utf-8").splitlines()[1:]}
    found = re.search(r'of 2026-11-23: ([\d,]+) debtors planned in both, ([\d,]+) only now, ([\d,]+) only then', dom)
    assert found and [int(g.replace(",", "")) for g in found.groups()] == [len(before & now), len(now - before),
                                                                          len(before - now)]


def test_audit_report_lists_each_violation(portfolio, tmp_path):
    out, html = tmp_path / "plan.csv", tmp_path / "audit.html"
    assert runner.invoke(app, ["plan", "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]), "--date",
                               "2026-11-24", "-o", str(out), "--no-store"]).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    # Plant two violations: a contact one hour before the window opens, and a second contact.
    first = lines[1].split(",")
    early = first.copy()
    early[5] = early[5].replace("T08:", "T06:").replace("T09:", "T06:").replace("T1", "T0")
    out.write_text("\n".join([*lines, ",".join(early)]) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["audit", str(out), "--debtors", str(portfolio[0]), "--agents", str(portfolio[1]),
                            "--html", str(html), "--no-store"])
    assert r.exit_code == 1
    dom = render(html, tmp_path)
    shown = int(re.search(r'id="violation-count">(\d+)<', dom).group(1))
    assert shown == dom.count('class="violation"') >= 2
    assert "violation(s)." in dom and first[2] in dom
    assert "+55" not in dom  # debtors by id only: no phone numbers in the report


def test_indicator_page_draws_its_charts_in_the_browser(tmp_path):
    """report --html: the rate-by-hour and trend charts are drawn (points in the DOM after the
    page's script ran), with no destination of any debtor on the page."""
    db = f"sqlite:///{tmp_path / 'store.db'}"
    history = tmp_path / "h.csv"
    lines = ["attempt_id,debtor_id,channel,destination,attempted_at,outcome"]
    outcomes = ["no_answer", "conversation", "promise_to_pay", "wrong_party", "busy"]
    for k in range(60):
        day, hour = 23 + k % 3, 9 + k % 8
        channel = "voice" if k % 4 else "whatsapp"
        lines.append(f"H{k},D{k % 20},{channel},+55119876500{k % 20:02d},2026-11-{day}T{hour:02d}:10:00-03:00,"
                     f"{outcomes[k % len(outcomes)]}")
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["history", "import", str(history), "--db", db]).exit_code == 0
    page = tmp_path / "indicators.html"
    r = runner.invoke(app, ["report", "--from", "2026-11-23", "--to", "2026-11-25", "--by", "channel,hour", "--db",
                            db, "--html", str(page)])
    assert r.exit_code == 0, r.output
    dom = render(page, tmp_path)
    assert 'data-rendered="ok"' in dom
    points = int(re.search(r'data-points="(\d+)"', dom).group(1))
    assert points >= 8  # voice and whatsapp by hour, three rates over three days
    assert re.search(r'<svg id="rate-by-hour"[^>]*>.*<polyline', dom, re.S)
    assert re.search(r'<svg id="trend-by-date"[^>]*>.*<polyline', dom, re.S)
    assert "+5511" not in dom
