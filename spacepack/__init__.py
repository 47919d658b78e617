"""spacepack: ship a FastAPI (any ASGI) backend as a Hugging Face Docker Space."""

__version__ = "0.1.0"
