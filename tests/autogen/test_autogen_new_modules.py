"""AutoGen's graph_utils, code_utils, coding, exception_utils and oai, run against fsmchat.autogen.

Written like AutoGen's own unit tests: each test states what AutoGen does.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

import fsmchat.autogen as autogen
from fsmchat import FsmchatError
from fsmchat._core.errors import CodeRunError, InvalidArgument
from fsmchat.adapters._sandbox import check_sandbox
from fsmchat.autogen.code_utils import UNKNOWN, extract_code, infer_lang
from fsmchat.autogen.coding import (
    CodeBlock,
    CodeExecutor,
    CodeExecutorFactory,
    LocalCommandLineCodeExecutor,
    MarkdownCodeExtractor,
)
from fsmchat.autogen.exception_utils import SenderRequired
from fsmchat.autogen.graph_utils import (
    check_graph_validity,
    has_self_loops,
    invert_disallowed_to_allowed,
    visualize_speaker_transitions_dict,
)
from fsmchat.autogen.oai import OpenAIWrapper, get_config_list
from fsmchat.testing import FakeOpenAIServer, completion


def _sandbox_problem() -> str | None:
    try:
        check_sandbox()
    except CodeRunError as exc:
        return str(exc)
    return None


_WHY = _sandbox_problem()
needs_bwrap = pytest.mark.skipif(
    _WHY is not None, reason=f"no working bubblewrap: {_WHY}"
)


def _agents(n: int) -> list[autogen.ConversableAgent]:
    return [autogen.ConversableAgent(f"a{i}", llm_config=False) for i in range(n)]


# -- graph_utils ---------------------------------------------------------------


def test_has_self_loops() -> None:
    """An agent listed among its own successors is a self loop."""
    a, b = _agents(2)
    assert has_self_loops({a: [a, b], b: [a]})
    assert not has_self_loops({a: [b], b: [a]})


def test_invert_disallowed_to_allowed() -> None:
    """The allowed graph is the complete graph (self loops included) minus the disallowed edges."""
    a, b, c = _agents(3)
    allowed = invert_disallowed_to_allowed({a: [b], b: [a, c]}, [a, b, c])
    assert allowed == {a: [a, c], b: [b], c: [a, b, c]}


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        ("not a dict", "must be a dictionary."),
        ("values not lists", "with lists as values."),
        ("stranger key", "has keys not in agents."),
        ("string values", "values that are not lists of Agents."),
    ],
)
def test_check_graph_validity_raises_value_error(graph: str, message: str) -> None:
    """A malformed transitions dict raises ValueError, as in AutoGen."""
    a, b = _agents(2)
    (stranger,) = _agents(1)
    bad: Any = {
        "not a dict": [(a, [b])],
        "values not lists": {a: b},
        "stranger key": {stranger: [a]},
        "string values": {a: ["a1"]},
    }[graph]
    with pytest.raises(ValueError, match=message):
        check_graph_validity(bad, [a, b])


def test_check_graph_validity_warns_about_isolated_and_duplicated_agents(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Isolated agents and duplicated successors are logged as warnings, not raised."""
    a, b, c = _agents(3)
    with caplog.at_level(logging.WARNING):
        check_graph_validity({a: [b, b], b: [a]}, [a, b, c])
    text = caplog.text
    assert "isolated agent nodes" in text
    assert "['a2']" in text
    assert "Agent 'a0' has duplicate elements: ['a1']" in text


def test_visualize_speaker_transitions_dict_returns_and_exports_dot(
    tmp_path: Path,
) -> None:
    """The transitions come back as a DOT digraph, and export_path='*.dot' writes it."""
    a, b = _agents(2)
    dot = visualize_speaker_transitions_dict(
        {a: [b], b: [a]}, [a, b], export_path=str(tmp_path / "g.dot")
    )
    assert '"a0" -> "a1";' in dot
    assert '"a1" -> "a0";' in dot
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == dot


# -- exception_utils -----------------------------------------------------------


def test_sender_required_has_autogens_message() -> None:
    """SenderRequired says a sender is required, and belongs to fsmchat's error tree."""
    err = SenderRequired()
    assert str(err) == err.message == "Sender is required but not provided."
    assert isinstance(err, FsmchatError)


# -- code_utils ----------------------------------------------------------------


def test_extract_code_and_infer_lang() -> None:
    """extract_code gives (language, code) per block, or [("unknown", text)] without one."""
    text = "Run this:\n```python\nprint(1)\n```\nand\n```\nls -l\n```\n"
    assert extract_code(text) == [("python", "print(1)"), ("", "ls -l")]
    assert extract_code("no code here") == [(UNKNOWN, "no code here")]
    assert infer_lang("pip install numpy") == "sh"
    assert infer_lang("x = 1") == "python"
    assert infer_lang("this is ( not code") == UNKNOWN


def test_markdown_code_extractor_infers_untagged_languages() -> None:
    """Tagged blocks keep their tag; untagged ones get the inferred language."""
    blocks = MarkdownCodeExtractor().extract_code_blocks(
        "```bash\necho hi\n```\n```\nprint('x')\n```"
    )
    assert blocks == [
        CodeBlock(code="echo hi", language="bash"),
        CodeBlock(code="print('x')", language="python"),
    ]
    assert MarkdownCodeExtractor().extract_code_blocks(None) == []


# -- coding --------------------------------------------------------------------


def test_local_executor_is_a_code_executor_and_checks_its_options(
    tmp_path: Path,
) -> None:
    """timeout < 1 is a ValueError; options fsmchat does not implement are refused."""
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path / "w")
    assert isinstance(executor, CodeExecutor)
    assert executor.work_dir == tmp_path / "w"
    assert (tmp_path / "w").is_dir()
    with pytest.raises(
        ValueError, match=r"Timeout must be greater than or equal to 1\."
    ):
        LocalCommandLineCodeExecutor(timeout=0, work_dir=tmp_path)
    with pytest.raises(InvalidArgument, match="functions= is not supported"):
        LocalCommandLineCodeExecutor(work_dir=tmp_path, functions=[print])


def test_code_executor_factory(tmp_path: Path) -> None:
    """The factory passes an executor through, builds "commandline-local", refuses others."""
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)
    assert CodeExecutorFactory.create({"executor": executor}) is executor
    built = CodeExecutorFactory.create(
        {
            "executor": "commandline-local",
            "commandline-local": {"work_dir": str(tmp_path)},
        }
    )
    assert isinstance(built, LocalCommandLineCodeExecutor)
    with pytest.raises(ValueError, match="Unknown code executor"):
        CodeExecutorFactory.create({"executor": "ipython-embedded"})


@needs_bwrap
def test_local_executor_runs_blocks_in_order_until_one_fails(tmp_path: Path) -> None:
    """Outputs are joined; the first failing block stops the run with its exit code."""
    executor = LocalCommandLineCodeExecutor(work_dir=tmp_path)
    ok = executor.execute_code_blocks(
        [
            CodeBlock(code="print(1 + 1)", language="python"),
            CodeBlock(code="echo three", language="sh"),
        ]
    )
    assert (ok.exit_code, ok.output) == (0, "2\nthree\n")
    failed = executor.execute_code_blocks(
        [
            CodeBlock(code="raise SystemExit(3)", language="python"),
            CodeBlock(code="print('never')", language="python"),
        ]
    )
    assert failed.exit_code == 3
    assert "never" not in failed.output
    unknown = executor.execute_code_blocks([CodeBlock(code="x", language="cobol")])
    assert (unknown.exit_code, unknown.output) == (1, "\nunknown language cobol")


@needs_bwrap
def test_agent_with_an_executor_replies_with_autogens_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """code_execution_config={"executor": ...} runs the message's code and reports as AutoGen does."""
    agent = autogen.ConversableAgent(
        "runner",
        llm_config=False,
        human_input_mode="NEVER",
        code_execution_config={
            "executor": LocalCommandLineCodeExecutor(work_dir=tmp_path)
        },
    )
    reply = agent.generate_reply(
        messages=[{"role": "user", "content": "```python\nprint('hi')\n```"}]
    )
    assert reply == "exitcode: 0 (execution succeeded)\nCode output: hi\n"
    assert (
        ">>>>>>>> EXECUTING CODE BLOCK (inferred language is python)..."
        in capsys.readouterr().out
    )


# -- oai -----------------------------------------------------------------------


def test_openai_wrapper_create_and_extract() -> None:
    """create() answers like the OpenAI SDK; extract_text_or_completion_object gives the texts."""
    with FakeOpenAIServer(lambda body: completion("pong", model="gpt-4")) as server:
        client = OpenAIWrapper(
            config_list=[
                {"model": "gpt-4", "api_key": "sk-test", "base_url": server.base_url}
            ],
            cache_seed=None,
        )
        response = client.create(messages=[{"role": "user", "content": "ping"}])
        client.close()
    assert response.choices[0].message.content == "pong"
    assert client.extract_text_or_completion_object(response) == ["pong"]
    assert server.requests[0]["messages"] == [{"role": "user", "content": "ping"}]
    assert client.total_usage_summary is not None
    assert client.total_usage_summary["gpt-4"]["total_tokens"] == 15


def test_get_config_list() -> None:
    """One config per non-blank key; base URLs must match the keys one to one."""
    assert get_config_list(["k1", " ", "k2"], api_type="openai") == [
        {"api_key": "k1", "api_type": "openai"},
        {"api_key": "k2", "api_type": "openai"},
    ]
    with pytest.raises(ValueError, match="must match"):
        get_config_list(["k1"], base_urls=["u1", "u2"])


# -- tools in async chats --------------------------------------------------------


def test_a_execute_function_announces_every_function_as_async() -> None:
    """a_execute_function prints 'EXECUTING ASYNC FUNCTION' for sync and async functions alike."""
    out: list[str] = []
    agent = autogen.ConversableAgent("runner", llm_config=False, output=out.append)

    def double(n: int) -> int:
        return 2 * n

    async def triple(n: int) -> int:
        return 3 * n

    agent.register_function({"double": double, "triple": triple})
    results = [
        asyncio.run(agent.a_execute_function({"name": name, "arguments": '{"n": 2}'}))
        for name in ("double", "triple")
    ]
    assert [r[1]["content"] for r in results] == ["4", "6"]
    assert out == [
        "\n>>>>>>>> EXECUTING ASYNC FUNCTION double...",
        "\n>>>>>>>> EXECUTING ASYNC FUNCTION triple...",
    ]
