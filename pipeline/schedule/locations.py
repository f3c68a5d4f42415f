"""Where unattended runs keep their state and their log, and the log itself.

Both follow the platform's conventions (``platformdirs``): on Linux ``~/.local/state/groundbrief``
and ``~/.local/state/groundbrief/log``. ``GROUNDBRIEF_STATE_DIR`` and ``GROUNDBRIEF_LOG_DIR`` move
them (tests, CI, several independent setups on one machine).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from logging.handlers import RotatingFileHandler
from pathlib import Path

import platformdirs

from pipeline.controls import printable

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
    """Log lines quote documents and questions: no terminal escapes reach whoever tails the log."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


@contextmanager
def file_log(warn: Callable[[str], None]) -> Iterator[logging.Logger]:
    """The run log, rotated at 1 MB; if it can't be written, ``warn`` once and run without it."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    path = log_dir() / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
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
