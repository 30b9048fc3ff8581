"""AutoGen's ``autogen.agentchat.utils`` path."""

from fsmchat.autogen._chats import gather_usage_summary
from fsmchat.autogen._utils import (
    consolidate_chat_info,
    content_str,
    parse_tags_from_content,
)

__all__ = [
    "consolidate_chat_info",
    "content_str",
    "gather_usage_summary",
    "parse_tags_from_content",
]
