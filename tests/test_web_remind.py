"""The reminders in the browser (the Flask test client): the coordinator sets a unit's
channels on its home and its own on the dashboard, tests them, sees 渠道异常, and urges one
unit or every red one with 一键催办; a unit's account may do none of it (403)."""

from __future__ import annotations

import re

import pytest

from .conftest import csrf, on_both_databases
from .receivers import Hook


@pytest.fixture
def hook():
    receiver = Hook()
    yield receiver
    receiver.stop()


def _add(web, client, unit: str, url: str):
    page = client.get(f"/?unit={unit}" if unit else "/dashboard").text
    return client.post("/channels", data={"csrf_token": csrf(page), "unit": unit, "url": url})


@on_both_databases
def test_the_coordinator_sets_a_units_channel_on_its_home_and_sees_it_masked(web, database):
    kx = web.client("kx")
    key = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    page = kx.get("/?unit=yingji").text
    assert "提醒渠道" in page and 'action="/channels"' in page
    answer = _add(web, kx, "yingji", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={key}")
    assert answer.status_code == 303 and answer.location.endswith("/?unit=yingji#channels")
    page = kx.get("/?unit=yingji").text
    assert "已添加企业微信群机器人 wecombot://6...a。" in page
    assert "wecombot://6...a" in page and "尚未发送过消息" in page and key not in page
    assert database.rows("SELECT unit, service FROM channel") == [("yingji", "wecombot")]
    assert "提醒渠道" in kx.get("/units").text and 'href="/?unit=yingji#channels"' in \
        kx.get("/units").text
    # Removed from the same page.
    channel = re.search(r'name="channel" value="(\d+)"', page)[1]
    gone = kx.post("/channels/remove", data={"csrf_token": csrf(page), "unit": "yingji",
                                             "channel": channel})
    assert gone.status_code == 303
    assert database.rows("SELECT COUNT(*) FROM channel") == [(0,)]


def test_an_address_apprise_refuses_is_said_beside_the_field_and_nothing_is_kept(web, database):
    kx = web.client("kx")
    answer = _add(web, kx, "yingji", "dingtalk://not!a!token")
    assert answer.status_code == 400
    page = answer.text
    assert '<div class="field-error" role="alert">无法识别这个渠道地址，请按下方的格式填写。</div>' in page
    assert 'value="dingtalk://not!a!token"' in page  # what was typed, to correct
    native = _add(web, kx, "", "https://oapi.dingtalk.com/robot/send?access_token=abc123")
    assert native.status_code == 400 and "钉钉机器人的地址请写成 dingtalk://ACCESS_TOKEN" in native.text
    assert "督查看板" in native.text  # the coordinator's own form is on the dashboard
    assert database.rows("SELECT COUNT(*) FROM channel") == [(0,)]


def test_a_units_account_sees_no_channels_and_may_neither_set_test_nor_urge(web, hook, database):
    yj = web.client("yj")
    page = yj.get("/").text
    assert "提醒渠道" not in page and 'action="/channels"' not in page
    token = csrf(page)
    for url, data in (("/channels", {"unit": "yingji", "url": hook.url()}),
                      ("/channels/test", {"unit": "yingji"}),
                      ("/channels/remove", {"unit": "yingji", "channel": "1"}),
                      ("/urge", {"unit": "yingji"}), ("/urge", {"all": "red"})):
        assert yj.post(url, data={"csrf_token": token, **data}).status_code == 403, url
    assert database.rows("SELECT COUNT(*) FROM channel") == [(0,)]
    assert hook.received == []


def test_a_test_message_from_the_units_page(web, hook):
    kx = web.client("kx")
    _add(web, kx, "yingji", hook.url("yj"))
    page = kx.get("/?unit=yingji").text
    answer = kx.post("/channels/test", data={"csrf_token": csrf(page), "unit": "yingji"})
    assert answer.status_code == 303
    assert hook.titles("yj") == ["【测试消息】县应急管理局"]
    assert f"测试消息已送达JSON 推送 json://127.0.0.1:{hook.port}/yj，请到群里（或邮箱）确认。" in \
        kx.get("/?unit=yingji").text


@on_both_databases
def test_one_click_urges_a_unit_once_a_day(web, hook):
    kx = web.client("kx")
    _add(web, kx, "yingji", hook.url("yj"))
    page = kx.get("/dashboard").text
    assert "一键催办" in page and 'name="unit" value="yingji"' in page
    answer = kx.post("/urge", data={"csrf_token": csrf(page), "unit": "yingji"})
    assert answer.status_code == 303 and answer.location.endswith("/dashboard#remind")
    [body] = hook.messages("【一键催办】县应急管理局")
    assert body.startswith("县全民科学素质工作领导小组办公室提醒：以下事项已逾期未报，请尽快登记：")
    assert "· 月度例会：逾期未报6次（最早2025年1月6日）" in body
    assert "已向1个单位发送一键催办：县应急管理局。" in kx.get("/dashboard").text
    again = kx.post("/urge", data={"csrf_token": csrf(page), "unit": "yingji"})
    assert again.status_code == 303 and len(hook.received) == 1
    assert "今天已催办过，没有重复发送：县应急管理局。" in kx.get("/dashboard").text


def test_urging_every_red_unit_says_who_has_no_channel_and_whose_failed(web, hook):
    kx = web.client("kx")
    down = Hook()
    down.stop()
    _add(web, kx, "yingji", hook.url("yj"))
    _add(web, kx, "xuanchuan", down.url("xc"))
    page = kx.get("/dashboard").text
    red = re.search(r"向全部红灯单位催办（(\d+)个）", page)
    assert red and int(red[1]) >= 2
    kx.post("/urge", data={"csrf_token": csrf(page), "all": "red"})
    assert hook.titles("yj") == ["【一键催办】县应急管理局"]
    page = kx.get("/dashboard").text
    assert "已向1个单位发送一键催办：县应急管理局。" in page
    assert f"渠道异常，未送达：县委宣传部 json://127.0.0.1:{down.port}/xc：无法连接" in page
    assert "尚未设置提醒渠道，无法催办：" in page
    # The channel in trouble is listed as such, with its error and the way to its unit.
    section = page[page.index('id="remind"'):]
    assert "渠道异常（1）" in section and 'href="/?unit=xuanchuan#channels"' in section
    assert "无法连接：服务地址不通或拒绝连接" in section


def test_the_coordinators_own_channel_is_set_on_the_dashboard(web, hook, database):
    kx = web.client("kx")
    answer = _add(web, kx, "", hook.url("kx"))
    assert answer.status_code == 303 and answer.location.endswith("/dashboard#remind")
    assert database.rows("SELECT unit FROM channel") == [("",)]
    page = kx.get("/dashboard").text
    assert f"json://127.0.0.1:{hook.port}/kx" in page[page.index("县科协（统筹）的渠道"):]


def test_the_exported_dashboard_has_no_reminders_part(web):
    web.ws.run("build", "--today", "2025-06-20")
    exported = (web.ws.exports / "gaps" / "index.html").read_text(encoding="utf-8")
    assert 'id="remind"' not in exported and "一键催办" not in exported


def test_a_training_site_sends_nothing(web, hook):
    kx = web.client("kx")
    _add(web, kx, "yingji", hook.url("yj"))
    web.site.training = True
    page = kx.get("/dashboard").text
    assert "培训模式：不发送任何消息。" in page
    kx.post("/urge", data={"csrf_token": csrf(page), "unit": "yingji"})
    kx.post("/channels/test", data={"csrf_token": csrf(page), "unit": "yingji"})
    assert hook.received == []
    assert "培训模式下不发送任何消息。" in kx.get("/dashboard").text
