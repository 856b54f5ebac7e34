"""Alembic environment of the shop database: the app's own metadata, one connection.

:mod:`kefu.shop.migrate` builds the Alembic config in code and hands over an open
connection (``config.attributes["connection"]``), already holding the migration lock.
Run through ``kefu db upgrade`` / ``kefu db revision``; there is no ``alembic.ini``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from kefu.shop.models import Base

target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
    # the shop database may share a server (or a SQLite file) with other tables, such as
    # Rasa's tracker store: only the shop's own tables are Alembic's business
    if type_ == "table":
        return name in target_metadata.tables
    return True


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=True,  # ALTERs that SQLite cannot do become table copies
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the handed-over connection (or the configured URL)."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"), future=True)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("kefu's shop migrations run online only (kefu db upgrade)")
run_migrations_online()
