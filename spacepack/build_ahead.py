"""Build ahead: on a code-only rebuild, the engine starts building while `check` still runs.

After an edit to Python modules, the next `spacepack build` almost always
renders the same Dockerfile, requirements and README as the last one: only the
edited files differ. So when the plan cache misses only because Python modules
changed (`CacheLookup.previous`), `start` renders today's files with the last
plan into the context folder and hands it to the engine in a thread. The
engine (another process) builds while `check` parses: a rebuild costs about the
longer of the two instead of their sum. When `check` then makes the same plan,
that context is the one render would write (`context_for`): render is skipped too.

The last plan is only a guess. `adopt` takes its image only when the context
rendered from the new plan is the guessed one file for file (every path, size
and sha256) and the labels are the same: the engine then built exactly what
the normal build would have, and the image is tagged as that one. Otherwise the
guess is removed (`discard`) and the normal build runs. No guess is made when a
changed module holds anything that looks like a credential, when the last plan
kept files out as secrets or only a local image would hold them, or when it had
errors that stop a build: a guess never builds what the new plan would refuse.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from spacepack import engine
from spacepack.build import BuildOptions, BuiltImage, build_image, labels_to_pass, new_log_path
from spacepack.check.secrets_scan import scan_file
from spacepack.config import Settings
from spacepack.errors import SpacepackError
from spacepack.masking import Masker
from spacepack.plan import Plan, image_repository
from spacepack.render.context import Context
from spacepack.render.dockerfile import spacepack_labels
from spacepack.render.plan_cache import CacheLookup
from spacepack.render.render import render_context

# The guessed image's tag prefix: a leftover is easy to tell from a real image.
AHEAD_TAG = "ahead-"


@dataclass
class AheadBuild:
    """A build started from the last plan, running in a thread."""

    client: engine.DockerClient
    plan: Plan
    context: Context
    labels: dict[str, str]
    tag: str
    log_path: Path
    _done: threading.Event = field(default_factory=threading.Event)
    _built: BuiltImage | None = None
    _failed: BaseException | None = None
    _settled: bool = False
    adopted: bool = False  # whether `adopt` took the guessed image

    def _run(self, options: BuildOptions, masker: Masker) -> None:
        try:
            self._built = build_image(
                self.client,
                self.context.path,
                tags=(self.tag,),
                labels=self.labels,
                options=options,
                log_path=self.log_path,
                masker=masker,
            )
        except BaseException as error:  # noqa: BLE001 - any failure only means: build the normal way
            self._failed = error
        finally:
            self._done.set()

    def wait(self) -> BuiltImage | None:
        """The guessed image once its build ends; None when it failed or was abandoned."""
        self._done.wait()
        return self._built

    def context_for(self, plan: Plan) -> Context | None:
        """The context already rendered for `plan`, when it is the guessed plan (render is then skipped)."""
        return self.context if plan == self.plan else None

    def matches(self, context: Context, labels: Mapping[str, str], local_files: Mapping[str, bytes]) -> bool:
        """Whether the real build would send the engine exactly what the guess sent."""
        if local_files or dict(labels) != self.labels:
            return False
        guessed = [(f.path, f.size, f.sha256) for f in self.context.files]
        return guessed == [(f.path, f.size, f.sha256) for f in context.files]

    def adopt(
        self, context: Context, tags: tuple[str, ...], labels: Mapping[str, str], local_files: Mapping[str, bytes]
    ) -> BuiltImage | None:
        """The guessed image under `tags` when it is what building `context` makes; else None (and it is removed)."""
        if not self.matches(context, labels, local_files):
            self.discard()
            return None
        built = self.wait()
        if built is None:
            self.discard()
            return None
        replaced = {engine.image_id(self.client, tag) for tag in tags} - {None, built.id}
        for tag in tags:
            engine.tag_image(self.client, built.id, tag)
        engine.untag(self.client, self.tag)
        # Tags that moved to this image leave their old image dangling: removed when unused, as a build does.
        engine.remove_untagged(self.client, (old for old in replaced if old))
        self._settled = self.adopted = True
        return BuiltImage(
            id=built.id,
            tags=tags,
            size=built.size,
            seconds=built.seconds,
            log_path=built.log_path,
            platform=built.platform,
            labels=built.labels,
        )

    def discard(self) -> None:
        """Wait for the guess to end, then remove its image. Idempotent.

        The build is not cut short: an engine whose client went away may still finish
        the build and tag its image afterwards, which would leave it behind.
        """
        if self._settled:
            return
        self._settled = True
        self._done.wait()
        engine.remove_image_quietly(self.client, self.tag)


def worth_guessing(found: CacheLookup, settings: Settings) -> Plan | None:
    """The last plan, when building ahead with it is safe and likely to pay off; else None."""
    plan = found.previous
    if found.plan is not None or plan is None or not found.changed:
        return None
    if plan.secret_files or plan.blocking("build") or plan.root.resolve() != settings.project_dir.resolve():
        return None
    root = settings.project_dir.resolve()
    # A module that now holds a credential must reach the image only if the new plan says so: no guess.
    for rel in found.changed:
        if any(not hit.placeholder for hit in scan_file(root / rel)):
            return None
    return plan


def start(
    client: engine.DockerClient, found: CacheLookup, settings: Settings, options: BuildOptions, out_dir: Path
) -> AheadBuild | None:
    """Render today's files with the last plan into `out_dir` and start building them in a thread.

    None when not worth it. If the real plan differs, rendering it replaces `out_dir` whole (as
    always): a guess that read a file already replaced fails or differs, and is never taken.
    """
    if options.no_cache or options.pull or options.local_files:
        return None  # a long build on a guess, or one the guess cannot match
    plan = worth_guessing(found, settings)
    if plan is None:
        return None
    try:
        context = render_context(plan, settings, out_dir)
        labels = labels_to_pass(context.path, spacepack_labels(plan))
    except SpacepackError:
        return None  # the normal path will say what is wrong
    ahead = AheadBuild(
        client=client,
        plan=plan,
        context=context,
        labels=labels,
        tag=f"{image_repository(plan.project_name)}:{AHEAD_TAG}{uuid.uuid4().hex[:12]}",
        log_path=new_log_path(settings.project_dir),
    )
    masker = Masker(list(options.build_args.values()))
    threading.Thread(target=ahead._run, args=(options, masker), name="spacepack-build-ahead", daemon=True).start()
    return ahead
