"""The socket.io channel, fixed for custom payloads.

Rasa 3.6's SocketIOOutput passes a custom payload to `emit(**json_message)`, which raises a TypeError, so the web
widget would never receive `{"triage_summary": ...}`. This output emits the payload as the bot message itself.
Configured in credentials.yml as `neurotriage.channels.SocketIOInput`; the channel's name stays `socketio`.
"""
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import rasa.core.channels.socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint


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
