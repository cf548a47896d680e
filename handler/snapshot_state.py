"""SnapStart's side of the app's lifespan state (`handler.composition.open_app_state`): what
the init builds ahead into the snapshot, and what is released before it is taken."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handler.demo_state import AppState


async def build_ahead(state: AppState) -> None:
    """SnapStart's init: build what is otherwise built on first use (the cache and
    rate-limit backends with the Redis pool, the SQS client, the token verifier), so
    that the snapshot holds it and a restored environment's first request pays nothing.
    Nothing connects: a build needs no network (connections open on first use, after
    the restore)."""
    from handler.platform.tasks.envelope import TaskEnvelope

    await state.cache.guarded.prepare()
    await state.rate_limiter.guarded.prepare()
    state.task_queue.prepare()
    TaskEnvelope.model_rebuild()  # its schema is deferred to the first task otherwise
    # The verifier (PyJWT and `cryptography`, ~60 ms of imports): its keys are fetched by
    # the first token after the restore, never baked into the snapshot.
    state.token_verifier()


async def release_connections(state: AppState) -> None:
    """Before a SnapStart snapshot: close every pooled connection (Redis, the AWS
    clients' HTTP pools), so that no restored environment shares a socket; each pool
    connects again on its next use."""
    from handler.platform.aws.clients import drop_connections

    pool = state.redis_pool
    if pool is not None and pool.built:
        await (await pool.get()).disconnect()
    drop_connections()
