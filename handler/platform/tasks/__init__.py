"""Background tasks: FastAPI's `add_task` idiom, run in-process locally and on SQS on AWS.

- `@task` (registry) registers a function under a stable name;
- `Tasks` (request_tasks), a route's `TasksDep` (handler.platform.http.deps):
  `tasks.add_task(fn, *args, **kwargs)`;
- `TaskEnvelope` (envelope): the JSON a task travels in;
- `InProcessQueue` (queue) and `SqsQueue` (sqs): where a request's tasks go;
- `TaskWorker` (worker) runs SQS batches on the worker Lambda, once per task id
  (idempotency), dead-lettering what can never succeed.

Only the registry is imported here, so task modules and the worker Lambda import this
package without pulling in FastAPI.
"""

from __future__ import annotations

from handler.platform.tasks.registry import TaskRegistry, TaskSpec, registry, task

__all__ = ["TaskRegistry", "TaskSpec", "registry", "task"]
