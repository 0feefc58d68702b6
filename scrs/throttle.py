"""Failed sign-ins per client address: the throttle that complements the per-account lockout.

The per-account lockout (scrs/users.py) stops guessing one account's password, but not one client trying
many accounts, nor one client locking out a predictable name (`registrar`) again and again. This throttle
counts a client's failed sign-ins, whatever the username, in a sliding window; past `max_failures` the client
is refused for `block_minutes` before any password is looked at, and its refused attempts no longer count
against the accounts it names.

Held in the memory of the serving process (the dashboard: one per server; the client address is
`st.context.ip_address`, which is the proxy's when the dashboard sits behind one: configure the proxy to pass
the client's, or throttle there too). Bounded: at most `max_clients` addresses are remembered.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class _Client:
    failures: deque[datetime] = field(default_factory=deque)
    blocked_until: datetime | None = None


class ClientThrottle:
    """Counts failed sign-ins per client address; thread-safe."""

    def __init__(
        self,
        max_failures: int = 10,
        window_minutes: float = 15.0,
        block_minutes: float = 15.0,
        max_clients: int = 10_000,
    ) -> None:
        self.max_failures = max_failures
        self.window = timedelta(minutes=window_minutes)
        self.block = timedelta(minutes=block_minutes)
        self.max_clients = max_clients
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._lock = threading.Lock()

    def blocked_until(self, client: str | None, now: datetime | None = None) -> datetime | None:
        """When the client may try again, or None when it may try now (an unknown address is never blocked)."""
        if not client:
            return None
        now = now or datetime.now(UTC)
        with self._lock:
            state = self._clients.get(client)
            if state is None or state.blocked_until is None or now >= state.blocked_until:
                return None
            return state.blocked_until

    def record_failure(self, client: str | None, now: datetime | None = None) -> datetime | None:
        """Count one failed sign-in; returns when the client's block ends if this failure started one."""
        if not client:
            return None
        now = now or datetime.now(UTC)
        with self._lock:
            state = self._clients.pop(client, None) or _Client()
            self._clients[client] = state  # most recently seen last
            while len(self._clients) > self.max_clients:
                self._clients.popitem(last=False)
            while state.failures and now - state.failures[0] > self.window:
                state.failures.popleft()
            state.failures.append(now)
            if len(state.failures) >= self.max_failures:
                state.failures.clear()
                state.blocked_until = now + self.block
                return state.blocked_until
            return None
