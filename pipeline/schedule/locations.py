"""Where unattended runs keep their state and their log, and the log itself.

Both follow the platform's conventions (``platformdirs``): on Linux ``~/.local/state/groundbrief``
and ``~/.local/state/groundbrief/log``. ``GROUNDBRIEF_STATE_DIR`` and ``GROUNDBRIEF_LOG_DIR`` move
them (tests, CI, several independent setups on one machine).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from logging.handlers import RotatingFileHandler
from pathlib import Path

import platformdirs

from pipeline.controls import printable
from pipeline.providers.secrets import redact_keys

LOGGER_NAME = "groundbrief.schedule"
LOG_FILE = "schedule.log"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 3

# Between runs the log has no file: a report abandoned at its time limit that still warns must
# not fall through to logging's last-resort handler and print on stderr.
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


def state_dir() -> Path:
    override = os.environ.get("GROUNDBRIEF_STATE_DIR")
    return Path(override) if override else Path(platformdirs.user_state_dir("groundbrief"))


def log_dir() -> Path:
    override = os.environ.get("GROUNDBRIEF_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir("groundbrief"))


def state_database(directory: Path) -> Path:
    return directory / "runs.sqlite3"


class _PrintableFormatter(logging.Formatter):
    """Log lines quote documents, questions and errors: no terminal escapes reach whoever tails the
    log, and no credential reaches the file."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_keys(printable(super().format(record)))


class _LogFile(RotatingFileHandler):
    """The log file; once a write fails (disk full, no file entries left, removed folder), ``warn``
    says so once and the run goes on without it, rather than a traceback per line."""

    def __init__(self, path: Path, warn: Callable[[str], None]):
        super().__init__(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
        self.warn = warn
        self.failed = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        if self.failed:
            return
        self.failed = True
        error = sys.exc_info()[1]
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        self.warn(f"can't write the log {self.baseFilename} ({reason}); continuing without it")

    def close(self) -> None:
        with suppress(OSError):  # what is still buffered can't be written either: that was said
            super().close()


@contextmanager
def file_log(warn: Callable[[str], None]) -> Iterator[logging.Logger]:
    """The run log, rotated at 1 MB; if it can't be written, ``warn`` once and run without it."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    path = log_dir() / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = _LogFile(path, warn)
    except OSError as error:
        warn(f"can't write the log {path} ({error.strerror or error}); continuing without it")
        handler = logging.NullHandler()
    handler.setFormatter(_PrintableFormatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()
