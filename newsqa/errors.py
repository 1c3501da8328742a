"""The exceptions newsqa raises for things a user can fix.

Only the CLI and the UI turn these into text for people; everything else raises them
with the cause chained (``raise ... from e``). Each message is one line that says what
was wrong and what to do.
"""


class NewsQAError(Exception):
    """Base class: a problem the user can act on, with a one-line message."""


class InputError(NewsQAError):
    """A question, file or filter that cannot be used as given."""


class IndexUnavailableError(NewsQAError):
    """The index folder or server cannot be opened: missing, corrupt, locked or unreachable."""


class ModelMismatchError(NewsQAError):
    """The index was built with another embedding model than the one configured."""


class ModelMissingError(NewsQAError):
    """The embedding model is not installed locally."""


class EngineError(NewsQAError):
    """The generative engine failed: unreachable, timed out, rate-limited or malformed output."""
