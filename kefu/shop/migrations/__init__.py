"""Alembic migrations of the shop database (``env.py``, ``versions/``); run by
:mod:`kefu.shop.migrate`, never by hand-made ``create_all``."""
