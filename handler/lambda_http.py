"""Lambda entry for HTTP events (API Gateway REST v1 / HTTP API v2, ALB, Function URL).

Importing this module is the init phase: the app is built and its lifespan entered once.
Each invocation's metrics are flushed as one EMF write when it ends (none with METRICS off).
"""

from __future__ import annotations

from handler.platform.runtime.init_phase import init_phase

with init_phase():
    from handler.app import create_app
    from handler.composition import app_metrics
    from handler.platform.lambda_http.adapter import LambdaHttpAdapter
    from handler.platform.metrics.recorder import invocation_metrics
    from handler.settings import get_settings

    app = create_app()
    adapter = LambdaHttpAdapter(app)
    adapter.install_shutdown_hooks()
    handler = invocation_metrics(adapter, app_metrics(get_settings()), function="http")
