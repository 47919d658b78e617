"""Build an image from a rendered context, with streamed progress, a log file and a clear failure.

The engine's legacy builder streams JSON events: `{"stream": ...}` chunks of
text (not always whole lines: "Step 2/5 : RUN ..." and its newline arrive
apart), `{"aux": {"ID": ...}}` with the image id, and `{"error": ...}` on
failure. `BuildLogParser` turns them into `BuildProgress` values, pure and
testable; `build_image` drives the engine, writes the whole log to a file
and raises `BuildStepFailed` with the failing step, its command and the last
lines of its output.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Literal

from spacepack import __version__, engine
from spacepack.config import LOG_TAIL_LINES
from spacepack.envfile import parse_pairs
from spacepack.errors import BuildFailed, EngineUnavailable
from spacepack.git import git
from spacepack.interrupts import deferred_interrupts
from spacepack.masking import Masker
from spacepack.paths import safe_output_dir, shown
from spacepack.plan import image_repository
from spacepack.render.context import is_context
from spacepack.safe_read import read_project_text

DEFAULT_PLATFORM = "linux/amd64"
LOG_DIR = Path(".spacepack") / "logs"

_STEP_RE = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_SUCCESS_RE = re.compile(r"^Successfully built ([0-9a-f]+)$")
# " ---> 3f2a9c0e1b7d": the image a step produced (the legacy builder keeps it as cache).
_LAYER_RE = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
# Engine bookkeeping lines that say nothing about the user's build.
# Colour codes: the engine paints a step's stderr red.
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_NOISE_RE = re.compile(r"^( ---> |Removing intermediate container |Successfully tagged )")

ProgressKind = Literal["step", "line", "done"]


@dataclass(frozen=True)
class BuildProgress:
    """One thing that happened during a build, for a live display.

    `kind` is "step" when a new Dockerfile step starts, "line" for a line of
    the current step's output, "done" when the image is built.
    """

    kind: ProgressKind
    step: int
    total: int
    command: str
    elapsed: float
    line: str = ""


@dataclass(frozen=True)
class BuildFailure:
    """Where a build failed, structured so a CLI can show it without parsing a message."""

    step: int
    total: int
    command: str
    error: str
    output_tail: tuple[str, ...]
    log_path: Path

    def detail_lines(self) -> tuple[str, ...]:
        """The failing step, its command, its last lines of output and where the full log is."""
        where = f"step {self.step}/{self.total}" if self.step else "before the first step"
        lines = [f"build failed at {where}: {self.command}" if self.command else f"build failed {where}"]
        if self.output_tail:
            lines.append(f"last {len(self.output_tail)} lines of its output:")
            lines.extend(f"  | {line}" for line in self.output_tail)
        lines.append(f"full log: {shown(self.log_path)}")
        return tuple(lines)

    def to_text(self) -> str:
        """`detail_lines` with the engine's error line before the log path."""
        lines = list(self.detail_lines())
        lines.insert(-1, f"error: {self.error}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "total": self.total,
            "command": self.command,
            "error": self.error,
            "output_tail": list(self.output_tail),
            "log_path": str(self.log_path),
        }


class BuildStepFailed(BuildFailed):
    """A build failed; `failure` holds the step, its command, its last output lines and the log path."""

    def __init__(self, failure: BuildFailure) -> None:
        where = f"at step {failure.step}/{failure.total}" if failure.step else "before its first step"
        super().__init__(
            f"the build failed {where}: {failure.error}",
            hint=f"see the step's output above; the full log is {shown(failure.log_path)}",
            details=failure.detail_lines(),
        )
        self.failure = failure


@dataclass(frozen=True)
class BuiltImage:
    """An image that was built: id, names, size, how long it took and where its log is."""

    id: str
    tags: tuple[str, ...]
    size: int
    seconds: float
    log_path: Path
    platform: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tags": list(self.tags),
            "size": self.size,
            "build_seconds": round(self.seconds, 2),
            "log_path": str(self.log_path),
            "platform": self.platform,
            "labels": dict(self.labels),
        }


class BuildLogParser:
    """Turns the engine's build events into `BuildProgress` values and remembers what failed.

    Feed it every decoded event in order; it buffers partial lines, tracks the
    current step and keeps the last `LOG_TAIL_LINES` lines of that step's output.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._started = clock()
        self._buffer = ""
        self.step = 0
        self.total = 0
        self.command = ""
        self.tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        self.image_id: str | None = None
        self.error: str | None = None
        self.layers: list[str] = []  # step images, in build order

    @property
    def elapsed(self) -> float:
        return self._clock() - self._started

    def feed(self, event: Mapping[str, Any]) -> list[BuildProgress]:
        """Digest one engine event; return what a display should show for it."""
        progress: list[BuildProgress] = []
        if "stream" in event:
            self._buffer += str(event["stream"])
            while "\n" in self._buffer:
                line, self._buffer = self._buffer.split("\n", 1)
                progress.extend(self._line(line.rstrip("\r")))
        aux = event.get("aux")
        if isinstance(aux, Mapping) and isinstance(aux.get("ID"), str):
            self.image_id = aux["ID"]
        if "error" in event or "errorDetail" in event:
            detail = event.get("errorDetail")
            message = event.get("error") or (detail.get("message") if isinstance(detail, Mapping) else None)
            progress.extend(self.flush())
            self.error = str(message or "unknown build error").strip()
        return progress

    def flush(self) -> list[BuildProgress]:
        """Emit a partial last line, if the stream ended without a newline."""
        if not self._buffer:
            return []
        line, self._buffer = self._buffer, ""
        return self._line(line)

    def done(self) -> BuildProgress:
        return BuildProgress("done", self.step, self.total, self.command, self.elapsed)

    def _line(self, line: str) -> list[BuildProgress]:
        line = _ANSI_RE.sub("", line)
        step = _STEP_RE.match(line)
        if step:
            self.step, self.total, self.command = int(step[1]), int(step[2]), step[3].strip()
            self.tail.clear()
            return [BuildProgress("step", self.step, self.total, self.command, self.elapsed)]
        layer = _LAYER_RE.match(line)
        if layer:
            self.layers.append(layer[1])
        success = _SUCCESS_RE.match(line)
        if success and self.image_id is None:
            self.image_id = success[1]
        if not line.strip() or _NOISE_RE.match(line) or success:
            return []
        self.tail.append(line)
        return [BuildProgress("line", self.step, self.total, self.command, self.elapsed, line)]


# --- names and labels -------------------------------------------------------


def content_hash(context_dir: Path, length: int = 12) -> str:
    """A hash of every file's relative path and bytes in the context: same content, same tag."""
    digest = hashlib.sha256()
    for path in sorted(p for p in context_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(context_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:length]


def version_of(project_dir: Path, context_dir: Path) -> str:
    """The image version: the git short sha (with `-dirty`), or a hash of the context's content outside git."""
    short = git(project_dir, "rev-parse", "--short", "HEAD")
    if short is None:
        return content_hash(context_dir)
    dirty = git(project_dir, "status", "--porcelain", "--", ".")
    return f"{short}-dirty" if dirty else short


def default_tags(project_name: str, version: str) -> tuple[str, ...]:
    """`spacepack/<project>:<version>` and `:latest`."""
    repository = image_repository(project_name)
    return (f"{repository}:{version}", f"{repository}:latest")


def dockerfile_labels(dockerfile: str) -> dict[str, str]:
    """The labels a Dockerfile's `LABEL key="value" ...` lines set (unparseable lines are skipped)."""
    found: dict[str, str] = {}
    for line in dockerfile.splitlines():
        words = line.strip().split(None, 1)
        if len(words) != 2 or words[0].upper() != "LABEL":
            continue
        try:
            pairs = shlex.split(words[1])
        except ValueError:
            continue
        for pair in pairs:
            key, equals, value = pair.partition("=")
            if equals:
                found[key] = value
    return found


def labels_to_pass(context_dir: Path, wanted: Mapping[str, str]) -> dict[str, str]:
    """The labels of `wanted` the context's Dockerfile does not set itself.

    The classic builder turns each label passed to the build API into one more step after the
    source (a container and a commit each); the default template sets spacepack's labels before the
    source, so nothing is left to pass. A custom template without them still gets them this way.
    """
    dockerfile, _refused = read_project_text(context_dir, "Dockerfile")  # a refused read: pass every label
    present = dockerfile_labels(dockerfile or "")
    return {key: value for key, value in wanted.items() if present.get(key) != value}


def new_log_path(project_dir: Path, now: datetime | None = None) -> Path:
    """`<project>/.spacepack/logs/build-<UTC timestamp>.log` (not yet created)."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%d-%H%M%S-%f")
    return safe_output_dir(project_dir, LOG_DIR) / f"build-{stamp}.log"  # never through a committed link


# --- the build --------------------------------------------------------------


@dataclass(frozen=True)
class BuildOptions:
    """How to build: the build flags of `build` and `release`.

    Attributes:
        tag: the image's name:tag (None: `spacepack/<project>:<version>` and `:latest`).
        no_cache: do not reuse cached layers.
        pull: try to pull a newer base image first.
        build_args: `--build-arg` values; they are masked in the log file.
        platform: the target platform; Spaces run `linux/amd64`.
    """

    tag: str | None = None
    no_cache: bool = False
    pull: bool = False
    build_args: Mapping[str, str] = field(default_factory=dict)
    platform: str | None = DEFAULT_PLATFORM
    # Files (path in the context -> content) the image gets although the context folder, which is the
    # upload, never holds them: set by the pipeline for a local image, never from a flag.
    local_files: Mapping[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class _Stream:
    """Where one build's events go: the parser, the log file (masked) and the display."""

    parser: BuildLogParser
    log_path: Path
    mask: Masker
    emit: Callable[[BuildProgress], None]


def build_image(
    client: engine.DockerClient,
    context_dir: Path,
    *,
    tags: Iterable[str],
    labels: Mapping[str, str] | None = None,
    options: BuildOptions | None = None,
    log_path: Path,
    on_event: Callable[[BuildProgress], None] | None = None,
    masker: Masker | None = None,
) -> BuiltImage:
    """Build `context_dir` (which holds a Dockerfile) into an image carrying `tags`.

    Args:
        client: from `engine.get_docker_client()`.
        context_dir: the rendered build context.
        tags: every `repository:tag` the image gets; the first is built, the rest tagged.
        labels: image labels to pass to the build API (see `labels_to_pass`: each is one more step).
        options: no-cache, pull, build args and platform (`tag` is read by `image_names`, not here).
        log_path: where the full (masked) build log is written.
        on_event: called with each `BuildProgress`, for a live display.
        masker: masks secret values in the log and the failure report.

    Returns:
        The built image.

    Raises:
        BuildStepFailed: when a step fails (see its `failure` field).
        EngineUnavailable: when the engine refuses the build request.
    """
    tags = tuple(tags)
    options = options or BuildOptions()
    if not tags:
        raise BuildFailed("no tag to give the image", hint="pass --tag or let spacepack name it")
    if not (context_dir / "Dockerfile").is_file():
        raise BuildFailed(f"no Dockerfile in {context_dir}", hint="run `spacepack render` first")
    if not options.pull:
        _require_base_images(client, (context_dir / "Dockerfile").read_text(encoding="utf-8", errors="replace"))
    mask = masker or Masker()
    mask.add(options.build_args.values())
    stream = _Stream(BuildLogParser(), log_path, mask, on_event or (lambda _progress: None))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    replaced = {engine.image_id(client, tag) for tag in tags} - {None}
    try:
        image_id = _build(client, context_dir, tags, labels or {}, options, stream)
    except BaseException:
        # A failed, interrupted or cut-off build leaves the images of its finished steps
        # (legacy builder cache) untagged: remove them, so nothing dangles. A second
        # Ctrl-C waits for this cleanup instead of cutting it short.
        with deferred_interrupts():
            engine.remove_untagged(client, reversed(stream.parser.layers), retry_seconds=5.0)
        raise
    # Tags that moved to the new image leave their old image dangling: remove it if unused.
    engine.remove_untagged(client, (old for old in replaced if old and old != engine.image_id(client, image_id)))
    attrs = engine.image_attrs(client, image_id)
    if attrs is None:
        raise EngineUnavailable(f"the engine built {image_id} but does not find it", hint="retry the build")
    stream.emit(stream.parser.done())
    return BuiltImage(
        id=str(attrs.get("Id", image_id)),
        tags=tags,
        size=int(attrs.get("Size", 0)),
        seconds=time.monotonic() - started,
        log_path=log_path,
        platform=options.platform,
        labels=dict((attrs.get("Config") or {}).get("Labels") or {}),
    )


def _build(
    client: engine.DockerClient,
    context_dir: Path,
    tags: tuple[str, ...],
    labels: Mapping[str, str],
    options: BuildOptions,
    stream: _Stream,
) -> str:
    """Run the build, log it, tag the image; its id."""
    parser, mask = stream.parser, stream.mask
    with stream.log_path.open("w", encoding="utf-8") as log:
        log.write(f"# spacepack {__version__} build of {context_dir.name} as {', '.join(tags)}\n")
        # A context spacepack rendered holds only what ships: its .dockerignore need not be matched again.
        filtered = is_context(context_dir)
        with engine.build_context(str(context_dir), filtered=filtered, extra_files=options.local_files) as context:
            events = engine.stream_build(
                client,
                context,
                tag=tags[0],
                labels=labels,
                nocache=options.no_cache,
                pull=options.pull,
                buildargs=options.build_args,
                platform=options.platform,
            )
            _consume(events, parser, log, mask, stream.emit)
    if parser.error is not None or parser.image_id is None:
        raise BuildStepFailed(
            BuildFailure(
                step=parser.step,
                total=parser.total,
                command=mask(parser.command),
                error=mask(parser.error or "the engine ended the build without an image"),
                output_tail=tuple(mask(line) for line in parser.tail),
                log_path=stream.log_path,
            )
        )
    image_id = parser.image_id
    for extra in tags[1:]:
        engine.tag_image(client, image_id, extra)
    return image_id


def _consume(
    events: Iterable[Mapping[str, Any]],
    parser: BuildLogParser,
    log: IO[str],
    mask: Masker,
    emit: Callable[[BuildProgress], None],
) -> None:
    """Feed every event to the parser, the log file and the display; stop at the first error."""
    for event in events:
        text = event.get("stream")
        if isinstance(text, str):
            log.write(mask(text))
        for progress in parser.feed(event):
            emit(progress if progress.kind != "line" else _masked(progress, mask))
        if parser.error is not None:
            log.write(f"\nERROR: {mask(parser.error)}\n")
            break
    else:
        for progress in parser.flush():
            emit(_masked(progress, mask))
    log.flush()
    os.fsync(log.fileno())


def _masked(progress: BuildProgress, mask: Masker) -> BuildProgress:
    return BuildProgress(
        progress.kind, progress.step, progress.total, progress.command, progress.elapsed, mask(progress.line)
    )


def base_images(dockerfile: str) -> tuple[str, ...]:
    """The images a Dockerfile starts FROM, leaving out `scratch` and its own earlier stages."""
    images: list[str] = []
    stages: set[str] = set()
    for line in dockerfile.splitlines():
        words = line.split()
        if len(words) < 2 or words[0].upper() != "FROM":
            continue
        rest = [word for word in words[1:] if not word.startswith("--")]  # e.g. --platform=...
        if not rest:
            continue
        image = rest[0]
        if image != "scratch" and image not in stages and "$" not in image:
            images.append(image)
        if len(rest) >= 3 and rest[1].upper() == "AS":
            stages.add(rest[2])
    return tuple(dict.fromkeys(images))


def _require_base_images(client: engine.DockerClient, dockerfile: str) -> None:
    # A first build on a new machine has no base image yet: pull it, as `docker build` would.
    # One that cannot be pulled is an engine-side problem with its own exit code and fix, not a
    # build failure of the user's project (the engine would fail at step 1 with a pull error).
    for image in base_images(dockerfile):
        if engine.image_present(client, image):
            continue
        try:
            engine.pull_image(client, image)
        except EngineUnavailable as error:
            raise EngineUnavailable(
                f"the base image {image} is not in the engine and cannot be pulled ({error.message})",
                hint=f"check the engine's registry access, then `docker pull {image}`",
            ) from error


def image_tags(project_name: str, project_dir: Path, context_dir: Path, tag: str | None = None) -> tuple[str, ...]:
    """The tags of a project's image: `tag` when given, else `spacepack/<project>:<version>` and `:latest`.

    The version (git short sha, `-dirty` with uncommitted changes, or a hash of the context's
    content outside git) is how an image names its commit: it is not a label, because a label that
    changes on every commit is one more build step on every code-only rebuild.
    """
    if tag:
        return (tag,)
    return default_tags(project_name, version_of(project_dir, context_dir))


def parse_build_args(pairs: Iterable[str]) -> dict[str, str]:
    """`K=V` strings (from --build-arg) into a mapping.

    Raises:
        UsageError: when one has no `=`; only the first 4 characters are shown.
    """
    return parse_pairs(pairs, "--build-arg", "--build-arg MODE=prod")
