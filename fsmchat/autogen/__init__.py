"""The AutoGen-style facade: ``import fsmchat.autogen as autogen``."""

from fsmchat.autogen._facade import (
    DEFAULT_INTRO_MSG,
    DEFAULT_SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE,
    DEFAULT_SELECT_SPEAKER_AUTO_NONE_TEMPLATE,
    DEFAULT_SELECT_SPEAKER_MESSAGE_TEMPLATE,
    DEFAULT_SELECT_SPEAKER_PROMPT_TEMPLATE,
    SELECTION_METHODS,
    Agent,
    AssistantAgent,
    ConversableAgent,
    GroupChat,
    GroupChatManager,
    SpeakerSelectionError,
    UserProxyAgent,
    config_list_from_dotenv,
    config_list_from_json,
)

__all__ = [
    "DEFAULT_INTRO_MSG",
    "DEFAULT_SELECT_SPEAKER_AUTO_MULTIPLE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_AUTO_NONE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_MESSAGE_TEMPLATE",
    "DEFAULT_SELECT_SPEAKER_PROMPT_TEMPLATE",
    "SELECTION_METHODS",
    "Agent",
    "AssistantAgent",
    "ConversableAgent",
    "GroupChat",
    "GroupChatManager",
    "SpeakerSelectionError",
    "UserProxyAgent",
    "config_list_from_dotenv",
    "config_list_from_json",
]
