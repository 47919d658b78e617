"""The task table and the shapes the API reads and returns."""

from datetime import UTC, datetime

from pydantic import field_validator
from sqlmodel import Field, SQLModel

TITLE_MAX = 200
DESCRIPTION_MAX = 2000


def utc_now() -> datetime:
    return datetime.now(UTC)


class TaskBase(SQLModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)


class Task(TaskBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(index=True)
    done: bool = False
    created_at: datetime = Field(default_factory=utc_now)
    updated_at: datetime = Field(default_factory=utc_now)


class TaskCreate(TaskBase):
    pass


class TaskUpdate(SQLModel):
    """A partial update: only the fields sent are changed."""

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    done: bool | None = None

    @field_validator("title", "done")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Leaving a field out keeps it; null would break the NOT NULL column.
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class TaskRead(TaskBase):
    id: int
    done: bool
    created_at: datetime
    updated_at: datetime
