"""``python -m kefu.bot.rasa_server ARGS``: ``rasa ARGS`` with kefu's start-up rules first.

The servers kefu starts (``kefu run``, the tests) run Rasa this way instead of the
``rasa`` script, so that before Rasa sets up its logging:

* every log record is redacted (:func:`kefu.logredact.install_record_factory`): no phone
  number, e-mail, ID or card number from a customer's message reaches ``rasa.log``, even
  with ``--debug``;
* the files Rasa creates (the SQLite tracker store and its WAL/SHM files, logs) are
  private to kefu's user (:func:`kefu.settings.private_umask`).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Apply kefu's rules, then hand over to Rasa's own command line (``sys.argv[1:]``)."""
    from kefu.logredact import install_record_factory
    from kefu.settings import private_umask

    private_umask()
    install_record_factory()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
