"""Background tasks: FastAPI's `add_task` idiom, run in-process locally and on SQS on AWS.

- `@task` (registry) registers a function under a stable name;
- `TasksDep` (deps) is the route's handle: `tasks.add_task(fn, *args, **kwargs)`;
- `TaskWorker` (worker) runs SQS batches on the worker Lambda.

Only the registry is imported here, so task modules and the worker Lambda import this
package without pulling in FastAPI.
"""

from __future__ import annotations

from handler.platform.tasks.registry import TaskRegistry, TaskSpec, registry, task

__all__ = ["TaskRegistry", "TaskSpec", "registry", "task"]
