"""Live hand-off services: staff accounts, the agent queue, opening hours.

``staff`` (accounts, scrypt password hashes, the first admin), ``queue`` (hand-off, its
place in the queue and expected wait, auto-assignment), ``hours`` (when agents answer).
Reads and writes go through :mod:`kefu.shop.queries`.
"""
