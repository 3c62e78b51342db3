"""Per-sender message rate limit (no Rasa imports): at most `limit` messages in any `window_seconds` from one sender.

Memory stays bounded: only the most recently active `max_senders` senders are remembered.
"""
from __future__ import annotations

import time
from collections import OrderedDict, deque
from typing import Callable, Deque


class SenderRateLimiter:
    def __init__(self, limit: int, window_seconds: float, max_senders: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_senders = max_senders
        self._clock = clock
        self._recent: "OrderedDict[str, Deque[float]]" = OrderedDict()

    def allow(self, sender: str) -> bool:
        """Counts the message and says whether it may be processed; refused messages do not count."""
        now = self._clock()
        times = self._recent.pop(sender, None) or deque()
        while times and now - times[0] >= self.window_seconds:
            times.popleft()
        allowed = len(times) < self.limit
        if allowed:
            times.append(now)
        self._recent[sender] = times
        if len(self._recent) > self.max_senders:
            self._recent.popitem(last=False)
        return allowed
