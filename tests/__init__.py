"""fsmchat test suite."""
