"""Services behind the actions: the shop database, identity, recommender, FAQ and texts.

Actions stay thin: they read the tracker, call one of these modules and turn the result
into replies. Nothing here imports Rasa, so every service is testable on its own.
"""

from actions.services import faq, identity, recommender, texts

__all__ = ["faq", "identity", "recommender", "texts"]
