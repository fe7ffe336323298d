"""Channels: the Apprise URLs reminders go through, checked by Apprise's own parsing, masked
wherever they are shown, and the one place a message leaves the machine. The only module that
imports Apprise.

A URL holds a secret (a group robot's key, a mail account's password). It is kept in the
database and handed to Apprise to send; nothing else shows it: lists and pages show it masked,
and what went wrong is told in Chinese words of our own, never in Apprise's lines (its debug
lines carry the robots' whole addresses). Apprise's log goes to this module alone.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

import apprise
from apprise import NotifyFormat

from ..errors import CalendarAppError

# The services a county's staff work in, by the scheme Apprise gives a URL once parsed (a WeCom
# robot's https://qyapi.weixin.qq.com/... address is read as wecombot://).
SERVICES = {"wecombot": "wecombot", "dingtalk": "dingtalk", "feishu": "feishu", "lark": "lark",
            "mailto": "mailto", "mailtos": "mailto", "json": "json", "jsons": "json"}
SERVICE_CN = {"wecombot": "企业微信群机器人", "dingtalk": "钉钉群机器人", "feishu": "飞书群机器人",
              "lark": "飞书群机器人", "mailto": "电子邮件", "json": "JSON 推送"}
FORMS = ("wecombot://KEY, dingtalk://TOKEN (dingtalk://SECRET@TOKEN when signed), "
         "feishu://TOKEN, mailtos://USER:PASSWORD@SMTP-HOST?to=ADDRESS, json://HOST/PATH")
TIMEOUT = 5.0  # seconds to connect, and again to be answered: a hung service costs no more
_LONGEST = 2000  # characters of a URL


class ChannelError(CalendarAppError):
    """A channel URL that cannot be used, said in one line that never quotes the secret; `cn`
    says it on the coordinator's page."""

    def __init__(self, message: str, cn: str):
        super().__init__(message)
        self.cn = cn


@dataclass(frozen=True)
class Address:
    """A channel URL Apprise accepts: the URL as given, masked, its identity and service."""

    url: str = field(repr=False)
    shown: str
    ident: str = field(repr=False)  # Apprise's: the same robot, however its URL is written
    service: str


class _Heard(logging.Handler):
    """What Apprise says while this thread sends or parses, kept for `_listening` alone."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append((record.levelno, record.getMessage()))


_HEARD = _Heard()
_LOG = apprise.logger
_LOG.addHandler(_HEARD)
_LOG.setLevel(logging.DEBUG)
_LOG.propagate = False  # never into the server's or the terminal's log: it holds the secrets


@contextmanager
def _listening() -> Iterator[list[tuple[int, str]]]:
    _HEARD.local.lines = []
    try:
        yield _HEARD.local.lines
    finally:
        _HEARD.local.lines = None


def _scheme(text: str) -> str:
    found = re.match(r"^([A-Za-z][A-Za-z0-9+.-]{0,20})://", text)
    return found[1].lower() if found else ""


def _instantiate(text: str):
    with _listening() as heard:
        plugin = apprise.Apprise.instantiate(text)
    return plugin, heard


def parse(url: str) -> Address:
    """The channel `url` names, as Apprise reads it, or ChannelError saying why not."""
    text = url.strip()
    if not text:
        raise ChannelError(f"a channel needs a URL: {FORMS}", "请填写渠道地址。")
    if len(text) > _LONGEST or any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F
                                   for c in text):
        raise ChannelError("a channel URL is one line without spaces, at most "
                           f"{_LONGEST} characters: {FORMS}", "渠道地址应为一行，不含空格。")
    scheme = _scheme(text)
    plugin, heard = _instantiate(text)
    if plugin is None:
        native = _NATIVE.get(_host(text))
        if native:
            raise ChannelError(f"write a {native[0]} robot's address as {native[1]} (the part "
                               f"after {native[2]} in the address it gave)",
                               f"{native[3]}机器人的地址请写成 {native[1]}（即原地址中 {native[2]} "
                               "后面的那一串）。")
        reason = _reason(heard, text)
        told = f"{scheme}://" if scheme else "this URL"
        raise ChannelError(f"{told} is not a channel address Apprise accepts"
                           f"{': ' + reason if reason else ''}; write one of {FORMS}",
                           "无法识别这个渠道地址，请按下方的格式填写。")
    service = SERVICES.get(plugin.url(privacy=True).split("://", 1)[0])
    if service is None:
        raise ChannelError(f"{scheme}:// is not a channel reminders go through: {FORMS}",
                           "只支持企业微信、钉钉、飞书群机器人，电子邮件和 JSON 推送。")
    return Address(text, _masked(plugin), plugin.url_id() or _digest(plugin), service)


def _digest(plugin) -> str:
    return hashlib.sha256(plugin.url(privacy=False).encode()).hexdigest()[:16]


# Robots whose own https address Apprise does not read (it reads WeCom's), and what to write.
_NATIVE = {"oapi.dingtalk.com": ("DingTalk", "dingtalk://ACCESS_TOKEN", "access_token=", "钉钉"),
           "open.feishu.cn": ("Feishu", "feishu://TOKEN", "/hook/", "飞书"),
           "open.larksuite.com": ("Lark", "lark://TOKEN", "/hook/", "飞书")}


def _host(text: str) -> str:
    found = re.match(r"^https?://([^/?#@]+)", text, re.IGNORECASE)
    return found[1].lower() if found else ""


def _masked(plugin) -> str:
    """The URL as Apprise shows it privately (keys as a...z, passwords as ****), without its
    options, and with the long parts of a JSON address's path masked too (a webhook's path is
    often its secret)."""
    shown = plugin.url(privacy=True).split("?", 1)[0]
    scheme, rest = shown.split("://", 1)
    if SERVICES.get(scheme) == "json" and "/" in rest:
        host, path = rest.split("/", 1)
        rest = host + "/" + "/".join(_short(part) for part in path.split("/"))
    return f"{scheme}://{unquote(rest).rstrip('/')}"


def _short(part: str) -> str:
    return part if len(part) <= 8 else f"{part[0]}...{part[-1]}"


def _reason(heard: list[tuple[int, str]], url: str) -> str:
    """Apprise's first warning about a URL it refused, with the secret parts masked."""
    for level, line in heard:
        if level >= logging.WARNING and "Could not load" not in line:
            return scrub(line.rstrip("."), url)
    return ""


def repeated(url: str) -> str:
    """A URL someone typed, as a message may say it back: masked as Apprise shows it, a masked
    form (copied from a list) as it is, anything else with its long parts hidden."""
    text = url.strip()
    try:
        return parse(text).shown
    except ChannelError:
        pass
    if "****" in text or "..." in text:
        return text
    return scrub(text, text)


def scrub(text: str, url: str) -> str:
    """`text` with every part of `url` that its masked form hides replaced by ****."""
    plugin, _ = _instantiate(url.strip())
    shown = _masked(plugin) if plugin is not None else _scheme(url) + "://"
    for part in sorted(set(re.split(r"[:/@?&=#+,;]+", url)), key=len, reverse=True):
        if len(part) >= 3 and part not in shown:
            text = text.replace(part, "****").replace(unquote(part), "****")
    return text


class Outbox:
    """One channel's Apprise plugin, sending messages in turn: Apprise spaces them as the
    service asks (WeCom and DingTalk robots take 20 a minute)."""

    def __init__(self, url: str, timeout: float = TIMEOUT):
        self.url = url
        self.plugin, _ = _instantiate(url)
        if self.plugin is not None:
            self.plugin.socket_connect_timeout = timeout
            self.plugin.socket_read_timeout = timeout
        self.timeout = timeout

    def send(self, title: str, body: str) -> str:
        """"" once the service accepted the message; else why not, in Chinese."""
        if self.plugin is None:
            return "渠道地址已无法识别，请重新设置"
        with _listening() as heard:
            try:
                ok = self.plugin.notify(body=body, title=title, body_format=NotifyFormat.TEXT)
            except Exception as exc:  # a plugin's own bug must not stop the other channels
                heard.append((logging.ERROR, f"{type(exc).__name__}: {exc}"))
                ok = False
        return "" if ok else failure(heard, self.timeout)


def failure(heard: list[tuple[int, str]], timeout: float) -> str:
    """What went wrong, in the coordinator's words, from what Apprise said while sending."""
    said = "\n".join(line for _, line in heard)
    status = re.search(r"(?:error=|- )(\d{3})\b", said)
    if re.search(r"timed? ?out", said, re.IGNORECASE):
        return f"连接超时：{timeout:g}秒内没有应答"
    if status:
        return f"服务拒收：返回错误代码{status[1]}"
    if re.search(r"AUTH extension not supported", said):  # smtplib, asked to log in
        return "邮件服务器不提供登录：请核对服务器地址和端口，或去掉地址中的用户名和授权码"
    if re.search(r"authenticat|login", said, re.IGNORECASE):
        return "邮件服务器拒绝登录：请核对用户名和授权码"
    if re.search(r"connect|refused|resolve|unreachable", said, re.IGNORECASE):
        return "无法连接：服务地址不通或拒绝连接"
    return "发送失败：服务未接收这条消息"
