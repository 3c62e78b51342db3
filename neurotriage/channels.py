"""Rasa 3.6's channels as NeuroTriage runs them. Each keeps its Rasa name (`socketio`, `telegram`, ...), so trackers,
rules and channel-specific responses see the usual names.

SocketIOInput: Rasa's SocketIOOutput passes a custom payload to `emit(**json_message)`, which raises a TypeError, so
the web widget would never receive `{"triage_summary": ...}`. This output emits the payload as the bot message itself.

Messaging apps (Telegram, Slack, Facebook Messenger, Twilio): when a reply cannot be delivered (the app's API is down
or unreachable), Rasa's own channels raise in the middle of the turn and the turn is never saved, so the patient's
message is lost. Here a failed delivery is logged (without the text) and the conversation is saved as usual.

TwilioInput: Rasa's Twilio webhook accepts a POST from anyone, so anyone could write into a patient's conversation by
naming their phone number. This one answers 403 unless the request carries Twilio's signature of the public webhook
URL and the form, made with the account's auth token.

RestInput: a malformed body gets a 400 that says what is wrong, instead of Rasa's 500.

RestInput and every channel here: at most RATE_LIMIT_MESSAGES per RATE_LIMIT_WINDOW_SECONDS from one sender; a
message over the limit is not processed and gets a polite answer that still gives the emergency number. A message
that cannot be processed at all (the tracker store or the lock store is down, see rasa_runtime.py) gets an answer
saying so, with the emergency and urgent numbers; Rasa's channels would answer nothing.

TelegramInput: Rasa registers the Telegram webhook while the server starts and stops the whole server (web page and
REST included) when Telegram cannot be reached. Here that failure is logged and the server starts; registering again
later is `GET /webhooks/telegram/set_webhook`.
"""
import asyncio
import functools
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import rasa.core.channels.facebook as rasa_facebook
import rasa.core.channels.rest as rasa_rest
import rasa.core.channels.slack as rasa_slack
import rasa.core.channels.socketio as rasa_socketio
import rasa.core.channels.telegram as rasa_telegram
import rasa.core.channels.twilio as rasa_twilio
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from twilio.request_validator import RequestValidator

from neurotriage.config import load_settings
from neurotriage.rate_limit import SenderRateLimiter

logger = logging.getLogger(__name__)


TOO_FAST = ("You're sending messages faster than I can take them in, so I didn't read that one. Please wait a "
            "minute, then send it again. If this is an emergency, call {emergency_number} now.")
NOT_PROCESSED = ("I'm sorry, I couldn't take in your last message because part of the clinic's system is not "
                 "answering. What you told me before is kept: please send it again in a few minutes. If you have a "
                 "warning sign or feel this is an emergency, call {emergency_number} now; for urgent advice call "
                 "{urgent_number}.")


@functools.lru_cache(maxsize=1)  # read once per process, not once per channel
def _help_numbers() -> Dict[str, str]:
    from neurotriage.kb.repository import KnowledgeRepository

    settings = load_settings()
    try:
        locale = KnowledgeRepository.from_url(settings.database_url).locale(settings.locale)
    except Exception:  # the knowledge base is down: the answer must still name a way to get help
        locale = None
    if locale is None:
        return {"emergency_number": "your local emergency number", "urgent_number": "your doctor"}
    return {"emergency_number": locale.emergency_number, "urgent_number": locale.urgent_number}


class GuardsEachMessage:
    """Mixin for an InputChannel, so that every message gets an answer: one from a sender over the rate limit is
    answered without being processed, and one that fails to be processed is answered with what to do."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        settings = load_settings()
        limiter = SenderRateLimiter(settings.rate_limit_messages, settings.rate_limit_window_seconds)
        too_fast = TOO_FAST.format(**_help_numbers())
        not_processed = NOT_PROCESSED.format(**_help_numbers())

        async def guarded(message: UserMessage) -> None:
            if not limiter.allow(str(message.sender_id)):
                logger.warning("A message on %s was over the per-sender rate limit and was not processed.",
                               self.name())
                await _answer(message, too_fast)
                return
            try:
                await on_new_message(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # tracker store, lock store or anything else below the channel
                logger.error("A message on %s could not be processed (%s); the patient was told to send it again.",
                             self.name(), type(error).__name__)
                await _answer(message, not_processed)

        return super().blueprint(guarded)  # type: ignore[misc]


async def _answer(message: UserMessage, text: str) -> None:
    if message.output_channel is None:
        return
    try:
        await message.output_channel.send_text_message(message.sender_id, text)
    except Exception as error:  # the app cannot be reached either: nothing more can be done from here
        logger.error("An answer could not be delivered over %s (%s).", message.output_channel.name(),
                     type(error).__name__)


MAX_SENDER_LENGTH = 255  # the tracker store's sender_id column


def rest_body_problem(body: bytes) -> Optional[str]:
    """Why a REST message body cannot be taken, in one sentence; None when it can. Rasa's own channel answers a
    500 to most malformed bodies, which looks like an outage to the integration that sent them."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return "The body must be JSON in UTF-8: {\"sender\": \"...\", \"message\": \"...\"}."
    if not isinstance(payload, dict):
        return "The body must be a JSON object with \"sender\" and \"message\"."
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER_LENGTH:
        return f"\"sender\" must be a string of 1 to {MAX_SENDER_LENGTH} characters."
    if not isinstance(message, str):
        return "\"message\" must be a string."
    return None


class RestInput(GuardsEachMessage, rasa_rest.RestInput):
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def refuse_malformed_bodies(request: Request) -> Optional[response.HTTPResponse]:
            if request.method != "POST" or not request.path.endswith("/webhook"):
                return None
            problem = rest_body_problem(request.body or b"")
            return None if problem is None else response.json({"error": problem}, status=400)

        return webhook


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.sio.emit(self.bot_message_evt, json_message, room=recipient_id)


class SocketIOInput(GuardsEachMessage, rasa_socketio.SocketIOInput):
    def get_output_channel(self) -> Optional[SocketIOOutput]:
        return None if self.sio is None else SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_custom_json(message: UserMessage) -> None:
            if type(message.output_channel) is rasa_socketio.SocketIOOutput:
                message.output_channel = SocketIOOutput(message.output_channel.sio, self.bot_message_evt)
            await on_new_message(message)

        return super().blueprint(with_custom_json)


class DeliveryGuard(OutputChannel):
    """Passes every reply to the app's output channel; a failed delivery is logged instead of ending the turn."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner

    def name(self) -> Text:  # the inner channel's name, for channel-specific responses
        return self.inner.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        try:
            await self.inner.send_response(recipient_id, message)
        except Exception as error:  # any transport failure; the reply stays in the conversation's history
            logger.error("A reply could not be delivered over %s (%s); the conversation is kept.",
                         self.inner.name(), type(error).__name__)


class KeepsConversationWhenDeliveryFails:
    """Mixin for a messaging channel's InputChannel: every turn's output goes through a DeliveryGuard."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_guarded_output(message: UserMessage) -> None:
            if message.output_channel is not None and not isinstance(message.output_channel, DeliveryGuard):
                message.output_channel = DeliveryGuard(message.output_channel)
            await on_new_message(message)

        return super().blueprint(with_guarded_output)  # type: ignore[misc]


class SlackInput(KeepsConversationWhenDeliveryFails, GuardsEachMessage, rasa_slack.SlackInput):
    pass


class FacebookInput(KeepsConversationWhenDeliveryFails, GuardsEachMessage, rasa_facebook.FacebookInput):
    pass


class TelegramInput(KeepsConversationWhenDeliveryFails, GuardsEachMessage, rasa_telegram.TelegramInput):
    def get_output_channel(self) -> rasa_telegram.TelegramOutput:
        channel = rasa_telegram.TelegramOutput(self.access_token)
        try:
            asyncio.run(channel.set_webhook(url=self.webhook_url))
        except Exception as error:  # unreachable or refused: the other channels must still start
            logger.error("The Telegram webhook could not be registered (%s); retry with GET "
                         "/webhooks/telegram/set_webhook once Telegram can be reached.", type(error).__name__)
        return channel


class TwilioInput(KeepsConversationWhenDeliveryFails, GuardsEachMessage, rasa_twilio.TwilioInput):
    def __init__(self, account_sid: Optional[Text], auth_token: Optional[Text], twilio_number: Optional[Text],
                 webhook_url: Optional[Text], debug_mode: bool = True) -> None:
        super().__init__(account_sid, auth_token, twilio_number, debug_mode)
        self.webhook_url = webhook_url
        self.validator = RequestValidator(auth_token or "")

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        return cls(credentials.get("account_sid"), credentials.get("auth_token"), credentials.get("twilio_number"),
                   credentials.get("webhook_url"))

    def is_signed_by_twilio(self, request: Request) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        return bool(signature and self.webhook_url) and self.validator.validate(self.webhook_url, request.form, signature)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

        @webhook.middleware("request")
        async def refuse_unsigned(request: Request) -> Optional[response.HTTPResponse]:
            if request.method == "POST" and not self.is_signed_by_twilio(request):
                logger.warning("Refused a Twilio webhook call without a valid signature.")
                return response.text("forbidden", status=403)
            return None

        return webhook
