"""AutoGen's ``autogen.version``: the AutoGen release whose API the facade follows.

fsmchat's own version is ``fsmchat.__version__``.
"""

__version__ = "0.2.40"

__all__ = ["__version__"]
