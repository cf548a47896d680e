"""Run the platform on a laptop: `python -m local` serves the app on uvicorn."""
