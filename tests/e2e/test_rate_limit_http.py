"""The per-sender rate limit on the running REST channel."""
import os

from tests.e2e.conftest import Patient

TOO_FAST = "faster than I can take them in"


def test_messages_over_the_limit_are_answered_not_processed_and_others_are_unaffected(token):
    limit = int(os.environ.get("RATE_LIMIT_MESSAGES", "30"))
    hasty, other = Patient(token), Patient(token)
    for _ in range(limit):
        assert TOO_FAST not in hasty.text("thanks")
    text = hasty.text("thanks")
    assert TOO_FAST in text and "call 999 now" in text
    user_turns = [e for e in hasty.tracker()["events"] if e["event"] == "user"]
    assert len(user_turns) == limit, "the refused message was not processed"
    assert TOO_FAST not in other.text("thanks")
