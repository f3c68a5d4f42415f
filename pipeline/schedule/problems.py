"""Problems in an input file, reported all together by line (and column where it is known)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import UsageError


@dataclass(frozen=True)
class Problem:
    line: int
    message: str
    where: str = ""
    column: int | None = None

    def __str__(self) -> str:
        position = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{position}: {self.where + ': ' if self.where else ''}{self.message}"


class ProblemsError(UsageError):
    """Every problem found in ``path``, in file order: fix them all in one go."""

    def __init__(self, path: Path, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda problem: (problem.line, problem.column or 0))
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        super().__init__(f"{path}: {count}, nothing was run:" + "".join(f"\n  {p}" for p in self.problems))
