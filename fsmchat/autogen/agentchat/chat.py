"""AutoGen's ``autogen.agentchat.chat`` path: chat results and sequential chats."""

from fsmchat.autogen._chats import AgentChatResult as ChatResult
from fsmchat.autogen._chats import a_initiate_chats, initiate_chats
from fsmchat.autogen._chats import carryover_item as _post_process_carryover_item

#: ``(chat_id, prerequisite_chat_id)`` in ``a_initiate_chats``' chat queue.
Prerequisite = tuple[int, int]

__all__ = [
    "ChatResult",
    "Prerequisite",
    "_post_process_carryover_item",
    "a_initiate_chats",
    "initiate_chats",
]
