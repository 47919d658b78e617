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


POSTGRES_APP = """
import os
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, Table, insert, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine(os.environ["DATABASE_URL"])
metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("data", JSONB, nullable=False))


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(insert(items).values(data={"kind": "seed"}))
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, object]:
    async with engine.connect() as connection:
        kind = (await connection.execute(select(items.c.data["kind"].astext))).scalar_one()
    return {"status": "ok", "seed": kind}
"""


@dataclass(frozen=True)
class FaultApp:
    """A main.py and the CMD that runs it."""

    main: str
    cmd: str = SHELL_CMD
    pip: str = ""  # more packages to install on top of the base

    def dockerfile(self, base: str) -> str:
        install = f"RUN pip install --no-cache-dir {self.pip}\n" if self.pip else ""
        return f"FROM {base}\n{install}WORKDIR /app\nCOPY main.py /app/main.py\n{self.cmd}\n"


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
    # Routes under a settings prefix, the OpenAPI document under it too (the full-stack template's shape).
    "prefixed_health": FaultApp(
        """
        from fastapi import APIRouter, FastAPI

        API_V1_STR = "/api/v1"
        app = FastAPI(openapi_url=f"{API_V1_STR}/openapi.json")
        router = APIRouter(prefix="/utils")


        @router.get("/health-check/")
        def health_check() -> bool:
            return True


        app.include_router(router, prefix=API_V1_STR)
        """
    ),
    # Served behind a proxy prefix: the OpenAPI servers entry names it.
    "root_path_health": FaultApp(
        """
        from fastapi import FastAPI

        app = FastAPI(root_path="/api")


        @app.get("/healthz")
        def healthz() -> dict[str, str]:
            return {"status": "ok"}
        """
    ),
    # No route list at all and no health route: the app is still up.
    # Its only "status" route needs a login (401 without one); / answers.
    "login_status": FaultApp(
        """
        from fastapi import Depends, FastAPI, HTTPException

        app = FastAPI(docs_url=None)


        def get_current_user() -> str:
            raise HTTPException(status_code=401, detail="Not authenticated")


        @app.get("/2fa/status")
        def twofa_status(user: str = Depends(get_current_user)) -> dict[str, str]:
            return {"user": user}


        @app.get("/")
        def root() -> dict[str, str]:
            return {"hello": "space"}
        """
    ),
    "no_openapi": FaultApp(
        """
        from fastapi import FastAPI

        app = FastAPI(openapi_url=None)


        @app.get("/items")
        def items() -> list[int]:
            return [1, 2]
        """
    ),
    # Creates its tables at start-up with a Postgres-only type (JSONB) through an async engine.
    "needs_postgres": FaultApp(
        POSTGRES_APP,
        pip="sqlalchemy==2.0.36 asyncpg==0.30.0",
    ),
}
