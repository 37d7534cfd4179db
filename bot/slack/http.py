"""Slack over HTTP: `POST /slack/events` in the FastAPI app, verified with the signing secret.

Events, the `/brief` command and button clicks all arrive here (the manifest points the three
request URLs at it). Bolt checks `X-Slack-Signature` and the timestamp and answers 401 to
anything unsigned or stale before a listener runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from slack_bolt import App
from slack_bolt.adapter.fastapi import SlackRequestHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.services import Services
from bot.slack.app import build_slack_app, require_secret

SLACK_EVENTS_PATH = "/slack/events"


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """Bolt's FastAPI handler with dispatch off the event loop: it waits for a listener's ack()."""

    async def handle(self, req: Request,
                     addition_context_properties: dict[str, Any] | None = None) -> Response:
        if req.method != "POST":
            return Response(status_code=405)
        body = await req.body()
        bolt_request = to_bolt_request(req, body, addition_context_properties)
        bolt_response = await run_in_threadpool(self.app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)


def mount_slack(app: FastAPI, services: Services) -> App:
    """Add `POST /slack/events` to ``app``; needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.

    Nothing is opened or called here: the store opens at the first question, the token is
    checked by Bolt at the first request.
    """
    settings = services.settings
    require_secret(settings.slack_bot_token, "SLACK_BOT_TOKEN", "the bot token (xoxb-…)")
    require_secret(settings.slack_signing_secret, "SLACK_SIGNING_SECRET",
                   "the app's signing secret (Basic Information → App Credentials)")
    handler = ThreadedSlackRequestHandler(build_slack_app(services))

    async def slack_events(request: Request) -> Response:
        """Slack's Events API, `/brief` and interactivity; requests must carry Slack's signature."""
        return await handler.handle(request)

    app.add_api_route(SLACK_EVENTS_PATH, slack_events, methods=["POST"], include_in_schema=False)
    return handler.app
