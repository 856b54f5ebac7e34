"""``python -m web``: serve the site (``kefu run`` starts it this way)."""

from __future__ import annotations

import argparse
import logging
import sys

from kefu.gil import favour_the_event_loop
from kefu.heap import freeze_after_start
from kefu.logredact import install_record_factory
from kefu.settings import private_umask
from web.app import create_app
from web.config import WebConfig


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--rasa-url", help="Rasa server URL (env KEFU_RASA_URL)")
    args = parser.parse_args(argv)
    private_umask()  # its files (logs, databases) private to kefu's user
    install_record_factory()  # no customer's phone, e-mail, ID or card in the log
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = WebConfig.from_env(rasa_url=args.rasa_url)
    except ValueError as exc:
        print(f"web: {exc}", file=sys.stderr)
        return 2
    app = create_app(config)
    favour_the_event_loop()  # database work runs on threads (kefu.gil)
    app.register_listener(freeze_after_start, "after_server_start")  # kefu.heap
    app.run(host=args.host, port=args.port, access_log=False, motd=False, workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
