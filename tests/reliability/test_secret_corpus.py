"""The secret scan on two corpora: token formats it must catch, and look-alikes it must not flag as errors.

Real-shaped tokens are generated at test time (random bodies with each
vendor's prefix and length), so no token-shaped literal is committed. The
look-alikes are what real repositories hold: hashes, UUIDs, base64 data,
CSS classes, documentation placeholders, public JWTs, readable stand-ins.
An error finding blocks a user, so the look-alike corpus must give zero errors.
"""

from __future__ import annotations

import base64
import json
import random
import string
from pathlib import Path

import pytest

from spacepack.check.hygiene import scan_hygiene
from spacepack.check.secrets_scan import is_hardcoded_secret, scan_file, scan_text
from spacepack.check.tree import load_tree
from tests.helpers import build_file_tree

_RANDOM = random.Random(1312)


def _body(length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_RANDOM.choice(alphabet) for _ in range(length))


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.{_body(43, string.ascii_letters + '-_')}"


# (kind the scan reports, a line holding a generated token of that format)
REAL_SHAPED: list[tuple[str, str]] = [
    ("Hugging Face token", f'HF = "hf_{_body(34, string.ascii_letters)}"'),
    ("Hugging Face organization token", f'ORG = "api_org_{_body(34, string.ascii_letters)}"'),
    ("GitLab token", f"token: glpat-{_body(20)}"),
    ("npm token", f"//registry.npmjs.org/:_authToken=npm_{_body(36)}"),
    ("PyPI token", f"password = pypi-AgEIcHlwaS5vcmc{_body(70, string.ascii_letters + string.digits + '-_')}"),
    ("SendGrid API key", f"SENDGRID = 'SG.{_body(22)}.{_body(43)}'"),
    ("JSON Web Token", f"AUTH = '{_jwt({'sub': 'svc-7', 'role': 'service_role', 'exp': 1999999999})}'"),
    ("AWS secret access key", f"aws_secret_access_key = {_body(18)}/{_body(10)}+{_body(10)}"),
    ("AWS access key id", f"aws_access_key_id = AKIA{_body(16, string.ascii_uppercase + string.digits)}"),
    ("GitHub token", f"GH = 'ghp_{_body(36)}'"),
    ("Google API key", f"KEY = 'AIza{_body(35)}'"),
    ("Groq API key", f"GROQ = 'gsk_{_body(52)}'"),
    ("private key", "-----BEGIN OPENSSH PRIVATE KEY-----"),
]

LOOK_ALIKES = """\
import hashlib
SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
UUID = "123e4567-e89b-12d3-a456-426614174000"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
CSS = "sk-button sk-button-primary sk-loading-spinner-large"
HF_DOWNLOAD = "hf_hub_download"
ORG_FIELD = "api_org_name"
NPM_CACHE = "npm_config_cache_folder_location"
SG_CLASS = "SG.example.com"
PLACEHOLDER_HF = "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
PLACEHOLDER_OPENAI = "sk-your-api-key-here"
DOC_JWT = "@DOC_JWT@"
AWS_DOCS_KEY_NAME = "aws_secret_access_key"
PATH = "/usr/local/lib/python3.11/site-packages/fastapi/applications.py"
URL = "https://github.com/acme/todo-backend/blob/main/src/main.py"
DB = "postgresql://postgres:postgres@localhost:5432/app"
DB_ENV = "postgresql://${DB_USER}:${DB_PASSWORD}@db:5432/app"
SECRET_KEY = "dev-secret-key-minimum-32-characters-long"
API_KEY = "your-api-key-here"
PASSWORD = "changeme"
DB_PASSWORD = "admin123"
JWT_ALGORITHM = "HS256"
TOKEN_URL = "/auth/token"
PASSWORD_HASH_SCHEME = "bcrypt_sha256"
""".replace(
    # jwt.io's example token, found in countless READMEs and tests.
    "@DOC_JWT@",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
)


@pytest.mark.parametrize(("kind", "line"), REAL_SHAPED, ids=[kind for kind, _ in REAL_SHAPED])
def test_every_token_format_is_caught(kind: str, line: str) -> None:
    hits = [hit for hit in scan_text(f"x = 1\n{line}\n") if not hit.placeholder]
    assert [hit.kind for hit in hits] == [kind], hits
    assert hits[0].line == 2


def test_the_look_alike_corpus_gives_no_token_hit() -> None:
    hits = [hit for hit in scan_text(LOOK_ALIKES) if not hit.placeholder]
    assert hits == []


def test_the_look_alike_corpus_gives_zero_error_findings(tmp_path: Path) -> None:
    build_file_tree(
        tmp_path,
        {
            "main.py": "import os\nfrom fastapi import FastAPI\napp = FastAPI()\n" + LOOK_ALIKES,
            "settings.py": "import os\n"
            'SECRET_KEY = os.getenv("SECRET_KEY", "dev-secret-key-minimum-32-characters-long")\n'
            'API_KEY = os.getenv("API_KEY", "your-api-key-here")\nPASSWORD = os.getenv("PASSWORD", "changeme")\n',
            "README.md": "Set `HF_TOKEN=hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx` and `OPENAI_API_KEY=sk-...`.\n",
        },
        dedent=False,
    )
    report = scan_hygiene(load_tree(tmp_path), ".")
    errors = [f for f in report.findings if f.severity == "error"]
    assert errors == [], [f.message for f in errors]
    placeholders = [f for f in report.findings if f.code == "SP312"]
    assert len(placeholders) == 3, [f.message for f in report.findings]


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("DB_PASSWORD", "Tr0ub4dor&3", True),
        ("SMTP_PASS", "P@ssw0rd!x", True),
        ("ADMIN_PASSWORD", "changeme", False),
        ("DB_PASSWORD", "admin123", False),
        ("PASSWORD", "correct-horse-battery-staple", False),
        ("SECRET_KEY", "dev-secret-key-minimum-32-characters-long", False),
        ("SECRET_KEY", _body(40), True),
        ("USERNAME", "Tr0ub4dor&3", False),
    ],
)
def test_short_real_passwords_are_secrets_and_readable_stand_ins_are_not(name: str, value: str, secret: bool) -> None:
    assert is_hardcoded_secret(name, value) is secret


def test_big_nul_and_utf16_files_are_scanned(tmp_path: Path) -> None:
    token = f"hf_{_body(34, string.ascii_letters)}"
    big = tmp_path / "big.txt"
    big.write_text("filler line\n" * 200_000 + f"HF_TOKEN={token}\n")  # about 2.4 MB
    with_nul = tmp_path / "data.bin"
    with_nul.write_bytes(b"\x00\x01binary\x00" * 100 + f"key={token}".encode() + b"\x00" * 10)
    utf16 = tmp_path / "settings.ps1"
    utf16.write_bytes(f"$env:HF_TOKEN = '{token}'\r\n".encode("utf-16"))
    utf16_no_bom = tmp_path / "notes.txt"
    utf16_no_bom.write_bytes(f"token {token}\n".encode("utf-16-le"))
    for path in (big, with_nul, utf16, utf16_no_bom):
        assert [hit.value for hit in scan_file(path)] == [token], path.name
