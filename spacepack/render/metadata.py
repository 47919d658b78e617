"""The Space README front matter: defaults, merge, and offline validation.

The rules follow the Spaces configuration reference (hub-docs
`spaces-config-reference`) and what the Hub is known to reject (hex colours,
short descriptions over 60 characters). The front matter is written with
PyYAML, the same way `huggingface_hub.SpaceCardData.to_yaml()` does it
(`sort_keys=False`, no None values), without importing huggingface_hub here.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from packaging.utils import canonicalize_name

from spacepack.config import Settings
from spacepack.errors import MetadataError
from spacepack.plan import Plan
from spacepack.render.dockerfile import app_port

COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")
STORAGE = ("small", "medium", "large")
HEADERS = ("mini", "default")
OAUTH_SCOPES = (
    "openid",
    "profile",
    "email",
    "read-billing",
    "read-memberships",
    "read-repos",
    "gated-repos",
    "contribute-repos",
    "write-repos",
    "manage-repos",
    "read-collections",
    "write-collections",
    "inference-api",
    "read-endpoints",
    "write-endpoints",
    "jobs",
    "webhooks",
    "write-discussions",
)
CUSTOM_HEADER_KEYS = (
    "cross-origin-embedder-policy",
    "cross-origin-opener-policy",
    "cross-origin-resource-policy",
)
# hub-docs `repositories-licenses`: the license identifiers a repo card may use.
LICENSES = (
    "apache-2.0",
    "mit",
    "openrail",
    "bigscience-openrail-m",
    "creativeml-openrail-m",
    "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m",
    "afl-3.0",
    "artistic-2.0",
    "bsl-1.0",
    "bsd",
    "bsd-2-clause",
    "bsd-3-clause",
    "bsd-3-clause-clear",
    "c-uda",
    "cc",
    "cc0-1.0",
    "cc-by-2.0",
    "cc-by-2.5",
    "cc-by-3.0",
    "cc-by-4.0",
    "cc-by-sa-3.0",
    "cc-by-sa-4.0",
    "cc-by-nc-2.0",
    "cc-by-nc-3.0",
    "cc-by-nc-4.0",
    "cc-by-nd-4.0",
    "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0",
    "cc-by-nc-sa-2.0",
    "cc-by-nc-sa-3.0",
    "cc-by-nc-sa-4.0",
    "cdla-sharing-1.0",
    "cdla-permissive-1.0",
    "cdla-permissive-2.0",
    "wtfpl",
    "ecl-2.0",
    "epl-1.0",
    "epl-2.0",
    "etalab-2.0",
    "eupl-1.1",
    "eupl-1.2",
    "agpl-3.0",
    "gfdl",
    "gpl",
    "gpl-2.0",
    "gpl-3.0",
    "lgpl",
    "lgpl-2.1",
    "lgpl-3.0",
    "isc",
    "h-research",
    "intel-research",
    "lppl-1.3c",
    "ms-pl",
    "apple-ascl",
    "apple-amlr",
    "mpl-2.0",
    "odc-by",
    "odbl",
    "open-mdw",
    "openrail++",
    "osl-3.0",
    "postgresql",
    "ofl-1.1",
    "ncsa",
    "unlicense",
    "zlib",
    "pddl",
    "lgpl-lr",
    "deepfloyd-if-license",
    "fair-noncommercial-research-license",
    "llama2",
    "llama3",
    "llama3.1",
    "llama3.2",
    "llama3.3",
    "llama4",
    "gemma",
    "unknown",
    "other",
)

SHORT_DESCRIPTION_MAX = 60
OAUTH_EXPIRATION_MAX = 43200
DEFAULT_EMOJI = "🚀"
DEFAULT_COLOR_FROM = "blue"
DEFAULT_COLOR_TO = "indigo"

_DURATION = re.compile(r"^(\d+(\.\d+)?(ms|s|m|h|d))+$")
_PYTHON_VERSION = re.compile(r"^3\.\d+(\.\d+)?$")
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fail(key: str, value: Any, expected: str) -> MetadataError:
    return MetadataError(
        f"README metadata '{key}' is {_show(value)}: it must be {expected}",
        hint=f"fix '{key}' under [tool.spacepack.metadata] or in the README front matter",
    )


def _one_of(allowed: tuple[str, ...]) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if not isinstance(value, str) or value not in allowed:
            close = difflib.get_close_matches(str(value), allowed, n=1) if isinstance(value, str) else []
            guess = f" (did you mean '{close[0]}'?)" if close else ""
            raise _fail(key, value, f"one of {', '.join(allowed)}{guess}")

    return check


def _hardware(key: str, value: Any) -> None:
    # huggingface_hub's flavors, through the Hub adapter (one list); imported only when the key is set.
    from spacepack.hub import HARDWARE

    _one_of(HARDWARE)(key, value)


def _string(key: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, value, "a non-empty string")


def _boolean(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise _fail(key, value, "true or false")


def _string_list(key: str, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise _fail(key, value, "a list of strings")


def _int_range(low: int, high: int) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise _fail(key, value, f"an integer from {low} to {high}")

    return check


def _emoji(key: str, value: Any) -> None:
    # The Hub allows emoji only; letters, digits and punctuation are ASCII, emoji never are.
    if not isinstance(value, str) or not value or len(value) > 10 or any(ord(char) < 128 for char in value):
        raise _fail(key, value, "a single emoji, such as 🚀")


def _sdk(key: str, value: Any) -> None:
    if value != "docker":
        raise _fail(key, value, "docker (spacepack ships Docker Spaces)")


def _python_version(key: str, value: Any) -> None:
    if not isinstance(value, str) or not _PYTHON_VERSION.match(value):
        raise _fail(key, value, 'a version such as "3.11" or "3.11.9"')


def _short_description(key: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > SHORT_DESCRIPTION_MAX:
        length = f" ({len(value)} characters)" if isinstance(value, str) else ""
        raise _fail(key, value, f"a string of at most {SHORT_DESCRIPTION_MAX} characters{length}")


def _base_path(key: str, value: Any) -> None:
    if not isinstance(value, str) or not value.startswith("/"):
        raise _fail(key, value, 'a path starting with "/"')


def _url(key: str, value: Any) -> None:
    if not isinstance(value, str) or not re.match(r"^https?://\S+$", value):
        raise _fail(key, value, "an http(s) URL")


def _duration(key: str, value: Any) -> None:
    if not isinstance(value, str) or not _DURATION.match(value):
        raise _fail(key, value, 'a duration such as "30m", "1h" or "1h30m"')


def _oauth_scopes(key: str, value: Any) -> None:
    _string_list(key, value)
    for scope in value:
        if scope not in OAUTH_SCOPES:
            raise _fail(key, scope, f"made of these scopes: {', '.join(OAUTH_SCOPES)}")


def _authorized_org(key: str, value: Any) -> None:
    if isinstance(value, str) and value.strip():
        return
    if isinstance(value, list) and value and all(isinstance(item, str) and item.strip() for item in value):
        return
    raise _fail(key, value, "an organization name or a list of them")


def _custom_headers(key: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise _fail(key, value, f"a table of headers among {', '.join(CUSTOM_HEADER_KEYS)}")
    for header, header_value in value.items():
        if header not in CUSTOM_HEADER_KEYS:
            allowed = ", ".join(CUSTOM_HEADER_KEYS)
            raise _fail(f"{key}.{header}", header_value, f"under one of these headers: {allowed}")
        if not isinstance(header_value, str) or header_value != header_value.lower() or not header_value:
            raise _fail(f"{key}.{header}", header_value, "a lowercase string")


def _preload_from_hub(key: str, value: Any) -> None:
    _string_list(key, value)
    for item in value:
        parts = item.split()
        ok = 1 <= len(parts) <= 3 and bool(_REPO_ID.match(parts[0]))
        if len(parts) == 3 and not _SHA.match(parts[2]):
            ok = False
        if not ok:
            shapes = '"owner/repo", "owner/repo file1,file2" or "owner/repo file1,file2 <commit sha>"'
            raise _fail(key, item, f"made of items such as {shapes}")


def _repo_ids(key: str, value: Any) -> None:
    _string_list(key, value)
    for item in value:
        if not _REPO_ID.match(item):
            raise _fail(key, item, "a list of Hub repo ids such as owner/name")


_VALIDATORS: dict[str, Callable[[str, Any], None]] = {
    "title": _string,
    "emoji": _emoji,
    "colorFrom": _one_of(COLORS),
    "colorTo": _one_of(COLORS),
    "sdk": _sdk,
    "python_version": _python_version,
    "sdk_version": _string,
    "suggested_hardware": _hardware,
    "suggested_storage": _one_of(STORAGE),
    "app_file": _string,
    "app_build_command": _string,
    "app_port": _int_range(1, 65535),
    "base_path": _base_path,
    "fullWidth": _boolean,
    "header": _one_of(HEADERS),
    "short_description": _short_description,
    "models": _repo_ids,
    "datasets": _repo_ids,
    "tags": _string_list,
    "thumbnail": _url,
    "pinned": _boolean,
    "hf_oauth": _boolean,
    "hf_oauth_scopes": _oauth_scopes,
    "hf_oauth_expiration_minutes": _int_range(1, OAUTH_EXPIRATION_MAX),
    "hf_oauth_authorized_org": _authorized_org,
    "disable_embedding": _boolean,
    "startup_duration_timeout": _duration,
    "custom_headers": _custom_headers,
    "preload_from_hub": _preload_from_hub,
    "license": _one_of(LICENSES),
    "license_name": _string,
    "license_link": _string,
    "duplicated_from": _string,
}
# The order keys are written in: the usual card header first, then the reference's order.
KEY_ORDER = (
    "title",
    "emoji",
    "colorFrom",
    "colorTo",
    "sdk",
    "app_port",
    "short_description",
    "license",
    "license_name",
    "license_link",
    "pinned",
    "tags",
    *(key for key in _VALIDATORS if key not in {"title", "emoji", "colorFrom", "colorTo", "sdk", "app_port"}),
)
KNOWN_KEYS = tuple(dict.fromkeys(KEY_ORDER))


def validate_metadata(metadata: Mapping[str, Any]) -> None:
    """Check Space README metadata against the Spaces configuration reference, offline.

    Args:
        metadata: the front matter, as it would be written.

    Raises:
        MetadataError: the first problem found, naming the key, the bad value and
            what is allowed (with a did-you-mean for misspelt keys).
    """
    if not isinstance(metadata, Mapping):
        raise MetadataError("README metadata must be a table of keys", hint="see the Space metadata keys in the README")
    for key, value in metadata.items():
        if not isinstance(key, str) or key not in _VALIDATORS:
            close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            guess = f" Did you mean '{close[0]}'?" if close else ""
            raise MetadataError(
                f"README metadata has an unknown key {_show(key)}.{guess}",
                hint="remove it, or use one of the Spaces configuration keys listed in the README",
            )
        _VALIDATORS[key](key, value)
    if metadata.get("license") == "other" and "license_name" not in metadata:
        raise MetadataError(
            "README metadata 'license' is 'other' but 'license_name' is missing",
            hint="set license_name (and ship a LICENSE file), or pick a license id from the list",
        )


def short_description(text: str) -> str:
    """A description cut to at most 60 characters, at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= SHORT_DESCRIPTION_MAX:
        return text
    cut = text[: SHORT_DESCRIPTION_MAX - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-") + "…"


def default_metadata(plan: Plan, settings: Settings) -> dict[str, Any]:
    """What spacepack writes when neither the config nor an existing README says otherwise."""
    packages = {canonicalize_name(name) for name in plan.dependencies.packages}
    description = short_description(plan.description) or f"{plan.project_name}: an ASGI backend"
    tags = ["fastapi"] if "fastapi" in packages else []
    return {
        "title": plan.project_name,
        "emoji": DEFAULT_EMOJI,
        "colorFrom": DEFAULT_COLOR_FROM,
        "colorTo": DEFAULT_COLOR_TO,
        "sdk": "docker",
        "app_port": app_port(settings),
        "short_description": short_description(description),
        "pinned": False,
        "tags": [*tags, "spacepack"],
    }


def build_metadata(
    plan: Plan,
    settings: Settings,
    existing: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Space front matter: defaults < an existing README's front matter < the config.

    `sdk` is always docker and `app_port` always the port the Dockerfile serves,
    so the card can never disagree with the image.

    Args:
        plan: what `check` decided (project name, description, packages).
        settings: explicit config (`metadata`, `app_port`).
        existing: front matter of the project's README, if it has one.

    Returns:
        The validated metadata, keys in a stable order.

    Raises:
        MetadataError: the merged metadata breaks the Spaces configuration reference.
    """
    merged, _ = merge_metadata(plan, settings, existing)
    return merged


def merge_metadata(
    plan: Plan,
    settings: Settings,
    existing: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Like `build_metadata`, plus human notes on what was merged or changed."""
    notes: list[str] = []
    merged: dict[str, Any] = default_metadata(plan, settings)
    explicit = dict(settings.metadata)
    if settings.app_port is not None:
        explicit["app_port"] = settings.app_port
    if existing:
        for key, value in existing.items():
            merged[key] = value
    for key, value in explicit.items():
        if existing and key in existing and existing[key] != value:
            notes.append(f"README: {key} {_show(existing[key])} -> {_show(value)} (from your config)")
        merged[key] = value
    port = app_port(settings)
    for key, forced in (("sdk", "docker"), ("app_port", port)):
        if merged.get(key) != forced:
            before = _show(merged.get(key))
            notes.append(f"README: set {key} {before} -> {_show(forced)} (must match the image)")
            merged[key] = forced
    ordered = {key: merged[key] for key in KNOWN_KEYS if key in merged and merged[key] is not None}
    ordered.update({key: value for key, value in merged.items() if key not in ordered and value is not None})
    validate_metadata(ordered)
    return ordered, tuple(notes)
