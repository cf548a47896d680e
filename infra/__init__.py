"""AWS CDK v2 app for the serverless FastAPI platform (`python -m infra`, see cdk.json).

Runtime code never imports this package, and this package never imports `handler`:
the two share only environment variable names (handler.settings.Settings fields).
"""
