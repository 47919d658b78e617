"""Run every benchmark of issue #8 and write benchmarks/results.json and BENCHMARKS.md.

    .venv/bin/python -m benchmarks.run [--runs 5] [--quick] [--only todo-backend] [--report-only]

`--quick` is for development: one run and a smaller large input. Results are
saved after every run, so an interrupted run still leaves a usable (partial)
results.json; `--report-only` regenerates BENCHMARKS.md from it. Every image
and container the benchmark creates is removed at the end (and after each run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import platform
import shutil
import sys
import tempfile
import time
import traceback
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker

from benchmarks import measure, report, variants
from benchmarks.hubbench import hub_double, repush_spacepack, repush_upload_folder
from benchmarks.inputs import EXTRA_REQUIREMENT, QUICK_SHAPE, WORK, Input, LargeShape, example_input, large_input
from benchmarks.stats import summarize
from spacepack import __version__
from spacepack.build import BuildOptions, BuiltImage
from spacepack.check import check_project, check_with_kept_facts
from spacepack.cli import CLI_GC_THRESHOLDS
from spacepack.config import Settings, load_settings
from spacepack.pipeline import Progress, build_step
from spacepack.plan import Plan
from spacepack.render import render_context
from spacepack.render.context import Context
from spacepack.render.plan_cache import RACY_SECONDS, cached_check_and_render

RESULTS = Path(__file__).resolve().parent / "results.json"
MARKDOWN = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
VARIANT_ORDER = ("spacepack", *variants.ALTERNATIVES, "spacepack-pip", "spacepack-uv", "spacepack-uv-layer")


class Recorder:
    """Raw values per input, measurement and variant; summarized when saved."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.raw: dict[str, dict[str, dict[str, list[float]]]] = {}
        self.info: dict[str, dict[str, Any]] = {}

    def add(self, scope: str, measurement: str, variant: str, value: float) -> None:
        self.raw.setdefault(scope, {}).setdefault(measurement, {}).setdefault(variant, []).append(value)

    def document(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "inputs": {
                scope: {
                    "info": self.info.get(scope, {}),
                    "measurements": {
                        name: {variant: summarize(values) for variant, values in per.items()}
                        for name, per in measurements.items()
                    },
                }
                for scope, measurements in self.raw.items()
            },
        }

    def save(self) -> None:
        RESULTS.write_text(json.dumps(self.document(), indent=2, sort_keys=False) + "\n")


class Edits:
    """The one-line source change and the added requirement, always undone."""

    def __init__(self, project: Input) -> None:
        self.project = project
        self.source = project.root / project.source_file
        self.requirements = project.root / "requirements.txt"
        self.source_text = self.source.read_text()
        self.requirements_text = self.requirements.read_text()

    def change_source(self, token: str) -> int:
        # A unique token: the rebuild never meets a cached layer of another variant or run.
        lines = self.source_text.rstrip("\n").split("\n")
        lines[-1] += f"  # edited {token}"
        self.source.write_text("\n".join(lines) + "\n")
        return self.source.stat().st_size

    def add_requirement(self, token: str) -> None:
        self.requirements.write_text(self.requirements_text.rstrip("\n") + f"\n{EXTRA_REQUIREMENT}  # {token}\n")

    def undo(self) -> None:
        self.source.write_text(self.source_text)
        self.requirements.write_text(self.requirements_text)


def _tag(project: Input, variant: str, run: int, step: str) -> str:
    return f"spacepack-bench/{project.name}-{variant.replace('+', '-')}:{step}-{run}"


def _go_on(_plan: Plan) -> None:
    """The benchmark builds whatever `check` finds (like --force)."""


def spacepack_pipeline(
    project: Input, out_dir: Path, installer: str | None = None
) -> tuple[Plan, Context, float, float]:
    """check + render as `spacepack build` runs them (the plan cache included); plan, context and both times.

    With the plan cache, a hit skips both: its time is then all in the first figure.
    """
    started = time.perf_counter()
    settings = load_settings(project.root, flags={"installer": installer})
    times: dict[str, float] = {}

    def check(settings: Settings) -> Plan:
        plan = check_with_kept_facts(settings)
        times["checked"] = time.perf_counter()
        return plan

    def render(plan: Plan) -> Context:
        return render_context(plan, settings, out_dir)

    plan, context, _cached = cached_check_and_render(settings, out_dir, check, render, before_render=_go_on)
    ended = time.perf_counter()
    checked = times.get("checked", ended)
    return plan, context, checked - started, ended - checked


class _Quiet(Progress):
    """The benchmark's Progress: nothing is shown (the protocol's methods do nothing)."""


def spacepack_build(
    client: Any, ledger: measure.Ledger, project: Input, out_dir: Path, options: BuildOptions
) -> tuple[Plan, Context, float, BuiltImage]:
    """What `spacepack build` runs before its smoke test: check + render (the plan cache included), then
    `build_step`; the plan, the context, check + render's seconds, and the image (its `seconds`: the build's).
    """
    started = time.perf_counter()
    settings = load_settings(project.root)
    plan, context, _cached = cached_check_and_render(
        settings,
        out_dir,
        check_with_kept_facts,
        lambda plan: render_context(plan, settings, out_dir),
        before_render=_go_on,
    )
    checked = time.perf_counter()
    built = build_step(client, settings, plan, context, options, progress=_Quiet())
    ledger.add_image(client, built.id)
    return plan, context, checked - started, replace(built, seconds=time.perf_counter() - checked)


def bench_spacepack(rec: Recorder, client: Any, ledger: measure.Ledger, project: Input, run: int) -> str:
    """spacepack's cold build, rebuilds, size and context; returns the cold image id."""
    scope, out = project.name, WORK / "contexts" / project.name
    edits = Edits(project)
    try:
        steps = (
            ("cold_build_s", None, True),
            ("rebuild_code_s", "code", False),
            ("rebuild_requirement_s", "req", False),
        )
        cold_id = ""
        for measurement, edit, nocache in steps:
            token = f"{run}-{uuid.uuid4().hex[:8]}"
            if edit == "code":
                edits.change_source(token)
            elif edit == "req":
                edits.add_requirement(token)
            options = BuildOptions(tag=_tag(project, "spacepack", run, measurement[:6]), no_cache=nocache)
            plan, context, check_render_s, built = spacepack_build(client, ledger, project, out, options)
            rec.add(scope, measurement, "spacepack", check_render_s + built.seconds)
            rec.add(scope, measurement + ":check+render", "spacepack", check_render_s)
            if measurement == "cold_build_s":
                cold_id = built.id
                rec.add(scope, "image_bytes", "spacepack", built.size)
                rec.add(scope, "context_bytes", "spacepack", measure.context_bytes(context.path))
        return cold_id
    finally:
        edits.undo()
        # The build's log: never part of an alternative's context (the HF guide's has no .dockerignore).
        shutil.rmtree(project.root / ".spacepack", ignore_errors=True)


def bench_alternative(
    rec: Recorder, client: Any, ledger: measure.Ledger, project: Input, run: int, variant: str, plan: Plan, ignore: str
) -> None:
    """One alternative's cold build, rebuilds, size and context, its files added to the project and removed."""
    files = variants.alternative_files(variant, plan.entry, ignore)
    edits = Edits(project)
    for name, text in files.items():
        (project.root / name).write_text(text)
    try:
        rec.add(project.name, "context_bytes", variant, measure.context_bytes(project.root))
        seconds, image_id = measure.build_plain(
            client, ledger, project.root, _tag(project, variant, run, "cold"), nocache=True
        )
        rec.add(project.name, "cold_build_s", variant, seconds)
        rec.add(project.name, "image_bytes", variant, measure.image_size(client, image_id))
        edits.change_source(f"{run}-{uuid.uuid4().hex[:8]}")
        seconds, _ = measure.build_plain(
            client, ledger, project.root, _tag(project, variant, run, "code"), nocache=False
        )
        rec.add(project.name, "rebuild_code_s", variant, seconds)
        edits.add_requirement(f"{run}-{uuid.uuid4().hex[:8]}")
        seconds, _ = measure.build_plain(
            client, ledger, project.root, _tag(project, variant, run, "req"), nocache=False
        )
        rec.add(project.name, "rebuild_requirement_s", variant, seconds)
    finally:
        edits.undo()
        for name in files:
            (project.root / name).unlink(missing_ok=True)


def bench_pip(rec: Recorder, client: Any, ledger: measure.Ledger, project: Input, run: int, verify: bool) -> None:
    """spacepack with `installer = "pip"` (the fallback): cold build (check + render included) and image size."""
    out = WORK / "contexts" / f"{project.name}-pip"
    started = time.perf_counter()
    _plan, context, _check_s, _render_s = spacepack_pipeline(project, out, installer="pip")
    prepared = time.perf_counter() - started
    seconds, image_id = measure.build_plain(
        client, ledger, context.path, _tag(project, "pip", run, "cold"), nocache=True
    )
    rec.add(project.name, "cold_build_s", "spacepack-pip", prepared + seconds)
    rec.add(project.name, "image_bytes", "spacepack-pip", measure.image_size(client, image_id))
    if verify:
        result = measure.startup_smoke(client, image_id, _plan.health_path, dict(project.env), uuid.uuid4().hex[:12])
        rec.info.setdefault(project.name, {})["pip_image_smoke_healthy_s"] = round(result["verdict_s"], 3)


def bench_uv_layer(rec: Recorder, client: Any, ledger: measure.Ledger, project: Input, run: int) -> None:
    """spacepack with uv fetched in a layer of its own: cold build, image size, rebuild with a requirement added.

    It runs after spacepack's own builds of the run, so its render meets a resolution spacepack's
    already cached in the first run (later runs are alike for both): compare medians over several runs.
    """
    out = WORK / "contexts" / f"{project.name}-uv-layer"
    edits = Edits(project)
    try:
        for measurement, nocache in (("cold_build_s", True), ("rebuild_requirement_s", False)):
            if not nocache:
                edits.add_requirement(f"{run}-{uuid.uuid4().hex[:8]}")
            started = time.perf_counter()
            _plan, context, _check_s, _render_s = spacepack_pipeline(project, out)
            dockerfile = context.path / "Dockerfile"
            if variants.UV_OWN_STEP not in dockerfile.read_text():  # a plan-cache hit may hand it back rewritten
                dockerfile.write_text(variants.uv_own_layer(dockerfile.read_text()))
            prepared = time.perf_counter() - started
            seconds, image_id = measure.build_plain(
                client, ledger, context.path, _tag(project, "uv-layer", run, measurement[:6]), nocache=nocache
            )
            rec.add(project.name, measurement, "spacepack-uv-layer", prepared + seconds)
            if nocache:
                rec.add(project.name, "image_bytes", "spacepack-uv-layer", measure.image_size(client, image_id))
    finally:
        edits.undo()
        shutil.rmtree(out, ignore_errors=True)  # the plan cache must never hand this Dockerfile to another variant


def bench_startup(rec: Recorder, client: Any, ledger: measure.Ledger, project: Input, image: str, plan: Plan) -> None:
    try:
        smoke = measure.startup_smoke(client, image, plan.health_path, dict(project.env), uuid.uuid4().hex[:12])
        poll = measure.startup_poll_loop(
            client, ledger, image, plan.health_path, dict(project.env), uuid.uuid4().hex[:12]
        )
    except RuntimeError as error:
        # One slow start (a loaded machine) costs this run's sample, not the whole benchmark.
        print(f"  startup of {project.name} not measured in this run: {error}", flush=True)
        rec.info.setdefault(project.name, {}).setdefault("startup_failures", []).append(str(error))
        return
    for name, result in (("spacepack", smoke), ("poll-loop", poll)):
        rec.add(project.name, "startup_verdict_s", name, result["verdict_s"])
        rec.add(project.name, "startup_first_answer_s", name, result["first_answer_s"])
        rec.add(project.name, "startup_lag_s", name, result["lag_s"])
    rec.add(project.name, "smoke_returned_s", "spacepack", smoke["returned_s"])


def bench_cli(rec: Recorder, project: Input) -> None:
    cli = measure.spacepack_cli()
    # The plan cache keeps no plan while a file it read is younger than RACY_SECONDS (its time stamp could
    # still hide a change): the benchmark's own edits were just undone, so let them settle first, as a
    # user's last save would have by the time they run `check` twice.
    time.sleep(RACY_SECONDS + 0.1)
    with tempfile.TemporaryDirectory(prefix="spacepack-bench-cache-") as cache:
        env = {**measure.quiet_env(), "SPACEPACK_CACHE_DIR": cache}
        command = [cli, "check", str(project.root), "--json"]
        rec.add(project.name, "check_cli_s", "spacepack", measure.wall_time(command, env))  # an empty plan cache
        rec.add(project.name, "check_cli_cached_s", "spacepack", measure.wall_time(command, env))  # nothing changed
    started = time.perf_counter()
    check_project(load_settings(project.root))
    rec.add(project.name, "check_library_s", "spacepack", time.perf_counter() - started)


def bench_help(rec: Recorder) -> None:
    env = measure.quiet_env()
    rec.add("cli", "help_s", "spacepack", measure.wall_time([measure.spacepack_cli(), "--help"], env))
    rec.add("cli", "help_s", "python -c pass", measure.wall_time([sys.executable, "-c", "pass"], env))


def bench_hub(rec: Recorder, project: Input, run: int) -> None:
    home = WORK / "hf-home"
    home.mkdir(parents=True, exist_ok=True)
    out = WORK / "contexts" / f"{project.name}-hub"
    edits = Edits(project)
    changed: list[int] = []

    def change() -> tuple[Context, Plan]:
        changed.append(edits.change_source(f"hub-{run}-{uuid.uuid4().hex[:8]}"))
        plan, context, _c, _r = spacepack_pipeline(project, out)
        return context, plan

    try:
        with hub_double(home) as double:
            plan, context, _c, _r = spacepack_pipeline(project, out)
            sent = repush_spacepack(double, f"alice/bench-{project.name}-sp-{run}", context, plan, change)
            rec.add(project.name, "repush_bytes", "spacepack", sent)
            rec.add(project.name, "changed_file_bytes", "spacepack", changed[-1])
            edits.undo()
            spacepack_pipeline(project, out)
            sent = repush_upload_folder(double, f"alice/bench-{project.name}-uf-{run}", out, change)
            rec.add(project.name, "repush_bytes", "upload_folder", sent)
    finally:
        edits.undo()


def one_run(rec: Recorder, client: Any, projects: list[Input], run: int, steps: set[str]) -> None:
    ledger = measure.Ledger()
    try:
        if "cli" in steps:
            bench_help(rec)
        for project in projects:
            print(f"[run {run}] {project.name}", flush=True)
            plan, context, _c, _r = spacepack_pipeline(project, WORK / "contexts" / project.name)
            ignore = (context.path / ".dockerignore").read_text()
            if "build" in steps:
                cold = bench_spacepack(rec, client, ledger, project, run)
                print(f"[run {run}] {project.name}: spacepack built", flush=True)
                if "startup" in steps:
                    bench_startup(rec, client, ledger, project, cold, plan)
                for variant in variants.ALTERNATIVES:
                    bench_alternative(rec, client, ledger, project, run, variant, plan, ignore)
                    print(f"[run {run}] {project.name}: {variant} built", flush=True)
                bench_pip(rec, client, ledger, project, run, verify=run == 0)
                bench_uv_layer(rec, client, ledger, project, run)
            if "cli" in steps:
                bench_cli(rec, project)
            if "hub" in steps:
                bench_hub(rec, project, run)
            measure.cleanup(client, ledger)
            ledger = measure.Ledger()
            rec.save()
    finally:
        measure.cleanup(client, ledger)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="spacepack benchmarks (issue #8)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--quick", action="store_true", help="one run, a smaller large input (development)")
    parser.add_argument("--only", choices=("todo-backend", "large-backend"), help="one input only")
    parser.add_argument("--steps", default="build,startup,cli,hub", help="comma list of build,startup,cli,hub")
    parser.add_argument("--report-only", action="store_true", help="regenerate BENCHMARKS.md from results.json")
    args = parser.parse_args(argv)
    if args.report_only:
        MARKDOWN.write_text(report.render(json.loads(RESULTS.read_text())))
        print(f"wrote {MARKDOWN.name}")
        return 0
    runs = 1 if args.quick else args.runs
    shape = QUICK_SHAPE if args.quick else LargeShape()
    WORK.mkdir(parents=True, exist_ok=True)
    client = docker.from_env(timeout=900)
    projects = []
    # The large input first: most targets are about it, and a partial run still answers them.
    if args.only in (None, "large-backend"):
        projects.append(large_input(shape))
    if args.only in (None, "todo-backend"):
        projects.append(example_input())
    version = client.version()
    rec = Recorder(
        {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "runs": runs,
            "quick": args.quick,
            "spacepack": __version__,
            "engine": f"Docker {version.get('Version')} (API {version.get('ApiVersion')}), classic builder",
            "platform": platform.platform(),
            "cpus": __import__("os").cpu_count(),
            "python": platform.python_version(),
            "base_image": variants.BASE_IMAGE,
            "large_shape": vars(shape),
        }
    )
    for project in projects:
        rec.info[project.name] = {
            "description": project.description,
            "tree_bytes": __import__("benchmarks.inputs", fromlist=["tree_bytes"]).tree_bytes(project.root),
        }
    steps = set(args.steps.split(","))
    measure.compile_spacepack()
    # spacepack's side is timed through library calls in this process: give it the collector
    # thresholds `spacepack build` runs with (the alternatives' builds are engine work, not Python's).
    gc.set_threshold(*CLI_GC_THRESHOLDS)
    try:
        for run in range(runs):
            one_run(rec, client, projects, run, steps)
            rec.meta["completed_runs"] = run + 1
            rec.save()
    except BaseException:
        traceback.print_exc()
        rec.meta["interrupted"] = True
        rec.save()
        raise
    finally:
        rec.meta["leftover_images"] = len(measure.bench_images(client))
        rec.save()
        shutil.rmtree(WORK / "contexts", ignore_errors=True)
    MARKDOWN.write_text(report.render(rec.document()))
    print(f"wrote {RESULTS.name} and {MARKDOWN.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
