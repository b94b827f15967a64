"""YAML documents that remember where each value came from, so errors can say ``file:line``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Location = tuple[str | int, ...]
"""A path into a document: mapping keys and list indexes, as in pydantic's and jsonschema's errors."""


class YamlSyntaxError(ValueError):
    """The file is not valid YAML; ``line`` is 1-based."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        super().__init__(f"{file}:{line}: {message}" if line else f"{file}: {message}")
        self.file = file
        self.line = line
        self.message = message


@dataclass
class YamlSource:
    """A parsed YAML document plus the 1-based line of every mapping key and value in it."""

    file: str
    data: Any
    _lines: dict[Location, int] = field(default_factory=dict, repr=False)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of the deepest part of ``loc`` that exists in the document."""
        path = tuple(loc)
        while path:
            if path in self._lines:
                return self._lines[path]
            path = path[:-1]
        return self._lines.get((), 1)


def _walk(node: yaml.Node, path: Location, lines: dict[Location, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = (*path, key)
            # The key's line is the useful one ("key: bad value" sits on it); nested values inherit.
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def parse_yaml(text: str, file: str = "<string>") -> YamlSource:
    """Parse ``text`` (one document) keeping line numbers; raises :class:`YamlSyntaxError`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlSyntaxError(file, line, f"invalid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(file, None, f"invalid YAML: {exc}") from None
    lines: dict[Location, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return YamlSource(file=file, data=data, _lines=lines)


def load_yaml(path: Path | str) -> YamlSource:
    """Read and parse a YAML file keeping line numbers."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlSyntaxError(str(p), None, "file not found") from None
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(str(p), None, f"not UTF-8 text ({exc.reason})") from None
    return parse_yaml(text, str(p))
