"""WSGI apps (Flask, Django's wsgi.py, Bottle, Falcon) are found and served with `--interface wsgi`;
Gradio, Streamlit and apps under a main guard get a finding that says what to do instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from spacepack.check import check_project, decide_entry
from spacepack.check.tree import load_tree
from spacepack.config import Settings, load_settings
from spacepack.render.dockerfile import uvicorn_command
from tests.helpers import SAMPLE_APP, build_file_tree

FLASK_APP = """
    from flask import Flask

    app = Flask(__name__)

    @app.route("/health")
    def health():
        return {"status": "ok"}

    @app.route("/")
    def index():
        return "hello"
"""


def decide(root: Path, spec: dict[str, str]):
    build_file_tree(root, spec)
    return decide_entry(load_tree(root), Settings(project_dir=root.resolve()))


def test_a_flask_app_is_found_and_served_through_the_wsgi_interface(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"requirements.txt": "flask\n", "app.py": FLASK_APP})
    plan = check_project(load_settings(tmp_path))
    assert (plan.entry, plan.interface, plan.health_path) == ("app:app", "wsgi", "/health")
    assert plan.errors == ()
    assert plan.to_json()["interface"] == "wsgi"
    command = uvicorn_command(plan)
    assert "exec uvicorn app:app --interface wsgi --host 0.0.0.0" in command


@pytest.mark.parametrize(
    ("source", "framework_entry"),
    [
        (
            "import os\nfrom django.core.wsgi import get_wsgi_application\n"
            'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site.settings")\n'
            "application = get_wsgi_application()\n",
            "wsgi:application",
        ),
        ("import bottle\napi = bottle.Bottle()\n", "wsgi:api"),
        ("import falcon\nservice = falcon.App()\n", "wsgi:service"),
        ("from flask import Flask as F\nclass MyFlask(F):\n    pass\nserver = MyFlask(__name__)\n", "wsgi:server"),
    ],
)
def test_other_wsgi_apps(tmp_path: Path, source: str, framework_entry: str) -> None:
    decision = decide(tmp_path, {"wsgi.py": source})
    assert (decision.entry, decision.interface) == (framework_entry, "wsgi")


def test_falcon_asgi_stays_asgi_and_asgi_wins_a_tie_with_wsgi(tmp_path: Path) -> None:
    asgi = decide(tmp_path / "a", {"main.py": "import falcon.asgi\napp = falcon.asgi.App()\n"})
    assert asgi.interface == "asgi"
    django = decide(
        tmp_path / "b",
        {
            "site/__init__.py": "",
            "site/wsgi.py": "from django.core.wsgi import get_wsgi_application\napplication = get_wsgi_application()\n",
            "site/asgi.py": "from django.core.asgi import get_asgi_application\napplication = get_asgi_application()\n",
        },
    )
    assert (django.entry, django.interface) == ("site.asgi:application", "asgi")


def test_a_fastapi_app_is_asgi(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {"requirements.txt": "fastapi\n", "main.py": SAMPLE_APP})
    plan = check_project(load_settings(tmp_path))
    assert plan.interface == "asgi" and "--interface" not in uvicorn_command(plan)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        (
            'import gradio as gr\ndemo = gr.Interface(fn=str.upper, inputs="text", outputs="text")\ndemo.launch()\n',
            ["a Gradio app", "sdk: gradio", "mount_gradio_app"],
        ),
        (
            'import streamlit as st\nst.title("Hello")\n',
            ["a Streamlit app", "streamlit run app.py --server.port $PORT"],
        ),
    ],
)
def test_gradio_and_streamlit_apps_are_named_with_what_serves_them(
    tmp_path: Path, source: str, words: list[str]
) -> None:
    decision = decide(tmp_path, {"app.py": source})
    assert [f.code for f in decision.findings] == ["SP140"]
    text = decision.findings[0].message + decision.findings[0].hint
    assert all(word in text for word in words)
    assert "no ASGI" not in decision.findings[0].message.replace("not an ASGI", "")


def test_an_app_created_under_a_main_guard_is_told_to_move_out(tmp_path: Path) -> None:
    decision = decide(
        tmp_path,
        {
            "main.py": """
                import uvicorn
                from fastapi import FastAPI

                if __name__ == "__main__":
                    app = FastAPI()
                    uvicorn.run(app, port=8000)
            """
        },
    )
    [found] = decision.findings
    assert (found.code, found.severity, found.path, found.line) == ("SP141", "error", "main.py", 5)
    assert "move `app = ...`" in found.hint


def test_no_app_at_all_is_still_sp100(tmp_path: Path) -> None:
    decision = decide(tmp_path, {"tool.py": "print('hi')\n"})
    assert [f.code for f in decision.findings] == ["SP100"]
    assert "no ASGI or WSGI app" in decision.findings[0].message


@pytest.mark.docker
def test_a_flask_app_builds_and_smokes_healthy_through_uvicorns_wsgi_interface(
    docker_client, docker_cleanup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import uuid

    from spacepack import engine
    from spacepack.smoke import SMOKE_LABEL
    from tests.helpers import run_cli

    project = build_file_tree(tmp_path / "flask-api", {"requirements.txt": "flask\n", "app.py": FLASK_APP})
    tag = f"spacepack-test/flask-{uuid.uuid4().hex[:8]}:test"
    docker_cleanup["images"].append(tag)
    code, out, err = run_cli(["build", str(project), "--tag", tag, "--json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert engine.image_attrs(docker_client, tag)["Id"] == document["image"]["id"]
    dockerfile = (project / ".spacepack" / "context" / "Dockerfile").read_text()
    assert "exec uvicorn app:app --interface wsgi" in dockerfile
    smoke = document["smoke"]
    assert smoke["verdict"] == "healthy", smoke
    assert [(p["path"], p["status"]) for p in smoke["probes"][:2]] == [("/health", 200), ("/", 200)]
    assert not docker_client.containers.list(all=True, filters={"label": f"{SMOKE_LABEL}=1", "ancestor": tag})
