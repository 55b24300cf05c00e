"""Downloader middlewares of the newsarchive crawler."""
