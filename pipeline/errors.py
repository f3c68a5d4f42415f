"""Errors that reach the user as one clear line and a non-zero exit, and the exit statuses."""

from pipeline.controls import printable

#: Written, but some searches or model calls failed (the report says which).
EXIT_PARTIAL = 3
#: Written, but sending it (``--send``) failed for a target: the report stays written.
EXIT_UNDELIVERED = 4


class GroundbriefError(Exception):
    """Base of every error the CLI reports as ``Error: <message>``."""

    def __str__(self) -> str:
        # A message may quote a file name, a topic or a document's text: it reaches a terminal as text.
        return printable(super().__str__())


class UsageError(GroundbriefError):
    """Bad input: a topic, option, corpus, or output folder the tool can't work with."""


class ModelCallError(GroundbriefError):
    """A model call failed after the backend's retries (timeouts, 429/5xx that didn't clear)."""


class ModelOutputError(GroundbriefError):
    """The model's reply did not validate, even after one repair attempt."""
