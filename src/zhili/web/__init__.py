"""The web app: NiceGUI pages mounted on the FastAPI app (pages call services, never stores)."""
