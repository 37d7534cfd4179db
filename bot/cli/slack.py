"""`briefbot slack`: answer in Slack over Socket Mode until interrupted."""

from __future__ import annotations

import click

from bot.cli.common import services_from_context, user_errors
from bot.slack.socket_mode import run_socket_mode


@click.command()
@click.pass_context
@user_errors
def slack(ctx: click.Context) -> None:
    """Answer mentions, DMs and /brief in Slack over Socket Mode (no public URL needed).

    Needs SLACK_BOT_TOKEN (xoxb-…) and SLACK_APP_TOKEN (xapp-…, connections:write); see
    docs/slack.md to create the app from slack/manifest.yml. Stop with Ctrl-C.
    """
    services = services_from_context(ctx)

    def connected() -> None:
        click.echo("briefbot is connected to Slack (Socket Mode); press Ctrl-C to stop.", err=True)

    try:
        run_socket_mode(services, on_connected=connected)
    except KeyboardInterrupt:
        click.echo("briefbot: disconnected from Slack.", err=True)
