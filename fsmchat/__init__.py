"""fsmchat: multi-agent LLM group chat in which every chat is a finite state machine.

Agents are states, edges are guarded transitions. A model is consulted only to
pick among the current agent's legal successors or to judge an edge's
natural-language condition, and no answer it gives can produce a transition that
is not an edge of the spec.

Every public name is imported on first use (``_LAZY`` maps it to its module), so
``import fsmchat`` stays light: sqlite3, asyncio, openai, PyYAML, the record
layer, rich and matplotlib load only when something that needs them is used.
"""

from __future__ import annotations

import logging as _logging
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

__version__ = "0.1.0"

# A library logs, an application decides where logs go (``fsmchat run`` shows
# warnings on stderr; see the logging HOWTO's "Configuring Logging for a Library").
_logging.getLogger("fsmchat").addHandler(_logging.NullHandler())

#: Public name -> the module defining it: one line each, in ``__all__`` order
#: (constants, classes, functions; each group sorted).
_LAZY: dict[str, str] = {
    "MODES": "fsmchat._core.engine",
    "PAUSED": "fsmchat._record.run",
    "UNSET": "fsmchat._core.engine",
    "AgentSpec": "fsmchat._core.spec",
    "AllOf": "fsmchat._core.guards",
    "Answer": "fsmchat._core.events",
    "AnyOf": "fsmchat._core.guards",
    "AskAgent": "fsmchat._core.events",
    "AskHuman": "fsmchat._core.events",
    "AsyncChatModel": "fsmchat._run.ports",
    "AsyncHuman": "fsmchat._run.ports",
    "AsyncResponder": "fsmchat._run.ports",
    "AsyncSelector": "fsmchat._run.ports",
    "AsyncTurnResponder": "fsmchat._run.ports",
    "Attempt": "fsmchat._core.state",
    "BoundaryError": "fsmchat._core.errors",
    "CachedChatModel": "fsmchat.adapters._cache",
    "Call": "fsmchat._core.guards",
    "CallableSelector": "fsmchat._run.selectors",
    "Candidate": "fsmchat._core.events",
    "Cassette": "fsmchat._record.replay",
    "ChatFile": "fsmchat._record.chat",
    "ChatModel": "fsmchat._run.ports",
    "ChatRequest": "fsmchat._run.ports",
    "ChatResponse": "fsmchat._run.ports",
    "ChatResult": "fsmchat._run.result",
    "ChatView": "fsmchat._core.state",
    "Choose": "fsmchat._core.events",
    "CodeResult": "fsmchat._run.ports",
    "CodeRunError": "fsmchat._core.errors",
    "CodeRunner": "fsmchat._run.ports",
    "Condition": "fsmchat._core.events",
    "Contains": "fsmchat._core.guards",
    "Decision": "fsmchat._core.state",
    "Edge": "fsmchat._core.spec",
    "EndsWith": "fsmchat._core.guards",
    "Engine": "fsmchat._core.engine",
    "EngineError": "fsmchat._core.errors",
    "Equals": "fsmchat._core.guards",
    "Finished": "fsmchat._core.events",
    "FsmchatError": "fsmchat._core.errors",
    "FunctionResponder": "fsmchat._run.driver",
    "GuardResult": "fsmchat._core.state",
    "Human": "fsmchat._run.ports",
    "HumanError": "fsmchat._core.errors",
    "InvalidArgument": "fsmchat._core.errors",
    "Judge": "fsmchat._core.events",
    "LLMConfig": "fsmchat.adapters._config",
    "LLMError": "fsmchat._core.errors",
    "LLMResponder": "fsmchat._run.llm",
    "LLMSelector": "fsmchat._run.llm",
    "ManualSelector": "fsmchat._run.selectors",
    "Message": "fsmchat._core.state",
    "NoRoute": "fsmchat._core.errors",
    "Not": "fsmchat._core.guards",
    "PausingHuman": "fsmchat._record.ports",
    "Phase": "fsmchat._core.engine",
    "Problem": "fsmchat._core.errors",
    "RandomSelector": "fsmchat._run.selectors",
    "Record": "fsmchat._record.format",
    "RecordError": "fsmchat._core.errors",
    "RecordHeader": "fsmchat._record.format",
    "RecordWriter": "fsmchat._record.writer",
    "Regex": "fsmchat._core.guards",
    "Reply": "fsmchat._core.events",
    "Responder": "fsmchat._run.ports",
    "RoundRobinSelector": "fsmchat._run.selectors",
    "Routing": "fsmchat._core.engine",
    "Selection": "fsmchat._core.spec",
    "Selector": "fsmchat._run.ports",
    "SpeakerSelectionError": "fsmchat._core.errors",
    "Spec": "fsmchat._core.spec",
    "SpecError": "fsmchat._core.errors",
    "Stop": "fsmchat._core.events",
    "Transcript": "fsmchat._core.transcript",
    "TurnResponder": "fsmchat._run.ports",
    "UnallowedCode": "fsmchat._core.errors",
    "Unset": "fsmchat._core.engine",
    "Usage": "fsmchat._core.state",
    "UsageCount": "fsmchat._run.result",
    "UserCodeError": "fsmchat._core.errors",
    "arun_chat": "fsmchat._run.driver",
    "arun_recorded": "fsmchat._record.run",
    "check_ports": "fsmchat._run.driver",
    "config_list_from_dotenv": "fsmchat.adapters._config",
    "config_list_from_json": "fsmchat.adapters._config",
    "filter_config": "fsmchat.adapters._config",
    "load_schema": "fsmchat._core.build",
    "load_spec": "fsmchat.adapters._files",
    "make_chat_model": "fsmchat.adapters._config",
    "make_selector": "fsmchat._run.selectors",
    "needs_choice": "fsmchat._run.driver",
    "needs_judge": "fsmchat._run.driver",
    "parse_spec": "fsmchat._core.build",
    "read_chat": "fsmchat._record.chat",
    "read_record": "fsmchat._record.reader",
    "replay_record": "fsmchat._record.replay",
    "resolve_spec": "fsmchat._run.resolve",
    "resume": "fsmchat._record.replay",
    "resume_engine": "fsmchat._record.replay",
    "routing_for_mode": "fsmchat._core.engine",
    "run_chat": "fsmchat._run.driver",
    "run_recorded": "fsmchat._record.run",
    "spec_digest": "fsmchat._record.format",
    "spec_from_autogen": "fsmchat._core.build_autogen",
    "spec_from_dict": "fsmchat._core.build",
}

__all__ = list(_LAZY)

#: Deprecated public name -> (the module defining it, what to use instead).
#: Each still works and warns on every use; none is in ``__all__``.
_DEPRECATED: dict[str, tuple[str, str]] = {
    "DurableHuman": ("fsmchat._record.ports", "PausingHuman"),
    "arun_durable": ("fsmchat._record.run", "arun_recorded"),
    "read_transcript": ("fsmchat._record.chat", "read_chat(path).transcript()"),
    "replay_durable": ("fsmchat._record.replay", "replay_record"),
    "run_durable": ("fsmchat._record.run", "run_recorded"),
}


def __getattr__(name: str) -> _Any:
    import importlib

    old = _DEPRECATED.get(name)
    if old is not None:
        home, new = old
        import warnings

        warnings.warn(
            f"fsmchat.{name} is deprecated: use fsmchat.{new}",
            DeprecationWarning,
            stacklevel=2,
        )
        found = importlib.import_module(home)
        return getattr(found, name if name == "read_transcript" else new)
    module = _LAZY.get(name)
    if module is None:
        msg = f"module 'fsmchat' has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


if _TYPE_CHECKING:
    from fsmchat._core.build import load_schema as load_schema
    from fsmchat._core.build import parse_spec as parse_spec
    from fsmchat._core.build import spec_from_dict as spec_from_dict
    from fsmchat._core.build_autogen import spec_from_autogen as spec_from_autogen
    from fsmchat._core.engine import MODES as MODES
    from fsmchat._core.engine import UNSET as UNSET
    from fsmchat._core.engine import Engine as Engine
    from fsmchat._core.engine import Phase as Phase
    from fsmchat._core.engine import Routing as Routing
    from fsmchat._core.engine import Unset as Unset
    from fsmchat._core.engine import routing_for_mode as routing_for_mode
    from fsmchat._core.errors import BoundaryError as BoundaryError
    from fsmchat._core.errors import CodeRunError as CodeRunError
    from fsmchat._core.errors import EngineError as EngineError
    from fsmchat._core.errors import FsmchatError as FsmchatError
    from fsmchat._core.errors import HumanError as HumanError
    from fsmchat._core.errors import InvalidArgument as InvalidArgument
    from fsmchat._core.errors import LLMError as LLMError
    from fsmchat._core.errors import NoRoute as NoRoute
    from fsmchat._core.errors import Problem as Problem
    from fsmchat._core.errors import RecordError as RecordError
    from fsmchat._core.errors import SpeakerSelectionError as SpeakerSelectionError
    from fsmchat._core.errors import SpecError as SpecError
    from fsmchat._core.errors import UnallowedCode as UnallowedCode
    from fsmchat._core.errors import UserCodeError as UserCodeError
    from fsmchat._core.events import Answer as Answer
    from fsmchat._core.events import AskAgent as AskAgent
    from fsmchat._core.events import AskHuman as AskHuman
    from fsmchat._core.events import Candidate as Candidate
    from fsmchat._core.events import Choose as Choose
    from fsmchat._core.events import Condition as Condition
    from fsmchat._core.events import Finished as Finished
    from fsmchat._core.events import Judge as Judge
    from fsmchat._core.events import Reply as Reply
    from fsmchat._core.events import Stop as Stop
    from fsmchat._core.guards import AllOf as AllOf
    from fsmchat._core.guards import AnyOf as AnyOf
    from fsmchat._core.guards import Call as Call
    from fsmchat._core.guards import Contains as Contains
    from fsmchat._core.guards import EndsWith as EndsWith
    from fsmchat._core.guards import Equals as Equals
    from fsmchat._core.guards import Not as Not
    from fsmchat._core.guards import Regex as Regex
    from fsmchat._core.spec import AgentSpec as AgentSpec
    from fsmchat._core.spec import Edge as Edge
    from fsmchat._core.spec import Selection as Selection
    from fsmchat._core.spec import Spec as Spec
    from fsmchat._core.state import Attempt as Attempt
    from fsmchat._core.state import ChatView as ChatView
    from fsmchat._core.state import Decision as Decision
    from fsmchat._core.state import GuardResult as GuardResult
    from fsmchat._core.state import Message as Message
    from fsmchat._core.state import Usage as Usage
    from fsmchat._core.transcript import Transcript as Transcript
    from fsmchat._record.chat import ChatFile as ChatFile
    from fsmchat._record.chat import read_chat as read_chat
    from fsmchat._record.format import Record as Record
    from fsmchat._record.format import RecordHeader as RecordHeader
    from fsmchat._record.format import spec_digest as spec_digest
    from fsmchat._record.ports import PausingHuman as PausingHuman
    from fsmchat._record.reader import read_record as read_record
    from fsmchat._record.replay import Cassette as Cassette
    from fsmchat._record.replay import replay_record as replay_record
    from fsmchat._record.replay import resume as resume
    from fsmchat._record.replay import resume_engine as resume_engine
    from fsmchat._record.run import PAUSED as PAUSED
    from fsmchat._record.run import arun_recorded as arun_recorded
    from fsmchat._record.run import run_recorded as run_recorded
    from fsmchat._record.writer import RecordWriter as RecordWriter
    from fsmchat._run.driver import FunctionResponder as FunctionResponder
    from fsmchat._run.driver import arun_chat as arun_chat
    from fsmchat._run.driver import check_ports as check_ports
    from fsmchat._run.driver import needs_choice as needs_choice
    from fsmchat._run.driver import needs_judge as needs_judge
    from fsmchat._run.driver import run_chat as run_chat
    from fsmchat._run.llm import LLMResponder as LLMResponder
    from fsmchat._run.llm import LLMSelector as LLMSelector
    from fsmchat._run.ports import AsyncChatModel as AsyncChatModel
    from fsmchat._run.ports import AsyncHuman as AsyncHuman
    from fsmchat._run.ports import AsyncResponder as AsyncResponder
    from fsmchat._run.ports import AsyncSelector as AsyncSelector
    from fsmchat._run.ports import AsyncTurnResponder as AsyncTurnResponder
    from fsmchat._run.ports import ChatModel as ChatModel
    from fsmchat._run.ports import ChatRequest as ChatRequest
    from fsmchat._run.ports import ChatResponse as ChatResponse
    from fsmchat._run.ports import CodeResult as CodeResult
    from fsmchat._run.ports import CodeRunner as CodeRunner
    from fsmchat._run.ports import Human as Human
    from fsmchat._run.ports import Responder as Responder
    from fsmchat._run.ports import Selector as Selector
    from fsmchat._run.ports import TurnResponder as TurnResponder
    from fsmchat._run.resolve import resolve_spec as resolve_spec
    from fsmchat._run.result import ChatResult as ChatResult
    from fsmchat._run.result import UsageCount as UsageCount
    from fsmchat._run.selectors import CallableSelector as CallableSelector
    from fsmchat._run.selectors import ManualSelector as ManualSelector
    from fsmchat._run.selectors import RandomSelector as RandomSelector
    from fsmchat._run.selectors import RoundRobinSelector as RoundRobinSelector
    from fsmchat._run.selectors import make_selector as make_selector
    from fsmchat.adapters._cache import CachedChatModel as CachedChatModel
    from fsmchat.adapters._config import LLMConfig as LLMConfig
    from fsmchat.adapters._config import (
        config_list_from_dotenv as config_list_from_dotenv,
    )
    from fsmchat.adapters._config import config_list_from_json as config_list_from_json
    from fsmchat.adapters._config import filter_config as filter_config
    from fsmchat.adapters._config import make_chat_model as make_chat_model
    from fsmchat.adapters._files import load_spec as load_spec
