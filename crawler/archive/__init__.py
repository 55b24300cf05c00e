"""The archive: WARC capture, writing, indexing, storage and retrieval."""
