"""The GitHub Actions workflow that runs `spacepack release` on every push and tag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spacepack import __version__
from spacepack.config import Settings
from spacepack.errors import UsageError
from spacepack.git import git
from spacepack.names import BRANCH, RELATIVE_PATH, TARGET_NAME, is_env_name, matches, shell_word
from spacepack.paths import printable, safe_output_dir
from spacepack.render.templates import default_template_path, render_template

WORKFLOW_TEMPLATE = "spacepack-release.yml.j2"
WORKFLOW_DIR = Path(".github") / "workflows"
# OWNER/NAME as the Hub spells them (huggingface_hub validates it again before any call).
SPACE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}", re.ASCII)
# A pip requirement or URL: nothing a shell or a double-quoted YAML value could read as syntax.
# (" #" and ": " would end or split the YAML value the line sits in.)
_INSTALL_SPEC = re.compile(r"(?!.*(?: #|: ))[A-Za-z0-9_.@+:/=<>!~,\[\]#% -]{1,500}", re.ASCII)


@dataclass(frozen=True)
class Workflow:
    """A rendered workflow and where it goes."""

    path: Path  # absolute
    text: str
    space: str
    oidc: bool
    next_step: str

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "space": self.space, "oidc": self.oidc, "next_step": self.next_step}


def repository_root(project_dir: Path) -> Path:
    """The git work tree holding the project (workflows live at its top), else the project itself."""
    top = git(project_dir, "rev-parse", "--show-toplevel")
    return Path(top).resolve() if top else project_dir.resolve()


def default_branch(repo_root: Path) -> str:
    """origin's default branch when known, else the current branch, else `main`."""
    remote_head = git(repo_root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    if remote_head and "/" in remote_head:
        return remote_head.split("/", 1)[1]
    # symbolic-ref also answers in a repository with no commit yet (rev-parse does not).
    current = git(repo_root, "symbolic-ref", "--short", "HEAD")
    return current or "main"


def github_workflow(
    settings: Settings,
    *,
    target: str | None = None,
    oidc: bool = False,
    app_secrets: tuple[str, ...] = (),
    install: str | None = None,
) -> Workflow:
    """Render `.github/workflows/spacepack-release.yml` for a project (pure apart from reading git).

    Args:
        settings: the project's settings (with `target` applied when one is given).
        target: a `[tool.spacepack.targets.NAME]` the workflow releases.
        oidc: use Hugging Face trusted publishing instead of a stored HF_TOKEN secret.
        app_secrets: env vars the app needs at start (repository secrets of the same name
            become Space secrets, and reach the smoke test).
        install: the pip requirement that installs spacepack in the job (default: this version).

    Raises:
        UsageError: when no Space is known for the project.
    """
    if not settings.space:
        raise UsageError(
            "the workflow needs to know the Space to release",
            hint="pass --space OWNER/NAME, or set `space` in the config (or in the target)",
        )
    _check_workflow_values(settings.space, target, app_secrets, install)
    repo_root = repository_root(settings.project_dir)
    relative = settings.project_dir.resolve().relative_to(repo_root).as_posix()
    path_arg = relative if relative not in ("", ".") else "."
    if not matches(RELATIVE_PATH, path_arg):
        raise UsageError(
            f"the project folder {printable(path_arg)!r} has characters a workflow's shell line cannot hold safely",
            hint="use folder names made of letters, digits, spaces and . _ - @ +",
        )
    release_args = f"--target {shell_word(target)}" if target else f"--space {shell_word(settings.space)}"
    release_args += "".join(f" --secret {name}" for name in app_secrets)
    name = f"spacepack-release-{target}.yml" if target else "spacepack-release.yml"
    text = render_template(
        default_template_path(WORKFLOW_TEMPLATE),
        {
            "space": settings.space,
            "target": target,
            "oidc": oidc,
            "path": shell_word(path_arg),
            "release_args": release_args,
            "default_branch": _safe_branch(default_branch(repo_root)),
            "version": __version__,
            "install": install or f"spacepack=={__version__}",
            "app_secrets": app_secrets,
        },
    )
    steps = []
    if oidc:
        steps.append(
            f"on Hugging Face, add this GitHub repository as a trusted publisher of the Space {settings.space}"
        )
    else:
        steps.append("add a repository secret HF_TOKEN holding a Hugging Face write token")
    if app_secrets:
        steps.append(f"add the repository secret(s) {', '.join(app_secrets)} that the app needs to start")
    where = " (GitHub: Settings > Secrets and variables > Actions > New repository secret)"
    next_step = "; ".join(steps) + ("" if oidc and not app_secrets else where)
    return Workflow(repo_root / WORKFLOW_DIR / name, text, settings.space, oidc, next_step)


def _check_workflow_values(space: str, target: str | None, app_secrets: tuple[str, ...], install: str | None) -> None:
    """Every value that lands in the workflow's YAML or shell lines matches a strict grammar.

    Raises:
        UsageError: naming the value (escaped, on one line).
    """
    if not matches(SPACE_ID, space):
        raise UsageError(f"the Space id {printable(space)!r} is not OWNER/NAME", hint="e.g. --space acme/todo-api")
    if target is not None and not matches(TARGET_NAME, target):
        raise UsageError(
            f"the target name {printable(target)!r} is not a plain name",
            hint="name targets with letters, digits, . _ - (e.g. staging)",
        )
    for name in app_secrets:
        if not is_env_name(name):
            raise UsageError(
                f"the app reads an env var named {printable(name)!r}, which is not a valid variable name",
                hint="env var names are letters, digits and _ (not starting with a digit); fix the code",
            )
    if install is not None and not matches(_INSTALL_SPEC, install):
        raise UsageError(
            f"--install {printable(install)!r} has characters a shell line cannot hold safely",
            hint='give a pip requirement, e.g. --install "spacepack==1.2.0" or a git+https URL',
        )


def _safe_branch(branch: str) -> str:
    # The branch comes from the repository (origin/HEAD): a name outside the grammar falls back to main.
    return branch if matches(BRANCH, branch) else "main"


def write_workflow(workflow: Workflow, *, force: bool = False) -> Path:
    """Write the workflow file; an existing different one is kept unless `force`.

    Raises:
        UsageError: the file exists with other content and `force` is False.
    """
    # .github/workflows is written through no link the repository committed.
    repo_root = workflow.path.parent.parent.parent
    path = safe_output_dir(repo_root, WORKFLOW_DIR) / workflow.path.name
    if path.is_file() and path.read_text(encoding="utf-8") != workflow.text and not force:
        raise UsageError(f"{path.name} already exists and differs", hint="pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(workflow.text, encoding="utf-8")
    temporary.replace(path)
    return path
