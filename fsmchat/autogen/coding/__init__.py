"""AutoGen's ``autogen.coding``: code executors for ``code_execution_config={"executor": ...}``.

The executors run blocks through fsmchat's code runners: the local one in the
bubblewrap sandbox by default, the Docker one in a container without network.
"""

from fsmchat.autogen.coding.base import (
    CodeBlock,
    CodeExecutor,
    CodeExtractor,
    CodeResult,
    CommandLineCodeResult,
)
from fsmchat.autogen.coding.docker_commandline_code_executor import (
    DockerCommandLineCodeExecutor,
)
from fsmchat.autogen.coding.factory import CodeExecutorFactory
from fsmchat.autogen.coding.local_commandline_code_executor import (
    LocalCommandLineCodeExecutor,
)
from fsmchat.autogen.coding.markdown_code_extractor import MarkdownCodeExtractor

__all__ = [
    "CodeBlock",
    "CodeExecutor",
    "CodeExecutorFactory",
    "CodeExtractor",
    "CodeResult",
    "CommandLineCodeResult",
    "DockerCommandLineCodeExecutor",
    "LocalCommandLineCodeExecutor",
    "MarkdownCodeExtractor",
]
