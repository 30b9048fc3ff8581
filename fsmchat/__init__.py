"""fsmchat: multi-agent LLM group chat in which every chat is a finite state machine.

Agents are states, edges are guarded transitions. A model is consulted only to
pick among the current agent's legal successors or to judge an edge's
natural-language condition, and no answer it gives can produce a transition that
is not an edge of the spec.
"""

import logging as _logging

from fsmchat._core.build import load_schema, parse_spec, spec_from_dict
from fsmchat._core.engine import MODES, Engine, Phase, Routing, routing_for_mode
from fsmchat._core.errors import (
    BoundaryError,
    CodeRunError,
    EngineError,
    FsmchatError,
    HumanError,
    InvalidArgument,
    LLMError,
    NoRoute,
    Problem,
    RecordError,
    SpeakerSelectionError,
    SpecError,
    UnallowedCode,
    UserCodeError,
)
from fsmchat._core.events import (
    Answer,
    AskAgent,
    AskHuman,
    Candidate,
    Choose,
    Condition,
    Finished,
    Judge,
    Reply,
    Stop,
)
from fsmchat._core.guards import (
    AllOf,
    AnyOf,
    Call,
    Contains,
    EndsWith,
    Equals,
    Not,
    Regex,
)
from fsmchat._core.spec import (
    AgentSpec,
    Edge,
    Selection,
    Spec,
    spec_from_autogen,
)
from fsmchat._core.state import Attempt, ChatView, Decision, GuardResult, Message, Usage
from fsmchat._core.verify import Transcript
from fsmchat._record.durable import PAUSED, DurableHuman, arun_durable, run_durable
from fsmchat._record.format import Record, RecordHeader, spec_digest
from fsmchat._record.reader import read_record
from fsmchat._record.replay import (
    Cassette,
    replay_durable,
    replay_record,
    resume,
    resume_engine,
)
from fsmchat._record.transcript import read_transcript
from fsmchat._record.writer import RecordWriter
from fsmchat._run.cache import CachedChatModel
from fsmchat._run.driver import (
    ChatResult,
    FunctionResponder,
    UsageCount,
    arun_chat,
    check_ports,
    needs_choice,
    needs_judge,
    run_chat,
)
from fsmchat._run.files import load_spec
from fsmchat._run.llm import LLMResponder, LLMSelector
from fsmchat._run.ports import (
    AsyncChatModel,
    AsyncHuman,
    AsyncResponder,
    AsyncSelector,
    ChatModel,
    ChatRequest,
    ChatResponse,
    CodeResult,
    CodeRunner,
    Human,
    Responder,
    Selector,
)
from fsmchat._run.resolve import resolve_spec
from fsmchat._run.selectors import (
    CallableSelector,
    ManualSelector,
    RandomSelector,
    RoundRobinSelector,
    make_selector,
)
from fsmchat.adapters._config import (
    LLMConfig,
    config_list_from_dotenv,
    config_list_from_json,
    filter_config,
    make_chat_model,
)

__version__ = "0.1.0"

# A library logs, an application decides where logs go (``fsmchat run`` shows
# warnings on stderr; see the logging HOWTO's "Configuring Logging for a Library").
_logging.getLogger("fsmchat").addHandler(_logging.NullHandler())

__all__ = [
    "MODES",
    "PAUSED",
    "AgentSpec",
    "AllOf",
    "Answer",
    "AnyOf",
    "AskAgent",
    "AskHuman",
    "AsyncChatModel",
    "AsyncHuman",
    "AsyncResponder",
    "AsyncSelector",
    "Attempt",
    "BoundaryError",
    "CachedChatModel",
    "Call",
    "CallableSelector",
    "Candidate",
    "Cassette",
    "ChatModel",
    "ChatRequest",
    "ChatResponse",
    "ChatResult",
    "ChatView",
    "Choose",
    "CodeResult",
    "CodeRunError",
    "CodeRunner",
    "Condition",
    "Contains",
    "Decision",
    "DurableHuman",
    "Edge",
    "EndsWith",
    "Engine",
    "EngineError",
    "Equals",
    "Finished",
    "FsmchatError",
    "FunctionResponder",
    "GuardResult",
    "Human",
    "HumanError",
    "InvalidArgument",
    "Judge",
    "LLMConfig",
    "LLMError",
    "LLMResponder",
    "LLMSelector",
    "ManualSelector",
    "Message",
    "NoRoute",
    "Not",
    "Phase",
    "Problem",
    "RandomSelector",
    "Record",
    "RecordError",
    "RecordHeader",
    "RecordWriter",
    "Regex",
    "Reply",
    "Responder",
    "RoundRobinSelector",
    "Routing",
    "Selection",
    "Selector",
    "SpeakerSelectionError",
    "Spec",
    "SpecError",
    "Stop",
    "Transcript",
    "UnallowedCode",
    "Usage",
    "UsageCount",
    "UserCodeError",
    "arun_chat",
    "arun_durable",
    "check_ports",
    "config_list_from_dotenv",
    "config_list_from_json",
    "filter_config",
    "load_schema",
    "load_spec",
    "make_chat_model",
    "make_selector",
    "needs_choice",
    "needs_judge",
    "parse_spec",
    "read_record",
    "read_transcript",
    "replay_durable",
    "replay_record",
    "resolve_spec",
    "resume",
    "resume_engine",
    "routing_for_mode",
    "run_chat",
    "run_durable",
    "spec_digest",
    "spec_from_autogen",
    "spec_from_dict",
]
