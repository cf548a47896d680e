#!/bin/sh
# Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) runs this as the function's
# handler: the streaming routes (handler.app.create_stream_app, the same route code as the
# HTTP API) under uvicorn, so responses stream (infra/streaming.py). No proxy headers: the
# only peer is the adapter on 127.0.0.1, and client-sent X-Forwarded-For is not trusted.
# asyncio and h11, uvicorn's own: Lambda sends an environment one request at a time, so
# uvloop and httptools are not in this function's asset (infra/assets.py).
cd "${LAMBDA_TASK_ROOT:-.}" || exit 1
export PYTHONPATH="${LAMBDA_TASK_ROOT:-.}${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m uvicorn --factory handler.app:create_stream_app \
  --host 127.0.0.1 --port "${PORT:-8080}" --loop asyncio --http h11 \
  --no-access-log --no-proxy-headers
