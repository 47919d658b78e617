"""Secret detection: known token formats in text, secret-like names, entropy, placeholders.

Hand-written on purpose (see the README note on detect-secrets): a dozen
compiled patterns over the files that ship, each hit filtered by entropy so
documentation placeholders (`hf_xxxx...`) do not count. A finding never
carries a value; callers show `spacepack.masking.preview` at most.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

# (kind, pattern); group "value" is the secret, when not the whole match.
_TOKEN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("Hugging Face token", r"\bhf_[A-Za-z]{34}\b"),
    ("OpenAI-style API key", r"\bsk-(?:proj-|svcacct-|admin-|ant-api\d\d-)?[A-Za-z0-9_-]{20,}"),
    ("AWS access key id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{60,}\b"),
    ("Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("Stripe live key", r"\b(?:sk|rk)_live_[A-Za-z0-9]{16,}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
)
_TOKENS = re.compile("|".join(f"(?P<t{i}>{pattern})" for i, (_, pattern) in enumerate(_TOKEN_PATTERNS)))

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
    if "://" in value or value.startswith(("/", "./", "{", "$")) or is_placeholder(value):
        return False
    if _SAYS_FAKE.search(value):
        return False  # "test-only-secret-0123...": random-looking on purpose, and says so
    return shannon_entropy(value) >= MIN_SECRET_ENTROPY


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
        kind = _TOKEN_PATTERNS[int(group[1:])][0]
        value = match.group(0)
        if kind != "private key" and shannon_entropy(value) < _MIN_TOKEN_ENTROPY:
            continue
        if kind.startswith("OpenAI") and not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value[3:])):
            continue  # "sk-" followed by a plain word is a CSS class or a slug, not a key
        yield TokenHit(kind, value, text.count("\n", 0, match.start()) + 1)
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


_CHEAP_MARKERS = (
    "hf_",
    "sk-",
    "AKIA",
    "ASIA",
    "AGPA",
    "AIDA",
    "AROA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "xox",
    "_live_",
    "AIza",
    "PRIVATE KEY",
)


def _might_hold_token(text: str) -> bool:
    return any(marker in text for marker in _CHEAP_MARKERS)
