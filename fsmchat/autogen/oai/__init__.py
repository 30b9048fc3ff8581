"""AutoGen's ``autogen.oai``: the model client and config lists."""

from fsmchat.autogen._cache import Cache
from fsmchat.autogen.oai.client import ModelClient, OpenAIWrapper
from fsmchat.autogen.oai.openai_utils import (
    config_list_from_dotenv,
    config_list_from_json,
    filter_config,
    get_config_list,
)

__all__ = [
    "Cache",
    "ModelClient",
    "OpenAIWrapper",
    "config_list_from_dotenv",
    "config_list_from_json",
    "filter_config",
    "get_config_list",
]
