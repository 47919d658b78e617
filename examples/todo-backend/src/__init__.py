"""Todo API: per-user tasks behind Bearer JWT auth. Run with `uvicorn src.main:app`."""
