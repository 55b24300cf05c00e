"""Shared pytest fixtures."""

from __future__ import annotations

from s3server import s3_env, s3_server  # noqa: F401 - fixtures: a real SeaweedFS S3 server
