"""Small apps that each break one rule of how a Space runs a container.

Each is a `FROM <base>` image (the base has fastapi and uvicorn installed) with
one `main.py` and a CMD. `SHELL_CMD` honours $PORT the way a rendered image does.
"""

from __future__ import annotations

from dataclasses import dataclass

SHELL_CMD = 'CMD uvicorn main:app --host 0.0.0.0 --port "${PORT:-7860}"'

HEALTHY_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health() -> dict[str, object]:
    return {"status": "ok", "db": {"ready": True}}
"""


@dataclass(frozen=True)
class FaultApp:
    """A main.py and the CMD that runs it."""

    main: str
    cmd: str = SHELL_CMD

    def dockerfile(self, base: str) -> str:
        return f"FROM {base}\nWORKDIR /app\nCOPY main.py /app/main.py\n{self.cmd}\n"


FAULT_APPS: dict[str, FaultApp] = {
    # GET / exists but HEAD / does not: FastAPI answers 405, which the Spaces front end dislikes.
    "healthy": FaultApp(
        HEALTHY_APP
        + """

@app.get("/")
def root() -> dict[str, str]:
    return {"hello": "space"}
"""
    ),
    "crash_on_import": FaultApp(
        """
        import os

        raise RuntimeError("boom while importing main (secret is " + os.environ.get("API_KEY", "") + ")")
        """
    ),
    "never_listens": FaultApp("", cmd='CMD ["python", "-c", "import time; time.sleep(3600)"]'),
    "hardcoded_port": FaultApp(HEALTHY_APP, cmd="CMD uvicorn main:app --host 0.0.0.0 --port 8000"),
    "binds_loopback": FaultApp(HEALTHY_APP, cmd='CMD uvicorn main:app --host 127.0.0.1 --port "${PORT}"'),
    "slow_start": FaultApp("import time\n\ntime.sleep(2)\n" + HEALTHY_APP),
    "hangs": FaultApp(
        """
        import asyncio

        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/health")
        async def health() -> dict[str, str]:
            await asyncio.sleep(3600)
            return {"status": "never"}
        """
    ),
    "exits_zero": FaultApp("", cmd='CMD ["python", "-c", "print(\'all done\')"]'),
    "health_500": FaultApp(
        """
        from fastapi import FastAPI
        from fastapi.responses import JSONResponse

        app = FastAPI()


        @app.get("/health")
        def health() -> JSONResponse:
            return JSONResponse({"status": "broken"}, status_code=500)
        """
    ),
    "root_route": FaultApp(
        HEALTHY_APP
        + """

@app.api_route("/", methods=["GET", "HEAD"])
def root() -> dict[str, str]:
    return {"hello": "space"}
"""
    ),
}
