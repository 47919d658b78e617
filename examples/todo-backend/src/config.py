"""Settings, read once from the environment (and a local `.env`) at import."""

import os
from dataclasses import dataclass

from dotenv import load_dotenv

DEFAULT_DATABASE_URL = "sqlite:///./data/todo.db"
DEFAULT_CORS_ORIGINS = "http://localhost:3000"


@dataclass(frozen=True)
class Settings:
    auth_secret: str
    database_url: str
    cors_origins: tuple[str, ...]


def split_origins(raw: str) -> tuple[str, ...]:
    """Turn "a, b,,c" into ("a", "b", "c")."""
    return tuple(origin.strip() for origin in raw.split(",") if origin.strip())


# Variables already set in the environment win over the `.env` file.
load_dotenv()

_auth_secret = os.getenv("BETTER_AUTH_SECRET")
if not _auth_secret:
    # One clear line instead of a traceback: without it no token can be verified.
    raise SystemExit(
        "BETTER_AUTH_SECRET is not set: set it to the secret your Better Auth "
        "server signs its JWTs with (see .env.example)."
    )

settings = Settings(
    auth_secret=_auth_secret,
    database_url=os.getenv("DATABASE_URL", DEFAULT_DATABASE_URL),
    cors_origins=split_origins(os.getenv("CORS_ORIGINS", DEFAULT_CORS_ORIGINS)),
)
