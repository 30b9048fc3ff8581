"""AutoGen's ``autogen.agentchat.contrib``: only the message capabilities are here."""
