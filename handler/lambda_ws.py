"""Lambda entry for API Gateway WebSocket routes ($connect, $default, $disconnect).

Thin on purpose: it builds no HTTP app and imports no FastAPI; the hub (DynamoDB
registry + @connections sender) is created on the first event and reused while warm.
"""

from __future__ import annotations

from handler.platform.runtime.init_phase import init_phase

with init_phase():
    from handler.api.chat import endpoint
    from handler.composition import (
        app_metrics,
        aws_graphql_ws,
        aws_hub,
        configure_logs,
        require_issuer,
        token_verifier,
    )
    from handler.platform.metrics.recorder import invocation_metrics
    from handler.platform.realtime.drivers.api_gateway import ApiGatewayWebSocketDriver
    from handler.settings import get_settings

    configure_logs(get_settings())
    require_issuer(get_settings())
    # The verifier (PyJWT, `cryptography`) is built by the first $connect with a token.
    adapter = ApiGatewayWebSocketDriver(
        endpoint,
        lambda: aws_hub(get_settings()),
        verifier=lambda: token_verifier(get_settings()),
        # graphql-transport-ws beside the chat, when SUBSCRIPTIONS_TABLE is set.
        graphql=lambda: aws_graphql_ws(get_settings()),
    )
    handler = invocation_metrics(adapter, app_metrics(get_settings()), function="ws")
