"""``python -m kefu.bot.rasa_server ARGS``: ``rasa ARGS`` with kefu's start-up rules first.

The servers kefu starts (``kefu run``, the tests) run Rasa this way instead of the
``rasa`` script, so that before Rasa sets up its logging:

* every log record is redacted (:func:`kefu.logredact.install_record_factory`): no phone
  number, e-mail, ID or card number from a customer's message reaches ``rasa.log``, even
  with ``--debug``;
* the files Rasa creates (the SQLite tracker store and its WAL/SHM files, logs) are
  private to kefu's user (:func:`kefu.settings.private_umask`);
* the HTTP API token comes from env ``KEFU_RASA_TOKEN`` (readable only by kefu's user in
  ``/proc/PID/environ``), never from the command line that ``ps`` shows every local user:
  ``--enable-api --auth-token`` are added to Rasa's own argument list inside the process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

TOKEN_ENV = "KEFU_RASA_TOKEN"


def rasa_arguments(args: list[str], environ: Mapping[str, str]) -> list[str]:
    """Rasa's arguments: ``args``, plus the API token of ``environ`` for ``run``."""
    token = environ.get(TOKEN_ENV, "").strip()
    if token and args[:1] == ["run"] and not any(a.startswith("--auth-token") for a in args):
        return [*args, "--enable-api", f"--auth-token={token}"]
    return list(args)


def main() -> None:
    """Apply kefu's rules, then hand over to Rasa's own command line (``sys.argv[1:]``)."""
    from kefu.logredact import install_record_factory
    from kefu.settings import private_umask

    private_umask()
    install_record_factory()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_arguments(sys.argv[1:], os.environ)]
    rasa_main()


if __name__ == "__main__":
    main()
