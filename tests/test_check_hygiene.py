"""Hygiene: hardcoded secrets, .env files, ports and server starts, big files."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest

from spacepack.check.hygiene import scan_hygiene
from spacepack.check.tree import load_tree
from tests.helpers import build_file_tree

# Fake tokens are assembled at run time so nothing token-shaped sits in the repository.
LETTERS = string.ascii_letters
FAKE_TOKENS = {
    "Hugging Face token": "hf_" + LETTERS[3:37],
    "OpenAI-style API key": "sk-" + "proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8t",
    "AWS access key id": "AKIA" + "IOSFODNN7EXAMPL3",
    "GitHub token": "ghp_" + LETTERS[:26] + "0123456789",
    "Slack token": "xoxb-" + "1234567890-" + LETTERS[10:30],
    "Stripe live key": "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
}


def scan(tmp_path: Path, spec: dict[str, str | bytes], backend: str = "."):
    build_file_tree(tmp_path, spec)
    return scan_hygiene(load_tree(tmp_path), backend)


def by_code(report, code: str):
    return [f for f in report.findings if f.code == code]


def assert_no_value(report, value: str) -> None:
    dumped = json.dumps([f.to_json() for f in report.findings])
    assert value[5:] not in dumped


@pytest.mark.parametrize("kind", sorted(FAKE_TOKENS))
def test_each_token_format_is_an_error_without_its_value(tmp_path: Path, kind: str) -> None:
    token = FAKE_TOKENS[kind]
    report = scan(tmp_path, {"app/settings.yaml": f"first: line\nkey: {token}\n"})
    [finding] = by_code(report, "SP310")
    assert finding.severity == "error" and kind in finding.message
    assert (finding.path, finding.line) == ("app/settings.yaml", 2)
    assert report.secret_files == ("app/settings.yaml",)
    assert_no_value(report, token)


def test_placeholder_tokens_in_docs_are_not_flagged(tmp_path: Path) -> None:
    report = scan(tmp_path, {"README.md": "export HF_TOKEN=hf_" + "x" * 34 + "\nsk-" + "learn-is-a-css-class-name\n"})
    assert report.findings == ()


def test_password_inside_a_db_url(tmp_path: Path) -> None:
    password = "S3cr" + "etPassw0rd"
    report = scan(
        tmp_path,
        {
            "db.py": f'URL = "postgresql://app:{password}@db.example.com:5432/app"\n'
            'LOCAL = "postgresql://postgres:postgres@localhost/app"\n'
            'TEMPLATE = "postgresql://app:${DB_PASSWORD}@db/app"\n',
        },
    )
    [finding] = by_code(report, "SP310")
    assert finding.line == 1 and "password in a URL" in finding.message
    assert "S3cr****" in finding.message
    assert_no_value(report, password)


def test_high_entropy_literal_under_secret_name(tmp_path: Path) -> None:
    value = "9f8e7d6c" + "5b4a39281706f5e4d3c2b1a0"
    report = scan(
        tmp_path,
        {
            "config.py": f'JWT_SECRET = "{value}"\nclient = make(api_key="{value}")\n'
            f'CREDS = {{"password": "{value}"}}\n'
            f'TOKEN_URL = "https://example.com/oauth/token/{value}"\n'
            'ALGORITHM = "HS256"\nACCESS_TOKEN_EXPIRE_MINUTES = 30\nCOMMIT_SHA = "' + value + '"\n'
        },
    )
    assert [f.line for f in by_code(report, "SP311")] == [1, 2, 3]
    assert report.secret_files == ("config.py",)
    assert_no_value(report, value)


@pytest.mark.parametrize("placeholder", ["changethis", "change-me", "your-secret-here", "xxx", "secret", "dev", ""])
def test_placeholder_defaults_of_secret_env_reads_warn(tmp_path: Path, placeholder: str) -> None:
    report = scan(tmp_path, {"main.py": f'import os\nSECRET_KEY = os.getenv("SECRET_KEY", "{placeholder}")\n'})
    [finding] = by_code(report, "SP312")
    assert finding.severity == "warning" and finding.line == 2
    assert report.secret_files == ()


def test_settings_field_defaults(tmp_path: Path) -> None:
    value = "Zq8" + "v2LmN5xR7tYp3kWj9"
    report = scan(
        tmp_path,
        {
            "s.py": "from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n"
            f'    secret_key: str = "changethis"\n    api_token: str = "{value}"\n    debug: str = "dev"\n'
        },
    )
    assert [(f.code, f.line) for f in report.findings] == [("SP311", 4), ("SP312", 3)]


def test_dotenv_file_lists_names_never_values(tmp_path: Path) -> None:
    report = scan(
        tmp_path,
        {"backend/.env": "DB_PASSWORD=hunter2-very-secret\nexport DEBUG=1\n", "backend/main.py": "x = 1\n"},
        backend="backend",
    )
    [finding] = by_code(report, "SP313")
    assert finding.path == "backend/.env"
    assert "DB_PASSWORD, DEBUG" in finding.message
    assert "hunter2" not in json.dumps(finding.to_json())
    assert "backend/.env" in report.secret_files


def test_uvicorn_run_under_main_with_port_reload_and_localhost(tmp_path: Path) -> None:
    report = scan(
        tmp_path,
        {
            "main.py": 'import uvicorn\napp = object()\nif __name__ == "__main__":\n'
            '    uvicorn.run("main:app", host="127.0.0.1", port=8000, reload=True)\n'
        },
    )
    assert [(f.code, f.line) for f in report.findings] == [("SP320", 4), ("SP321", 4), ("SP322", 4)]
    assert "$PORT" in report.findings[0].hint


def test_uvicorn_run_at_import_is_flagged_even_without_a_port(tmp_path: Path) -> None:
    report = scan(tmp_path, {"serve.py": "from uvicorn import run\nrun('main:app', host='0.0.0.0')\n"})
    [finding] = by_code(report, "SP320")
    assert "imported" in finding.message


def test_dockerfile_procfile_and_scripts_pinning_ports(tmp_path: Path) -> None:
    report = scan(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11-slim\nEXPOSE 8000\nCMD uvicorn main:app --port ${PORT:-7860}\n",
            "Procfile": "web: uvicorn main:app --host 0.0.0.0 --port 8000\n",
            "start.sh": "#!/bin/sh\n# --port 1234 in a comment\nuvicorn main:app --reload --host 127.0.0.1\n"
            "gunicorn -b 0.0.0.0:9000 main:app\n",
            "ok.sh": 'uvicorn main:app --port "$PORT"\n',
        },
    )
    found = sorted((f.code, f.path, f.line) for f in report.findings)
    assert found == [
        ("SP321", "start.sh", 3),
        ("SP322", "start.sh", 3),
        ("SP323", "Dockerfile", 2),
        ("SP324", "Procfile", 1),
        ("SP324", "start.sh", 4),
    ]


def test_big_files_warn(tmp_path: Path) -> None:
    report = scan(tmp_path, {"model.bin": b"\0" * (10 * 1024 * 1024 + 1), "small.bin": b"\0" * 10})
    [finding] = by_code(report, "SP330")
    assert finding.path == "model.bin" and finding.severity == "warning"


def test_syntax_errors_and_binary_files_are_skipped(tmp_path: Path) -> None:
    report = scan(tmp_path, {"broken.py": "def (:\n", "data.bin": b"\xff\xfe\x00hf_", "ok.py": "\ufeffx = 1\n"})
    assert report.findings == ()


def test_values_that_say_they_are_fake_and_local_db_passwords_pass(tmp_path: Path) -> None:
    report = scan(
        tmp_path,
        {
            "tests/conftest.py": 'TEST_SECRET = "test-only-secret-' + "0123456789abcdef" + '"\n',
            "db.py": 'A = "postgresql://u:p@db.internal/x"\nB = "postgresql://app:'
            + "Rz7q"
            + 'Lp2x@localhost:5432/x"\n',
        },
    )
    assert report.findings == ()


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("tests/test_auth.py", "under tests/"),
        ("app/test_tokens.py", "a test"),
        ("docs/deploy.md", "under docs/"),
        ("README.md", "documentation"),
        ("examples/client.py", "under examples/"),
        (".github/workflows/deploy.yml", "under .github/"),
        ("compose.cloudsql.yaml", "a compose file"),
        ("docker-compose.prod.yml", "a compose file"),
        ("Dockerfile", "build or CI configuration"),
    ],
)
def test_a_credential_in_a_file_the_space_never_uses_is_a_warning_and_stays_out(
    tmp_path: Path, path: str, why: str
) -> None:
    token = FAKE_TOKENS["Hugging Face token"]
    report = scan(tmp_path, {"main.py": "x = 1\n", path: f"HF = '{token}'\n"})
    assert by_code(report, "SP310") == []
    [warning] = by_code(report, "SP315")
    assert warning.severity == "warning" and why in warning.message and warning.path == path
    assert report.secret_files == (path,)  # it never ships, so nothing leaks
    assert_no_value(report, token)


def test_a_credential_in_app_code_or_config_the_app_may_read_stays_an_error(tmp_path: Path) -> None:
    password = "Np9" + "xQ2vLk7RtZ"
    url = f"postgresql://app:{password}@db.example.com/app"
    report = scan(
        tmp_path,
        {
            "app/main.py": "x = 1\n",
            "alembic.ini": f"sqlalchemy.url = {url}\n",
            "scripts/seed.py": f"URL = '{url}'\n",
            "app/auth.py": "SECRET_KEY = '"
            + "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7"
            + "'\n",
        },
    )
    assert {f.path for f in by_code(report, "SP310")} == {"alembic.ini", "scripts/seed.py"}
    assert [f.path for f in by_code(report, "SP311")] == ["app/auth.py"]
    assert by_code(report, "SP315") == []


def test_an_example_password_in_docs_is_a_warning_and_the_readme_still_ships(tmp_path: Path) -> None:
    report = scan(
        tmp_path,
        {"main.py": "x = 1\n", "README.md": "DATABASE_URL=postgresql://myuser:mypassword@db:5432/mydatabase\n"},
    )
    assert [f.severity for f in report.findings] == ["warning"]
    assert "reads like an example" in report.findings[0].message
    assert report.secret_files == ()


def test_files_outside_the_working_folder_never_ship(tmp_path: Path) -> None:
    from spacepack.check.hygiene import unused_on_space

    assert unused_on_space("ops/deploy.yaml", "backend") == "outside the app's folder, so it never ships"
    assert unused_on_space("backend/app/config.yaml", "backend") is None
    assert unused_on_space("backend/scripts/seed.py", "backend") is None  # scripts may run at start-up
    assert unused_on_space("backend/alembic/env.py", ".") is None
    token = FAKE_TOKENS["GitHub token"]
    build_file_tree(tmp_path, {"backend/main.py": "x = 1\n", "ops/deploy.yaml": f"token: {token}\n"})
    report = scan_hygiene(load_tree(tmp_path), "backend", working_dir="backend")
    assert [f.code for f in report.findings] == ["SP315"]
