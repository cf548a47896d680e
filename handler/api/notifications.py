"""The seed's background-task demo: answer at once, send the email afterwards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from handler.api.notification_tasks import send_email
from handler.platform.auth.callers import CurrentUser
from handler.platform.http.deps import TasksDep

router = APIRouter(tags=["tasks"])

EmailQuery = Annotated[str, Query(pattern=r"^[^@\s]+@[^@\s]+$", max_length=254)]


@router.post("/send-notification/")
async def send_notification(
    email: EmailQuery, caller: CurrentUser, tasks: TasksDep
) -> dict[str, str]:
    """Queues `send_email` (signed in only); an answer means it is queued (503 if the
    queue is down)."""
    task_id = tasks.add_task(send_email, email, message="some notification")
    return {"message": "Notification sent in the background", "task_id": task_id}
