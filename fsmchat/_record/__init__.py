"""Records: a chat written to a file, line by line, that can be resumed, verified
and replayed. ``format`` (the lines as values), ``reader``/``writer``, ``replay``
(the engine driven from a record), ``run`` (``run_recorded``: start or continue a
recorded chat), ``chat`` (``read_chat``: any file that holds a chat)."""
