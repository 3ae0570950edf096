"""Who may call the API: keys, their names and roles, and what runs without keys.

``KG_API__KEYS`` holds comma-separated ``NAME:ROLE:KEY`` entries, e.g.
``ats-sync:write:3q2+7w...,assessments:admin:9f...``; clients send ``Authorization: Bearer KEY``.

- ``read``: every query;
- ``write``: also ``upsertDocument`` and ``recordFeedback`` (the feedback's actor is the key's NAME);
- ``admin``: also ``recordAssessment``, which can mark a skill verified.

With keys configured, a GraphQL request without a valid key is refused with HTTP 401
(``UNAUTHENTICATED``); a mutation above the key's role gets a ``FORBIDDEN`` error. Without keys the
server is for local development: every caller connecting over loopback is ``admin`` (named
``local``), any other caller is refused with 403, ``kgservice serve`` refuses to listen on another
address, and the start-up log says so loudly. ``/health``, ``/ready``, ``/metrics`` and the pages need
no key. Keys are compared by their SHA-256, so the table holds no key itself.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from enum import IntEnum

import strawberry
from strawberry.permission import BasePermission

from kgservice.errors import KgServiceError
from kgservice.settings import Settings


class Role(IntEnum):
    READ = 1
    WRITE = 2
    ADMIN = 3


@dataclass(frozen=True, slots=True)
class Caller:
    name: str
    role: Role


LOCAL = Caller("local", Role.ADMIN)
MIN_KEY_CHARS = 16
_NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")
_KEY = re.compile(r"[A-Za-z0-9_.~+/=-]+")


class AccessRefused(Exception):
    """A request the key table refuses: ``status`` 401 (no or unknown key) or 403."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8")).digest()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class KeyTable:
    """The parsed ``KG_API__KEYS``; empty when none are configured."""

    def __init__(self, callers: dict[bytes, Caller]) -> None:
        self._callers = callers

    @classmethod
    def parse(cls, raw: str | None) -> KeyTable:
        """Parse ``NAME:ROLE:KEY,...``; a bad entry is named by its position and name, never by its key."""
        callers: dict[bytes, Caller] = {}
        names: set[str] = set()
        for position, entry in enumerate((raw or "").split(","), 1):
            entry = entry.strip()
            if not entry:
                continue
            parts = entry.split(":")
            where = f"KG_API__KEYS entry {position}"
            if len(parts) != 3:
                raise KgServiceError(f"{where} is not NAME:ROLE:KEY (found {len(parts) - 1} colons)")
            name, role, key = (p.strip() for p in parts)
            if not _NAME.fullmatch(name):
                raise KgServiceError(f"{where}: the name may use letters, digits and _.@- (1-64 characters)")
            try:
                level = Role[role.upper()]
            except KeyError:
                raise KgServiceError(f"{where} ({name}): role {role!r} is none of read, write, admin") from None
            if len(key) < MIN_KEY_CHARS or not _KEY.fullmatch(key):
                raise KgServiceError(f"{where} ({name}): a key has at least {MIN_KEY_CHARS} characters of "
                                     "A-Z a-z 0-9 _.~+/=- (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")
            if name in names or _digest(key) in callers:
                raise KgServiceError(f"{where} ({name}): the name or the key is already in the table")
            names.add(name)
            callers[_digest(key)] = Caller(name, level)
        return cls(callers)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyTable:
        keys = settings.api.keys
        return cls.parse(keys.get_secret_value() if keys is not None else None)

    @property
    def configured(self) -> bool:
        return bool(self._callers)

    def summary(self) -> dict[str, int]:
        """Keys per role, for the start-up log."""
        counts = {role.name.lower(): 0 for role in Role}
        for caller in self._callers.values():
            counts[caller.role.name.lower()] += 1
        return counts

    def authenticate(self, authorization: str | None, client_host: str | None) -> Caller:
        """The caller of a GraphQL request, from its ``Authorization`` header and the peer's address."""
        if not self.configured:
            if client_host is None or not is_loopback(client_host):
                raise AccessRefused(403, "this server has no API keys (KG_API__KEYS) and answers GraphQL on loopback "
                                         "only")
            return LOCAL
        if not authorization:
            raise AccessRefused(401, "an API key is required: send `Authorization: Bearer <key>`")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AccessRefused(401, "the Authorization header must be `Bearer <key>`")
        caller = self._callers.get(_digest(key.strip()))
        if caller is None:
            raise AccessRefused(401, "unknown API key")
        return caller


def needs(role: Role) -> type[BasePermission]:
    """A Strawberry permission class: the operation needs a caller of ``role`` or above."""

    class Permission(BasePermission):
        message = f"this operation needs a key with the {role.name.lower()} role"
        error_extensions = {"code": "FORBIDDEN"}

        def has_permission(self, source: object, info: strawberry.Info, **kwargs: object) -> bool:
            caller = info.context.caller
            return caller is not None and caller.role >= role

    Permission.__name__ = f"Needs{role.name.title()}"
    return Permission


NeedsWrite = needs(Role.WRITE)
NeedsAdmin = needs(Role.ADMIN)
