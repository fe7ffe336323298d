"""Accounts of the web application through the real CLI: passwords shown once and kept only
as argon2 hashes, passwd and disable, and the brakes on guessing."""

import re
from datetime import datetime, timedelta

import pytest

from calendar_app.cli import cli
from calendar_app.model import TZ
from calendar_app.plan.reader import load_plan
from calendar_app.store import Store, accounts

from .conftest import csrf as _csrf
from .conftest import on_both_databases

pytestmark = on_both_databases

NOW = datetime(2025, 6, 20, 9, 0, tzinfo=TZ)


def _password(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("password: "))
    return line.split()[1]


def test_a_new_account_gets_a_password_once_stored_only_as_a_hash(stored_small):
    out = stored_small.run("accounts", "add", "zhang", "--unit", "县应急管理局").output
    assert "account zhang for 县应急管理局 created" in out
    password = _password(out)
    assert len(password) >= 12
    [(stored,)] = stored_small.database.rows("SELECT password FROM account WHERE login = 'zhang'")
    assert stored.startswith("$argon2id$") and password not in stored
    with Store.open(stored_small.db) as store:
        assert accounts.sign_in(store, "zhang", password, at("1.2.3.4"), NOW).account.unit == "yingji"
    listed = stored_small.run("accounts", "list").output
    assert "zhang" in listed and "县应急管理局" in listed and "启用" in listed


def test_password_stdin_passwd_and_disable(stored_small):
    ws = stored_small
    out = ws.runner.invoke(cli, ["--plan", str(ws.plan), "--db", str(ws.db), "accounts", "add", "kx",
                            "--coordinator", "--password-stdin"], input="a-long-secret-1\n")
    assert out.exit_code == 0, out.output
    assert "password:" not in out.output
    with Store.open(ws.db) as store:
        first = store.account("kx")
        assert first.coordinator and first.unit is None
        assert accounts.sign_in(store, "kx", "a-long-secret-1", at("h"), NOW).account is not None
    new = _password(ws.run("accounts", "passwd", "kx").output)
    with Store.open(ws.db) as store:
        assert accounts.sign_in(store, "kx", "a-long-secret-1", at("h"), NOW).account is None
        assert accounts.sign_in(store, "kx", new, at("h"), NOW).account is not None
        assert store.account("kx").changed > first.changed  # older sessions end
    refused = ws.run("accounts", "disable", "kx", ok=False)
    assert refused.exit_code == 1
    assert refused.output == ("kx is the last coordinator account that can sign in; add another "
                              "(accounts add LOGIN --coordinator) first\n")
    ws.run("accounts", "add", "zhao", "--unit", "yingji", "--password-stdin",
           input="zhao-password-1\n")
    ws.run("accounts", "disable", "zhao")
    with Store.open(ws.db) as store:
        assert accounts.sign_in(store, "zhao", "zhao-password-1", at("h"), NOW).account is None
    assert "停用" in ws.run("accounts", "list").output
    ws.run("accounts", "enable", "zhao")
    with Store.open(ws.db) as store:
        assert accounts.sign_in(store, "zhao", "zhao-password-1", at("h"), NOW).account is not None
    history = ws.run("accounts", "history").output.splitlines()
    assert [line.split()[2:5] for line in history[2:]] == [
        ["zhao", "县应急管理局", "启用"], ["zhao", "县应急管理局", "停用"],
        ["zhao", "县应急管理局", "新建账号"], ["kx", "县科协（统筹）", "重置密码"],
        ["kx", "县科协（统筹）", "新建账号"]]


def test_a_hash_of_older_parameters_signs_in_and_is_made_again_without_signing_anyone_out(
        stored_small, product_hasher, monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setattr(accounts, "_HASHER", product_hasher)
    ws = stored_small
    ws.run("accounts", "add", "kx", "--coordinator", "--password-stdin", input="a-long-secret-1\n")
    old = PasswordHasher().hash("a-long-secret-1")  # argon2-cffi's defaults, as before 2026-12
    ws.database.execute(f"UPDATE account SET password = '{old}' WHERE login = 'kx'")
    with Store.open(ws.db) as store:
        before = store.account("kx").changed
        assert accounts.sign_in(store, "kx", "a-long-secret-1", at("h"), NOW).account is not None
        again = store.account("kx")
    assert again.password != old and "$m=19456,t=2,p=1$" in again.password
    assert again.changed == before  # the same password: its sessions go on
    with Store.open(ws.db) as store:
        assert accounts.sign_in(store, "kx", "a-long-secret-1", at("h"), NOW).account is not None
        assert store.account("kx").password == again.password  # made again once only


def test_an_unknown_or_disabled_login_costs_a_hash_check_like_a_wrong_password(
        stored_small, monkeypatch):
    ws = stored_small
    ws.run("accounts", "add", "li", "--unit", "yingji", "--password-stdin",
           input="a-long-secret-2\n")
    ws.run("accounts", "add", "old", "--unit", "yingji", "--password-stdin",
           input="a-long-secret-3\n")
    ws.run("accounts", "disable", "old")
    checked = []
    real = accounts._matches
    monkeypatch.setattr(accounts, "_matches", lambda h, p: checked.append(h) or real(h, p))
    with Store.open(ws.db) as store:
        for login, password in (("li", "wrong-password"), ("nobody", "a-long-secret-2"),
                                ("old", "a-long-secret-3")):
            assert accounts.sign_in(store, login, password, at("h"), NOW).account is None
    assert len(checked) == 3 and all(h.startswith("$argon2id$") for h in checked)
    assert checked[1] == checked[2]  # one stand-in hash, made once


@pytest.mark.parametrize("args, message", [
    (["accounts", "add", "Zhang Wei", "--unit", "yingji"], "login 'Zhang Wei' must be"),
    (["accounts", "add", "li", "--unit", "县应急"], "unknown unit '县应急'"),
    (["accounts", "add", "li"], "either a unit's (--unit) or the coordinator's"),
    (["accounts", "passwd", "nobody"], "no account 'nobody'"),
    (["accounts", "disable", "nobody"], "no account 'nobody'"),
])
def test_bad_account_commands_are_one_line(stored_small, args, message):
    result = stored_small.run(*args, ok=False)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_a_taken_login_and_a_short_password_are_refused(stored_small):
    stored_small.run("accounts", "add", "wang", "--unit", "yingji")
    assert "exists already" in stored_small.run("accounts", "add", "wang", "--unit", "kexie",
                                                ok=False).output
    plan = load_plan(stored_small.plan)
    with Store.open(stored_small.db) as store, pytest.raises(accounts.AccountError):
        accounts.add(store, plan, "zhao", "yingji", False, "short", NOW, "test")


def at(address: str, device: str = "") -> accounts.Source:
    return accounts.Source(address, device)


def test_failed_sign_ins_are_slowed_then_refused_until_the_moment_said(stored_small):
    plan = load_plan(stored_small.plan)
    with Store.open(stored_small.db) as store:
        accounts.add(store, plan, "li", "yingji", False, "right-password-1", NOW, "test")
        delays = [accounts.sign_in(store, "li", "wrong", at("10.0.0.1"),
                                   NOW + timedelta(minutes=i)).delay
                  for i in range(accounts.REFUSE_LOGIN)]
        assert delays[:accounts.SLOW_AFTER] == [0.0] * accounts.SLOW_AFTER
        assert delays[-1] > delays[accounts.SLOW_AFTER] > 0
        # Refused now from there, even with the right password, until the first failure
        # (at 9:00) has left the 15 minutes' window ...
        later = NOW + timedelta(minutes=12)
        with pytest.raises(accounts.SignInRefused) as refused:
            accounts.sign_in(store, "li", "right-password-1", at("10.0.0.1"), later)
        assert refused.value.until == NOW + accounts.WINDOW
        # ... and a refused attempt does not put that moment off.
        assert accounts.sign_in(store, "li", "right-password-1", at("10.0.0.1"),
                                refused.value.until).account
        # The login from another address was never locked.
        assert accounts.sign_in(store, "li", "right-password-1", at("10.0.0.2"), later).account


def test_a_stranger_s_guesses_do_not_lock_out_a_browser_that_signed_in_before(stored_small):
    plan = load_plan(stored_small.plan)
    with Store.open(stored_small.db) as store:
        accounts.add(store, plan, "li", "yingji", False, "right-password-1", NOW, "test")
        for _ in range(accounts.REFUSE_LOGIN):  # guessed from ten addresses: 100 in all
            for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5",
                            "10.0.0.6", "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10"):
                try:
                    accounts.sign_in(store, "li", "wrong", at(address), NOW)
                except accounts.SignInRefused:
                    pass
        # The login is locked for anyone new, wherever from, the owner's address included ...
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(store, "li", "right-password-1", at("10.0.0.99"), NOW)
        # ... but not for the owner's browser, which signed in before (its device cookie).
        assert accounts.sign_in(store, "li", "right-password-1", at("10.0.0.1", "d1"),
                                NOW).account
        # A device that guesses is locked in its turn, alone.
        for _ in range(accounts.REFUSE_LOGIN):
            accounts.sign_in(store, "li", "wrong", at("10.0.0.1", "d2"), NOW)
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(store, "li", "right-password-1", at("10.0.0.1", "d2"), NOW)
        assert accounts.sign_in(store, "li", "right-password-1", at("10.0.0.1", "d1"),
                                NOW).account


def test_one_address_guessing_many_logins_is_refused(stored_small):
    with Store.open(stored_small.db) as store:
        for i in range(accounts.REFUSE_ADDRESS):
            accounts.sign_in(store, f"user{i}", "x", at("10.9.9.9"), NOW)
        with pytest.raises(accounts.SignInRefused):
            accounts.sign_in(store, "another", "x", at("10.9.9.9"), NOW)
        assert accounts.sign_in(store, "another", "x", at("10.1.1.1"), NOW).account is None


def test_a_password_longer_than_any_that_can_be_set_is_refused(stored_small):
    plan = load_plan(stored_small.plan)
    with Store.open(stored_small.db) as store, pytest.raises(accounts.AccountError) as long:
        accounts.add(store, plan, "zhao", "yingji", False, "x" * 129, NOW, "test")
    assert long.value.said == "密码不超过128个字符。"


def test_pages_name_the_command_line_as_the_administrator_not_the_servers_user(web):
    """The command line records the server's user (root) in the history, which the
    administrators' own listing keeps; pages name it 系统管理员（命令行）, and keep a login or a
    name given with --by as it is."""
    import getpass

    ws = web.ws
    ws.run("accounts", "add", "zhang", "--unit", "yingji", "--password-stdin",
           input="zhang-password-1\n")
    ws.run("record", "done", "m02-day/2025", "--attendance", "80")
    ws.run("record", "cancel", "m02-week/2025", "--reason", "场地检修", "--by", "张伟")
    client = web.client("kx")
    client.post("/accounts/zhang/disable", data={"csrf_token": _csrf(client.get("/accounts").text)})
    listing = ws.run("accounts", "history").output
    assert getpass.getuser() in listing  # the administrators' own listing names the user

    page = client.get("/accounts").text
    zhang = re.findall(r"<td>zhang<div[^>]*>[^<]*</div></td><td>([^<]*)</td><td>([^<]*)</td>",
                       page)  # newest first
    assert zhang == [("停用", "kx"), ("新建账号", "系统管理员（命令行）")]
    event = client.get("/events/m02-day/2025").text
    assert "系统管理员（命令行）" in event and f"· {getpass.getuser()}<" not in event
    assert "· 张伟</div>" in client.get("/events/m02-week/2025").text
