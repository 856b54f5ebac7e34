"""Paths and URIs of the Spark engines: local files, and any URI through Spark's filesystem."""

from __future__ import annotations

from pathlib import Path

import pytest

from recsys.spark import SparkPathError, check_readable, copy_to_local, local_path, uri_scheme


@pytest.mark.parametrize(
    ("text", "scheme", "local"),
    [
        ("data/log.parquet", None, Path("data/log.parquet")),
        ("/tmp/a b.csv", None, Path("/tmp/a b.csv")),
        ("C:/data/log.csv", None, Path("C:/data/log.csv")),  # a drive letter, not a scheme
        ("file:///tmp/a b.csv", "file", Path("/tmp/a b.csv")),
        ("file:///tmp/a%20b.csv", "file", Path("/tmp/a%20b.csv")),  # as Spark: not decoded
        ("file://localhost/tmp/x.csv", "file", Path("/tmp/x.csv")),
        ("file:/tmp/x.csv", "file", Path("/tmp/x.csv")),
        ("file://otherhost/tmp/x.csv", "file", None),
        ("hdfs://namenode:8020/logs/x.parquet", "hdfs", None),
        ("S3A://bucket/x.csv", "s3a", None),
    ],
)
def test_schemes_and_local_paths(text, scheme, local):
    assert uri_scheme(text) == scheme
    assert local_path(text) == local


def test_copy_a_file_uri_through_spark(spark, tmp_path):
    source = tmp_path / "in" / "reviews 1.csv"
    source.parent.mkdir()
    source.write_text("text\n好评\n", encoding="utf-8")
    target = tmp_path / "out"
    target.mkdir()
    copy = copy_to_local(spark, f"file://{source}", target)  # as Spark: not percent-encoded
    assert copy == target / "reviews 1.csv"
    assert copy.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in target.iterdir()) == ["reviews 1.csv"]  # no .crc file


def test_paths_spark_cannot_read_fail_in_one_line(spark, tmp_path):
    with pytest.raises(SparkPathError, match="no filesystem for the scheme 'nosuch'") as info:
        check_readable(spark, "nosuch://bucket/log.parquet")
    assert "\n" not in str(info.value)
    with pytest.raises(SparkPathError, match="no such file or directory"):
        check_readable(spark, (tmp_path / "missing.parquet").as_uri())
    with pytest.raises(SparkPathError, match="is a directory"):
        copy_to_local(spark, tmp_path.as_uri(), tmp_path)
    check_readable(spark, tmp_path.as_uri())  # a directory of part files is fine to read
