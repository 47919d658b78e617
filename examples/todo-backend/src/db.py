"""The database engine, table creation and the per-request session."""

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from fastapi import Depends
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from . import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from .config import settings


def _connect_args(database_url: str) -> dict[str, object]:
    # FastAPI runs sync routes in a thread pool, so a SQLite connection is shared
    # between threads, not only used by the one that opened it.
    if make_url(database_url).get_backend_name() == "sqlite":
        return {"check_same_thread": False}
    return {}


engine = create_engine(
    settings.database_url, connect_args=_connect_args(settings.database_url)
)


def ensure_sqlite_folder(database_url: str) -> None:
    """Create the folder of a SQLite database file (e.g. `./data`) if it is missing.

    Relative paths are relative to the working directory. Other databases, and
    in-memory SQLite, need no folder.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    folder = Path(url.database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RuntimeError(
            f"Cannot create the database folder {folder.absolute()} "
            f"({error.strerror}): make it writable, or point DATABASE_URL elsewhere."
        ) from error


def init_db() -> None:
    """Make sure the database can be opened and every table exists."""
    ensure_sqlite_folder(settings.database_url)
    SQLModel.metadata.create_all(engine)


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
