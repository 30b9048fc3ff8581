"""Rules of the example specs in ``specs/``: reply functions and guard predicates.

Example-specific logic lives here, with its examples, not in the core.
"""
