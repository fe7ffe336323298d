"""Who may sign in, and signing in: accounts, their passwords, and the brakes on guessing.

Passwords are kept only as argon2id hashes (argon2-cffi). A new account gets a random
password, shown once. Sign-in attempts are counted in the database, so every application
process sees them, and each is counted before its password is checked, so that attempts made
at once cannot all slip under the limit. They are counted by where they come from: a browser
that signed in to the login before (it proves so with its device cookie) has a count of its
own, so a stranger's guesses never lock the owner out; any other attempt counts against the
login from its address, against the login from anywhere (a higher bound) and against its
address whatever the login. After a few failures each further attempt waits a little
longer, and past a limit attempts are refused until the oldest failures age out of the
window, a moment the refusal names.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .. import limits
from ..errors import CalendarAppError, UnknownUnit
from ..model import Account, Plan
from .store import Store

# OWASP's argon2id configuration (19 MiB, 2 passes, 1 lane) rather than argon2-cffi's default
# (64 MiB, 3 passes, 4 lanes): a fifth of the work, so a morning's burst of sign-ins does not
# take the server's cores from the pages. A hash made with other parameters still verifies, and
# is made again with these at its next good sign-in.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# However many sign-ins arrive at once (or are sent to flood /login), hashing keeps a core free.
_HASHING = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1))
_LOGIN = re.compile(rf"^[a-z0-9][a-z0-9._-]{{1,{limits.LOGIN - 1}}}$")
# No 0/O, 1/l/I: a password read out over the phone or copied from paper must survive it.
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_PASSWORD = 10
WINDOW = timedelta(minutes=15)  # failures older than this are forgotten
SLOW_AFTER = 3  # failures for one login from one place before each attempt is slowed
REFUSE_LOGIN = 10  # failures for one login from one place (an address, a device) in WINDOW
REFUSE_ADDRESS = 30  # ... from one address, whatever logins it tries
REFUSE_ANYWHERE = 100  # ... for one login from any address (a device that proved itself aside)
SESSION = timedelta(hours=12)  # a session ends this long after signing in, if not before


class AccountError(CalendarAppError):
    """An account change that cannot be made: a bad or taken login, an unknown unit, a short
    password, the last coordinator disabled. `field` is the form field it is about, `said`
    the same in Chinese, as the accounts page shows it beside that field."""

    def __init__(self, message: str, field: str = "", said: str = ""):
        super().__init__(message)
        self.field = field
        self.said = said or message


class SignInRefused(CalendarAppError):
    """Too many failed sign-ins: no attempt is checked before `until`."""

    def __init__(self, until: datetime):
        super().__init__(f"too many failed sign-ins; try again after {until:%H:%M}")
        self.until = until


@dataclass(frozen=True)
class Source:
    """Where a sign-in attempt comes from: the client's address, and the device id of a
    browser that proved it signed in to this login before ("" for any other)."""

    address: str
    device: str = ""

    @property
    def key(self) -> str:
        return f"device:{self.device}" if self.device else self.address


@dataclass(frozen=True)
class SignIn:
    account: Account | None  # None: wrong login or password (which, is not said)
    delay: float  # seconds the answer should be held back, to slow guessing


def new_password() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(14))


def hash_password(password: str) -> str:
    if not password:
        raise AccountError("the password is empty", "password", "请填写密码。")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters", "password",
                           f"密码至少{MIN_PASSWORD}个字符。")
    if len(password) > limits.PASSWORD:
        raise AccountError(f"a password has at most {limits.PASSWORD} characters", "password",
                           f"密码不超过{limits.PASSWORD}个字符。")
    with _HASHING:
        return _HASHER.hash(password)


def add(store: Store, plan: Plan, login: str, unit: str | None, coordinator: bool,
        password: str | None, at: datetime, by: str) -> str:
    """A new account; returns its password (the one given, or a new random one when None)."""
    if not _LOGIN.match(login):
        raise AccountError(f"login {login!r} must be 2-32 lower-case letters, digits, '.', '_' "
                           "or '-', starting with a letter or digit", "login",
                           "用户名须为2至32个小写字母、数字或 . _ -，以字母或数字开头。")
    if coordinator == (unit is not None):
        raise AccountError("an account is either a unit's (--unit) or the coordinator's", "unit",
                           "请选择账号所属的单位，或选择县科协统筹账号。")
    try:
        unit_id = plan.resolve_unit(unit) if unit is not None else None
    except UnknownUnit as unknown:
        raise AccountError(str(unknown), "unit", "没有这个单位，请从列表中选择。") from None
    if store.account(login) is not None:
        raise AccountError(f"an account {login!r} exists already", "login",
                           f"用户名 {login} 已被使用，请换一个。")
    password = new_password() if password is None else password
    store.add_account(login, unit_id, coordinator, hash_password(password), at, by)
    return password


def set_password(store: Store, login: str, password: str | None, at: datetime, by: str) -> str:
    """A new password for an account (signing out its sessions); returns it."""
    password = new_password() if password is None else password
    store.update_account(login, at, by, password=hash_password(password))
    return password


def disable(store: Store, login: str, at: datetime, by: str) -> None:
    """The account can no longer sign in (its sessions end); never the last coordinator's,
    or no one could make accounts or see the county any more."""

    def keep(accounts: list[Account]) -> None:
        others = [a for a in accounts if a.coordinator and a.enabled and a.login != login]
        if not others and any(a.login == login and a.coordinator for a in accounts):
            raise AccountError(f"{login} is the last coordinator account that can sign in; "
                               "add another (accounts add LOGIN --coordinator) first", "login",
                               "这是最后一个可以登录的统筹账号，不能停用：请先为县科协另建一个统筹账号。")

    store.update_account(login, at, by, enabled=False, keep=keep)


def enable(store: Store, login: str, at: datetime, by: str) -> None:
    store.update_account(login, at, by, enabled=True)


def sign_in(store: Store, login: str, password: str, source: Source, at: datetime) -> SignIn:
    """Check a login and password; SignInRefused when the attempts from where this one
    comes from are over a limit (see the module's docstring)."""
    since = at - WINDOW
    attempt = store.note_sign_in(login, source.key, at)  # counted first: see `_locked_until`
    own = store.failed_sign_ins(since, attempt, login=login, source=source.key)
    until = _locked_until(store, login, source, since, attempt, own)
    if until is not None:
        store.forget_sign_in(attempt)  # refused unchecked: the lock still ends when it said
        raise SignInRefused(until)
    account = store.account(login)
    usable = account if account is not None and account.enabled else None
    # An unknown or disabled login is checked against a hash too, so that its answer takes as
    # long as a wrong password's and does not tell a guesser which logins exist. A password
    # longer than any that can be set is wrong without being hashed.
    right = len(password) <= limits.PASSWORD and \
        _matches(usable.password if usable else _stand_in(), password)
    if right and usable:
        if _HASHER.check_needs_rehash(usable.password):
            with _HASHING:
                store.rehash_password(login, _HASHER.hash(password))
        store.forget_sign_in(attempt)
        store.forget_failed_sign_ins(login, source.key, before=since)
        return SignIn(usable, 0.0)
    slow = max(0, len(own) + 1 - SLOW_AFTER)
    return SignIn(None, min(0.5 * slow, 3.0))


def _locked_until(store: Store, login: str, source: Source, since: datetime, attempt: int,
                  own: list[datetime]) -> datetime | None:
    """When attempts from `source` may be checked again, or None if this one may be now.

    Every attempt is in the table before it counts the others, so of attempts made at once,
    the later of any two sees the earlier: at most the limit of them are ever checked. With
    `limit` failures counted (oldest first), the next attempt may be checked once enough of
    them have left the window to leave fewer than `limit`."""
    counted = [(own, REFUSE_LOGIN)]
    if not source.device:
        counted += [
            (store.failed_sign_ins(since, attempt, login=login, untrusted=True), REFUSE_ANYWHERE),
            (store.failed_sign_ins(since, attempt, source=source.key), REFUSE_ADDRESS)]
    ends = [times[len(times) - limit] + WINDOW for times, limit in counted if len(times) >= limit]
    return max(ends) if ends else None


@functools.cache
def _stand_in() -> str:
    with _HASHING:
        return _HASHER.hash(secrets.token_urlsafe(16))


def _matches(stored: str, password: str) -> bool:
    try:
        with _HASHING:
            return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
