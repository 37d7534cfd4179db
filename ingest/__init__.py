"""Loading documents from files, URLs and feeds, and the idempotent ingest pipeline."""
