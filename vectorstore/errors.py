"""Errors raised by the storage layer, shown to users by the edges (CLI, HTTP, Slack)."""


class VectorStoreError(Exception):
    """Base class: every storage failure a user may see derives from this."""


class StoreUnavailableError(VectorStoreError):
    """The Chroma server (or the on-disk store) cannot be reached or opened."""


class ModelMismatchError(VectorStoreError):
    """The collection was built with another embedding model than the one configured."""


class EmbedderError(VectorStoreError):
    """The embedding model cannot be loaded (missing files, unknown name, offline hub)."""
