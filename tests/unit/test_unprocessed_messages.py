"""A message that cannot be processed (tracker store or lock store down) is answered, and never carried on in memory."""
import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import OperationalError

from neurotriage import channels, rasa_runtime
from tests.async_support import run_sync

NUMBERS = {"emergency_number": "999", "urgent_number": "111"}


class _ChannelBase:
    """Stands in for Rasa's channel: keeps the handler it is given, as a blueprint route would."""

    def blueprint(self, on_new_message):
        self.handler = on_new_message

    def name(self):
        return "rest"


class _Channel(channels.GuardsEachMessage, _ChannelBase):
    pass


@pytest.fixture
def channel(monkeypatch):
    monkeypatch.setattr(channels, "_help_numbers", lambda: NUMBERS)
    return _Channel()


def _send(channel, on_new_message, text="my feet burn"):
    channel.blueprint(on_new_message)
    output = CollectingOutputChannel()
    run_sync(channel.handler(UserMessage(text, output, "patient-1")))
    return [message["text"] for message in output.messages]


@pytest.mark.parametrize("error", [LockError("lock"), OperationalError("SELECT", {}, Exception("down")),
                                   RuntimeError("anything")], ids=["lock store", "database", "other"])
def test_a_message_that_cannot_be_processed_is_answered_with_the_numbers(channel, error):
    async def failing(message):
        raise error

    answer = _send(channel, failing)
    assert len(answer) == 1
    assert "couldn't take in your last message" in answer[0] and "send it again" in answer[0]
    assert "call 999 now" in answer[0] and "call 111" in answer[0]


def test_replies_already_given_stay_and_the_answer_follows_them(channel):
    async def fails_when_saving(message):
        await message.output_channel.send_text_message(message.sender_id, "How bad is it, from 0 to 10?")
        raise OperationalError("INSERT", {}, Exception("down"))

    answer = _send(channel, fails_when_saving)
    assert answer[0] == "How bad is it, from 0 to 10?" and "couldn't take in" in answer[1]


def test_a_processed_message_gets_only_its_replies(channel):
    async def works(message):
        await message.output_channel.send_text_message(message.sender_id, "Thank you.")

    assert _send(channel, works) == ["Thank you."]


class _DownStore(InMemoryTrackerStore):
    async def retrieve(self, sender_id):
        raise OperationalError("SELECT", {}, Exception("could not connect"))

    async def retrieve_full_tracker(self, sender_id):
        raise OperationalError("SELECT", {}, Exception("could not connect"))

    async def save(self, tracker):
        raise OperationalError("INSERT", {}, Exception("could not connect"))


def test_a_failing_tracker_store_raises_instead_of_falling_back_to_memory(monkeypatch):
    monkeypatch.setattr(FailSafeTrackerStore, "on_tracker_store_error", rasa_runtime.raise_tracker_store_error)
    monkeypatch.setattr(FailSafeTrackerStore, "on_tracker_store_retrieve_error",
                        rasa_runtime.raise_tracker_store_error)
    domain = Domain.empty()
    store = FailSafeTrackerStore(_DownStore(domain))
    with pytest.raises(OperationalError):
        run_sync(store.retrieve("patient-1"))
    with pytest.raises(OperationalError):
        run_sync(store.retrieve_full_tracker("patient-1"))
    with pytest.raises(OperationalError):
        run_sync(store.save(DialogueStateTracker("patient-1", [])))
    assert run_sync(store.fallback_tracker_store.retrieve("patient-1")) is None  # nothing went to memory


def test_rasas_fail_safe_alone_would_carry_on_in_memory():
    """What the fix changes: without it the same failure returns no conversation and saves into memory."""
    store = FailSafeTrackerStore(_DownStore(Domain.empty()))
    assert run_sync(store.retrieve("patient-1")) is None
    run_sync(store.save(DialogueStateTracker("patient-1", [])))
    assert run_sync(store.fallback_tracker_store.retrieve("patient-1")) is not None
