"""The AutoGen-style facade: ``import fsmchat.autogen as autogen``.

AutoGen 0.2 / AG2 programs run with only their imports changed; every chat is a
finite state machine on fsmchat's engine. The modules, by role: ``_agent``
(ConversableAgent), ``_replies`` (reply functions, hooks, human, model),
``_tools`` (functions and tools), ``_code`` (code execution), ``_roles``
(AssistantAgent, UserProxyAgent), ``_session`` (one chat on the engine),
``_chats`` (results, summaries, sequential chats), ``_groupchat``, ``_checks``,
``_speakers``, ``_manager``, ``_cache``, ``_utils``, ``_exceptions``; the
``agentchat`` subpackage mirrors AutoGen's module paths.
"""

from fsmchat.adapters._config import (
    config_list_from_dotenv,
    config_list_from_json,
    filter_config,
)
from fsmchat.autogen import agentchat, exception_utils
from fsmchat.autogen._agent import ConversableAgent
from fsmchat.autogen._cache import Cache
from fsmchat.autogen._chats import (
    ChatResult,
    a_initiate_chats,
    gather_usage_summary,
    initiate_chats,
)
from fsmchat.autogen._checks import SELECTION_METHODS
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

__all__ = [
    "DEFAULT_INTRO_MSG",
    "DEFAULT_SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_AUTO_NONE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_MESSAGE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_PROMPT_TEMPLATE",
    "SELECTION_METHODS",
    "Agent",
    "AgentNameConflict",
    "AssistantAgent",
    "Cache",
    "ChatResult",
    "ConversableAgent",
    "FunctionAgent",
    "GroupChat",
    "GroupChatManager",
    "InvalidCarryOverType",
    "NoEligibleSpeaker",
    "SpeakerSelectionError",
    "UndefinedNextAgent",
    "UserProxyAgent",
    "a_initiate_chats",
    "agentchat",
    "config_list_from_dotenv",
    "config_list_from_json",
    "consolidate_chat_info",
    "content_str",
    "exception_utils",
    "filter_config",
    "gather_usage_summary",
    "initiate_chats",
    "parse_tags_from_content",
    "register_function",
]
