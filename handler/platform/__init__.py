"""The reusable layer: keep it when you replace `handler.api` with your own routes."""
