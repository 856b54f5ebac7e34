"""The demo shop site with the kefu chat widget (Sanic).

``python -m web`` serves it; ``kefu run`` starts it beside the Rasa and action servers.
"""

from web.app import create_app
from web.config import WebConfig

__all__ = ["WebConfig", "create_app"]
