"""Secret detection: known token formats in text, secret-like names, entropy, placeholders.

Hand-written on purpose (see the README note on detect-secrets): a dozen
compiled patterns over the files that ship, each hit filtered by entropy so
documentation placeholders (`hf_xxxx...`) do not count. A finding never
carries a value; callers show `spacepack.masking.preview` at most.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# (kind, pattern); group "value" is the secret, when not the whole match. The formats follow the
# vendors' documentation and gitleaks' default rule set (https://github.com/gitleaks/gitleaks,
# config/gitleaks.toml, MIT License): a subset, rewritten so each pattern is anchored on a fixed
# prefix (cheap to find, no backtracking) and checked against our look-alike corpus
# (tests/reliability/test_secret_corpus.py).
_TOKEN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("Hugging Face token", r"\bhf_[A-Za-z]{34}\b"),
    ("Hugging Face organization token", r"\bapi_org_[A-Za-z]{34}\b"),
    ("OpenAI-style API key", r"\bsk-(?:proj-|svcacct-|admin-|ant-api\d\d-)?[A-Za-z0-9_-]{20,}"),
    ("AWS access key id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ABIA|ACCA|A3T[A-Z0-9])[0-9A-Z]{16}\b"),
    (
        "AWS secret access key",
        r"(?i:aws_?secret_?(?:access_?)?key)[\"']?\s*[:=]\s*[\"']?(?P<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
    ),
    ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{60,}\b"),
    ("GitLab token", r"\bgl(?:pat|dt|rt|ptt|cbt|soat)-[0-9A-Za-z_-]{20,}"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("PyPI token", r"\bpypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}"),
    ("SendGrid API key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("Slack webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9+/]{30,}"),
    ("Stripe live key", r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("JSON Web Token", r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{16,}"),
    ("Groq API key", r"\bgsk_[A-Za-z0-9]{52}\b"),
    ("Replicate token", r"\br8_[A-Za-z0-9]{37}\b"),
    ("DigitalOcean token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    ("age secret key", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
    ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
)
# Named groups of the patterns that capture their secret in `value` (renamed per pattern in _TOKENS).
_VALUE_GROUPS = {i: f"v{i}" for i, (_, pattern) in enumerate(_TOKEN_PATTERNS) if "(?P<value>" in pattern}
_TOKENS = re.compile(
    "|".join(
        f"(?P<t{i}>{pattern.replace('(?P<value>', f'(?P<v{i}>')})" for i, (_, pattern) in enumerate(_TOKEN_PATTERNS)
    )
)

# scheme://user:password@host - the password group only.
_URL_PASSWORD = re.compile(
    r"\b[A-Za-z][A-Za-z0-9+.-]{1,30}://[^\s:/@'\"`<>]{1,128}:(?P<password>[^\s@/'\"`<>]{1,256})@(?P<host>[^\s/'\"`<>@]+)"
)
# Credentials of a database on the developer's machine are not a deploy secret.
_LOCAL_HOST = re.compile(r"^(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?$", re.IGNORECASE)

# Values that are obviously not real: defaults people ship meaning "set me".
PLACEHOLDERS = frozenset(
    {
        "",
        "changethis",
        "changeme",
        "change-me",
        "change_me",
        "change-this",
        "change_this",
        "your-secret-here",
        "your_secret_here",
        "your-secret-key",
        "your_secret_key",
        "yoursecretkey",
        "your-api-key",
        "your_api_key",
        "your-token",
        "your_token",
        "secret",
        "secretkey",
        "secret-key",
        "secret_key",
        "mysecret",
        "supersecret",
        "password",
        "pass",
        "passwd",
        "dev",
        "development",
        "test",
        "testing",
        "example",
        "default",
        "todo",
        "xxx",
        "none",
        "null",
        "insecure",
        "not-a-secret",
        "dummy",
        "fake",
        "placeholder",
        "postgres",
        "root",
        "admin",
        "user",
    }
)
_PLACEHOLDER_SHAPES = re.compile(
    r"^(?:x+|\*+|\.+|-+|<[^>]*>|\$\{[^}]*\}|\$[A-Z_][A-Z0-9_]*|\{[^}]*\}|%\([^)]*\)s|%s|"
    r"(?:your|my|some|insert|replace|put|enter|add)[-_ ].*|.*[-_]here|change[-_ ]?(?:me|this).*|.*(?:x{4,}).*)$",
    re.IGNORECASE,
)

_SECRET_NAME = re.compile(
    r"SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|PRIVATE_?KEY|CREDENTIAL|ACCESS_?KEY|AUTH_?KEY|"
    r"SIGNING_?KEY|ENCRYPTION_?KEY|SESSION_?KEY|JWT_?KEY|CLIENT_?KEY|WEBHOOK_?KEY|MASTER_?KEY|"
    r"(?:^|_)PWD(?:$|_)|(?:^|_)DSN$|(?:^|_)(?:DATABASE|DB|REDIS|MONGO(?:DB)?|POSTGRES|MYSQL|AMQP|BROKER)_(?:URL|URI)$"
)
# Parts that say the value is about a secret, not the secret itself.
_NOT_A_SECRET = re.compile(
    r"EXPIRE|EXPIRY|ALGORITHM|(?:^|_)TYPE(?:$|_)|LENGTH|(?:^|_)TTL(?:$|_)|LIFETIME|MINUTES|HOURS|DAYS|SECONDS|"
    r"HEADER|(?:^|_)NAME(?:$|_)|PREFIX|(?:^|_)PATH(?:$|_)|(?:^|_)FILE(?:$|_)|(?:^|_)DIR(?:$|_)|ENDPOINT|"
    r"(?:^|_)FIELD|LIMIT|(?:^|_)ENABLED?(?:$|_)|(?:^|_)URL$|(?:^|_)URI$|TOKENIZER|(?:^|_)MAX(?:$|_)|(?:^|_)MIN(?:$|_)"
)
_DB_URL_NAME = re.compile(
    r"(?:^|_)DSN$|(?:^|_)(?:DATABASE|DB|REDIS|MONGO(?:DB)?|POSTGRES|MYSQL|AMQP|BROKER)_(?:URL|URI)$"
)


def _upper(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper().replace("-", "_")


def is_secret_name(name: str) -> bool:
    """Whether an env var or variable name looks like it holds a secret (token, key, password, DB URL)."""
    upper = _upper(name)
    if _DB_URL_NAME.search(upper):
        return True  # DATABASE_URL carries a password, so it is set as a secret
    return bool(_SECRET_NAME.search(upper)) and not _NOT_A_SECRET.search(upper)


def holds_secret_value(name: str) -> bool:
    """Like `is_secret_name`, minus URL-style names: their secret is the password inside, checked apart."""
    return is_secret_name(name) and not _DB_URL_NAME.search(_upper(name))


def shannon_entropy(value: str) -> float:
    """Bits of entropy per character of a string."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def is_placeholder(value: str) -> bool:
    """Whether a literal is an obvious stand-in ("changethis", "your-secret-here", "xxx", "")."""
    stripped = value.strip().strip("'\"")
    return stripped.lower() in PLACEHOLDERS or bool(_PLACEHOLDER_SHAPES.match(stripped))


_SAYS_FAKE = re.compile(r"test|dummy|fake|example|sample|placeholder|not[-_]?a[-_]?real|insecure", re.IGNORECASE)

# A literal this random and this long, under a secret-like name, is a real secret.
MIN_SECRET_LENGTH = 16
MIN_SECRET_ENTROPY = 3.5


def looks_random(value: str) -> bool:
    """High-entropy, long, one word: what generated keys look like (and prose, URLs and paths do not)."""
    if len(value) < MIN_SECRET_LENGTH or any(c.isspace() for c in value):
        return False
    if "://" in value or value.startswith(("/", "./", "{", "$")) or is_placeholder(value) or is_readable(value):
        return False
    if _SAYS_FAKE.search(value):
        return False  # "test-only-secret-0123...": random-looking on purpose, and says so
    return shannon_entropy(value) >= MIN_SECRET_ENTROPY


_WORD_SEPARATORS = re.compile(r"[-_.:/ ]+")
_VOWELS = frozenset("aeiouyAEIOUY")


def _is_word(part: str) -> bool:
    if part.isdigit():
        return len(part) <= 4  # "32", "2024": a number in a sentence, not a key
    return (
        part.isascii()
        and part.isalpha()
        and len(part) <= 20
        and (part.islower() or part.isupper() or part.istitle())
        and (len(part) <= 3 or any(c in _VOWELS for c in part))
    )


def is_readable(value: str) -> bool:
    """Words joined by `-`, `_`, `.` or spaces: a stand-in someone typed ("dev-secret-key-minimum-32-characters-long").

    Such a value is a placeholder to replace (a warning), not a leaked key (an error).
    """
    parts = [part for part in _WORD_SEPARATORS.split(value.strip()) if part]
    return len(parts) >= 2 and all(_is_word(part) for part in parts)


_PASSWORD_NAME = re.compile(r"PASSWORD|PASSWD|PASSPHRASE|(?:^|_)PWD(?:$|_)|(?:^|_)PASS(?:$|_)")
MIN_PASSWORD_LENGTH = 8


def looks_like_password(name: str, value: str) -> bool:
    """A real password under a password-like name: 8+ characters mixing 3 of lower, upper, digits and symbols.

    Short ones escape `looks_random` (too short for the entropy test); a
    plain word or `admin123` stays a weak default (a warning), not an error.
    """
    if not _PASSWORD_NAME.search(_upper(name)) or len(value) < MIN_PASSWORD_LENGTH or len(value) > 128:
        return False
    if any(c.isspace() for c in value) or is_placeholder(value) or is_readable(value) or _SAYS_FAKE.search(value):
        return False
    if "://" in value or value.startswith(("/", "./", "{", "$", "%")):
        return False
    classes = (
        any(c.islower() for c in value)
        + any(c.isupper() for c in value)
        + any(c.isdigit() for c in value)
        + any(not c.isalnum() and c not in "-_." for c in value)  # separators are not password symbols
    )
    return classes >= 3


def is_hardcoded_secret(name: str, value: str) -> bool:
    """Whether a literal bound to `name` is a real secret: random-looking, or a real password."""
    return looks_random(value) or looks_like_password(name, value)


@dataclass(frozen=True)
class TokenHit:
    """A known token format (or a password in a URL) found in a text file."""

    kind: str
    value: str  # never put in a finding; callers preview it
    line: int
    placeholder: bool = False  # a URL password that is an obvious stand-in ("postgres", "${DB_PASSWORD}")


# Real tokens are random; a body this repetitive is a documentation stand-in ("hf_xxxx...").
_MIN_TOKEN_ENTROPY = 3.0


def scan_text(text: str) -> Iterator[TokenHit]:
    """Known token formats and URL passwords in a text, with 1-based line numbers."""
    for match in _TOKENS.finditer(text) if _might_hold_token(text) else ():
        group = match.lastgroup or "t0"
        index = int(group[1:])
        kind = _TOKEN_PATTERNS[index][0]
        value = match.group(_VALUE_GROUPS[index]) if index in _VALUE_GROUPS else match.group(0)
        if kind != "private key" and shannon_entropy(value) < _MIN_TOKEN_ENTROPY:
            continue
        if kind.startswith("OpenAI") and not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value[3:])):
            continue  # "sk-" followed by a plain word is a CSS class or a slug, not a key
        if kind == "AWS secret access key" and not (re.search(r"[0-9+/]", value) and re.search(r"[A-Z]", value)):
            continue  # 40 letters of one case are a word, not a key
        line = text.count("\n", 0, match.start()) + 1
        yield TokenHit(kind, value, line, placeholder=kind == "JSON Web Token" and _public_jwt(value))
    if "://" in text and "@" in text:
        for match in _URL_PASSWORD.finditer(text):
            password = match.group("password")
            yield TokenHit(
                "password in a URL",
                password,
                text.count("\n", 0, match.start("password")) + 1,
                placeholder=is_placeholder(password)
                or len(password) < 4
                or _SAYS_FAKE.search(password) is not None
                or _LOCAL_HOST.match(match.group("host")) is not None,
            )


def _public_jwt(token: str) -> bool:
    """A JWT that grants nothing secret: a documentation example, or a key public by design (Supabase `anon`)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, IndexError, UnicodeDecodeError):
        return False
    if not isinstance(claims, dict):
        return False
    return claims.get("role") == "anon" or claims.get("sub") == "1234567890" or "example" in json.dumps(claims)


# A bigger file is scanned in its first 8 MB: bounded time, and tokens sit near the top of config files.
MAX_SCAN_BYTES = 8 * 1024 * 1024


def _read_head(path: Path) -> bytes | None:
    try:  # the walk vetted the path: a regular file inside the project
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        return os.read(descriptor, MAX_SCAN_BYTES)  # one read: a regular file gives all it has, up to the bound
    except OSError:
        return None
    finally:
        os.close(descriptor)


def decode_for_scan(data: bytes) -> str:
    """Text for the token scan, whatever the encoding: UTF-8, UTF-16 (with or without a BOM), or binary.

    Tokens are ASCII, so a binary file is decoded as Latin-1 (every byte one
    character) and the ASCII in it is scanned.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" not in data:
        return data.decode("utf-8-sig", errors="replace")
    sample = data[:4096]
    half = max(len(sample) // 2, 1)
    if sample[1::2].count(0) > half * 0.9:
        return data.decode("utf-16-le", errors="replace")
    if sample[0::2].count(0) > half * 0.9:
        return data.decode("utf-16-be", errors="replace")
    return data.decode("latin-1")


def scan_file(path: Path) -> Iterator[TokenHit]:
    """`scan_text` on a shipped file's first `MAX_SCAN_BYTES`, in any encoding.

    A plain file that cannot hold a token (no long run of letters and digits,
    no marker, no URL with a password) is never decoded: the gate runs on bytes.
    """
    yield from scan_bytes(_read_head(path))


def scan_bytes(data: bytes | None) -> Iterator[TokenHit]:
    """`scan_file` on bytes already read (only the first `MAX_SCAN_BYTES` are looked at)."""
    if not data:
        return
    data = data[:MAX_SCAN_BYTES]
    if b"\x00" not in data and not data.startswith(b"\xfe\xff"):
        if not _might_hold_token_bytes(data) and not (b"://" in data and b"@" in data):
            return
    yield from scan_text(decode_for_scan(data))


# The cheap gate before the full patterns: every token format either carries a run of 16 letters and
# digits (its random part), or one of these markers (formats whose random part may be cut by - _ . / +).
# One regex search and a few substring tests cost what the old list of 17 prefixes did.
_LONG_RUN = re.compile(r"[A-Za-z0-9]{16}")
_SHORT_FORM_MARKERS = ("sk-", "SG.", "glpat-", "ecret", "ECRET", "PRIVATE KEY")


def _might_hold_token(text: str) -> bool:
    return any(marker in text for marker in _SHORT_FORM_MARKERS) or _LONG_RUN.search(text) is not None


_LONG_RUN_BYTES = re.compile(_LONG_RUN.pattern.encode("ascii"))
_SHORT_FORM_MARKERS_BYTES = tuple(marker.encode("ascii") for marker in _SHORT_FORM_MARKERS)


def _might_hold_token_bytes(data: bytes) -> bool:
    return any(marker in data for marker in _SHORT_FORM_MARKERS_BYTES) or _LONG_RUN_BYTES.search(data) is not None


# scheme://userinfo@ in any URL; the userinfo is what must never be written or shown.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]{1,30}://)(?P<userinfo>[^\s/@'\"`<>]{1,512})@")


def _secret_userinfo(scheme: str, userinfo: str) -> bool:
    """user:password, or a bare token (`https://ghp_...@github.com`); never a plain ssh user (`git@`)."""
    user, _, password = userinfo.partition(":")
    if password:
        return not is_placeholder(password)  # `${PIP_TOKEN}` is a reference, not a secret
    if scheme.lower().startswith(("ssh", "git+ssh")):
        return False
    return not is_placeholder(user) and (len(user) >= 16 or any(scan_text(user)))


def url_credentials(text: str) -> bool:
    """Whether a text holds a URL with credentials in it."""
    if "://" not in text or "@" not in text:
        return False
    return any(_secret_userinfo(m.group("scheme"), m.group("userinfo")) for m in _URL_USERINFO.finditer(text))


def redact_url_credentials(text: str) -> str:
    """`text` with the credentials of every URL replaced by `****` (the host and path stay readable)."""
    if "://" not in text or "@" not in text:
        return text

    def hide(match: re.Match[str]) -> str:
        if not _secret_userinfo(match.group("scheme"), match.group("userinfo")):
            return match.group(0)
        return f"{match.group('scheme')}****@"

    return _URL_USERINFO.sub(hide, text)
