"""`python -m local aws`: the deployed topology on one machine, no Docker, no account.

moto server holds the stack's queues and tables; each function runs as its real entry in
Lambda-like execution environments (its own process, init once, one event at a time,
timeout enforced); emulated API Gateway HTTP and WebSocket APIs turn real traffic into
the events Lambda gets; an SQS poller plays the event source mapping; the stream app
runs under uvicorn as Lambda Web Adapter runs it. See docs/emulator.md.
"""
