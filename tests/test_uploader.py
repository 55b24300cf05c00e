"""The uploader's verification, against a stubbed S3 client (botocore's Stubber): no server.

A MOCK, on purpose and only here: a store that accepts an upload and then holds other bytes than
were sent (wrong size, wrong metadata, wrong checksum) is a fault no real server produces on
demand. Everything a real server does (uploads, outages, multipart, files stored before a crash)
is tested against SeaweedFS in test_store_s3.py and test_s3_crawl.py.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.stub import ANY, Stubber

from crawler.archive.store import StoreSettings
from crawler.archive.uploader import Uploader, UploadFailed, UploadJob, file_sha256

pytestmark = pytest.mark.fast

BUCKET = "archive"
KEY = "warc/demo-1/demo-00001.warc.gz"
OBJECT_KEY = "news/" + KEY
DATA = os.urandom(3000)
SHA256 = hashlib.sha256(DATA).hexdigest()


class Spool:
    """A spooled file, an uploader for it and the S3 answers it will get, in order."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / KEY
        self.path.parent.mkdir(parents=True)
        self.path.write_bytes(DATA)
        self.job = UploadJob(self.path, KEY, OBJECT_KEY)
        client = boto3.client(  # never contacted: every answer is stubbed
            "s3", region_name="us-east-1", config=Config(signature_version=UNSIGNED)
        )
        self.s3 = Stubber(client)
        self.stored = []
        config = StoreSettings.from_settings(
            {"ARCHIVE_UPLOAD_RETRIES": 1, "ARCHIVE_UPLOAD_BACKOFF": 0.01}
        )
        self.uploader = Uploader(
            client, BUCKET, config, on_stored=self.stored.append, remove_empty_dirs_below=root
        )

    def expect_put(self) -> None:
        self.s3.add_response(
            "put_object",
            {"ETag": '"etag"'},
            {
                "Bucket": BUCKET,
                "Key": OBJECT_KEY,
                "Body": ANY,
                "ChecksumAlgorithm": "SHA256",
                "Metadata": {"sha256": SHA256, "size": str(len(DATA))},
            },
        )

    def expect_head(self, **answer) -> None:
        answer = {"ContentLength": len(DATA), "Metadata": {"sha256": SHA256}, **answer}
        params = {"Bucket": BUCKET, "Key": OBJECT_KEY, "ChecksumMode": "ENABLED"}
        self.s3.add_response("head_object", answer, params)


@pytest.fixture
def spool(tmp_path):
    spool = Spool(tmp_path)
    with spool.s3:
        yield spool
        spool.s3.assert_no_pending_responses()
    spool.uploader.close(timeout=5)


@pytest.mark.parametrize(
    "head",
    [
        {"ContentLength": len(DATA) - 1},
        {"Metadata": {"sha256": "0" * 64}},
        {"ChecksumSHA256": base64.b64encode(hashlib.sha256(b"other").digest()).decode()},
    ],
    ids=["size", "metadata-sha256", "object-checksum"],
)
def test_stored_object_that_differs_from_the_file_keeps_the_file(spool, head):
    spool.expect_put()
    spool.expect_head(**head)
    # the retry checks first, finds the same wrong object, sends again
    spool.expect_head(**head)
    spool.expect_put()
    spool.expect_head(**head)

    with pytest.raises(UploadFailed):
        spool.uploader.store(spool.job)

    assert spool.path.read_bytes() == DATA
    assert spool.stored == []


def test_file_digest_is_read_in_blocks_and_matches_hashlib(tmp_path):
    path = tmp_path / "big.warc.gz"
    data = os.urandom(3 * (1 << 20) + 17)  # over several read blocks, not a multiple of one
    path.write_bytes(data)

    assert file_sha256(path) == (hashlib.sha256(data).hexdigest(), len(data))
