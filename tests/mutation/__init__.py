"""Mutation testing of the core (run by hand: ``python tests/mutation/mutate.py``)."""
