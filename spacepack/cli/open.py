"""`spacepack open`: print the Space's app URL, and open it in a browser when there is a display."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from spacepack.cli._app import app
from spacepack.cli._options import PathArg, SpaceOpt, with_flags
from spacepack.cli._output import Document, json_mode, say


def has_display() -> bool:
    """Whether a browser could show a page: a desktop session (macOS, Windows, X11 or Wayland), not CI."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@app.command(name="open")
@with_flags()
def open_space(path: PathArg = Path(), space: SpaceOpt = None) -> Document:
    """Print the Space's app URL (https://<owner>-<name>.hf.space); open it in a browser when there is a display.

    Offline: the URL follows from the Space id, so no token is needed.
    """
    import webbrowser

    from spacepack import hub
    from spacepack.config import load_settings
    from spacepack.errors import UsageError

    settings = load_settings(path, flags={"space": space}, environ=os.environ)
    if not settings.space:
        raise UsageError("no Space given", hint="pass --space OWNER/NAME, or set space in the config")
    space_id = hub.SpaceId.parse(settings.space)
    opened = has_display() and webbrowser.open(space_id.app_url)
    document = Document(
        {
            "space_id": space_id.repo_id,
            "app_url": space_id.app_url,
            "url": space_id.page_url(hub.hub_endpoint(os.environ)),
            "opened": opened,
        }
    )
    if not json_mode():
        print(space_id.app_url, flush=True)
        if opened:
            say("opened in the browser")
    return document
