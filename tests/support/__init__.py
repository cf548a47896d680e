"""Helpers any test (and the bench) may import; fixtures stay in the conftest.py files.

- `events`: recorded Lambda events (`load_event`, `http_event`, `SOURCES`, `EVENTS`) and
  the one Lambda context, `LambdaContext` (from `local.aws.lambda_.context`);
- `processes`: the one subprocess runner: `run_python` (a fresh interpreter, output
  captured), `printed` (the JSON it printed), `serving` (a server process while a block
  runs), `child_env`, `ROOT`;
- `servers`: the one live-server helper: `LiveServer` (uvicorn in a thread), `free_port`,
  `burst`, `handshake_refusal` (the status a refused WebSocket handshake got);
- `connections_api`: a loopback @connections API (`ConnectionsApi`) checking SigV4;
- `websocket_api`: the connections table and the `$connect`/`$default` events of API
  Gateway's WebSocket API, and `posted` (what the @connections API took for an id);
- `task_queues`: the task path under moto (`Aws`, `make_aws`, `REGION`) and SQS events
  (`sqs_event`, `message`);
- `platform_app`: the smallest app a platform test needs, never the demo's:
  `platform_app` (FastAPI, the platform's error answers, a lifespan holding a
  `PlatformState` built by `open_platform_state` from the platform's own factories),
  `test_settings` (`PlatformSettings`), `bearer` (a development token it trusts), and
  two ready-made apps: `cache_and_limits_app` (`/cached`, `/limited`) and
  `every_answer_app` (JSON, state, an error, a crash, a stream, the docs);
- `chat_endpoint`: the WebSocket endpoint the realtime tests drive (`Client N: text`);
- `redis_settings`: the test Redis (`TEST_REDIS_URL`, `REDIS_TEST_TIMEOUT`) and
  `memory_or_redis_settings` (`PlatformSettings`), for the same tests on both backends;
- `redis_server`: `RedisServer`, a `redis-server` of a test's own on a free port, to kill
  and start again;
- `chat_clients`: `ChatClient` (a signed-in `websockets` client of a real server, recording
  what it hears), `each_hears_once`, `token`, and `worker_connections` (the sockets each
  worker of a `--workers N` server holds);
- `faults`: AWS faults for one botocore client: `refuse` (an operation answers an error)
  and `lose_answer` (botocore sends a request the service already took again);
- `snapstart`: a SnapStart life cycle simulated with a fork (`python -m
  tests.support.snapstart`), and `tcp_sockets` (this process's connections to some ports);
- `counted_operations`: `CountedOperations`, a subscription schema's operations counting
  each execution (the publish tests and the subscriptions bench);
- `require`: skip, or fail under `REQUIRE_*=1`, when Redis, node or chromium is missing;
- `browser`: `chromium()`, the headless Debian chromium through Playwright;
- `hostile`: hypothesis strategies for hostile input (`json_values`, `mutated`) and the
  one profile the suites use (`hostile(n)`).

Importing this package imports nothing else: each module pays only for what it holds.
"""
