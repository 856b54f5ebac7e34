"""Paths and URIs for the Spark engines: which inputs are local files, and reading any URI
through the Spark session's own filesystem layer (Hadoop's: ``file:``, ``hdfs:``, ``s3a:``
with hadoop-aws on the classpath, ``gs:``... whatever the session is configured for).

A URI is checked once before a job uses it, so that a scheme Spark has no filesystem for,
or a missing file, is one line saying so instead of a Java stack trace.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["SparkPathError", "check_readable", "copy_to_local", "local_path", "uri_scheme"]

# a scheme of two characters or more, then ":/" (so C:\data.csv stays a path)
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/")


class SparkPathError(ValueError):
    """A path or URI the Spark session cannot read (unknown scheme, missing, a directory)."""


def uri_scheme(text: str | os.PathLike) -> str | None:
    """The scheme of a URI (``"hdfs"``, ``"file"``...), lower case; ``None`` for a plain path."""
    match = _URI.match(os.fspath(text))
    return match.group(1).lower() if match else None


def local_path(text: str | os.PathLike) -> Path | None:
    """The local file a plain path or a ``file:`` URI names; ``None`` for other URIs.

    As in Spark (Hadoop's ``Path``), the URI is not percent-decoded: ``file:///a b.csv``
    names ``/a b.csv`` and ``file:///a%20b.csv`` names ``/a%20b.csv``.
    """
    text = os.fspath(text)
    scheme = uri_scheme(text)
    if scheme is None:
        return Path(text)
    if scheme != "file":
        return None
    rest = text[len("file:") :]
    if rest.startswith("//"):
        host, _, rest = rest[2:].partition("/")
        if host not in ("", "localhost"):
            return None  # file://otherhost/... is not on this machine
        rest = "/" + rest
    return Path(rest)


def _java_message(exc: Exception) -> str:
    """The first line of a Java exception's ``toString`` (``Class: message``), short."""
    java = getattr(exc, "java_exception", None)
    text = str(java.toString()) if java is not None else str(exc)
    line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return line.removeprefix("java.lang.RuntimeException: ")[:300]


def _filesystem(spark, uri: str):
    """(Hadoop ``FileSystem``, ``Path``) of a URI in the session's configuration."""
    from py4j.protocol import Py4JJavaError

    conf = spark.sparkContext._jsc.hadoopConfiguration()
    try:
        path = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(uri)  # may reject the URI
        return path.getFileSystem(conf), path
    except Py4JJavaError as exc:
        message = _java_message(exc)
        scheme = uri_scheme(uri) or "file"
        if "UnsupportedFileSystemException" in message or "No FileSystem for scheme" in message:
            raise SparkPathError(
                f"{uri}: Spark has no filesystem for the scheme {scheme!r} "
                "(file:, hdfs:, or s3a: with hadoop-aws on the classpath...)"
            ) from None
        raise SparkPathError(f"{uri}: Spark cannot open its filesystem: {message}") from None


def check_readable(spark, uri: str | os.PathLike, *, file_only: bool = False) -> None:
    """Raise :class:`SparkPathError` unless the session can read ``uri`` (a plain path is
    resolved as Spark resolves it: against the driver's working directory).

    Args:
        spark: the Spark session.
        uri: a path or URI.
        file_only: a directory (of part files) is an error too.
    """
    from py4j.protocol import Py4JJavaError

    text = os.fspath(uri)
    fs, path = _filesystem(spark, text)
    try:
        if not fs.exists(path):
            raise SparkPathError(f"{text}: no such file or directory")
        if file_only and fs.getFileStatus(path).isDirectory():
            raise SparkPathError(f"{text}: is a directory, not one file")
    except Py4JJavaError as exc:  # no permission, the name node down, bad credentials...
        raise SparkPathError(f"{text}: {_java_message(exc)}") from None


def copy_to_local(spark, uri: str | os.PathLike, directory: Path) -> Path:
    """Copy one file from any URI the session reads into ``directory``; the local copy
    keeps the file's name (its suffix picks the format of the local readers).

    Raises:
        SparkPathError: the session cannot read ``uri`` or it is not one file.
    """
    from py4j.protocol import Py4JJavaError

    text = os.fspath(uri)
    check_readable(spark, text, file_only=True)
    fs, path = _filesystem(spark, text)
    target = Path(directory) / (path.getName() or "input")
    local = spark.sparkContext._jvm.org.apache.hadoop.fs.Path(f"file://{target.resolve()}")
    try:
        # raw local filesystem: no .crc checksum file beside the copy
        fs.copyToLocalFile(False, path, local, True)
    except Py4JJavaError as exc:
        raise SparkPathError(f"{text}: {_java_message(exc)}") from None
    return target
