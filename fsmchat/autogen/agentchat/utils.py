"""AutoGen's ``autogen.agentchat.utils`` path."""

from fsmchat.autogen import (
    consolidate_chat_info,
    content_str,
    gather_usage_summary,
    parse_tags_from_content,
)

__all__ = [
    "consolidate_chat_info",
    "content_str",
    "gather_usage_summary",
    "parse_tags_from_content",
]
