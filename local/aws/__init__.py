"""`python -m local aws`: the deployed topology on one machine, no Docker, no account.

One folder per AWS service it emulates (see docs/emulator.md):

- `lambda_/`: execution environments (`execution.py`, the child `runtime.py`), function
  pools (`functions.py`), `invoke.py` (what callers get), the Lambda context
  (`context.py`), a handler run in this process (`in_process.py`), and the stream
  function under Lambda Web Adapter (`web_adapter.py`);
- `apigateway/`: the HTTP API and WebSocket API (`http_api.py`, `websocket_api.py`),
  their events, the @connections management API and its SigV4 check;
- `sqs/`: the event source mapping (`event_source.py`) and its records (`records.py`),
  also what `python -m local worker` polls with;
- `moto_server.py`: the stack's queues and tables in moto server;
- `topology.py`: the stack's names and numbers, held against the template by a test;
- `emulator.py`: start and stop all of it (`servers.py`, `outputs.py`).
"""
