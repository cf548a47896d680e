"""The demo API. Replace these modules with your own; keep `handler.platform`."""
