"""briefbot in Slack: the Bolt app factory, its listeners and the two transports."""

from bot.slack.app import build_slack_app, create_slack_app, make_web_client

__all__ = ["build_slack_app", "create_slack_app", "make_web_client"]
