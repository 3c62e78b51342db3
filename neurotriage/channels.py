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

TelegramInput: Rasa registers the Telegram webhook while the server starts and stops the whole server (web page and
REST included) when Telegram cannot be reached. Here that failure is logged and the server starts; registering again
later is `GET /webhooks/telegram/set_webhook`.
"""
import asyncio
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import rasa.core.channels.facebook as rasa_facebook
import rasa.core.channels.slack as rasa_slack
import rasa.core.channels.socketio as rasa_socketio
import rasa.core.channels.telegram as rasa_telegram
import rasa.core.channels.twilio as rasa_twilio
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.sio.emit(self.bot_message_evt, json_message, room=recipient_id)


class SocketIOInput(rasa_socketio.SocketIOInput):
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


class SlackInput(KeepsConversationWhenDeliveryFails, rasa_slack.SlackInput):
    pass


class FacebookInput(KeepsConversationWhenDeliveryFails, rasa_facebook.FacebookInput):
    pass


class TelegramInput(KeepsConversationWhenDeliveryFails, rasa_telegram.TelegramInput):
    def get_output_channel(self) -> rasa_telegram.TelegramOutput:
        channel = rasa_telegram.TelegramOutput(self.access_token)
        try:
            asyncio.run(channel.set_webhook(url=self.webhook_url))
        except Exception as error:  # unreachable or refused: the other channels must still start
            logger.error("The Telegram webhook could not be registered (%s); retry with GET "
                         "/webhooks/telegram/set_webhook once Telegram can be reached.", type(error).__name__)
        return channel


class TwilioInput(KeepsConversationWhenDeliveryFails, rasa_twilio.TwilioInput):
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
