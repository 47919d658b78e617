"""`render`: Plan + Settings -> a build context folder (Dockerfile, README.md, .dockerignore, the app)."""

from __future__ import annotations

import os
from pathlib import Path

from spacepack.config import Settings
from spacepack.errors import RenderError
from spacepack.ignore import IgnoreRules, ShippingWalk, describe_left_out, left_out_by_default, walk_shipping
from spacepack.paths import safe_output_dir
from spacepack.plan import Plan
from spacepack.render.context import (
    PUSH_MANIFEST_FILE,
    STATE_DIR,
    Context,
    ShippedFile,
    default_out_dir,
    write_context,
)
from spacepack.render.dockerfile import REQUIREMENTS_FILE, render_dockerfile, requirements_text
from spacepack.render.metadata import merge_metadata
from spacepack.render.readme import compose_readme, default_body, find_readme, read_readme, split_front_matter
from spacepack.render.templates import DOCKERIGNORE_TEMPLATE, default_template_path, render_template
from spacepack.resolve import describe, request_for, resolve

GENERATED = ("Dockerfile", "README.md", ".dockerignore", REQUIREMENTS_FILE)


def _working_path(plan: Plan) -> Path:
    working = (plan.root / plan.working_dir).resolve()
    if not working.is_dir():
        raise RenderError(
            f"the working folder {plan.working_dir!r} does not exist in {plan.root}",
            hint="fix backend_dir / entry in the config, or run `spacepack check`",
        )
    return working


def _rel(path: Path, root: Path) -> str:
    return Path(os.path.abspath(path)).relative_to(root).as_posix()  # noqa: PTH100 - lexical: the link itself


def _secret_patterns(plan: Plan) -> list[str]:
    # Anchored at the project root, so exactly those files are left out.
    return [f"/{path.strip('/')}" for path in plan.secret_files if path.strip("/")]


def shipping_rules(plan: Plan, settings: Settings, extra: list[str] | None = None) -> IgnoreRules:
    """What ships from the plan's project: the settings' `include`/`exclude` and the folders `check` kept."""
    return IgnoreRules.for_shipping(
        plan.root.resolve(),
        include=settings.include,
        exclude=settings.exclude,
        keep=plan.kept_anyway,
        extra=extra or (),
    )


def _check_out_dir(out_dir: Path, working: Path, root: Path, rules: IgnoreRules) -> None:
    for protected in {working, root}:
        if out_dir == protected or protected.is_relative_to(out_dir):
            raise RenderError(
                f"--out {out_dir} would replace the project itself",
                hint="choose a folder outside the project, or keep the default .spacepack/context",
            )
    if out_dir.is_relative_to(working):
        rel = out_dir.relative_to(root).as_posix()
        if not rules.is_ignored(rel, is_dir=True):
            raise RenderError(
                f"--out {out_dir} is inside the app folder and would ship inside the next context",
                hint="use a folder outside the project, under .spacepack/, or one your .gitignore excludes",
            )


def ships_from_outside(plan: Plan, rel: str) -> bool:
    """Whether a project file (relative to the root) is one the app needs from outside its working folder."""
    return any(rel == path or (path.endswith("/") and rel.startswith(path)) for path in plan.outside)


def context_root_path(plan: Plan) -> Path:
    """The folder the build context mirrors: the working folder, or the one that also holds `plan.outside`."""
    return (plan.root / plan.context_root).resolve()


def _shipped(plan: Plan, working: Path, walked: ShippingWalk) -> tuple[list[ShippedFile], list[str]]:
    """The project files that ship, relative to the context root; plus generated-name clashes.

    The working folder's files, and what the app needs from outside it (`plan.outside`), each at its
    place relative to the context root, so the working folder's relative paths hold in the image.
    """
    root = plan.root.resolve()
    prefix = working.relative_to(root).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    base = context_root_path(plan).relative_to(root).as_posix()
    base = "" if base == "." else base + "/"
    shipped: list[ShippedFile] = []
    clashes: list[str] = []
    root_base = f"{root}{os.sep}"  # plain strings: a Path per file costs more than placing it
    for rel, info in walked.shipped:
        if not (rel.startswith(prefix) or ships_from_outside(plan, rel)) or not rel.startswith(base):
            continue
        inside = rel[len(base) :]
        if inside in GENERATED:
            clashes.append(inside)
            continue
        shipped.append(ShippedFile(inside, root_base + rel, info))
    return shipped, clashes


def _dockerignore(working: Path, extra: list[str], shipped: list[ShippedFile], shipping: IgnoreRules | None) -> str:
    # Rules seen from the working folder, which is the context root. `include` and `keep` are
    # written from the project root, so what they brought back is re-included by path instead.
    rules = IgnoreRules.for_shipping(working, extra=extra)
    if rules != shipping:  # the very rules that chose what ships leave none of it out
        rules = rules.reincluding(item.path for item in shipped)
    return render_template(
        default_template_path(DOCKERIGNORE_TEMPLATE),
        {
            "lines": list(rules.dockerignore_lines()),
            "requirements_file": REQUIREMENTS_FILE,
            "push_manifest_file": PUSH_MANIFEST_FILE,
        },
    )


def _ignore_state_dir(settings: Settings, out_dir: Path) -> None:
    """Keep `.spacepack/` out of git without touching the user's .gitignore."""
    state = safe_output_dir(settings.project_dir, Path(STATE_DIR))
    if not out_dir.is_relative_to(state):
        return
    marker = state / ".gitignore"
    if marker.is_symlink():
        marker.unlink()  # a committed link must not make spacepack write to its target
    elif marker.exists() and not marker.is_file():
        return  # a folder or a FIFO by that name: not spacepack's to read or replace
    if not marker.is_file() or marker.read_text(encoding="utf-8") != "*\n":
        state.mkdir(parents=True, exist_ok=True)
        marker.write_text("*\n", encoding="utf-8")


def render_context(plan: Plan, settings: Settings, out_dir: Path | None = None) -> Context:
    """Render the whole build context for a plan and write it atomically.

    The working folder's shipped files (by `spacepack.ignore`) become the
    image's app folder; `Dockerfile`, `README.md`, `.dockerignore` and the
    generated requirements file are added at its root. The user's tree is never
    changed. The same input gives byte-identical files.

    Args:
        plan: what `check` decided.
        settings: the explicit settings (template, metadata, base image...).
        out_dir: the context folder; default `<project>/.spacepack/context`.

    Returns:
        The context written, with its files, texts, metadata and notes.

    Raises:
        RenderError: bad template, unwritable or unsafe output folder.
        MetadataError: the README metadata breaks the Spaces reference.
    """
    root = plan.root.resolve()
    working = _working_path(plan)
    out = (out_dir if out_dir is not None else default_out_dir(settings)).resolve()
    secret_patterns = _secret_patterns(plan)
    rules = shipping_rules(plan, settings, extra=secret_patterns)
    _check_out_dir(out, working, root, rules)

    notes: list[str] = []
    readme_path = find_readme(plan)
    if readme_path is not None and _rel(readme_path, root) in plan.secret_files:
        # Only with --force: its body would carry the secret into the README that ships.
        notes.append(f"README: {_rel(readme_path, root)} holds a secret, so its body is not used")
        readme_path = None
    existing, body = (None, None)
    if readme_path is not None:
        existing, body = split_front_matter(read_readme(readme_path, root), readme_path.name)
    metadata, metadata_notes = merge_metadata(plan, settings, existing)
    if body is None:
        body = default_body(plan, metadata)
        notes.append("README: none found; wrote a default body and front matter")
    else:
        rel_readme = _rel(readme_path, root) if readme_path else "README.md"
        kept = "merged its front matter" if existing else "added front matter"
        notes.append(f"README: kept the body of {rel_readme} byte for byte; {kept}")
    notes.extend(metadata_notes)
    readme = compose_readme(metadata, body)
    resolution = resolve(request_for(plan, requirements_text(plan).splitlines()))
    notes.append(describe(resolution))
    notes.extend(f"warning: {note}" for note in resolution.notes)
    dockerfile = render_dockerfile(plan, settings, resolution)

    # The same secret files, seen from the context root (the root of the .dockerignore).
    context_root = context_root_path(plan)
    secrets_in_working = [
        "/" + (root / path).relative_to(context_root).as_posix()
        for path in plan.secret_files
        if (root / path).is_relative_to(context_root)
    ]
    # One walk says both what ships and what only the default tier leaves out.
    walked = walk_shipping(root, rules)
    shipped, clashes = _shipped(plan, working, walked)
    left_out = left_out_by_default(
        root, rules, under=working.relative_to(root).as_posix(), default_only=walked.left_out
    )
    if left_out:
        notes.append(f"left out by default: {describe_left_out(left_out)} (`include` ships them)")
    # Only reachable with --force: the image may then miss a module the app imports.
    notes.extend(
        f"not shipped: {path} holds a secret (move the value to an env var and a Space secret)"
        for path in plan.secret_files
    )
    for name in clashes:
        if name in {"Dockerfile", ".dockerignore"}:
            notes.append(f"your {name} is not shipped: spacepack renders its own (customise with `spacepack eject`)")
    generated = {
        "Dockerfile": dockerfile.encode("utf-8"),
        "README.md": readme.encode("utf-8"),
        ".dockerignore": _dockerignore(
            context_root, secrets_in_working, shipped, rules if context_root == root else None
        ).encode("utf-8"),
        REQUIREMENTS_FILE: resolution.text.encode("utf-8"),
    }
    files = write_context(out, shipped, generated)
    _ignore_state_dir(settings, out)
    return Context(
        path=out,
        files=files,
        dockerfile=dockerfile,
        readme=readme,
        metadata=metadata,
        notes=tuple(notes),
        left_out=left_out,
    )
