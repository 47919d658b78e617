"""Bytes sent to the Hub double when re-pushing after a one-file change.

spacepack's `push_context` (it diffs git blob ids against the Space's tree and
commits only what changed) against huggingface_hub's `upload_folder` of the
same rendered context folder, both through the real client.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from huggingface_hub import HfApi

from spacepack.hub import get_hf_api
from spacepack.plan import Plan
from spacepack.push import PushOptions, push_context
from spacepack.render.context import Context
from tests.hub_double import HubDouble


@contextmanager
def hub_double(home: Path) -> Iterator[HubDouble]:
    """The double on 127.0.0.1, with the client kept away from any login of this machine."""
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("HF_", "HUGGING_FACE"))}
    os.environ["HF_HOME"] = str(home)
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    try:
        with HubDouble() as double:
            yield double
    finally:
        for key in [k for k in os.environ if k.startswith(("HF_", "HUGGING_FACE"))]:
            del os.environ[key]
        os.environ.update(saved)


def _sent_since(double: HubDouble, mark: int) -> int:
    return sum(request.body_size for request in double.requests[mark:])


def repush_spacepack(
    double: HubDouble, space: str, first: Context, plan: Plan, change: Callable[[], tuple[Context, Plan]]
) -> int:
    """Push `first`, apply `change` (which re-renders), push again: bytes of the second push."""
    api = get_hf_api(double.WRITE_TOKEN, endpoint=double.url)
    # The double's Space never runs the app: its start-up secrets do not matter to the bytes sent.
    push_context(api, space, first, plan, PushOptions(message="first", allow_missing_secrets=True))
    context, new_plan = change()
    mark = len(double.requests)
    report = push_context(api, space, context, new_plan, PushOptions(message="one change", allow_missing_secrets=True))
    if report.commit_oid is None:
        raise RuntimeError("the re-push made no commit: the change did not reach the context")
    return _sent_since(double, mark)


def repush_upload_folder(double: HubDouble, space: str, folder: Path, change: Callable[[], object]) -> int:
    """`upload_folder` of the whole folder, a change, `upload_folder` again: bytes of the second upload."""
    api = HfApi(endpoint=double.url, token=double.WRITE_TOKEN)
    api.create_repo(space, repo_type="space", space_sdk="docker", exist_ok=True)
    api.upload_folder(folder_path=str(folder), repo_id=space, repo_type="space", commit_message="first")
    change()
    mark = len(double.requests)
    api.upload_folder(folder_path=str(folder), repo_id=space, repo_type="space", commit_message="one change")
    return _sent_since(double, mark)
