"""Errors that reach the user as one clear line and a non-zero exit."""


class GroundbriefError(Exception):
    """Base of every error the CLI reports as ``Error: <message>``."""


class UsageError(GroundbriefError):
    """Bad input: a topic, option, corpus, or output folder the tool can't work with."""
