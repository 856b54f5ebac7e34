"""The one place that reads and writes the shop database for the bot, the site, the recommender and analytics.

One module per area: ``catalog`` (products, search), ``orders`` (orders, cancellations,
returns, refunds), ``support`` (tickets, CSAT), ``customers`` (profiles), ``frames``
(bulk pandas frames for training and analytics).
"""
