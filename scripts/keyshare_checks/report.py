"""Counting checks by group and printing them: one `GROUP: N passed, M failed` line per group
(the form CI reads), each failure with the exchange or step and what was wrong."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Group:
    """The outcomes of one group of checks."""

    name: str
    passed: int = 0
    failures: list[tuple[str, list[str]]] = field(default_factory=list)

    def record(self, subject: str, problems: list[str]) -> None:
        """One check of `subject`: passed when `problems` is empty."""
        if problems:
            self.failures.append((subject, problems))
        else:
            self.passed += 1

    @property
    def failed(self) -> int:
        return len(self.failures)

    def print_failures(self) -> None:
        for subject, problems in self.failures:
            print(f"FAIL [{self.name}] {subject}")
            for problem in problems:
                print(f"    {problem}")

    def summary(self) -> str:
        return f"{self.name}: {self.passed} passed, {self.failed} failed"
