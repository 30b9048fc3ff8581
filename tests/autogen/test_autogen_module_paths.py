"""AutoGen 0.2's public agent-chat module paths exist under ``fsmchat.autogen``.

The rule a user applies when porting is "replace the package name":
``from autogen.X import Y`` becomes ``from fsmchat.autogen.X import Y``. The
list below was taken from an install of autogen-agentchat 0.2.40 (each module's
``__all__``, or its public names that are not typing helpers or imports of
other packages). Left out on purpose, with the reason:

* ``Completion``, ``ChatCompletion`` (``autogen.oai``): the 0.1 completion API,
  deprecated in AutoGen itself;
* ``config_list_from_models``, ``config_list_openai_aoai``,
  ``config_list_gpt4_gpt35`` (``autogen.oai``): Azure/OpenAI key-file
  discovery; use ``config_list_from_json`` or ``get_config_list``;
* ``autogen.code_utils.execute_code`` and the code-generation helpers
  (``generate_code``, ``improve_code``, ``implement``...): they run code on the
  host outside any agent; agents run code through ``fsmchat.autogen.coding``;
* ``formatting_utils``, ``function_utils``, ``io``, ``logger``,
  ``runtime_logging``, ``token_count_utils``, ``types``, ``browser_utils``,
  ``retrieve_utils``, and of ``agentchat.contrib`` all but the message
  capabilities (``AgentCapability``, ``TransformMessages``, the history and
  token limiters): not part of the agent-chat core.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC: dict[str, list[str]] = {
    "": [
        "Agent",
        "AgentNameConflict",
        "AssistantAgent",
        "Cache",
        "ChatResult",
        "ConversableAgent",
        "DEFAULT_MODEL",
        "FAST_MODEL",
        "GroupChat",
        "GroupChatManager",
        "InvalidCarryOverType",
        "ModelClient",
        "NoEligibleSpeaker",
        "OpenAIWrapper",
        "SenderRequired",
        "UndefinedNextAgent",
        "UserProxyAgent",
        "__version__",
        "agentchat",
        "cache",
        "code_utils",
        "coding",
        "config_list_from_dotenv",
        "config_list_from_json",
        "exception_utils",
        "filter_config",
        "gather_usage_summary",
        "get_config_list",
        "graph_utils",
        "initiate_chats",
        "oai",
        "register_function",
        "version",
    ],
    "agentchat": [
        "Agent",
        "AssistantAgent",
        "ChatResult",
        "ConversableAgent",
        "GroupChat",
        "GroupChatManager",
        "UserProxyAgent",
        "gather_usage_summary",
        "initiate_chats",
        "register_function",
    ],
    "agentchat.agent": ["Agent", "LLMAgent"],
    "agentchat.assistant_agent": ["AssistantAgent"],
    "agentchat.chat": [
        "ChatResult",
        "Prerequisite",
        "_post_process_carryover_item",
        "a_initiate_chats",
        "initiate_chats",
    ],
    "agentchat.contrib.capabilities.agent_capability": ["AgentCapability"],
    "agentchat.contrib.capabilities.transform_messages": ["TransformMessages"],
    "agentchat.contrib.capabilities.transforms": [
        "MessageHistoryLimiter",
        "MessageTokenLimiter",
        "MessageTransform",
    ],
    "agentchat.conversable_agent": ["ConversableAgent", "register_function"],
    "agentchat.groupchat": [
        "AgentNameConflict",
        "GroupChat",
        "GroupChatManager",
        "NoEligibleSpeaker",
        "UndefinedNextAgent",
    ],
    "agentchat.user_proxy_agent": ["UserProxyAgent"],
    "agentchat.utils": [
        "consolidate_chat_info",
        "gather_usage_summary",
        "parse_tags_from_content",
    ],
    "cache": ["AbstractCache", "Cache"],
    "cache.abstract_cache_base": ["AbstractCache"],
    "cache.cache": ["Cache"],
    "code_utils": [
        "CODE_BLOCK_PATTERN",
        "DEFAULT_MODEL",
        "DEFAULT_TIMEOUT",
        "FAST_MODEL",
        "PYTHON_VARIANTS",
        "TIMEOUT_MSG",
        "UNKNOWN",
        "content_str",
        "extract_code",
        "infer_lang",
    ],
    "coding": [
        "CodeBlock",
        "CodeExecutor",
        "CodeExecutorFactory",
        "CodeExtractor",
        "CodeResult",
        "DockerCommandLineCodeExecutor",
        "LocalCommandLineCodeExecutor",
        "MarkdownCodeExtractor",
    ],
    "coding.base": [
        "CodeBlock",
        "CodeExecutionConfig",
        "CodeExecutor",
        "CodeExtractor",
        "CodeResult",
        "CommandLineCodeResult",
    ],
    "coding.docker_commandline_code_executor": ["DockerCommandLineCodeExecutor"],
    "coding.factory": ["CodeExecutorFactory"],
    "coding.local_commandline_code_executor": ["LocalCommandLineCodeExecutor"],
    "coding.markdown_code_extractor": ["MarkdownCodeExtractor"],
    "exception_utils": [
        "AgentNameConflict",
        "InvalidCarryOverType",
        "NoEligibleSpeaker",
        "SenderRequired",
        "UndefinedNextAgent",
    ],
    "graph_utils": [
        "check_graph_validity",
        "has_self_loops",
        "invert_disallowed_to_allowed",
        "visualize_speaker_transitions_dict",
    ],
    "math_utils": [
        "eval_math_responses",
        "get_answer",
        "is_equiv",
        "is_equiv_chain_of_thought",
        "last_boxed_only_string",
        "remove_boxed",
        "voting_counts",
    ],
    "oai": [
        "Cache",
        "ModelClient",
        "OpenAIWrapper",
        "config_list_from_dotenv",
        "config_list_from_json",
        "filter_config",
        "get_config_list",
    ],
    "oai.client": ["TOOL_ENABLED", "ModelClient", "OpenAIWrapper"],
    "oai.openai_utils": [
        "config_list_from_dotenv",
        "config_list_from_json",
        "filter_config",
        "get_config_list",
    ],
    "version": ["__version__"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_every_public_name_imports_from_fsmchat_autogen(module: str) -> None:
    """`from autogen.<module> import <name>` works with the package name replaced."""
    path = "fsmchat.autogen" + ("." + module if module else "")
    imported = importlib.import_module(path)
    missing = [name for name in PUBLIC[module] if not hasattr(imported, name)]
    assert missing == []


def test_the_names_are_the_same_objects_on_every_path() -> None:
    """A class reached by two paths is one class (isinstance and except work across paths)."""
    import fsmchat.autogen as autogen
    from fsmchat.autogen.agentchat.chat import ChatResult
    from fsmchat.autogen.cache.cache import Cache
    from fsmchat.autogen.coding.base import CodeBlock
    from fsmchat.autogen.exception_utils import SenderRequired

    assert ChatResult is autogen.ChatResult
    assert Cache is autogen.Cache is autogen.oai.Cache
    assert CodeBlock is autogen.coding.CodeBlock
    assert SenderRequired is autogen.SenderRequired


def test_chat_result_is_autogens_name_of_agent_chat_result() -> None:
    """AutoGen's `ChatResult` is the facade's `AgentChatResult`, not the engine's `fsmchat.ChatResult`."""
    import fsmchat
    import fsmchat.autogen as autogen

    assert autogen.ChatResult is autogen.AgentChatResult
    assert autogen.ChatResult is not fsmchat.ChatResult


def test_selection_methods_is_a_deprecated_name() -> None:
    """`autogen.SELECTION_METHODS` still answers, with a warning naming `SPEAKER_SELECTION_METHODS`."""
    import fsmchat.autogen as autogen

    with pytest.warns(DeprecationWarning, match="SPEAKER_SELECTION_METHODS"):
        old = autogen.SELECTION_METHODS
    assert old is autogen.SPEAKER_SELECTION_METHODS
    assert "round_robin" in old
    with pytest.raises(AttributeError, match="NO_SUCH_NAME"):
        _ = autogen.NO_SUCH_NAME


def test_version_is_the_autogen_release_followed() -> None:
    """`autogen.__version__` names the AutoGen release whose API the facade follows."""
    import fsmchat
    import fsmchat.autogen as autogen

    assert autogen.__version__ == autogen.version.__version__ == "0.2.40"
    assert fsmchat.__version__ != autogen.__version__
