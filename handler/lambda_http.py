"""Lambda entry for HTTP events (API Gateway REST v1 / HTTP API v2, ALB, Function URL).

Importing this module is the init phase: the app is built and its lifespan entered once.
"""

from __future__ import annotations

from handler.platform.runtime.init_phase import init_phase

with init_phase():
    from handler.app import create_app
    from handler.platform.lambda_http.adapter import LambdaHttpAdapter

    app = create_app()
    handler = LambdaHttpAdapter(app)
    handler.install_shutdown_hooks()
