"""References are capabilities: each case is an attack that reached code outside its module.

A reference ``package.module:function`` binds one Python function defined in
the module it names; ``check`` and ``run`` apply the same rule table, so a
reference ``check`` refuses is refused by ``run`` with the same words, and one
``run`` binds is one ``check`` accepts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given, settings

import fsmchat.examples.calculator
import fsmchat.examples.counting
import fsmchat.examples.librarian
import fsmchat.examples.review
import fsmchat.examples.triage
import tests.security.refpkg
import tests.security.refpkg.inner
from fsmchat import SpecError, UnallowedCode, parse_spec, resolve_spec
from fsmchat._core.check import check_text
from fsmchat._core.refs import REF_PATTERN, ref_problem
from fsmchat._core.trust import allow_list, is_allowed
from fsmchat._run.resolve import RefRefused, resolve_ref
from tests.conftest import PROFILE
from tests.strategies import attribute_refs

PKG = "tests.security.refpkg"
ALLOW = allow_list([PKG])
ROOTS = (
    fsmchat.examples,
    fsmchat.examples.calculator,
    fsmchat.examples.counting,
    fsmchat.examples.librarian,
    fsmchat.examples.review,
    fsmchat.examples.triage,
    tests.security.refpkg,
    tests.security.refpkg.inner,
)
REF_CODES = {
    "bad-ref",
    "hop-ref",
    "private-ref",
    "unallowed-code",
    "unresolved-ref",
    "foreign-ref",
    "not-a-function",
}
EXAMPLES = {"ci": 400, "mutation": 40}.get(PROFILE, 150)

#: The attacks of issue 21, each bound on the old main.
HOPS = [
    "fsmchat.examples.calculator:operator._abs",
    "fsmchat.examples.calculator:operator._abs.__self__.input",
    "fsmchat.examples.calculator:ast.sys.exit",
    "fsmchat.examples.calculator:__builtins__.print",
    "fsmchat.examples.calculator:calculate.__globals__",
    "fsmchat.examples.counting:re.compile",
    f"{PKG}:os.spawnv",
    f"{PKG}:os.system",
    f"{PKG}:json.dumps",
    f"{PKG}:checker.method",
    f"{PKG}:Checker.static",
]


def spec_text(ref: str) -> str:
    """A spec whose one guard is ``ref``."""
    return (
        "agents: [{name: A, kind: human}, {name: B, kind: human}]\n"
        f"transitions: [{{from: A, to: B, when: {{call: {json.dumps(ref)}}}}}]\n"
    )


def check_verdict(ref: str) -> list[tuple[str, str]]:
    """What `fsmchat check --allow PKG` says about ``ref``: (code, message) of each reference problem."""
    return [
        (p.code, p.message)
        for p in check_text(spec_text(ref), path="s.yaml", allow=[PKG])
        if p.code in REF_CODES
    ]


def run_verdict(ref: str) -> object:
    """What `fsmchat run --allow PKG` does with ``ref``: the bound function, or the refusals."""
    try:
        spec = resolve_spec(parse_spec(spec_text(ref), path="s.yaml"), allow=[PKG])
    except SpecError as exc:
        return [(p.code, p.message) for p in exc.problems]
    (edge,) = spec.transitions
    return edge.when.func  # type: ignore[union-attr]


@pytest.mark.parametrize("ref", HOPS)
def test_a_reference_that_walks_attributes_is_refused_by_check_and_run(
    ref: str,
) -> None:
    """A dotted name after ':' (a hop through a module, a builtin, a method) is an error in both."""
    said = check_verdict(ref)
    assert [code for code, _ in said] in (["hop-ref"], ["private-ref"])
    assert run_verdict(ref) == said


def test_the_calculator_input_attack_no_longer_reaches_input(tmp_path: Path) -> None:
    """`run` of the issue's spec exits 1 at once naming the reference; nothing reads stdin or prints."""
    spec = tmp_path / "evil.yaml"
    spec.write_text(
        "message: hi\nmax_round: 2\n"
        "agents: [{name: A, kind: human}, {name: B, kind: human}]\n"
        "transitions:\n"
        "  - {from: A, to: B, when: {call: 'fsmchat.examples.calculator:operator._abs.__self__.input'}}\n"
        "  - {from: B, to: A}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "FSMCHAT_ALLOW"}
    checked = subprocess.run(
        [sys.executable, "-m", "fsmchat", "check", str(spec)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 1
    assert "[hop-ref]" in checked.stdout
    ran = subprocess.run(
        [sys.executable, "-m", "fsmchat", "run", str(spec)],
        input="FORGED: line\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 1
    assert "hop-ref" in ran.stderr
    assert ran.stdout == ""
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("spawnv", "foreign-ref"),  # from os import spawnv
        ("dumps", "foreign-ref"),  # from json import dumps
        ("exported_dumps", "foreign-ref"),  # in __all__, but json is not allowed
        ("add_one", "foreign-ref"),  # imported from an allowed module, not exported
        ("shout", "not-a-function"),  # shout = print
        ("partial_ok", "not-a-function"),
        ("Checker", "not-a-function"),
        ("checker", "not-a-function"),
        ("bound", "not-a-function"),
        ("os", "unresolved-ref"),
        ("lazy", "unresolved-ref"),  # only the module's __getattr__ knows it
    ],
)
def test_allowing_a_module_never_allows_what_it_imported(
    name: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--allow PKG binds only functions PKG defines: never an import, builtin, class or instance."""
    mark = tmp_path / "mark"
    monkeypatch.setattr(tests.security.refpkg, "MARK", mark)
    with pytest.raises(RefRefused) as info:
        resolve_ref(f"{PKG}:{name}", ALLOW)
    assert info.value.code == code
    assert not mark.exists()  # the module's __getattr__ never ran


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("ok", PKG),
        ("lam", PKG),
        (
            "inner_ok",
            f"{PKG}.inner",
        ),  # exported by __all__, defined in an allowed module
        ("exported_number", "fsmchat.examples.counting"),  # the same, from the examples
    ],
)
def test_a_function_defined_in_its_module_or_exported_from_an_allowed_one_binds(
    name: str, home: str
) -> None:
    """What the module defines (or its __all__ exports from an allowed module) is bound."""
    assert resolve_ref(f"{PKG}:{name}", ALLOW).__module__ == home


def test_an_alias_module_is_not_the_module_it_names() -> None:
    """os.path is posixpath: a reference must name the module that defines the function."""
    with pytest.raises(RefRefused) as info:
        resolve_ref("os.path:join", allow_list(["os"]))
    assert info.value.code == "foreign-ref"


def test_the_allow_list_matches_module_names_on_dotted_boundaries() -> None:
    """mypkg allows mypkg.guards, not mypkgevil, and refusing imports nothing."""
    allow = allow_list(["mypkg"])
    assert is_allowed("mypkg:f", allow)
    assert is_allowed("mypkg.guards:f", allow)
    assert not is_allowed("mypkgevil:f", allow)
    assert not is_allowed("mypk:f", allow)
    with pytest.raises(RefRefused) as info:
        resolve_ref("tests.security.refpkgevil:f", ALLOW)
    assert info.value.code == "unallowed-code"
    assert "tests.security.refpkgevil" not in sys.modules


@pytest.mark.parametrize("prefix", ["_pkg", "pkg._impl", "pkg.__main__", "pkg..x", ""])
def test_an_allow_list_cannot_name_a_private_module(prefix: str) -> None:
    """A prefix no reference could use is a usage error, not a silent no-op."""
    with pytest.raises(fsmchat.InvalidArgument, match="not a module prefix"):
        allow_list([prefix])


def test_a_python_built_spec_with_a_private_reference_does_not_build() -> None:
    """The rule table holds for every way of building a spec, not only YAML."""
    with pytest.raises(SpecError) as info:
        fsmchat.Spec(
            agents=[fsmchat.AgentSpec(name="A", kind="function", function="m:_f")],
            transitions=[],
        )
    assert [p.code for p in info.value.problems] == ["private-ref"]


def test_unallowed_references_are_refused_before_anything_is_imported() -> None:
    """Outside the allow-list: UnallowedCode, and the module was never imported."""
    spec = parse_spec(spec_text("tests.security.never_imported:f"))
    with pytest.raises(UnallowedCode):
        resolve_spec(spec)
    assert "tests.security.never_imported" not in sys.modules


def test_the_schema_pattern_is_the_rule_table() -> None:
    """The JSON Schema editors see says exactly what the rule table says."""
    schema = json.loads(
        (Path(fsmchat.__file__).parent / "spec.schema.json").read_text("utf-8")
    )
    text = json.dumps(schema)
    assert text.count(json.dumps(REF_PATTERN.pattern)) == 2
    for ref in [*HOPS, "a:b", "a.b:c", "a:_b", "_a:b", "a:b.c", "a:", ":b", "a:b\n"]:
        assert (REF_PATTERN.fullmatch(ref) is not None) == (ref_problem(ref) is None)


def _defining_module(fn: object) -> str:
    assert isinstance(fn, types.FunctionType)
    return fn.__module__


@settings(max_examples=EXAMPLES)
@given(attribute_refs(ROOTS))
def test_no_reference_walked_from_allowed_modules_binds_code_defined_elsewhere(
    ref: str,
) -> None:
    """Any chain of attribute names from the allowed modules: what binds is defined in an
    allowed module; check and run agree (a rule-table error is the same in both, and what
    run binds check accepts)."""
    checked = check_verdict(ref)
    ran = run_verdict(ref)
    shape = ref_problem(ref)
    if shape is not None:
        assert checked == ran
        ((code, message),) = ran  # type: ignore[misc]
        assert (code, message.endswith(shape[1])) == (shape[0], True)
        return
    assert checked == []  # allowed module, right shape: check has nothing to say
    if isinstance(ran, list):
        assert ran[0][0] in REF_CODES - {"bad-ref", "private-ref"}
        return
    assert is_allowed(_defining_module(ran), ALLOW)
    assert resolve_ref(ref, ALLOW) is ran
