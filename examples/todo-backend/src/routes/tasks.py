"""The tasks API: each user sees and changes only their own tasks."""

from fastapi import APIRouter, HTTPException, Response, status
from sqlmodel import Session, col, select

from ..auth import CurrentUserId
from ..db import SessionDep
from ..models import Task, TaskCreate, TaskRead, TaskUpdate, utc_now

router = APIRouter(prefix="/api/tasks", tags=["tasks"])


def _get_owned_task(session: Session, user_id: str, task_id: int) -> Task:
    task = session.get(Task, task_id)
    # Someone else's task answers exactly like a missing one, so ids leak nothing.
    if task is None or task.user_id != user_id:
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail="Task not found"
        )
    return task


def _save(session: Session, task: Task) -> Task:
    session.add(task)
    session.commit()
    session.refresh(task)
    return task


@router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED)
def create_task(body: TaskCreate, user_id: CurrentUserId, session: SessionDep) -> Task:
    return _save(session, Task.model_validate(body, update={"user_id": user_id}))


@router.get("", response_model=list[TaskRead])
def list_tasks(
    user_id: CurrentUserId, session: SessionDep, done: bool | None = None
) -> list[Task]:
    query = select(Task).where(Task.user_id == user_id)
    if done is not None:
        query = query.where(Task.done == done)
    return list(session.exec(query.order_by(col(Task.id))).all())


@router.get("/{task_id}", response_model=TaskRead)
def get_task(task_id: int, user_id: CurrentUserId, session: SessionDep) -> Task:
    return _get_owned_task(session, user_id, task_id)


@router.patch("/{task_id}", response_model=TaskRead)
def update_task(
    task_id: int, body: TaskUpdate, user_id: CurrentUserId, session: SessionDep
) -> Task:
    task = _get_owned_task(session, user_id, task_id)
    task.sqlmodel_update(body.model_dump(exclude_unset=True))
    task.updated_at = utc_now()
    return _save(session, task)


@router.post("/{task_id}/toggle", response_model=TaskRead)
def toggle_task(task_id: int, user_id: CurrentUserId, session: SessionDep) -> Task:
    task = _get_owned_task(session, user_id, task_id)
    task.done = not task.done
    task.updated_at = utc_now()
    return _save(session, task)


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_task(task_id: int, user_id: CurrentUserId, session: SessionDep) -> Response:
    session.delete(_get_owned_task(session, user_id, task_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
