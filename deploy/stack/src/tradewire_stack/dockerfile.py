"""Just enough of a Dockerfile parser for the static checks: instructions, grouped into stages.

Continuation lines are joined, comments and parser directives dropped. Arguments stay as written;
`exec_form()` decodes the JSON array form of CMD, ENTRYPOINT and HEALTHCHECK CMD.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case, e.g. "COPY"
    arguments: str
    line: int

    def exec_form(self) -> list[str]:
        """The JSON array of an exec-form instruction (after HEALTHCHECK's options and `CMD`)."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(\s*--\S+)*\s*CMD\s+", "", text)
        value = json.loads(text)
        if not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise ValueError(f"line {self.line}: {self.keyword} is not in exec (JSON array) form: {text}")
        return value

    def words(self) -> list[str]:
        return shlex.split(self.arguments)


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [item for item in self.instructions if item.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def environment(self) -> dict[str, str]:
        """The variables the stage's ENV instructions set (`KEY=value` form), later ones winning."""
        variables: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for word in instruction.words():
                key, separator, value = word.partition("=")
                if not separator:
                    raise ValueError(f"line {instruction.line}: use ENV KEY=value, not the legacy `ENV KEY value`")
                variables[key] = value
        return variables


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each instruction, continuations joined, comments dropped."""
    result: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        pending.append(stripped)
        result.append((start, " ".join(part for part in pending if part)))
        pending = []
    if pending:
        raise ValueError(f"line {start}: the last instruction ends with a line continuation")
    return result


def parse(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for number, line in logical_lines(path.read_text()):
        keyword, _, arguments = line.partition(" ")
        instruction = Instruction(keyword.upper(), arguments.strip(), number)
        if instruction.keyword == "FROM":
            words = [word for word in instruction.words() if not word.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
            continue
        if not stages:
            if instruction.keyword == "ARG":
                continue  # ARGs before the first FROM parameterise the FROM lines only
            raise ValueError(f"{path}:{number}: {instruction.keyword} before the first FROM")
        stages[-1].instructions.append(instruction)
    if not stages:
        raise ValueError(f"{path}: no FROM instruction")
    return stages
