"""Amazon API Gateway: the HTTP API (payload format 2.0) and the WebSocket API with its
@connections management API, turning real traffic into the events Lambda gets."""
