"""Storage and search: the embedder, the Chroma store (embedded or server), BM25 and hybrid search.

This package imports nothing else of briefbot's, so it can be reused and tested on its own.
"""
