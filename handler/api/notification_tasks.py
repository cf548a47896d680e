"""The demo's task. No FastAPI here: the worker Lambda imports this module alone."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from handler.platform.tasks import task

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Email:
    to: str
    message: str


# The demo's mailer: it records and logs instead of sending (swap in SES or SMTP here).
# Bounded, so a long-running local server does not grow without limit.
OUTBOX: deque[Email] = deque(maxlen=1000)


@task
def send_email(email: str, message: str = "") -> None:
    OUTBOX.append(Email(to=email, message=message))
    logger.info("email to %s: %s", email, message)
