"""``python -m kefu.bot.rasa_main ARGS``: ``rasa ARGS``, with the HTTP API token from the
environment instead of the command line.

``rasa run --auth-token T`` puts the token in the process's command line, which ``ps``
shows every local user. Here the token comes from env ``KEFU_RASA_TOKEN`` (readable only
by kefu's user in ``/proc/PID/environ``); when set, ``--enable-api --auth-token`` are
added to Rasa's own argument list inside the process, never to the visible command line.
"""

from __future__ import annotations

import os
import sys

TOKEN_ENV = "KEFU_RASA_TOKEN"


def rasa_arguments(args: list[str], environ: dict[str, str] | os._Environ[str]) -> list[str]:
    """Rasa's arguments: ``args``, plus the API token of ``environ`` for ``run``."""
    token = environ.get(TOKEN_ENV, "").strip()
    if token and args[:1] == ["run"] and not any(a.startswith("--auth-token") for a in args):
        return [*args, "--enable-api", f"--auth-token={token}"]
    return list(args)


def main() -> None:
    """Run Rasa's command line in this process."""
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_arguments(sys.argv[1:], os.environ)]
    rasa_main()


if __name__ == "__main__":
    main()
