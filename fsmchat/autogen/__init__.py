"""The AutoGen-style facade: ``import fsmchat.autogen as autogen``.

AutoGen 0.2 / AG2 programs run with only their imports changed; every chat is a
finite state machine on fsmchat's engine. The modules, by role: ``_agent``
(ConversableAgent) with its mixins ``_conversation`` (send, receive,
initiate_chat), ``_replies`` (reply functions, hooks, human, model), ``_tools``
(functions and tools) and ``_code`` (code execution); ``_roles``
(AssistantAgent, UserProxyAgent); ``_session`` (one chat on the engine) and
``_chats`` (results,
summaries, sequential chats); ``_groupchat``, ``_checks``, ``_speakers``,
``_autoselect`` (AutoGen's ``auto``), ``_manager`` and ``_grouprun`` (one run
of a group chat); ``_printing``, ``_cache``, ``_utils``, ``_exceptions``. The
public modules mirror AutoGen 0.2's paths: ``agentchat`` (and its ``agent``,
``chat``, ``conversable_agent``... modules), ``cache``, ``coding``,
``code_utils``, ``exception_utils``, ``graph_utils``, ``oai``, ``version``.

Names: AutoGen's ``ChatResult`` (what ``initiate_chat`` returns) is
:class:`AgentChatResult` here, exported under both names; it is not
:class:`fsmchat.ChatResult`, the engine's result, which it carries as
``result``. ``SPEAKER_SELECTION_METHODS`` lists the names
``speaker_selection_method`` takes (``SELECTION_METHODS`` is its deprecated
former name).
"""

import warnings
from typing import Any

from fsmchat.adapters._config import (
    config_list_from_dotenv,
    config_list_from_json,
    filter_config,
)
from fsmchat.autogen import (
    agentchat,
    cache,
    code_utils,
    coding,
    exception_utils,
    graph_utils,
    oai,
    version,
)
from fsmchat.autogen._agent import ConversableAgent
from fsmchat.autogen._cache import Cache
from fsmchat.autogen._chats import (
    AgentChatResult,
    a_initiate_chats,
    gather_usage_summary,
    initiate_chats,
)
from fsmchat.autogen._checks import SPEAKER_SELECTION_METHODS
from fsmchat.autogen._exceptions import (
    AgentNameConflict,
    InvalidCarryOverType,
    NoEligibleSpeaker,
    SpeakerSelectionError,
    UndefinedNextAgent,
)
from fsmchat.autogen._groupchat import (
    DEFAULT_INTRO_MSG,
    DEFAULT_SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE,
    DEFAULT_SELECT_SPEAKER_AUTO_NONE_TEMPLATE,
    DEFAULT_SELECT_SPEAKER_MESSAGE_TEMPLATE,
    DEFAULT_SELECT_SPEAKER_PROMPT_TEMPLATE,
    GroupChat,
)
from fsmchat.autogen._manager import GroupChatManager
from fsmchat.autogen._roles import AssistantAgent, FunctionAgent, UserProxyAgent
from fsmchat.autogen._session import Agent
from fsmchat.autogen._tools import register_function
from fsmchat.autogen._utils import (
    consolidate_chat_info,
    content_str,
    parse_tags_from_content,
)
from fsmchat.autogen.code_utils import DEFAULT_MODEL, FAST_MODEL
from fsmchat.autogen.exception_utils import SenderRequired
from fsmchat.autogen.oai import ModelClient, OpenAIWrapper, get_config_list
from fsmchat.autogen.version import __version__

ChatResult = AgentChatResult
"""AutoGen's name of :class:`AgentChatResult` (what ``initiate_chat`` returns)."""

_DEPRECATED = {"SELECTION_METHODS": "SPEAKER_SELECTION_METHODS"}


def __getattr__(name: str) -> Any:
    """The deprecated names, each with a :class:`DeprecationWarning` naming its successor."""
    new = _DEPRECATED.get(name)
    if new is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    warnings.warn(
        f"fsmchat.autogen.{name} is deprecated; use fsmchat.autogen.{new}",
        DeprecationWarning,
        stacklevel=2,
    )
    return globals()[new]


__all__ = [
    "DEFAULT_INTRO_MSG",
    "DEFAULT_MODEL",
    "DEFAULT_SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_AUTO_NONE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_MESSAGE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_PROMPT_TEMPLATE",
    "FAST_MODEL",
    "SPEAKER_SELECTION_METHODS",
    "Agent",
    "AgentChatResult",
    "AgentNameConflict",
    "AssistantAgent",
    "Cache",
    "ChatResult",
    "ConversableAgent",
    "FunctionAgent",
    "GroupChat",
    "GroupChatManager",
    "InvalidCarryOverType",
    "ModelClient",
    "NoEligibleSpeaker",
    "OpenAIWrapper",
    "SenderRequired",
    "SpeakerSelectionError",
    "UndefinedNextAgent",
    "UserProxyAgent",
    "__version__",
    "a_initiate_chats",
    "agentchat",
    "cache",
    "code_utils",
    "coding",
    "config_list_from_dotenv",
    "config_list_from_json",
    "consolidate_chat_info",
    "content_str",
    "exception_utils",
    "filter_config",
    "gather_usage_summary",
    "get_config_list",
    "graph_utils",
    "initiate_chats",
    "oai",
    "parse_tags_from_content",
    "register_function",
    "version",
]
