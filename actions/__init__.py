"""Custom actions of the kefu bot, served by ``rasa run actions --actions actions``.

Modules by area, in the order a conversation meets them:

* :mod:`actions.session`: session start (token check), language and identity of each
  message, empathy for negative messages, greeting.
* :mod:`actions.forms`: the order form (which order, proof for visitors, item and reason).
* :mod:`actions.orders`: order status, cancellation, returns, refunds.
* :mod:`actions.products`: product search and suggestions (product cards).
* :mod:`actions.scope`: out-of-scope messages (or a product question after all).
* :mod:`actions.support`: FAQ, complaints, hand-off to a human, fallback, yes/no,
  satisfaction score.

The shop database is reached through :mod:`kefu.shop.queries`; identity, recommender, FAQ
and wording live behind :mod:`actions.services`.
"""
