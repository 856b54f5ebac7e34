"""``python -m kefu.rasa_main ARGS``: ``rasa ARGS`` with kefu's Rasa fixes installed.

Every Rasa process kefu starts (``kefu run``, ``kefu shell``, the test servers) goes
through here: the installed Rasa must be the version the fixes were written for, the
lock lifetime must outlast the longest action call, then :func:`kefu.rasa_patches.install`
runs before Rasa reads ``endpoints.yml``. A problem is one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Check, install the fixes, run Rasa's command line with ``argv``."""
    from kefu import rasa_faults, rasa_patches
    from kefu.settings import TURN_MARGIN, get_settings

    try:
        settings = get_settings()
        problem = settings.lock_problem()
        if problem:
            raise rasa_patches.RasaSetupError(problem)
        rasa_patches.install()
        rasa_faults.install(rasa_patches.close_sessions)
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

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
