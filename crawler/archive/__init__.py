"""Archive I/O: WARC writing, storage (local directory or S3), repair and retrieval."""
