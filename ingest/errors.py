"""Errors the ingest layer reports per document; the batch goes on without them."""


class IngestError(Exception):
    """Base class for ingest failures shown to users."""


class LoaderError(IngestError):
    """One source could not be turned into a document; the message says why and what to do."""


class FetchError(LoaderError):
    """A URL could not be fetched (HTTP error, timeout, refused address, too large)."""


class IngestLockedError(IngestError):
    """Another ingest holds the data directory's lock."""
