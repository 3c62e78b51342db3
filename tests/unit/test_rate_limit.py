"""The per-sender rate limit, on a clock the test moves."""
from neurotriage.rate_limit import SenderRateLimiter


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_message_over_the_limit_is_refused_until_the_window_moves_on():
    clock = Clock()
    limiter = SenderRateLimiter(limit=3, window_seconds=60, clock=clock)
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    clock.now += 59.9
    assert limiter.allow("a") is False
    clock.now += 0.1
    assert limiter.allow("a") is True


def test_senders_are_counted_apart():
    limiter = SenderRateLimiter(limit=1, window_seconds=60, clock=Clock())
    assert limiter.allow("a") and limiter.allow("b")
    assert not limiter.allow("a") and not limiter.allow("b")


def test_refused_messages_do_not_extend_the_wait():
    clock = Clock()
    limiter = SenderRateLimiter(limit=1, window_seconds=10, clock=clock)
    assert limiter.allow("a")
    for _ in range(4):  # refused at 2, 4, 6 and 8 s
        clock.now += 2
        assert not limiter.allow("a")
    clock.now += 2  # 10 s after the one message that counted
    assert limiter.allow("a")


def test_memory_is_bounded_by_the_most_recent_senders():
    limiter = SenderRateLimiter(limit=1, window_seconds=60, max_senders=2, clock=Clock())
    for sender in ("a", "b", "c"):
        limiter.allow(sender)
    assert list(limiter._recent) == ["b", "c"]
    assert limiter.allow("a"), "the oldest sender was forgotten, so it starts afresh"
