"""Saving and loading recommenders: a directory with ``model.json`` (class, parameters,
ids, metadata) and ``arrays.npz`` (every fitted array); arrays load with
``allow_pickle=False``, never pickle.

Saving is atomic: the files are written into a new versioned directory next to the
target, and the target (a symbolic link) is then switched to it with one ``os.replace``.
A reader sees the old model or the new one, never none and never a mix; it resolves the
link once and reads both files from the same version. The previous version is kept (a
reader may still be loading it); older ones are removed.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

from recsys.biases import Biases
from recsys.dataset import Dataset, pack_csr, unpack_csr
from recsys.similarity import Neighbours

__all__ = ["ARRAYS_FILE", "FORMAT", "MODEL_FILE", "load_model", "save_model"]

FORMAT = "kefu-recsys/1"
MODEL_FILE = "model.json"
ARRAYS_FILE = "arrays.npz"


def save_model(model: Any, path: str | os.PathLike, metadata: dict[str, Any] | None = None) -> Path:
    """Save a fitted recommender to a directory (see :meth:`recsys.base.BaseRecommender.save`).

    Raises:
        TypeError: ids or metadata that JSON cannot hold (use strings or ints).
    """
    check_is_fitted(model, "dataset_")
    for what, ids in (("user", model.dataset_.users.ids), ("item", model.dataset_.items.ids)):
        bad = next((i for i in ids if not isinstance(i, str | int | float)), None)
        if bad is not None:
            raise TypeError(f"cannot save: {what} ids must be strings or numbers, got {bad!r}")
    meta, arrays = model.dataset_.to_state()
    arrays = {f"dataset.{k}": v for k, v in arrays.items()}
    arrays["biases.user"] = model.biases_.user
    arrays["biases.item"] = model.biases_.item
    arrays["popularity"] = model.popularity_
    segments = sorted(model.segment_popularity_)
    if segments:
        arrays["segment_popularity"] = np.vstack([model.segment_popularity_[s] for s in segments])
    fitted: dict[str, str] = {}
    for name in model._persisted:
        value = getattr(model, name)
        if value is None:
            fitted[name] = "none"
        elif isinstance(value, Neighbours):
            fitted[name] = "neighbours"
            arrays[f"{name}.index"], arrays[f"{name}.weight"] = value.index, value.weight
        elif sp.issparse(value):
            fitted[name] = "csr"
            arrays.update(pack_csr(name, value))
        else:
            fitted[name] = "array"
            arrays[name] = np.asarray(value)
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in model.get_params().items()}
    document = {
        "format": FORMAT,
        "class": type(model).__name__,
        "params": params,
        "dataset": meta,
        "global_mean": model.biases_.global_mean,
        "segments": segments,
        "fitted": fitted,
        "metadata": metadata or {},
    }
    try:
        text = json.dumps(document, ensure_ascii=False)
    except TypeError as exc:
        raise TypeError(
            f"cannot save: ids and metadata must be strings or numbers ({exc})"
        ) from exc
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.v-", dir=target.parent))
    try:
        (staging / MODEL_FILE).write_text(text, encoding="utf-8")
        with open(staging / ARRAYS_FILE, "wb") as fh:
            np.savez(fh, **arrays)
        _switch(target, staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _switch(target: Path, version: Path) -> None:
    """Point ``target`` at ``version`` in one step; keep the previous version only."""
    previous = target.resolve() if target.is_symlink() else None
    if target.exists() and not target.is_symlink():  # saved by an older kefu: a real dir
        legacy = target.with_name(f".{target.name}.v-legacy-{os.getpid()}")
        os.replace(target, legacy)
        previous = legacy
    link = target.with_name(f".{target.name}.link-{os.getpid()}")
    link.unlink(missing_ok=True)
    os.symlink(version.name, link)  # relative: the models directory can move
    os.replace(link, target)
    for old in target.parent.glob(f".{target.name}.v-*"):
        if old.resolve() not in (version.resolve(), previous):
            shutil.rmtree(old, ignore_errors=True)


def load_model(cls: type, path: str | os.PathLike, registry: Mapping[str, type]) -> Any:
    """Load a model saved by :func:`save_model` as ``cls`` (or a subclass named in the file).

    Args:
        cls: the class asked for; the file's class must be it or a subclass.
        path: the model's directory.
        registry: the recommender classes by name.

    Raises:
        FileNotFoundError: no model at ``path``.
        ValueError: not a kefu recsys model, or of another class than ``cls``.
    """
    directory = Path(path).resolve()  # one version for both files, even if a save switches
    if not (directory / MODEL_FILE).is_file() or not (directory / ARRAYS_FILE).is_file():
        raise FileNotFoundError(f"no saved recommender at {Path(path)}")
    try:
        document = json.loads((directory / MODEL_FILE).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{directory / MODEL_FILE} is not valid JSON: {exc}") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{directory} does not hold a {FORMAT} model")
    klass = registry.get(document.get("class", ""))
    if klass is None or not issubclass(klass, cls):
        raise ValueError(f"{directory} holds a {document.get('class')!r}, not a {cls.__name__}")
    params = {k: tuple(v) if isinstance(v, list) else v for k, v in document["params"].items()}
    model: Any = klass(**params)
    try:
        with np.load(directory / ARRAYS_FILE, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{directory / ARRAYS_FILE} is corrupt or incomplete: {exc}") from exc
    try:
        dataset_arrays = {k[8:]: v for k, v in arrays.items() if k.startswith("dataset.")}
        model.dataset_ = Dataset.from_state(document["dataset"], dataset_arrays)
        model.biases_ = Biases(
            float(document["global_mean"]), arrays["biases.user"], arrays["biases.item"]
        )
        model.popularity_ = arrays["popularity"]
        segments = document["segments"]
        model.segment_popularity_ = (
            dict(zip(segments, arrays["segment_popularity"], strict=True)) if segments else {}
        )
        for name, kind in document["fitted"].items():
            if kind == "none":
                value = None
            elif kind == "neighbours":
                value = Neighbours(arrays[f"{name}.index"], arrays[f"{name}.weight"])
            elif kind == "csr":
                value = unpack_csr(name, arrays)
            else:
                value = arrays[name]
            setattr(model, name, value)
    except KeyError as exc:
        raise ValueError(
            f"{directory / ARRAYS_FILE} does not match {directory / MODEL_FILE} "
            f"(missing array {exc}): the model is incomplete"
        ) from exc
    model._prepare()
    return model
