"""The Dockerfiles spacepack is compared with, written for one app on the same base image.

- `hf-guide`: Hugging Face's Docker Spaces FastAPI guide ("first demo"), as users copy it,
  with no .dockerignore; `hf-guide+ignore` is the same file next to spacepack's rendered
  .dockerignore (the fair best case).
- `docker-init`: what `docker init` generates for Python, next to its generated .dockerignore.
  The legacy builder has no BuildKit, so its `RUN --mount=type=cache,target=/root/.cache/pip
  --mount=type=bind,source=requirements.txt,...` becomes `COPY requirements.txt .` and
  `RUN python -m pip install --no-cache-dir -r requirements.txt` (same layer order; the pip
  cache mount only helps BuildKit rebuilds, so no cache is the plain equivalent).
- `naive`: `COPY . .` then `pip install -r requirements.txt`.
- `spacepack-pip`: spacepack with `installer = "pip"`, the fallback (uv is the default installer).
- `spacepack-uv`: in results from before uv became the default, spacepack with `installer = "uv"`.
- `spacepack-uv-layer`: spacepack's rendered Dockerfile with uv fetched in a step of its own (a cached
  layer) instead of inside the dependency step, to measure that choice side by side.
"""

from __future__ import annotations

import json
import re
import shlex

BASE_IMAGE = "python:3.11-slim"
PORT = 7860


def _cmd(entry: str) -> str:
    return json.dumps(["uvicorn", entry, "--host", "0.0.0.0", "--port", str(PORT)])


def hf_guide(entry: str) -> str:
    """The guide's first-demo Dockerfile, with the app's entry and our base image."""
    return f"""FROM {BASE_IMAGE}

RUN useradd -m -u 1000 user
USER user
ENV HOME=/home/user \\
    PATH="/home/user/.local/bin:$PATH"

WORKDIR /app

COPY --chown=user ./requirements.txt requirements.txt
RUN pip install --no-cache-dir --upgrade -r requirements.txt

COPY --chown=user . /app
CMD {_cmd(entry)}
"""


def docker_init(entry: str) -> str:
    """`docker init`'s Python Dockerfile, its BuildKit mounts replaced by plain steps."""
    uvicorn = shlex.join(["uvicorn", entry, "--host=0.0.0.0", f"--port={PORT}"])
    return f"""ARG PYTHON_VERSION=3.11
FROM python:${{PYTHON_VERSION}}-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1
ENV PYTHONUNBUFFERED=1

WORKDIR /app

ARG UID=10001
RUN adduser \\
    --disabled-password \\
    --gecos "" \\
    --home "/nonexistent" \\
    --shell "/sbin/nologin" \\
    --no-create-home \\
    --uid "${{UID}}" \\
    appuser

# BuildKit-only in the original: RUN --mount=type=cache,target=/root/.cache/pip
#   --mount=type=bind,source=requirements.txt,target=requirements.txt python -m pip install -r requirements.txt
COPY requirements.txt .
RUN python -m pip install --no-cache-dir -r requirements.txt

USER appuser

COPY . .

EXPOSE {PORT}

CMD {uvicorn}
"""


# The .dockerignore `docker init` writes (every platform gets the same one).
DOCKER_INIT_IGNORE = """# Include any files or directories that you don't want to be copied to your
# container here (e.g., local build artifacts, temporary files, etc.).
#
# For more help, visit the .dockerignore file reference guide at
# https://docs.docker.com/go/build-context-dockerignore/

**/.DS_Store
**/__pycache__
**/.venv
**/.classpath
**/.dockerignore
**/.env
**/.git
**/.gitignore
**/.project
**/.settings
**/.toolstarget
**/.vs
**/.vscode
**/*.*proj.user
**/*.dbmdl
**/*.jfm
**/bin
**/charts
**/docker-compose*
**/compose.y*ml
**/Dockerfile*
**/node_modules
**/npm-debug.log
**/obj
**/secrets.dev.yaml
**/values.dev.yaml
LICENSE
README.md
"""


def naive(entry: str) -> str:
    """What many first Dockerfiles look like: everything, then the dependencies."""
    return f"""FROM {BASE_IMAGE}
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD {_cmd(entry)}
"""


ALTERNATIVES = ("hf-guide", "hf-guide+ignore", "docker-init", "naive")
VARIANT_LABELS = {
    "spacepack": "spacepack",
    "hf-guide": "(a) HF guide, no .dockerignore",
    "hf-guide+ignore": "(a) HF guide + spacepack's .dockerignore",
    "docker-init": "(b) docker init (+ its .dockerignore)",
    "naive": "(c) naive COPY . . + pip",
    "spacepack-pip": 'spacepack, installer = "pip"',
    "spacepack-uv": 'spacepack, installer = "uv"',
    "spacepack-uv-layer": "spacepack, uv in a layer of its own",
}

_UV_FETCH = re.compile(r"^RUN (pip install --no-cache-dir --target /tmp/uv uv==\S+) \\\n    && ", re.MULTILINE)
UV_OWN_STEP = "\nRUN /tmp/uv/bin/uv pip install "
_REQUIREMENTS_COPY = re.compile(r"^COPY --chown=user \S+ \./$", re.MULTILINE)


def uv_own_layer(dockerfile: str) -> str:
    """spacepack's Dockerfile with uv fetched in a step of its own before the requirements are copied.

    That layer stays cached when a requirement changes; uv is still removed after the install, but
    a later step cannot take a lower layer's files out of the image.

    Raises:
        ValueError: when the Dockerfile does not fetch uv the way spacepack's template does.
    """
    fetch = _UV_FETCH.search(dockerfile)
    copy = _REQUIREMENTS_COPY.search(dockerfile)
    if fetch is None or copy is None or copy.start() > fetch.start():
        raise ValueError("the Dockerfile does not fetch uv in its dependency step")
    text = dockerfile[: fetch.start()] + "RUN " + dockerfile[fetch.end() :]
    return text[: copy.start()] + f"RUN {fetch[1]}\n" + text[copy.start() :]


def alternative_files(variant: str, entry: str, spacepack_ignore: str) -> dict[str, str]:
    """The files a variant adds to the project folder: its Dockerfile and maybe a .dockerignore."""
    if variant == "hf-guide":
        return {"Dockerfile": hf_guide(entry)}
    if variant == "hf-guide+ignore":
        return {"Dockerfile": hf_guide(entry), ".dockerignore": spacepack_ignore}
    if variant == "docker-init":
        return {"Dockerfile": docker_init(entry), ".dockerignore": DOCKER_INIT_IGNORE}
    if variant == "naive":
        return {"Dockerfile": naive(entry)}
    raise ValueError(f"unknown variant {variant!r}")
