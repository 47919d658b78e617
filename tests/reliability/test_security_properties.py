"""Properties of the security helpers, for any input (Hypothesis).

- the ignore matcher: time bounded by pattern x path (no catastrophic
  backtracking), the same answer as git's semantics (pathspec, on the case it
  shares), and the `.dockerignore` it writes never excludes a file the walk
  ships (so the image and the upload hold the same files);
- the masker: a secret never survives in any of its shapes;
- the name grammars: what they accept cannot become syntax where it lands.
"""

from __future__ import annotations

import json
import shlex
import string
import time
import urllib.parse
from pathlib import Path

import pathspec
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from spacepack.ignore import IgnoreRules, _Matcher, walk
from spacepack.masking import MASK, Masker
from spacepack.names import (
    ENTRY,
    ENV_NAME,
    display_name,
    is_relative_dir,
    matches,
    shell_word,
    yaml_string,
)

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# --- the ignore matcher -----------------------------------------------------------------------

_SEGMENT = st.text(alphabet="ab*?", min_size=1, max_size=6).filter(lambda s: "**" not in s)
_PATTERN = st.builds(
    lambda lead, segments, trail: lead + "/".join(segments) + trail,
    st.sampled_from(["", "/", "**/"]),
    st.lists(st.one_of(_SEGMENT, st.just("**")), min_size=1, max_size=3).filter(
        lambda parts: parts[0] != "**" and parts[-1] != "**" or len(parts) > 1
    ),
    st.sampled_from(["", "/"]),
)
_PATH = st.lists(st.text(alphabet="ab", min_size=1, max_size=5), min_size=1, max_size=4).map("/".join)


@EXAMPLES
@given(patterns=st.lists(_PATTERN, min_size=1, max_size=5), path=_PATH, is_dir=st.booleans())
def test_matcher_agrees_with_gitignore_semantics(patterns: list[str], path: str, is_dir: bool) -> None:
    candidate = path + "/" if is_dir else path
    # git: "x/**" matches what is inside x, not x itself; pathspec also matches the folder itself
    # (and with "x/**/" the files directly in x). That boundary is not compared.
    assume(not any(p.rstrip("/").endswith("/**") for p in patterns))
    reference = pathspec.GitIgnoreSpec.from_lines(patterns)
    matcher = _Matcher(patterns)
    # As in git (and IgnoreRules.is_ignored): a path below an excluded folder is excluded.
    parts = path.split("/")
    ours = any(matcher("/".join(parts[:depth]) + "/") for depth in range(1, len(parts))) or matcher(candidate)
    assert ours is reference.match_file(candidate), (patterns, candidate)


@EXAMPLES
@given(stars=st.integers(min_value=1, max_value=40), length=st.integers(min_value=1, max_value=400))
def test_matcher_time_is_bounded_for_backtracking_patterns(stars: int, length: int) -> None:
    matcher = _Matcher(["a/" + "*a" * stars + "b", "*a" * stars + "b", "**/" + "a*" * stars + "c"])
    path = "a/" + "a" * length
    started = time.perf_counter()
    matcher(path)
    matcher(path + "/")
    # Linear in pattern x path: even 40 stars on a 400-character name is well under a tenth of a second.
    assert time.perf_counter() - started < 0.1


def test_the_issues_backtracking_pattern_is_instant() -> None:
    rules = IgnoreRules(project=("a/*a*a*a*a*a*a*a*ab",))
    started = time.perf_counter()
    for length in range(10, 2000, 50):
        rules.is_ignored("a/" + "a" * length)
    assert time.perf_counter() - started < 0.5


_NAME = st.text(alphabet="abAB.-_~# ", min_size=1, max_size=8).filter(
    lambda s: s.strip(" ") == s and s not in {".", ".."}
)


@EXAMPLES
@given(
    names=st.lists(st.tuples(st.sampled_from(["", "sub/", "Sub/deep/"]), _NAME), min_size=1, max_size=8),
    gitignore=st.lists(st.text(alphabet="abAB*?!/.", min_size=1, max_size=6), max_size=4),
)
def test_the_dockerignore_never_excludes_a_file_the_upload_holds(
    tmp_path_factory: pytest.TempPathFactory, names: list[tuple[str, str]], gitignore: list[str]
) -> None:
    root = tmp_path_factory.mktemp("tree")
    for folder, name in names:
        target = root / folder / name
        if target.exists() or any(parent.is_file() for parent in target.parents):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x")
    (root / ".gitignore").write_text("\n".join(gitignore) + "\n")
    rules = IgnoreRules.for_project(root)
    shipped = [rel for rel, _ in walk(root, rules)]
    # The engine reads the .dockerignore from the context root: every line is anchored there.
    docker_side = _Matcher([_anchored(line) for line in rules.dockerignore_lines()])
    for rel in shipped:
        parts = rel.split("/")
        excluded = any(docker_side("/".join(parts[:depth]) + "/") for depth in range(1, len(parts)))
        assert not (excluded or docker_side(rel)), (rel, rules.dockerignore_lines()[-len(gitignore) - 1 :])
        assert rules.is_ignored(rel.upper()) is rules.is_ignored(rel) or rel.upper() == rel


def _anchored(line: str) -> str:
    negate = line.startswith("!")
    body = line[1:] if negate else line
    return ("!" if negate else "") + (body if body.startswith("**/") else "/" + body)


@EXAMPLES
@given(name=st.sampled_from([".env", ".env.local", ".npmrc", "secrets.json", "id_rsa", ".aws/credentials"]))
def test_secret_files_are_excluded_in_every_case_variant(name: str) -> None:
    rules = IgnoreRules()
    for variant in {name, name.upper(), name.title(), name.swapcase()}:
        assert rules.is_ignored(variant), variant
        assert rules.is_ignored(f"deep/er/{variant}"), variant


# --- the masker -------------------------------------------------------------------------------

_SECRET = st.text(min_size=4, max_size=60).filter(lambda v: "*" not in v and v.strip() == v and len(v.strip()) >= 4)
_SHAPES = {
    "as is": lambda v: v,
    "repr": lambda v: repr(v)[1:-1],
    "json": lambda v: json.dumps(v)[1:-1],
    "json utf-8": lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
    "url": lambda v: urllib.parse.quote(v, safe=""),
    "url form": lambda v: urllib.parse.quote_plus(v),
}
_AROUND = st.sampled_from(["", "log: ", "\n", " | ", "value=", "\t"])


@EXAMPLES
@given(value=_SECRET, before=_AROUND, after=_AROUND, shape=st.sampled_from(sorted(_SHAPES)))
def test_a_secret_never_survives_masking_in_any_shape(value: str, before: str, after: str, shape: str) -> None:
    encoded = _SHAPES[shape](value)
    masked = Masker([value])(before + encoded + after)
    assert encoded not in masked
    assert MASK in masked


@EXAMPLES
@given(
    lines=st.lists(
        st.text(alphabet=string.ascii_letters + string.digits + "+/=", min_size=8, max_size=64), min_size=2, max_size=6
    )
)
def test_every_line_of_a_multi_line_secret_is_masked_on_its_own(lines: list[str]) -> None:
    value = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"
    masker = Masker([value])
    for line in lines:
        assert line not in masker(f"app log: {line} (line printed alone)")


# --- the name grammars ------------------------------------------------------------------------


@EXAMPLES
@given(raw=st.text(max_size=200))
def test_a_display_name_is_one_plain_line(raw: str) -> None:
    name = display_name(raw)
    assert name and len(name) <= 100
    assert all(c.isalnum() or c in "._ -" for c in name), name
    assert "\n" not in name and name.strip() == name


@EXAMPLES
@given(value=st.text(max_size=60))
def test_what_the_grammars_accept_has_no_syntax(value: str) -> None:
    if matches(ENTRY, value) or matches(ENV_NAME, value):
        assert value.isascii() and not any(c.isspace() or c in "$`'\";&|<>()" for c in value)
    if is_relative_dir(value):
        assert not any(part.startswith("-") or part in {".", ".."} for part in value.split("/"))
        assert not any(c.isspace() for c in value)


@EXAMPLES
@given(value=st.text(max_size=60))
def test_trailing_newlines_never_pass(value: str) -> None:
    assume(value)
    assert not matches(ENTRY, value + "\n") and not matches(ENV_NAME, value + "\n")
    assert not is_relative_dir(value + "\n")


@EXAMPLES
@given(value=st.text(max_size=80).filter(lambda v: "\x00" not in v))
def test_quoting_round_trips(value: str) -> None:
    assert shlex.split(shell_word(value)) == [value]
    assert yaml.safe_load("key: " + yaml_string(value))["key"] == value


def test_the_walk_of_a_real_project_is_unchanged_by_case_folding(tmp_path: Path) -> None:
    (tmp_path / "Main.py").write_text("x")
    (tmp_path / "README.md").write_text("x")
    (tmp_path / ".gitignore").write_text("*.LOG\n")
    (tmp_path / "debug.log").write_text("x")
    assert [rel for rel, _ in walk(tmp_path, IgnoreRules.for_project(tmp_path))] == [
        ".gitignore",
        "Main.py",
        "README.md",
    ]
