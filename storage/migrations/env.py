"""Alembic environment. chibo runs migrations through ``storage.db.upgrade``, which hands a
live connection in ``config.attributes['connection']``; the URL form is for ad-hoc use."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # pragma: no cover - manual use: alembic -x url=sqlite:///chibo.db upgrade head
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    assert url, "give the database: alembic -x url=sqlite:///chibo.db upgrade head"
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
