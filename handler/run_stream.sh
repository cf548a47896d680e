#!/bin/sh
# Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) runs this as the function's
# handler: the same app as everywhere, under uvicorn, so responses stream (infra/streaming.py).
cd "${LAMBDA_TASK_ROOT:-.}" || exit 1
export PYTHONPATH="${LAMBDA_TASK_ROOT:-.}${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m uvicorn --factory handler.app:create_app \
  --host 127.0.0.1 --port "${PORT:-8080}" --no-access-log
