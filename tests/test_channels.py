"""Channels: Apprise URLs read by Apprise's own parsing, kept in the database with their
secrets masked wherever shown, set, listed, removed and tested from the command line; and
the plan's `reminders` section, checked like the rest of the plan."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from calendar_app.remind.channels import ChannelError, parse, scrub

from .conftest import DATA, Workspace, on_both_databases
from .receivers import Hook

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DING_TOKEN = "b2d8f4c0e1a9473f8e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c5b6a7f"
DING_SECRET = "SEC0123456789abcdef0123456789abcdef"
FEISHU_TOKEN = "0b6a1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d"


@pytest.mark.parametrize(("url", "service", "shown"), [
    (f"wecombot://{WECOM_KEY}", "wecombot", "wecombot://6...a"),
    # The address a WeCom group robot gives, pasted as it is.
    (f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}", "wecombot",
     "wecombot://6...a"),
    (f"dingtalk://{DING_TOKEN}", "dingtalk", "dingtalk://b...f"),
    (f"dingtalk://{DING_SECRET}@{DING_TOKEN}", "dingtalk", "dingtalk://****@b...f"),
    (f"feishu://{FEISHU_TOKEN}", "feishu", "feishu://0...d"),
    ("mailtos://kexie:Auth0rCode@smtp.qq.com?to=yingji@cy.example", "mailto",
     "mailtos://kexie:****@smtp.qq.com/yingji@cy.example"),
    ("json://127.0.0.1:8080/hooks/a1b2c3d4e5f6", "json", "json://127.0.0.1:8080/hooks/a...6"),
])
def test_apprise_reads_the_forms_county_staff_use_and_the_secret_is_masked(url, service, shown):
    found = parse(url)
    assert (found.service, found.shown) == (service, shown)
    for secret in (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_TOKEN, "Auth0rCode", "a1b2c3d4e5f6"):
        assert secret not in found.shown and secret not in repr(found)


def test_one_robot_written_two_ways_is_one_channel():
    assert parse(f"wecombot://{WECOM_KEY}").ident == parse(
        f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}").ident
    assert parse(f"wecombot://{WECOM_KEY}").ident != parse(f"wecombot://{WECOM_KEY[:-1]}b").ident


@pytest.mark.parametrize(("url", "said"), [
    ("", "a channel needs a URL"),
    ("wecombot://", "wecombot:// is not a channel address Apprise accepts"),
    ("dingtalk://not!a!token", "dingtalk:// is not a channel address Apprise accepts"),
    ("nonsense", "this URL is not a channel address Apprise accepts"),
    ("slack://T000/B000/XXXXXXXX", "slack:// is not a channel reminders go through"),
    (f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}",
     "write a DingTalk robot's address as dingtalk://ACCESS_TOKEN"),
    (f"wecombot://{WECOM_KEY} extra", "one line without spaces"),
])
def test_a_url_apprise_refuses_is_told_in_one_line_without_the_secret(url, said):
    with pytest.raises(ChannelError) as refused:
        parse(url)
    assert said in str(refused.value) and "\n" not in str(refused.value)
    assert DING_TOKEN not in str(refused.value) and WECOM_KEY not in str(refused.value)
    assert refused.value.cn  # and in Chinese, for the coordinator's page


def test_what_apprise_says_is_scrubbed_of_the_secret():
    url = f"dingtalk://{DING_SECRET}@{DING_TOKEN}"
    assert scrub(f"token {DING_TOKEN} and secret {DING_SECRET} refused", url) == \
        "token **** and secret **** refused"


@on_both_databases
def test_channels_are_set_listed_masked_and_removed(stored_small, database):
    ws = stored_small
    url = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"
    said = ws.run("channels", "set", "县应急管理局", url).output
    assert said.startswith("县应急管理局: 企业微信群机器人 wecombot://6...a added")
    again = ws.run("channels", "set", "yingji", f"wecombot://{WECOM_KEY}").output
    assert "wecombot://6...a updated" in again
    ws.run("channels", "set", "coordinator", "mailtos://kexie:Auth0rCode@smtp.qq.com?to=kx@cy.example")
    listed = ws.run("channels", "list").output
    assert WECOM_KEY not in listed and "Auth0rCode" not in listed
    lines = listed.splitlines()
    assert lines[2].split() == ["县科协（统筹）", "电子邮件", "mailtos://kexie:****@smtp.qq.com/kx@cy.example",
                                "尚未发送", "—"]
    assert lines[3].split() == ["县应急管理局", "企业微信群机器人", "wecombot://6...a", "尚未发送", "—"]
    # The secret is in the database alone (to send), never in the plan file.
    assert database.rows("SELECT COUNT(*) FROM channel") == [(2,)]
    assert WECOM_KEY not in ws.plan.read_text(encoding="utf-8")
    # Removed by the URL as set, or as the list shows it masked.
    assert ws.run("channels", "remove", "yingji", "wecombot://6...a").output.strip() == \
        "县应急管理局: wecombot://6...a removed"
    assert ws.run("channels", "remove", "coordinator",
                  "mailtos://kexie:Auth0rCode@smtp.qq.com?to=kx@cy.example").exit_code == 0
    assert database.rows("SELECT COUNT(*) FROM channel") == [(0,)]


def test_bad_input_changes_nothing_and_says_so_in_one_line(stored_small, database):
    ws = stored_small
    bad = ws.run("channels", "set", "县应急管理局", f"dingtalk://{DING_TOKEN}!", ok=False)
    assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1
    assert "dingtalk:// is not a channel address Apprise accepts" in bad.output
    assert DING_TOKEN not in bad.output
    unknown = ws.run("channels", "set", "县应急管理", f"wecombot://{WECOM_KEY}", ok=False)
    assert unknown.output.strip() == "unknown unit '县应急管理' (did you mean 县应急管理局?)"
    missing = ws.run("channels", "remove", "yingji", "wecombot://6...a", ok=False)
    assert missing.output.strip() == ("县应急管理局 has no channel 'wecombot://6...a'; "
                                      "`calendar-app channels list` shows them")
    # A URL that is not set is said back masked, never whole.
    whole = ws.run("channels", "remove", "yingji", f"wecombot://{WECOM_KEY}", ok=False)
    assert whole.output.strip() == missing.output.strip()
    typo = ws.run("channels", "remove", "yingji", f"dingtalk://{DING_TOKEN}!", ok=False)
    assert typo.output.startswith("县应急管理局 has no channel 'dingtalk://****'")
    none = ws.run("channels", "test", "yingji", ok=False)
    assert "县应急管理局 has no channel" in none.output
    assert database.rows("SELECT COUNT(*) FROM channel") == [(0,)]


def test_a_url_left_out_of_the_command_line_is_read_from_standard_input(stored_small, database):
    # `channels set UNIT < url.txt`: the key never enters the shell's history.
    said = stored_small.run("channels", "set", "yingji", input=f"wecombot://{WECOM_KEY}\n")
    assert said.output.strip().startswith("县应急管理局: 企业微信群机器人 wecombot://6...a added")
    assert WECOM_KEY not in said.output
    assert database.rows("SELECT COUNT(*) FROM channel") == [(1,)]
    empty = stored_small.run("channels", "set", "yingji", input="", ok=False)
    assert empty.exit_code == 1 and "a channel needs a URL" in empty.output


def test_a_url_left_out_at_a_terminal_is_asked_for_without_being_shown(stored_small):
    """The real command at a real terminal (a pseudo-terminal): the prompt does not echo
    what is typed, and the channel is kept."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "calendar_app", "--plan", str(stored_small.plan), "--db",
               str(stored_small.db), "--exports", str(stored_small.exports), "channels", "set", "yingji"]
    process = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower,
                               close_fds=True)
    os.close(follower)
    seen = _read_until(leader, b"(not shown): ")
    os.write(leader, f"wecombot://{WECOM_KEY}\n".encode())
    seen += _read_until(leader, b"\n", after=b"added")
    assert process.wait(timeout=60) == 0, seen.decode(errors="replace")
    os.close(leader)
    text = seen.decode()
    assert "Channel URL (not shown): " in text and "wecombot://6...a added" in text
    assert WECOM_KEY not in text  # not echoed as it was typed, nor said back
    assert "wecombot://6...a" in stored_small.run("channels", "list").output


def _read_until(fd: int, end: bytes, after: bytes = b"") -> bytes:
    """What the terminal shows until `end` (past `after`), or all of it when the program ends."""
    got = b""
    while not (after in got and got.endswith(end) if after else got.endswith(end)):
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the program ended and closed the terminal
            break
        if not chunk:
            break
        got += chunk.replace(b"\r\n", b"\n")
    return got


def test_a_test_message_says_whether_it_arrived(stored_small):
    hook, down = Hook(), Hook()
    down.stop()
    try:
        stored_small.run("channels", "set", "yingji", hook.url("yj"))
        ok = stored_small.run("channels", "test", "yingji")
        assert ok.output.strip() == (f"json://127.0.0.1:{hook.port}/yj: arrived (the service "
                                     "accepted the 测试消息)")
        [body] = hook.messages("【测试消息】县应急管理局")
        assert "收到这条消息，说明今后的本周任务、临近提醒和到期催办都会发到这里。" in body
        stored_small.run("channels", "set", "yingji", down.url("robot"))
        failed = stored_small.run("channels", "test", "yingji", ok=False)
        assert failed.exit_code == 1
        assert f"json://127.0.0.1:{down.port}/robot: failed: 无法连接" in failed.output
        assert "渠道异常：无法连接" in stored_small.run("channels", "list").output
    finally:
        hook.stop()


# -- the plan's reminders section ------------------------------------------------------------

def test_the_reminders_settings_are_read(tmp_path):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("categories:", "reminders:\n  hour: 8\n  lead_days: [1, 7, 3]\n  digest: 周五\n"
            "  quiet: [holidays]\ncategories:")
    from calendar_app.plan.reader import load_plan

    r = load_plan(ws.plan).reminders
    assert (r.hour, r.lead_days, r.digest, r.quiet) == (8, (7, 3, 1), 4, ("holidays",))


@pytest.mark.parametrize(("section", "message"), [
    ("  hour: 24", "reminders hour must be a whole hour from 0 to 23, not 24"),
    ("  hour: nine", "reminders hour must be a whole hour from 0 to 23, not 'nine'"),
    ("  lead_days: [3, -1]", "reminders lead_days must be whole numbers of days from 0 to 366, "
                             "not -1"),
    ("  digest: 周八", "reminders digest: unknown weekday '周八'"),
    ("  quiet: [sundays]", "reminders quiet is a list of weekends and holidays (or []), "
                           "not ['sundays']"),
    ("  channel: wecombot://x", "unknown key 'channel' in reminders"),
])
def test_impossible_reminders_settings_name_their_line(tmp_path, section, message):
    ws = Workspace(tmp_path, DATA / "minimal.yaml")
    ws.edit("categories:", f"reminders:\n{section}\ncategories:")
    line = ws.plan.read_text(encoding="utf-8").splitlines().index(section) + 1
    result = ws.run("validate", ok=False)
    assert result.exit_code == 1
    assert f"recurring.yaml:{line}: {message}" in result.output
