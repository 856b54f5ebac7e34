"""Saving and loading models as plain files: ``model.json`` and ``arrays.npz``.

No pickle anywhere: JSON for parameters, labels and vocabularies; ``np.load`` with
``allow_pickle=False`` for arrays. ``model.json`` is written last and records the kind of
model, a format version and the SHA-256 of ``arrays.npz``, so a half-written, corrupted
or foreign directory is refused with :class:`ModelFormatError` instead of loading junk.

Replacing a saved model is atomic for readers: before ``arrays.npz`` is replaced, the
current arrays stay reachable under ``.arrays.<sha256>.npz`` (a hard link), so that a
reader (or a restart after a crash) between the two renames still loads the complete
previous model that ``model.json`` names; the link is removed once ``model.json`` is new.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["FORMAT_VERSION", "ModelFormatError", "load_model", "save_model"]

FORMAT_VERSION = 1
META_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"


class ModelFormatError(ValueError):
    """A model directory is missing, corrupted, or holds another kind of model."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(directory: str | Path, kind: str, meta: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Write a model into ``directory`` (created when missing) and return its path.

    Args:
        directory: target directory; an earlier model there is replaced.
        kind: the model's kind (its class name), checked on load.
        meta: JSON-serialisable parameters and learned data.
        arrays: numeric arrays (no object arrays).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        if np.asarray(arr).dtype == object:
            raise TypeError(f"array {name!r} has dtype object, which cannot be saved safely")
    arrays_path = directory / ARRAYS_FILE
    _keep_current_arrays(directory)
    _atomic_write(arrays_path, lambda fh: np.savez_compressed(fh, **arrays))
    document = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "arrays_sha256": _sha256(arrays_path),
        **meta,
    }
    payload = json.dumps(document, ensure_ascii=False).encode("utf-8")
    _atomic_write(directory / META_FILE, lambda fh: fh.write(payload))
    for kept in directory.glob(".arrays.*.npz"):  # model.json names the new arrays now
        kept.unlink(missing_ok=True)
    return directory


def _kept_arrays(directory: Path, sha: str) -> Path:
    return directory / f".arrays.{sha}.npz"


def _keep_current_arrays(directory: Path) -> Path | None:
    """Hard-link the arrays ``model.json`` names now, so they outlive the replacement."""
    try:
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        sha = meta["arrays_sha256"]
        if not isinstance(sha, str) or _sha256(directory / ARRAYS_FILE) != sha:
            return None
        kept = _kept_arrays(directory, sha)
        kept.unlink(missing_ok=True)
        os.link(directory / ARRAYS_FILE, kept)
        return kept
    except (OSError, ValueError, KeyError, TypeError):
        return None  # nothing complete to keep


def load_model(directory: str | Path, kind: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a model written by :func:`save_model`; return ``(meta, arrays)``.

    Raises:
        ModelFormatError: the directory or a file is missing, unreadable, corrupted, of
            another format version, or holds a model of another kind.
    """
    directory = Path(directory)
    meta_path, arrays_path = directory / META_FILE, directory / ARRAYS_FILE
    if not directory.is_dir():
        raise ModelFormatError(f"no model directory at {directory}")
    if not meta_path.is_file() or not arrays_path.is_file():
        raise ModelFormatError(
            f"{directory} is not a saved {kind}: expected {META_FILE} and {ARRAYS_FILE}"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFormatError(f"corrupted {meta_path}: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("kind") != kind:
        found = meta.get("kind") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFormatError(f"{directory} holds a {found!r}, not a {kind!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFormatError(
            f"{directory} has format version {meta.get('format_version')!r}; "
            f"this code reads version {FORMAT_VERSION}: retrain the model"
        )
    if meta.get("arrays_sha256") != _sha256(arrays_path):
        kept = _kept_arrays(directory, str(meta.get("arrays_sha256")))
        if not kept.is_file() or _sha256(kept) != meta.get("arrays_sha256"):
            raise ModelFormatError(
                f"{arrays_path} does not match {meta_path} (corrupted or partial): retrain "
                "the model"
            )
        arrays_path = kept  # a save is replacing the model: read the complete previous one
    try:
        with np.load(arrays_path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"corrupted {arrays_path}: {exc}") from exc
    return meta, arrays
