"""Errors that reach the user as one clear line and a non-zero exit."""

from pipeline.controls import printable


class GroundbriefError(Exception):
    """Base of every error the CLI reports as ``Error: <message>``."""

    def __str__(self) -> str:
        # A message may quote a file name, a topic or a document's text: it reaches a terminal as text.
        return printable(super().__str__())


class UsageError(GroundbriefError):
    """Bad input: a topic, option, corpus, or output folder the tool can't work with."""
