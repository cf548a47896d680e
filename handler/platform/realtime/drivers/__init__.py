"""What feeds a `Dispatcher` events: one driver per transport.

`drivers.local_socket.serve_socket` turns a real socket into connect/message/disconnect
events (locally); `drivers.api_gateway.ApiGatewayWebSocketDriver` turns API Gateway's
WebSocket events into the same calls (on Lambda).
"""
