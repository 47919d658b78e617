"""The registry of finding codes: one row per code, with its severity, meaning and fix.

A finding's severity is a property of its code, so every module emits
findings through `finding(code, message, ...)` and never spells a severity.
The README's troubleshooting table is rendered from this table
(`readme_table()`; a test keeps the two identical). Adding a code is adding
one row here and emitting it.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacepack.plan import Blocks, Finding, Severity


@dataclass(frozen=True)
class Code:
    """One finding code: what it means, how a user fixes it, and (for an error) which steps it stops.

    `blocks` is "everything" for an error that means the app will not come up
    (every step stops: render, build, smoke, push, release), and "upload" for
    one that is only a leak once the code is published: `render`, `build` and
    `smoke` go on (nothing leaves the machine), `push` and `release` stop before
    anything is uploaded. It means nothing for warnings and notes.
    """

    code: str
    severity: Severity
    summary: str
    fix: str
    blocks: Blocks = "everything"


CODES: tuple[Code, ...] = (
    Code(
        "SP100",
        "error",
        "no ASGI or WSGI app was found",
        "add `app = FastAPI()` to a module, or pass `--entry module:attr`",
    ),
    Code(
        "SP101",
        "warning",
        "a Python file has a syntax error; it is skipped",
        "fix the file, or ignore it in `.gitignore` if it should not ship",
    ),
    Code("SP102", "warning", "a Python file cannot be decoded (bad encoding or binary content)", "save it as UTF-8"),
    Code("SP103", "warning", "two apps rank the same; one was picked by path", "pass `--entry` (or set `entry`)"),
    Code(
        "SP104",
        "info",
        "a separate, smaller app sits next to the full one",
        "make the small one import the full app: `from src.main import app`",
    ),
    Code("SP105", "info", "an explicit setting replaced what check detected", "none: it records the override"),
    Code("SP106", "error", "the module of the configured entry is not in the project", "fix `--entry` / `entry`"),
    Code(
        "SP107",
        "warning",
        "the configured entry's module has no such attribute (as far as the code shows)",
        "fix the attribute name",
    ),
    Code(
        "SP108",
        "warning",
        "a project file spacepack needs was not read (not UTF-8, a link, a FIFO, over 2 MB); it is ignored",
        "save it as a regular UTF-8 file inside the project",
    ),
    Code(
        "SP109",
        "info",
        "a file was left out for safety (a link out of the project, a special file, a hard link to `.env`, "
        "a non-UTF-8 name)",
        "nothing, unless the app needs it: then make it a regular file inside the project",
    ),
    Code(
        "SP110",
        "info",
        "apps were found in several backend folders; the others are listed",
        "pass `--backend-dir` to pick another",
    ),
    Code(
        "SP111",
        "info",
        "a path spacepack leaves out by default (tests/, docs/, CI, compose files) ships: the app uses it",
        "none; add it to `exclude` if the app does not need it",
    ),
    Code(
        "SP112",
        "warning",
        "a path left out by default may be used by the app (a path literal names it), so it ships",
        "add it to `include` if the app reads it, or to `exclude` if it does not",
    ),
    Code("SP120", "info", "imports set the working dir (why `src.main:app`, not `main:app`)", "none"),
    Code("SP121", "info", "a path relative to the working dir (static files, templates, `env_file`) pins it", "none"),
    Code(
        "SP122",
        "warning",
        "such a path is not found from the working dir the imports need",
        "build the path from `__file__`",
    ),
    Code(
        "SP123",
        "warning",
        "such a folder exists but never ships (ignored)",
        "stop ignoring it, or build it in the Dockerfile",
    ),
    Code(
        "SP124",
        "error",
        "the app's module cannot be imported: a folder name is not a valid package name",
        "rename the folder (no spaces or dashes)",
    ),
    Code(
        "SP125",
        "info",
        "a module imported from a folder above the working dir, or a folder served from outside it, ships too "
        "(at the same place relative to it; that folder goes on PYTHONPATH)",
        "none",
    ),
    Code(
        "SP126",
        "warning",
        "a folder served from outside the working dir is too large to ship",
        "move it into the backend folder, or build it there",
    ),
    Code("SP130", "info", "the health path smoke will probe, and why", "none"),
    Code("SP131", "warning", "no health route and no docs page; smoke probes `/`", 'add `@app.get("/health")`'),
    Code("SP132", "warning", "the configured `health_path` matches no route", "fix `health_path`"),
    Code(
        "SP140",
        "error",
        "the project is a Gradio or Streamlit app, not an ASGI or WSGI app",
        "use the Space SDK or command the finding names (a Gradio Space; `streamlit run` on `$PORT`), "
        "or mount a Gradio app in FastAPI",
    ),
    Code(
        "SP141",
        "error",
        'the app is created inside `if __name__ == "__main__":`, which never runs under uvicorn',
        "move the app (and its routes) to module level",
    ),
    Code(
        "SP201",
        "info",
        "requirements.txt and pyproject.toml each declare part; both are installed",
        "none, or merge them",
    ),
    Code(
        "SP202",
        "warning",
        "no manifest: packages inferred from imports (unpinned)",
        "add a requirements.txt or pyproject dependencies",
    ),
    Code("SP203", "error", "a module imports a package no dependency provides", "add the package to your dependencies"),
    Code("SP204", "info", "uvicorn is not declared; spacepack adds it", "none, or declare it to pin it"),
    Code("SP205", "warning", "a test or lint tool is a runtime dependency", "move it to a dev group or extra"),
    Code("SP206", "info", "a dependency needs system packages; they are added to the image", "none"),
    Code(
        "SP207",
        "warning",
        "a local-path or editable requirement is skipped",
        "publish it, or vendor it into the backend",
    ),
    Code("SP208", "error", "a manifest (requirements file, pyproject.toml, Pipfile) cannot be read", "fix its syntax"),
    Code("SP209", "error", "a `-r`/`-c` include names a missing file", "fix the path"),
    Code("SP210", "warning", "an unknown pip option is ignored", "remove it"),
    Code(
        "SP211",
        "warning",
        "the lock file does not contain the project; manifests are used",
        "re-lock (`uv lock`, `poetry lock`)",
    ),
    Code("SP212", "warning", "the lock misses a declared dependency (out of date)", "re-lock"),
    Code(
        "SP213",
        "warning",
        "a lock file cannot be read; the manifests are used instead",
        "re-lock (`uv lock`, `poetry lock`, `pipenv lock`)",
    ),
    Code(
        "SP214",
        "warning",
        "an import check cannot confirm: only a dependency's name suggests it, the lock has it outside the "
        "runtime closure, or the app never loads the file",
        "declare the distribution if the app needs it; the import check in the built image has the final word",
    ),
    Code(
        "SP215",
        "warning",
        "an import the app loads that no dependency declares was added to the image's requirements "
        "(`infer_dependencies`)",
        "declare the distribution in your manifest (and re-lock); `infer_dependencies = false` turns this off",
    ),
    Code(
        "SP216",
        "warning",
        "the app uses a pydantic v1 API that pydantic 2 removed (`from pydantic import BaseSettings`) and the "
        "project leaves pydantic 2 open: the dependencies are resolved with `pydantic<2`",
        "declare `pydantic<2`, or move the code to pydantic 2 (BaseSettings lives in pydantic-settings)",
    ),
    Code(
        "SP217",
        "error",
        "the app imports a pydantic v1 API that pydantic 2 removed when it starts, and the project pins pydantic 2",
        "import it from `pydantic.v1` (BaseSettings: `pydantic_settings`), or pin `pydantic<2`",
    ),
    Code(
        "SP218",
        "warning",
        "code that runs later (a function body) uses a pydantic v1 API that pydantic 2 removed, and the project "
        "pins pydantic 2",
        "import it from `pydantic.v1` (BaseSettings: `pydantic_settings`), or pin `pydantic<2`",
    ),
    Code("SP250", "warning", "Python version declarations disagree", "make them agree"),
    Code(
        "SP251",
        "warning",
        "the declared Python versions exclude every version spacepack offers (3.10–3.14, and 3.9 at end of life)",
        "allow an offered version",
    ),
    Code("SP252", "warning", "a Python version declaration cannot be read", "fix it"),
    Code(
        "SP253",
        "info",
        "the Python version chosen, and why (a pin; else the lowest the declarations allow; else the project's "
        "Dockerfile, CI or scripts; else 3.11)",
        "none, or pin one (`.python-version`, or `python` in the config)",
    ),
    Code(
        "SP254",
        "warning",
        "the project's Python is end of life (3.9: no security fixes); it is used because the project asks for "
        "it and allows nothing newer",
        "move to 3.10+ when you can",
    ),
    Code(
        "SP301",
        "warning",
        "required env vars are read at import",
        "give defaults, or set Space secrets and pass `--env` to smoke",
    ),
    # The committed credentials below leak when the code is published, not when it runs on this machine.
    Code(
        "SP310",
        "error",
        "a known token format or a password in a URL is hardcoded",
        "move it to an env var and a Space secret; rotate the token",
        blocks="upload",
    ),
    Code(
        "SP311",
        "error",
        "a random-looking literal is assigned to a secret-like name",
        "read it from the environment",
        blocks="upload",
    ),
    Code(
        "SP312",
        "warning",
        "a secret-like env var has a placeholder default",
        "remove the default so a missing secret fails loudly",
    ),
    Code(
        "SP313",
        "warning",
        "a `.env` file exists; it never ships",
        "set its names as Space secrets (`push --secret`, `--secrets-from`)",
    ),
    Code(
        "SP314",
        "error",
        "a dependency manifest carries credentials (an index or package URL with `user:password` or a token); "
        "the line is left out and never printed",
        "remove them and rotate them; see [Private package indexes](#private-package-indexes)",
        blocks="upload",
    ),
    Code(
        "SP315",
        "warning",
        "a credential sits in a file the Space never uses (a test, docs, an example, CI or compose config, "
        "or outside the app's folder); the file is left out",
        "if it is real, revoke it and remove it from the repository",
    ),
    Code(
        "SP320",
        "warning",
        "the code starts uvicorn itself on a pinned port or at import",
        "remove `uvicorn.run` (spacepack launches on `$PORT`)",
    ),
    Code("SP321", "warning", "auto-reload is on", "drop `reload=True` / `--reload`"),
    Code("SP322", "warning", "the server binds 127.0.0.1 only", "bind `0.0.0.0`, or let spacepack launch it"),
    Code(
        "SP323",
        "warning",
        "a Dockerfile pins a port",
        "none for spacepack (it renders its own); fix it if you use that Dockerfile",
    ),
    Code("SP324", "warning", "a Procfile or script pins a port", "use `$PORT`"),
    Code(
        "SP330",
        "warning",
        "a file over 10 MB would ship (Spaces store it with LFS/Xet)",
        "ignore it, or download it at start",
    ),
)

REGISTRY: dict[str, Code] = {row.code: row for row in CODES}


def finding(code: str, message: str, *, hint: str = "", path: str | None = None, line: int | None = None) -> Finding:
    """A finding of a registered code, with the code's severity.

    Args:
        code: a code of `CODES` ("SP203").
        message: what was seen, with the details of this occurrence.
        hint: how to fix this occurrence ("" when the code's fix says it all).
        path: the file, relative to the project root.
        line: the line in that file.

    Raises:
        KeyError: for a code that is not registered (a programming error, caught by the tests).
    """
    row = REGISTRY[code]
    blocks: Blocks | None = row.blocks if row.severity == "error" else None
    return Finding(code=code, severity=row.severity, message=message, hint=hint, path=path, line=line, blocks=blocks)


def all_finding_codes() -> dict[str, str]:
    """Code -> one-line meaning, for every registered code, sorted by code."""
    return {row.code: row.summary for row in sorted(CODES, key=lambda r: r.code)}


def readme_table() -> str:
    """The README's finding table (markdown), rendered from the registry."""
    lines = ["| code | severity | blocks | meaning | fix |", "|---|---|---|---|---|"]
    for r in sorted(CODES, key=lambda r: r.code):
        blocks = _BLOCKS_WORDS[r.blocks] if r.severity == "error" else ""
        lines.append(f"| {r.code} | {r.severity} | {blocks} | {r.summary} | {r.fix} |")
    return "\n".join(lines)


# How the README's table says what an error stops.
_BLOCKS_WORDS: dict[Blocks, str] = {"everything": "every step", "upload": "push, release"}
