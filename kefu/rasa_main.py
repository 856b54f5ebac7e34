"""``python -m kefu.rasa_main ARGS``: ``rasa ARGS`` with kefu's start-up rules first.

Every Rasa process kefu starts (``kefu run``, ``kefu shell``, the test servers) goes
through here, before Rasa sets up its logging or reads ``endpoints.yml``:

* the files Rasa creates (the SQLite tracker store and its WAL/SHM files, logs) are
  private to kefu's user (:func:`kefu.settings.private_umask`);
* every log record is redacted (:func:`kefu.logredact.install_record_factory`): no phone
  number, e-mail, ID or card number from a customer's message reaches ``rasa.log``, even
  with ``--debug``;
* the installed Rasa must be the version the fixes were written for, and the lock lifetime
  must outlast the longest action call; then :func:`kefu.rasa_patches.install` and
  :func:`kefu.rasa_faults.install` and :func:`kefu.rasa_stores.install` run. A problem is
  one line on stderr and exit code 2;
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


def main(argv: list[str] | None = None) -> int:
    """Check, install the fixes, run Rasa's command line with ``argv``."""
    from kefu import rasa_faults, rasa_patches, rasa_stores
    from kefu.gil import favour_the_event_loop
    from kefu.logredact import install_record_factory
    from kefu.settings import TURN_MARGIN, get_settings, private_umask

    private_umask()
    install_record_factory()
    favour_the_event_loop()  # kefu.gil
    try:
        settings = get_settings()
        problem = settings.lock_problem()
        if problem:
            raise rasa_patches.RasaSetupError(problem)
        rasa_patches.install()
        rasa_faults.install(rasa_patches.close_sessions)
        rasa_stores.install()  # a tracker store that cannot be created stops the start
        from rasa.core.lock_store import LOCK_LIFETIME  # what Rasa will use

        if LOCK_LIFETIME < settings.action_timeout + TURN_MARGIN:
            raise rasa_patches.RasaSetupError(
                f"TICKET_LOCK_LIFETIME ({LOCK_LIFETIME} s) must be at least "
                f"KEFU_ACTION_TIMEOUT ({settings.action_timeout:g} s) + {TURN_MARGIN:g} s"
            )
    except (rasa_patches.RasaSetupError, ValueError) as exc:
        print(f"kefu: {exc}", file=sys.stderr)
        return 2
    from rasa.__main__ import main as rasa_main

    args = sys.argv[1:] if argv is None else argv
    sys.argv = ["rasa", *rasa_arguments(args, os.environ)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
