"""Durable chats: records on disk (format, reader, writer), resume and replay, and
the durable driver (``run_durable``); ``transcript`` reads any file that holds a chat."""
