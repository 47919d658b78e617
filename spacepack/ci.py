"""The GitHub Actions workflow that runs `spacepack release` on every push and tag."""

from __future__ import annotations

import importlib.metadata
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from spacepack import __version__
from spacepack.config import Settings
from spacepack.errors import UsageError
from spacepack.git import git
from spacepack.names import (
    BRANCH,
    RELATIVE_PATH,
    TARGET_NAME,
    is_env_name,
    is_relative_dir,
    matches,
    shell_word,
    yaml_string,
)
from spacepack.paths import printable, safe_output_dir
from spacepack.render.templates import default_template_path, render_template

WORKFLOW_TEMPLATE = "spacepack-release.yml.j2"
WORKFLOW_DIR = Path(".github") / "workflows"
# OWNER/NAME as the Hub spells them (huggingface_hub validates it again before any call).
SPACE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}", re.ASCII)
# A pip requirement or URL: nothing a shell or a double-quoted YAML value could read as syntax.
# (" #" and ": " would end or split the YAML value the line sits in.)
_INSTALL_SPEC = re.compile(r"(?!.*(?: #|: ))[A-Za-z0-9_.@+:/=<>!~,\[\]#% -]{1,500}", re.ASCII)
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}", re.ASCII)
# A GitHub repository as `uses:` names it: OWNER/NAME, optionally a folder inside it.
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9_.-]{1,100}(?:/[A-Za-z0-9_.-]{1,100})*")


@dataclass(frozen=True)
class PinnedAction:
    """A third-party action at the commit its tag named when this spacepack was released.

    A tag can be moved to other code; a commit cannot. Bump the tag and the commit together
    (action.yml at the repository root holds the same pins; a test keeps them equal).
    """

    repository: str
    commit: str
    tag: str

    @property
    def uses(self) -> str:
        return f"{self.repository}@{self.commit}  # {self.tag}"


CHECKOUT = PinnedAction("actions/checkout", "3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1")
SETUP_PYTHON = PinnedAction("actions/setup-python", "5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0")
UPLOAD_ARTIFACT = PinnedAction("actions/upload-artifact", "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0")
PINNED_ACTIONS = (CHECKOUT, SETUP_PYTHON, UPLOAD_ARTIFACT)


@dataclass(frozen=True)
class InstallSource:
    """Where the running spacepack came from, as a CI job can install it again.

    `action` is the `uses:` value of the spacepack action holding the same code (a commit of
    its GitHub repository, or a folder of the user's repository), when one is known.
    `warning` says why CI installs something other than what runs here.
    """

    spec: str
    action: str | None = None
    warning: str | None = None


def running_direct_url() -> str | None:
    """The PEP 610 `direct_url.json` of the installed spacepack (None for an install from an index)."""
    try:
        return importlib.metadata.distribution("spacepack").read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        return None


def install_source(repo_root: Path, direct_url: str | None) -> InstallSource:
    """What a CI job of the repository at `repo_root` installs to run the spacepack that runs here.

    Args:
        repo_root: the top of the user's git work tree (a local install inside it is reachable from CI).
        direct_url: the text of PEP 610's `direct_url.json`, or None (installed from an index).

    Returns:
        a VCS install as `spacepack @ git+https://…@<commit>` (with the action at that commit when
        the repository is on GitHub); a folder or archive inside the repository as `./path`; an
        archive URL as `spacepack @ URL`; otherwise `spacepack==<this version>` from PyPI, with a
        warning when what runs here is something CI cannot reach.
    """
    index = InstallSource(f"spacepack=={__version__}")
    if direct_url is None:
        return index
    try:
        record = json.loads(direct_url)
    except ValueError:
        return index
    url = record.get("url") if isinstance(record, dict) else None
    if not isinstance(record, dict) or not isinstance(url, str):
        return index
    if isinstance(record.get("vcs_info"), dict):
        found = _from_vcs(url, record["vcs_info"])
    elif urlsplit(url).scheme == "file":
        found = _from_local(repo_root, url)
    elif isinstance(record.get("archive_info"), dict) and urlsplit(url).scheme == "https":
        found = InstallSource(f"spacepack @ {_without_credentials(url)}")
    else:
        found = None
    if found is None or not matches(_INSTALL_SPEC, found.spec):
        return InstallSource(
            index.spec,
            warning="this spacepack was installed from a place a CI job cannot reach (a folder outside this"
            f" repository, or a URL other than https); the workflow installs {index.spec} from PyPI"
            " (pass --install to choose)",
        )
    return found


def _from_vcs(url: str, vcs_info: dict[str, Any]) -> InstallSource | None:
    commit = vcs_info.get("commit_id")
    if vcs_info.get("vcs") != "git" or not matches(_COMMIT, commit):
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "ssh") or not host:
        return None
    # A public repository cloned over ssh here is cloned over https in CI (a runner has no ssh key).
    path = parts.path.rstrip("/")
    subdirectory = parse_qs(parts.fragment).get("subdirectory", [""])[0].strip("/")
    spec = f"spacepack @ git+https://{host}{path}@{commit}" + (f"#subdirectory={subdirectory}" if subdirectory else "")
    repository = path.strip("/").removesuffix(".git") + (f"/{subdirectory}" if subdirectory else "")
    on_github = host == "github.com" and matches(_GITHUB_REPOSITORY, repository)
    return InstallSource(spec, action=f"{repository}@{commit}" if on_github else None)


def _from_local(repo_root: Path, url: str) -> InstallSource | None:
    local = Path(unquote(urlsplit(url).path))
    try:
        relative = local.resolve().relative_to(repo_root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return None  # outside the repository: CI's checkout does not have it
    if not is_relative_dir(relative):
        return None
    has_action = local.is_dir() and (local / "action.yml").is_file()
    return InstallSource(f"./{relative}", action=f"./{relative}" if has_action else None)


def _without_credentials(url: str) -> str:
    # PEP 610 records may keep a user:token@ part; it must not reach a committed workflow.
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


@dataclass(frozen=True)
class Workflow:
    """A rendered workflow and where it goes."""

    path: Path  # absolute
    text: str
    space: str
    oidc: bool
    next_step: str
    action: str | None = None  # the spacepack action it uses, or None when it installs spacepack itself
    install: str | None = None  # what pip installs (None: the action's own copy)
    warning: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "space": self.space,
            "oidc": self.oidc,
            "action": self.action,
            "install": self.install,
            "warning": self.warning,
            "next_step": self.next_step,
        }


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
    use_action: bool = True,
    source: InstallSource | None = None,
) -> Workflow:
    """Render `.github/workflows/spacepack-release.yml` for a project (pure apart from reading git).

    Args:
        settings: the project's settings (with `target` applied when one is given).
        target: a `[tool.spacepack.targets.NAME]` the workflow releases.
        oidc: use Hugging Face trusted publishing instead of a stored HF_TOKEN secret.
        app_secrets: env vars the app needs at start (repository secrets of the same name
            become Space secrets, and reach the smoke test).
        install: the pip requirement that installs spacepack in the job (default: where the
            running spacepack came from, see `install_source`).
        use_action: use the spacepack action (action.yml) when one holding this code is known;
            False writes the steps themselves (set up Python, pip install, release).
        source: where the running spacepack came from (default: read from its install record).

    Raises:
        UsageError: when no Space is known for the project, or a value fails its grammar.
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
    if source is None:
        source = install_source(repo_root, running_direct_url())
    action = source.action if use_action else None
    warnings = [source.warning] if source.warning and not install else []
    if use_action and action is None:
        warnings.append(
            "no spacepack action with this spacepack's code is known (spacepack was not installed from its"
            " GitHub repository, nor from a folder of this one), so the job installs spacepack itself"
        )
    spec = install or (None if action else source.spec)
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
            "install": spec,
            "app_secrets": app_secrets,
            "action": action,
            "version": __version__,
            "action_inputs": _action_inputs(settings.space, target, path_arg, app_secrets, spec),
            "checkout": CHECKOUT.uses,
            "setup_python": SETUP_PYTHON.uses,
            "upload_artifact": UPLOAD_ARTIFACT.uses,
        },
    )
    return Workflow(
        repo_root / WORKFLOW_DIR / name,
        text,
        settings.space,
        oidc,
        _next_step(settings.space, oidc, app_secrets),
        action=action,
        install=spec,
        warning="; ".join(warnings) or None,
    )


def _action_inputs(
    space: str, target: str | None, path: str, app_secrets: tuple[str, ...], install: str | None
) -> list[tuple[str, str]]:
    """The action's `with:` inputs, as (name, YAML scalar); values are already checked against their grammars."""
    inputs = [("target", target)] if target else [("space", space)]
    inputs.append(("path", path))
    if app_secrets:
        inputs.append(("secrets", " ".join(app_secrets)))
    if install:
        inputs.append(("install", install))
    return [(key, yaml_string(value)) for key, value in inputs if value is not None]


def _next_step(space: str, oidc: bool, app_secrets: tuple[str, ...]) -> str:
    steps = []
    if oidc:
        steps.append(f"on Hugging Face, add this GitHub repository as a trusted publisher of the Space {space}")
    else:
        steps.append("add a repository secret HF_TOKEN holding a Hugging Face write token")
    if app_secrets:
        steps.append(f"add the repository secret(s) {', '.join(app_secrets)} that the app needs to start")
    where = " (GitHub: Settings > Secrets and variables > Actions > New repository secret)"
    return "; ".join(steps) + ("" if oidc and not app_secrets else where)


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
