"""The answer chain: condense, retrieve, generate, cite. Framework-free (no FastAPI, no Slack)."""
