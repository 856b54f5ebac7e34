"""Locust's own virtualenv: built once from ``loadtest/requirements.txt``, then reused.

Locust brings gevent, which monkey-patches the standard library: it must never be
imported into kefu's servers, so it lives in ``loadtest/.venv`` (git-ignored), built with
the Python running this module (kefu's 3.10). The build goes into the directory under a
lock and is marked complete by a stamp naming the requirements' hash: a half-built or
outdated venv is rebuilt, two builds at once wait for each other.

``python -m loadtest.venv`` builds it when needed and prints the path of ``locust``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
VENV = Path(os.environ.get("KEFU_LOADTEST_VENV") or HERE / ".venv")
DEFAULT_INDEX = "https://pypi.org/simple/"


class RegistryUnreachable(RuntimeError):
    """The package registry cannot be reached: Locust cannot be installed."""


def _stamp(venv: Path) -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    return venv / f".kefu-complete-{digest}"


def locust_path(venv: Path = VENV) -> Path:
    """Where ``locust`` is in the virtualenv."""
    return venv / "bin" / "locust"


def registry_reachable(timeout: float = 10.0) -> bool:
    """Whether pip's index (``PIP_INDEX_URL``, default PyPI) answers."""
    index = os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX
    if index.startswith("file:"):
        return Path(urlsplit(index).path).exists()
    try:
        with urllib.request.urlopen(index.rstrip("/") + "/locust/", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # it answered
    except (urllib.error.URLError, OSError):
        return False


def ensure(venv: Path = VENV, quiet: bool = True) -> Path:
    """Build the virtualenv when missing or outdated; the path of ``locust``.

    Raises:
        RegistryUnreachable: pip failed and the registry does not answer.
        RuntimeError: pip failed although the registry answers (its output included).
    """
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.with_name(venv.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _stamp(venv).exists() and locust_path(venv).exists():
            return locust_path(venv)
        shutil.rmtree(venv, ignore_errors=True)
        print(f"kefu load test: building Locust's virtualenv in {venv}", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-r", str(REQUIREMENTS)]
        done = subprocess.run(
            pip + (["--quiet"] if quiet else []), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            if not registry_reachable():
                raise RegistryUnreachable(
                    "the package registry is unreachable: cannot install Locust"
                )
            raise RuntimeError(f"installing Locust failed:\n{done.stdout}\n{done.stderr}")
        _stamp(venv).touch()
    return locust_path(venv)


def main() -> int:
    try:
        print(ensure())
    except RegistryUnreachable as exc:
        print(f"kefu load test: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
