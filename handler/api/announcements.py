"""`POST /api/v2/announcements`: HTTP code reaches WebSocket clients through a task.
Admins only: an announcement reaches every connected client."""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from handler.api.announcement_tasks import broadcast_announcement
from handler.platform.auth.callers import AdminUser
from handler.platform.http.deps import TasksDep

router = APIRouter(prefix="/api/v2", tags=["v2"])


class Announcement(BaseModel):
    # Well under API Gateway's 128 KB message limit even in 4-byte UTF-8.
    text: str = Field(min_length=1, max_length=4096)


class Queued(BaseModel):
    task_id: str
    status: str = "queued"


@router.post("/announcements", status_code=status.HTTP_202_ACCEPTED)
async def announce(announcement: Announcement, admin: AdminUser, tasks: TasksDep) -> Queued:
    """Broadcast `text` to every connected chat client, as `Announcement: <text>`
    (admins only)."""
    return Queued(task_id=tasks.add_task(broadcast_announcement, announcement.text))
