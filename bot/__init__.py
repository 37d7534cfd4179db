"""The briefbot application: answer chain, generators, sessions, HTTP and Slack edges, the CLI."""
