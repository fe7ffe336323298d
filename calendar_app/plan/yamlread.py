"""Reading YAML while keeping line numbers, so every complaint can say where to look.

PyYAML drops positions once it builds Python values; this loader keeps them on the mappings
and lists it builds (`.line`, `.key_lines`, `.item_lines`), and refuses duplicate keys, which
PyYAML would otherwise let the last one win silently, and keys that are lists or mappings.

It is also where a document's size is bounded, before any value is built: a file of at
most `limits.PLAN_BYTES`, refused before it is read whole (a 600 MB file, `/dev/zero`), and
aliases may not repeat values beyond a small factor (a "billion laughs" document of 1 KB
stands for 10^9 strings, which every later `str()` would spell out). A whole number too long
for Python to read and a text holding a NUL character (which PostgreSQL cannot store) are
refused with their line, like any other bad value.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from .. import limits
from ..errors import Problem

MAX_BYTES = limits.PLAN_BYTES
ALIAS_FACTOR = 10  # values after alias expansion, per value written
ALIAS_ALLOWANCE = 10_000  # ... plus this many, so a few anchors in a small file are fine


class Mapping(dict):
    line: int = 0
    key_lines: dict

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class Seq(list):
    line: int = 0
    item_lines: list

    def __init__(self, *args):
        super().__init__(*args)
        self.item_lines = []

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


# libyaml's parser when PyYAML was built with it (several times faster); marks work the same.
_Parser: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Parser):  # type: ignore[valid-type,misc]  # chosen as the module loads
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Mapping:
    loader.flatten_mapping(node)
    result = Mapping()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise Problem("a key must be a plain word or number, not a list or mapping",
                          line=key_node.start_mark.line + 1)
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise Problem(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise Problem(f"impossible date {node.value!r}: {exc}", line=node.start_mark.line + 1) \
            from None


def _int(loader: _Loader, node: yaml.ScalarNode) -> object:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:  # more digits than Python turns into a number (4,300)
        raise Problem(f"the number {node.value[:20]}… has {len(node.value)} characters; write "
                      "a number of a few digits", line=node.start_mark.line + 1) from None


def _str(loader: _Loader, node: yaml.ScalarNode) -> object:
    value = yaml.constructor.SafeConstructor.construct_yaml_str(loader, node)
    if "\x00" in value:
        raise Problem("a text holds a NUL character (\\0), which no database stores; "
                      "take it out", line=node.start_mark.line + 1)
    return value


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:str", _str)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def read(path: Path) -> str:
    """The text of a YAML file, refused as too large before it is read whole (a special file
    such as /dev/zero has no size to ask, so at most one byte past the bound is read)."""
    too_large = _too_large(str(path))
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if stat.S_ISREG(status.st_mode) and status.st_size > MAX_BYTES:
                raise too_large
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Problem(f"cannot read plan: {exc.strerror}", str(path)) from None
    if len(data) > MAX_BYTES:
        raise too_large
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem("plan is not UTF-8 text", str(path)) from None


def _too_large(file: str) -> Problem:
    return Problem(f"the file is larger than {MAX_BYTES // 1024 // 1024} MB; a plan is a few "
                   "hundred KB at most", file)


def load(text: str, file: str) -> object:
    """Parse YAML text; a syntax error or a bad value becomes a Problem naming file and line."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _too_large(file)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if "&" in text:  # no anchor, no alias: nothing to bound
            _bound_aliases(node)
        return loader.construct_document(node)
    except Problem as problem:
        problem.file = file
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        reason = exc.problem or exc.context or "not valid YAML"
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            reason += f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        raise Problem(f"not valid YAML: {reason}", file, line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "a character"
        raise Problem(f"not valid YAML: {character} is not allowed in a YAML file", file,
                      line) from None
    except yaml.YAMLError as exc:
        raise Problem(f"not valid YAML: {' '.join(str(exc).split())}", file) from None
    finally:
        loader.dispose()


def _bound_aliases(root: yaml.Node) -> None:
    """Refuse a document whose aliases make it much larger than what is written.

    An alias is the anchored node itself in the composed graph, so the expanded size is a
    sum over a DAG: linear in the nodes written, however large the expansion."""
    sizes: dict[int, int] = {}
    uses: dict[int, int] = {}
    nodes: dict[int, yaml.Node] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            sizes[key] = 1 + sum(sizes.get(id(c), 0) for c in _children(node))
            continue
        uses[key] = uses.get(key, 0) + 1
        if key in nodes:
            continue  # seen before: an alias (or a cycle, which construction refuses)
        nodes[key] = node
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    written = len(nodes)
    expanded = sizes[id(root)]
    if expanded > ALIAS_FACTOR * written + ALIAS_ALLOWANCE:
        repeated = max((k for k in nodes if uses[k] > 1), key=lambda k: sizes.get(k, 0))
        raise Problem(f"aliases expand {written} values into {expanded}; write the values "
                      "out instead of repeating them through aliases",
                      line=nodes[repeated].start_mark.line + 1)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
