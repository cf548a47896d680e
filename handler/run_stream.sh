#!/bin/sh
# Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) runs this as the function's
# handler: the streaming routes (handler.app.create_stream_app, the same route code as the
# HTTP API) under uvicorn, so responses stream (infra/streaming.py). No proxy headers: the
# only peer is the adapter on 127.0.0.1, and client-sent X-Forwarded-For is not trusted.
cd "${LAMBDA_TASK_ROOT:-.}" || exit 1
export PYTHONPATH="${LAMBDA_TASK_ROOT:-.}${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m uvicorn --factory handler.app:create_stream_app \
  --host 127.0.0.1 --port "${PORT:-8080}" --no-access-log --no-proxy-headers
