"""AutoGen's ``autogen.agentchat.contrib.capabilities``: capabilities added to an agent.

``agent_capability`` (the :class:`AgentCapability` base class),
``transforms`` (message transforms) and ``transform_messages``
(:class:`TransformMessages`, which runs them before each reply).
"""
