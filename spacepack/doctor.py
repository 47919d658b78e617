"""`doctor`: is everything there that `build` and `push` need?"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from spacepack.check import check_project
from spacepack.check.python_version import DEFAULT_PYTHON
from spacepack.check.secrets_scan import redact_url_credentials
from spacepack.config import Settings
from spacepack.errors import SpacepackError
from spacepack.render import dockerfile

DEFAULT_BASE_IMAGE = f"python:{DEFAULT_PYTHON}-slim"


def base_image_for(settings: Settings) -> str:
    """The image `build` starts FROM for these settings: `check` picks the Python, as it does for `build`.

    Raises:
        UsageError: the settings are invalid (a bad `base_image`, `backend_dir`...).
    """
    return dockerfile.base_image(check_project(settings), settings)


def start_engine_hint(platform: str = sys.platform) -> str:
    """How to start a Docker engine on this system (the fix when none answers)."""
    if platform.startswith("linux"):
        start = (
            "start the Docker engine: `sudo systemctl start docker` (not installed? Debian/Ubuntu: "
            "`sudo apt-get install docker.io`, others: https://docs.docker.com/engine/install/)"
        )
    else:
        start = "start Docker Desktop (or another engine, such as Colima or Podman with its Docker socket)"
    return f"{start}; or point DOCKER_HOST at a running engine (unix://, tcp:// or ssh://)"


@dataclass(frozen=True)
class DoctorCheck:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    needed_for_build: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "detail": self.detail,
            "fix": self.fix,
            "needed_for_build": self.needed_for_build,
        }


@dataclass(frozen=True)
class DoctorReport:
    """All checks, and whether `build` can run."""

    checks: tuple[DoctorCheck, ...]
    engine: Mapping[str, Any]
    token_source: str | None
    hub_endpoint: str
    base_image: str

    @property
    def ready_for_build(self) -> bool:
        return all(check.ok for check in self.checks if check.needed_for_build)

    @property
    def first_fix(self) -> str:
        return next((c.fix for c in self.checks if c.needed_for_build and not c.ok), "")

    def to_json(self) -> dict[str, Any]:
        return {
            "ready_for_build": self.ready_for_build,
            "engine": dict(self.engine),
            "base_image": self.base_image,
            "token_source": self.token_source,
            "hub_endpoint": self.hub_endpoint,
            "checks": [c.to_json() for c in self.checks],
        }


def run_doctor(
    environ: Mapping[str, str],
    base_image: str = DEFAULT_BASE_IMAGE,
    connect: Callable[[], Any] | None = None,
) -> DoctorReport:
    """Check the Docker engine, the base image, the Hugging Face token and the Hub endpoint.

    Args:
        environ: the environment to read DOCKER_HOST, HF_TOKEN, HF_ENDPOINT... from.
        base_image: the image `build` starts FROM.
        connect: makes a Docker client (defaults to `engine.get_docker_client`); injectable for tests.
    """
    from spacepack import engine, hub

    checks: list[DoctorCheck] = []
    engine_facts: dict[str, Any] = {"reachable": False, "docker_host": environ.get("DOCKER_HOST")}
    client = None
    try:
        client = (connect or engine.get_docker_client)()
    except SpacepackError as error:
        checks.append(DoctorCheck("docker engine", False, error.message, start_engine_hint()))
    if client is not None:
        try:
            checks.extend(_engine_checks(client, base_image, engine_facts))
        except SpacepackError as error:
            checks.append(DoctorCheck("docker engine", False, error.message, error.hint))
        finally:
            client.close()
    else:
        checks.append(
            DoctorCheck("base image", False, f"{base_image}: unknown (no engine)", "start a Docker engine first")
        )
    source = hub.token_source(environ)
    checks.append(
        DoctorCheck(
            "hugging face token",
            source is not None,
            f"found ({source})" if source else "none found (needed only for push)",
            "" if source else "run `hf auth login` or set HF_TOKEN (needed for push)",
            needed_for_build=False,
        )
    )
    endpoint = redact_url_credentials(hub.hub_endpoint(environ))  # HF_ENDPOINT may carry user:password@
    checks.append(DoctorCheck("hub endpoint", True, endpoint, needed_for_build=False))
    return DoctorReport(
        checks=tuple(checks),
        engine=engine_facts,
        token_source=source,
        hub_endpoint=endpoint,
        base_image=base_image,
    )


def _engine_checks(client: Any, base_image: str, engine_facts: dict[str, Any]) -> list[DoctorCheck]:
    """The engine's versions and whether the base image is there (fills `engine_facts`)."""
    from spacepack import engine

    info = engine.engine_info(client)
    engine_facts.update(
        reachable=True,
        server_version=info.server_version,
        api_version=info.api_version,
        os=info.os,
        architecture=info.architecture,
    )
    where = f" at DOCKER_HOST={info.docker_host}" if info.docker_host else ""
    present = engine.image_present(client, base_image)
    return [
        DoctorCheck(
            "docker engine",
            True,
            f"Docker {info.server_version} (API {info.api_version}, {info.os}/{info.architecture}){where}",
        ),
        DoctorCheck(
            "base image",
            present,
            f"{base_image} is {'present' if present else 'missing'} locally",
            "" if present else f"run `docker pull {base_image}`, or build once with `spacepack build --pull`",
        ),
    ]
