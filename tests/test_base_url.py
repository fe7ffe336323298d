"""`base_url` goes into every feed (SOURCE) and every link of the subscription page: the
loader refuses anything but a plain http(s) address, and the feed writer percent-encodes URI
values anyway, so a CR/LF can never inject a property or a whole fake event."""

from dataclasses import replace
from datetime import date

import pytest

from calendar_app.feeds.view import render_feeds
from calendar_app.plan.reader import load_plan
from calendar_app.store import Store

from .conftest import DATA, Workspace
from .feedcheck import check_bytes, logical_lines, parse

INJECTED = "https://kx.example/cal\r\nBEGIN:VEVENT\r\nUID:fake\r\nSUMMARY:假活动\r\nEND:VEVENT"


@pytest.mark.parametrize("url, why", [
    ("https://kx.example/cal\\r\\nX-INJECT:1", "holds a space or a control character"),
    ("javascript:alert(1)", "must be an http:// or https:// address with a host"),
    ("ftp://kx.example/cal", "must be an http:// or https:// address with a host"),
    ("https://", "must be an http:// or https:// address with a host"),
    ("https://kx.example:port/cal", "must be an http:// or https:// address with a host"),
    ("https://kx.example/a b", "holds a space or a control character"),
    ("https://kx.example/<script>", "holds characters a URL may not contain"),
    ("https://崇阳.example/cal", "holds characters outside ASCII"),
    ("https://kx.example/cal?x=1", "no ? or # in it"),
])
def test_a_base_url_that_is_not_a_plain_address_is_refused(tmp_path, url, why):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("categories:", f'settings:\n  base_url: "{url}"\ncategories:')
    result = ws.run("build", "--today", "2025-01-01", ok=False)
    assert result.exit_code == 1 and not ws.db.exists()
    assert result.output.startswith(f"{ws.plan}:7: settings base_url ")
    assert why in result.output and len(result.output.splitlines()) == 1


@pytest.mark.parametrize("url", ["http://localhost:8000/calendar/", "https://kx.example",
                                 "https://10.0.0.5/cal", "https://xn--5rtw95l.example/cal"])
def test_plain_addresses_are_taken(tmp_path, url):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("categories:", f'settings:\n  base_url: "{url}"\ncategories:')
    assert load_plan(ws.plan).settings.base_url == url.rstrip("/")


def test_uri_values_are_escaped_even_past_the_loader(built_small):
    plan = load_plan(built_small.plan)
    plan = replace(plan, settings=replace(plan.settings, base_url=INJECTED))
    with Store.open(built_small.db) as store:
        entries = store.entries()
    files = render_feeds(plan, entries, date(2025, 1, 1))
    honest = render_feeds(load_plan(built_small.plan), entries, date(2025, 1, 1))
    data = files["feeds/jiaoyu.ics"]
    check_bytes(data)
    assert len(list(parse(data).walk("VEVENT"))) == len(list(parse(honest["feeds/jiaoyu.ics"])
                                                             .walk("VEVENT")))
    assert not any(line.startswith("UID:fake") for line in logical_lines(data))
    source = [line for line in logical_lines(data) if line.startswith("SOURCE:")]
    assert source == ["SOURCE:https://kx.example/cal%0D%0ABEGIN:VEVENT%0D%0AUID:fake%0D%0A"
                      "SUMMARY:%E5%81%87%E6%B4%BB%E5%8A%A8%0D%0AEND:VEVENT/feeds/jiaoyu.ics"]


@pytest.mark.parametrize("domain", ["kx example", "kx.example\\r\\nX:1", "-kx.example", "kx..example",
                                    "崇阳.example", "kx.example/path"])
def test_a_uid_domain_that_is_not_a_domain_name_is_refused(tmp_path, domain):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("categories:", f'settings:\n  uid_domain: "{domain}"\ncategories:')
    result = ws.run("validate", ok=False)
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1
    assert result.output.startswith(f"{ws.plan}:7: settings uid_domain ")
    assert "must be a domain name" in result.output


def test_a_domain_name_is_taken_as_uid_domain(tmp_path):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("categories:", 'settings:\n  uid_domain: kx.chongyang-county.example\ncategories:')
    assert load_plan(ws.plan).settings.uid_domain == "kx.chongyang-county.example"
