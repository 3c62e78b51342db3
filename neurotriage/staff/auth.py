"""Sign-in for the staff view: the STAFF_TOKEN check, server-side sessions and a limit on failed attempts.

Everything is kept in memory: a restart signs everyone out, which is acceptable for a single clinic server and
means no session secret is ever written to disk.
"""
from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Deque, Dict, Optional

SESSION_COOKIE = "nt_staff_session"
FORM_COOKIE = "nt_staff_form"  # pairs the login form with the browser that loaded it (CSRF)
COOKIE_PATH = "/staff"

# Values this module hands out; anything else arriving in a cookie is ignored before it is looked up or echoed.
_ISSUED_VALUE = re.compile(r"^[A-Za-z0-9_-]{32,128}$")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def looks_issued(value: Optional[str]) -> bool:
    return bool(value) and bool(_ISSUED_VALUE.match(value))


def tokens_match(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison; bytes, because compare_digest refuses non-ASCII text."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def bearer_token(authorization: str) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header, or None for any other scheme."""
    scheme, _, token = authorization.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def cookie_header(name: str, value: str, max_age: int, secure: bool) -> str:
    parts = [f"{name}={value}", f"Path={COOKIE_PATH}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


@dataclass(frozen=True)
class Session:
    id: str
    form_token: str  # must come back with the sign-out form, so another site cannot sign staff out
    expires_at: float


class SessionStore:
    """Signed-in browsers, by random id, each valid for `lifetime` seconds from sign-in."""

    def __init__(self, lifetime: int, capacity: int = 1000, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self._capacity = capacity
        self._clock = clock
        self._sessions: "OrderedDict[str, Session]" = OrderedDict()
        self._lock = threading.Lock()

    def create(self) -> Session:
        session = Session(id=new_secret(), form_token=new_secret(), expires_at=self._clock() + self.lifetime)
        with self._lock:
            self._drop_expired()
            while len(self._sessions) >= self._capacity:  # bounded memory: the oldest sign-in goes first
                self._sessions.popitem(last=False)
            self._sessions[session.id] = session
        return session

    def get(self, session_id: Optional[str]) -> Optional[Session]:
        if not looks_issued(session_id):
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.expires_at <= self._clock():
                del self._sessions[session_id]
                return None
            return session

    def end(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def _drop_expired(self) -> None:
        now = self._clock()
        for session_id in [key for key, session in self._sessions.items() if session.expires_at <= now]:
            del self._sessions[session_id]


class FailedSignInLimiter:
    """At most `limit` failed sign-ins per client address within `window` seconds, so the token cannot be
    guessed quickly. While an address is over the limit every attempt from it is refused, right or wrong."""

    def __init__(self, limit: int, window: int, max_clients: int = 10000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._max_clients = max_clients
        self._clock = clock
        self._failures: Dict[str, Deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str) -> int:
        """Seconds until the address may try again; 0 when it may try now."""
        with self._lock:
            failures = self._recent(client)
            if len(failures) < self.limit:
                return 0
            return max(1, int(failures[0] + self.window - self._clock()) + 1)

    def record_failure(self, client: str) -> None:
        with self._lock:
            if client not in self._failures and len(self._failures) >= self._max_clients:
                self._forget_quiet_clients()
            self._recent(client).append(self._clock())

    def clear(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str) -> Deque[float]:
        failures = self._failures.setdefault(client, deque())
        cutoff = self._clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        return failures

    def _forget_quiet_clients(self) -> None:
        cutoff = self._clock() - self.window
        for client in [key for key, times in self._failures.items() if not times or times[-1] <= cutoff]:
            del self._failures[client]
