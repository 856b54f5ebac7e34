"""Services behind the actions: identity, recommender, FAQ, texts, ticket announces.

Actions stay thin: they read the tracker, call one of these modules and turn the result
into replies. Nothing here imports Rasa, so every service is testable on its own. The shop
database is read and written through :mod:`kefu.shop.queries`, as the site does.
"""

from actions.services import announce, faq, identity, recommender, texts

__all__ = ["announce", "faq", "identity", "recommender", "texts"]
