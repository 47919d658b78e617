"""A health-only app for quick checks.

The real API lives in src/main.py: run it with `uvicorn src.main:app`.
"""

from fastapi import FastAPI

app = FastAPI(title="Todo API (health only)")


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
