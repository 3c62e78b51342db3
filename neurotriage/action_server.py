"""The action server as NeuroTriage runs it: `python -m neurotriage.action_server`.

rasa_sdk's server answers anyone who can reach it, on every interface. This one listens on ACTION_SERVER_HOST
(127.0.0.1 unless the Rasa server runs elsewhere) and refuses every call to /webhook without the shared secret
ACTION_SERVER_SECRET in the SECRET_HEADER header, which the Rasa server sends on every call (endpoints.yml).
/health stays open for load balancers and start-up checks. ACTION_SERVER_WORKERS sets the worker processes.
"""
from __future__ import annotations

import hmac
import logging
import sys
from typing import Optional

from rasa_sdk.endpoint import create_app as create_rasa_sdk_app
from sanic import Sanic, response
from sanic.request import Request

from neurotriage.config import SettingsError, load_settings
from neurotriage.privacy.log_redaction import redact_log_records

SECRET_HEADER = "X-Action-Server-Secret"
OPEN_PATHS = {"/health"}

logger = logging.getLogger(__name__)


def create_app(secret: str, actions_package: str = "actions") -> Sanic:
    app = create_rasa_sdk_app(actions_package, cors_origins=None)

    @app.middleware("request")
    async def require_shared_secret(request: Request) -> Optional[response.HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            logger.warning("Refused a call to %s without the action server's shared secret.", request.path)
            return response.json({"error": "unauthorised"}, status=401)
        return None

    return app


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"Configuration problem: {error}", file=sys.stderr)
        return 1
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    redact_log_records()
    app = create_app(settings.action_server_secret)
    logger.info("Action server on http://%s:%s (%s worker(s))", settings.action_server_host,
                settings.action_server_port, settings.action_server_workers)
    app.run(settings.action_server_host, settings.action_server_port, workers=settings.action_server_workers,
            access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
