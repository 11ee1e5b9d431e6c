"""The database: an async SQLAlchemy engine opened by the lifespan, and a session per request.

The engine (and its connection pool) is created at startup from the `database_url` setting and
disposed at shutdown. Routes take a session as `session: SessionDep`. Nothing is committed for
you: call `await session.commit()` once a change is complete; what is not committed when the
request ends is rolled back.

The tables are declared on `Base` (see `models.py`) and created by Alembic migrations
(`alembic upgrade head`), never by `create_all()`.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from sqlalchemy import MetaData, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# aiosqlite logs every statement with its parameters (password hashes, tokens...) at DEBUG;
# SQLAlchemy's own logs leave them out (hide_parameters below), and so must the driver's.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

# Named constraints, so that a migration can drop or alter them again on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The base class of every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str) -> AsyncEngine:
    """Create the engine for `url`, with SQLite made to honour transactions and foreign keys."""
    # hide_parameters: errors and SQL logs show statements without the values (secrets) in them
    engine = create_async_engine(url, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        _use_real_sqlite_transactions(engine)
    return engine


def _use_real_sqlite_transactions(engine: AsyncEngine) -> None:
    """Let SQLAlchemy begin SQLite transactions, so SAVEPOINTs and rollbacks work.

    Python's sqlite3 module begins transactions late on its own and ignores SAVEPOINT otherwise
    (SQLAlchemy's documentation, "Serializable isolation / Savepoints / Transactional DDL").
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


@asynccontextmanager
async def database_engine(app: FastAPI) -> AsyncIterator[None]:
    """Open the engine at startup as `app.state.db_engine`; dispose of its pool at shutdown."""
    engine = create_engine(app.state.settings.database_url.get_secret_value())
    app.state.db_engine = engine
    app.state.db_sessions = async_sessionmaker(engine, expire_on_commit=False)
    try:
        yield
    finally:
        await engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """Give the request a session of its own, closed (and rolled back) when it ends."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.db_sessions
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
