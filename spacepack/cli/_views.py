"""The human form of each result value, on stderr: one renderer per value, nothing else.

A leaf of the CLI: it imports only `_output` and the library's value types,
so the progress display and every command can use it without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spacepack.cli._output import say
from spacepack.ignore import describe_left_out
from spacepack.paths import shown

if TYPE_CHECKING:
    from spacepack.doctor import DoctorReport
    from spacepack.plan import Plan
    from spacepack.push import PushReport
    from spacepack.render import Context
    from spacepack.smoke import SmokeReport
    from spacepack.space import SpaceStatus

_SEVERITY_TITLES = (("error", "errors"), ("warning", "warnings"), ("info", "notes"))
# The smoke report shows the last requests made, not every readiness poll.
_PROBES_SHOWN = 6


def show_plan(plan: Plan) -> None:
    """A plan: decisions and why, other candidates, findings."""
    _plan_decisions(plan)
    others = [c for c in plan.candidates if not c.chosen]
    if others:
        say("")
        say("other app candidates:")
        for candidate in others:
            where = f"{candidate.path}:{candidate.line}"
            say(f"  {candidate.entry} in {where} (score {candidate.score}): {candidate.reason}")
    for severity, title in _SEVERITY_TITLES:
        group = [f for f in plan.findings if f.severity == severity]
        if not group:
            continue
        say("")
        say(f"{title} ({len(group)}):")
        for finding in group:
            first, *fix = finding.describe()
            say(f"  {first}")
            for line in fix:
                say(f"      {line}")
            if finding.severity == "error" and not finding.blocks_step("build"):
                say("      blocks: push and release only (it leaks when uploaded); build and smoke go on")
    counts = {s: sum(1 for f in plan.findings if f.severity == s) for s, _ in _SEVERITY_TITLES}
    upload_only = len(plan.upload_only())
    blocks = f" ({upload_only} blocking only push and release)" if upload_only else ""
    say("")
    say(f"{counts['error']} error(s){blocks}, {counts['warning']} warning(s), {counts['info']} note(s)")


def _plan_decisions(plan: Plan) -> None:
    chosen = next((c for c in plan.candidates if c.chosen), None)
    say(f"spacepack check: {shown(plan.root)}")
    say(f"  backend dir   {plan.backend_dir}")
    factory = " (factory)" if plan.factory else ""
    say(f"  entry         {plan.entry or '(none found)'}{factory}")
    if chosen is not None:
        say(f"                {chosen.reason}")
    say(f"  working dir   {plan.working_dir}")
    say(f"  python        {plan.python} ({plan.python_source})")
    sources = plan.dependencies.sources
    if sources:
        for source in sources:
            say(f"  dependencies  {source.path or '(imports)'}: {source.install}")
    else:
        say("  dependencies  (none declared)")
    if plan.dependencies.packages:
        say(f"                {', '.join(plan.dependencies.packages)}")
    if plan.system_packages:
        say(f"  apt packages  {', '.join(plan.system_packages)}")
    if plan.env:
        for var in plan.env:
            tags = [
                "required" if var.required else "optional",
                *(["secret"] if var.secret else []),
                *(["at import"] if var.at_import else []),
            ]
            say(f"  env           {var.name} ({', '.join(tags)})")
    else:
        say("  env           (no variables read)")
    say(f"  health path   {plan.health_path}")
    if plan.left_out:
        say(f"  left out      {describe_left_out(plan.left_out)} (by default; `include` ships them)")


def show_context(context: Context) -> None:
    """A rendered build context: where, how much, and the notes."""
    total = sum(f.size for f in context.files)
    say(f"rendered {len(context.files)} files ({total:,} bytes) into {shown(context.path)}")
    for name in ("Dockerfile", "README.md", ".dockerignore"):
        say(f"  wrote {name}")
    for note in context.notes:
        say(f"  note: {note}")


def show_smoke_report(report: SmokeReport) -> None:
    """A smoke report (its log tail is already masked)."""
    if report.verdict == "healthy":
        say(f"smoke: healthy in {report.time_to_healthy:.2f} s (PORT={report.injected_port})")
    else:
        if report.log_tail:
            say(f"last {len(report.log_tail)} lines of the container log:")
            for line in report.log_tail:
                say(f"  | {line}")
        say(f"smoke: failed (PORT={report.injected_port}): {report.reason}")
    for probe in report.probes[-_PROBES_SHOWN:]:
        status = "no answer" if probe.status is None else str(probe.status)
        say(f"  {probe.method:4} {probe.path:<20} {status:>9}  {probe.ms:7.1f} ms")
    for warning in report.warnings:
        say(f"warning: {warning}")


def show_push_report(report: PushReport) -> None:
    """A push report: file lines, metadata, secret and variable names (never values)."""
    diff = report.diff
    verb = "would push" if report.dry_run else "pushed"
    say(f"{verb} to {report.space_id} ({report.url})")
    for sign, entries in (("+", diff.added), ("~", diff.changed), ("-", diff.deleted)):
        for entry in entries:
            say(f"  {sign} {entry.path}  ({entry.size:,} B)")
    if diff.unchanged:
        say(f"  = {len(diff.unchanged)} file(s) unchanged")
    if report.dry_run and report.metadata:
        say("metadata: " + ", ".join(f"{key}={value}" for key, value in report.metadata.items()))
    for kind, statuses in (("secrets", report.secrets), ("variables", report.variables)):
        if statuses:
            say(f"{kind}: " + ", ".join(f"{name} ({status})" for name, status in statuses.items()))
    for note in report.notes:
        say(f"note: {note}")
    if report.commit_oid:
        size = diff.upload_bytes
        say(
            f"commit {report.commit_oid[:8]}: {len(diff.added)} added, {len(diff.changed)} changed, "
            f"{len(diff.deleted)} deleted ({size:,} B uploaded): {report.commit_url}"
        )
    elif not report.dry_run:
        say("no change: the Space already has these files; no commit made")


def show_doctor(report: DoctorReport) -> None:
    """The doctor's checks, one line each, with the fix under a failed one."""
    for check in report.checks:
        mark = "ok " if check.ok else ("-- " if not check.needed_for_build else "NO ")
        say(f"{mark} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            say(f"    fix: {check.fix}")


def show_status(status: SpaceStatus) -> None:
    """The human form of a status, on stderr: names only, never values."""
    hardware = status.hardware or "none"
    if status.requested_hardware and status.requested_hardware != status.hardware:
        hardware += f" (requested {status.requested_hardware})"
    sleep = f"{status.sleep_time} s" if status.sleep_time else "default"
    say(f"{status.space_id}: {status.stage}" + (f" ({status.error_message})" if status.error_message else ""))
    say(f"  hardware   {hardware}; sleep time {sleep}")
    say(f"  app        {status.app_url}")
    say(f"  page       {status.page_url}")
    if status.last_commit:
        say(f"  commit     {status.last_commit[:12]} ({status.last_modified or 'date unknown'})")
    audit = status.audit
    say(f"  secrets    {', '.join(audit.secrets) or 'none'}")
    say(f"  variables  {', '.join(audit.variables) or 'none'}")
    for name in audit.missing:
        when = "at start-up: the app crashes without it" if name in audit.missing_at_start else "when used"
        say(f"  missing    {name}: read by the app ({when}); neither a secret nor a variable of the Space")
    for name in audit.secret_like_variables:
        say(f"  warning    variable {name} looks like a secret, but Space variables are public")
