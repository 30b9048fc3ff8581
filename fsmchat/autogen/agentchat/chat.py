"""AutoGen's ``autogen.agentchat.chat`` path: chat results and sequential chats."""

from fsmchat.autogen._chats import ChatResult, a_initiate_chats, initiate_chats

#: ``(chat_id, prerequisite_chat_id)`` in ``a_initiate_chats``' chat queue.
Prerequisite = tuple[int, int]

__all__ = ["ChatResult", "Prerequisite", "a_initiate_chats", "initiate_chats"]
