"""Fakes that ship with fsmchat: scripted ports and a loopback OpenAI-compatible server.

Use them in your own tests instead of patching fsmchat's internals.
"""

from fsmchat.testing._fakes import (
    FunctionSelector,
    ScriptedChatModel,
    ScriptedCodeRunner,
    ScriptedHuman,
    ScriptedResponder,
    ScriptedSelector,
    ScriptExhausted,
)
from fsmchat.testing._fakeserver import (
    FakeOpenAIServer,
    FakeResponse,
    RecordedRequest,
    completion,
    error_body,
    json_completion,
    schema_answer,
)

__all__ = [
    "FakeOpenAIServer",
    "FakeResponse",
    "FunctionSelector",
    "RecordedRequest",
    "ScriptExhausted",
    "ScriptedChatModel",
    "ScriptedCodeRunner",
    "ScriptedHuman",
    "ScriptedResponder",
    "ScriptedSelector",
    "completion",
    "error_body",
    "json_completion",
    "schema_answer",
]
