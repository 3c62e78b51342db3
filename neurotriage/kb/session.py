"""Engines and sessions for the knowledge database (SQLite by default, PostgreSQL through DATABASE_URL)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.future import create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = "sqlite:///.run/knowledge.db"


def _enable_sqlite_foreign_keys(dbapi_connection, _connection_record) -> None:
    # SQLite ignores foreign keys unless every connection asks for them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, **engine_options) -> Engine:
    """A 2.0-style engine. For SQLite: usable from the action server's threads, foreign keys enforced,
    a relative file path taken from the project root (as neurotriage/config.py does) and its folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True, **engine_options)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory:
        path = Path(database)
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        path.parent.mkdir(parents=True, exist_ok=True)
        parsed = parsed.set(database=str(path))
    options = {"connect_args": {"check_same_thread": False}, **engine_options}
    if in_memory:
        options.setdefault("poolclass", StaticPool)  # one shared connection, or each session sees an empty database
    engine = create_engine(parsed, future=True, **options)
    event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded values after commit: repository answers outlive their session."""
    return sessionmaker(bind=engine, class_=Session, future=True, expire_on_commit=False)
