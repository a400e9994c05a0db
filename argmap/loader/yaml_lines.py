"""YAML text → plain Python values that remember the line each key and item was written on.

Only YAML's safe core is accepted: no tags that construct objects, no duplicate keys, and a
bound on the size an alias can expand to (a "billion laughs" document is refused, not
expanded).
"""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

from argmap.errors import ArgmapError, Location, Problem
from argmap.loader.block_yaml import NOT_PLAIN, FlowRow, NotPlain, plain_type, read_block, scalar_text

# PyYAML (libyaml) is imported when a text leaves the plain block style that block_yaml reads
# (most hand-written files: comments are fine, but folded text is not), never for the others:
# an imported network loads without it.
_LOADERS: list[type] = []


def _loader_class() -> type:
    """The safe loader (libyaml's parser and composer where the wheel ships them), with each
    plain scalar's tag resolved once per distinct text: the composer asks the (Python) resolver
    for every scalar, and an imported network has hundreds of thousands of them, most of them
    repeats ("0.5", "true", state names)."""
    if not _LOADERS:
        import yaml

        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

        class _Loader(base):  # type: ignore[misc, valid-type]
            def __init__(self, stream: Any):
                super().__init__(stream)
                self._tags: dict[tuple, str] = {}

            def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
                if kind is not yaml.ScalarNode:
                    return super().resolve(kind, value, implicit)
                key = (value, implicit)  # SafeLoader has no path resolvers: the tag depends on these alone
                tag = self._tags.get(key)
                if tag is None:
                    tag = self._tags[key] = super().resolve(kind, value, implicit)
                return tag

        _LOADERS.append(_Loader)
    return _LOADERS[0]


def __getattr__(name: str) -> Any:
    if name == "_Loader":
        return _loader_class()
    raise AttributeError(name)


_DECIMAL = re.compile(r"[-+]?[0-9]+\.[0-9]+(?:[eE][-+][0-9]+)?")  # a table's numbers
_UNSIGNED_DECIMAL = r"[0-9]+\.[0-9]+(?:[eE][-+][0-9]+)?"  # those that _DECIMAL matches, unsigned
MAX_NODES = 2_000_000
MAX_DEPTH = 64
MAX_ALIAS_EXPANSIONS = 10_000  # *alias uses; a "billion laughs" document needs billions
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


class LocDict(dict):
    """A mapping read from YAML, with the location of itself and of each key."""

    location: Location
    key_locations: dict[str, Location]
    flow_row: FlowRow | None = None  # a one-line flow mapping read by block_yaml: its shared cells

    def where(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


class LocList(list):
    """A sequence read from YAML, with the location of itself and of each item."""

    location: Location
    item_locations: list[Location]

    def where(self, index: int) -> Location:
        return self.item_locations[index] if index < len(self.item_locations) else self.location


def located(data: Any, file: str) -> Any:
    """Python data → the values :func:`read_yaml` gives for its YAML, every location the start of
    ``file``: a document checked before it is written (``argmap import``), whose problems are
    told against the file it came from. Mappings of numbers alike share one FlowRow, as the rows
    block_yaml reads from one text do."""
    at = Location(file)
    rows: dict[tuple, LocDict] = {}
    seen: dict[int, LocDict] = {}  # a row given twice (one mapping object): converted once

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            found = seen.get(id(value))
            if found is not None:
                return found
            cells = float_row_key(value)
            if cells is not None:  # a prior or a table's row
                found = rows.get(cells)  # rows alike are one mapping: their locations are alike too
                if found is None:
                    # state names are text already (scalar_text gives a str back as it is)
                    found = rows[cells] = (LocDict(value) if set(map(type, value)) == _STRS
                                           else LocDict(zip(map(scalar_text, value), value.values())))
                    found.flow_row = FlowRow(tuple(found), tuple(found.values()))
                    found.location, found.key_locations = at, {}
                seen[id(value)] = found  # (the data outlives this call: its ids are not reused)
                return found
            found = LocDict((scalar_text(k), convert(v)) for k, v in value.items())
            found.location, found.key_locations = at, {}
            return found
        if isinstance(value, list | tuple):
            items = LocList(convert(v) for v in value)
            items.location, items.item_locations = at, []
            return items
        return value

    return convert(data)


_FLOATS = {float}
_STRS = {str}


def float_row_key(row: dict) -> tuple | None:
    """For a non-empty mapping of floats, a key equal for two such mappings exactly when they are
    written alike (0.0 and -0.0 apart, which compare equal); None for any other mapping."""
    values = tuple(row.values())
    if not values or set(map(type, values)) != _FLOATS:
        return None
    cells = tuple(row.items())
    return cells if 0.0 not in values else (cells, tuple(map(math.copysign, itertools.repeat(1.0), values)))


def read_yaml(text: str, file: str) -> Any:
    """Parse one YAML document; raise ArgmapError naming the line of any syntax problem."""
    if text.startswith("\ufeff"):
        text = text[1:]
    found = _read_plain(text, file)  # the plain block style, line by line: far faster on big tables
    if found is not NOT_PLAIN:
        return found
    import yaml

    try:
        _count_values(text, file)
        node = yaml.compose(text, Loader=_loader_class())
    except RecursionError:
        raise ArgmapError.at(Location(file), f"nesting too deep for YAML to read; argmap files nest a few "
                                             f"levels (at most {MAX_DEPTH})") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or "invalid YAML"
        if exc.context:
            what = f"{exc.context}, {what}"
        lines = text.splitlines()
        line = min(line, len(lines))  # libyaml puts an error at the end of the text past its last line
        if 0 < line <= len(lines) and "\t" in lines[line - 1]:
            what += " — this line has a tab; YAML indents with spaces only"
        raise ArgmapError.at(
            Location(file, line),
            f"YAML syntax error: {what}; check indentation, colons and quotes on this line "
            "or the one before",
        ) from None
    except yaml.YAMLError as exc:
        raise ArgmapError.at(Location(file), f"YAML error: {exc}") from None
    if node is None:
        return None
    return _Converter(file).convert(node, 0)


def _read_plain(text: str, file: str) -> Any:
    """The document through :mod:`argmap.loader.block_yaml` (NOT_PLAIN where it leaves that style)."""
    converter = _Converter(file)
    values: dict[str, Any] = {}

    def scalar(raw: str) -> Any:
        found = values.get(raw, values)
        if found is values:
            if _DECIMAL.fullmatch(raw):  # what YAML resolves as a float, read as _scalar reads it
                found = values[raw] = float(raw)
                return found
            kind = plain_type(raw)
            if kind == "str" or kind == "timestamp":  # dates stay as written, as _scalar keeps them
                found = raw
            elif kind == "null":
                found = None
            elif kind == "bool":
                found = raw.lower() in ("yes", "true", "on")
            elif kind == "int" and raw.isdigit() and (raw[0] != "0" or raw == "0"):
                found = int(raw)
            elif kind == "int" or kind == "float":  # 0x1F, 1_000, 1:30, .inf …: PyYAML's constructor
                import yaml

                try:
                    found = converter._scalar(yaml.ScalarNode(f"tag:yaml.org,2002:{kind}", raw))
                except (ArgmapError, yaml.YAMLError, ValueError):
                    raise NotPlain from None
            else:
                raise NotPlain  # '=' or '<<': libyaml's path says what is wrong, and where
            values[raw] = found
        return found

    scalar.cache = values  # type: ignore[attr-defined]  # block_yaml looks texts up here first
    scalar.decimal = _UNSIGNED_DECIMAL  # type: ignore[attr-defined]  # and reads a row of these at once

    def flow(raw: str, line: int) -> Any:
        import yaml

        try:
            node = yaml.compose(raw, Loader=_loader_class())
            converter.offset = line - 1
            return converter.convert(node, 1)
        except (ArgmapError, yaml.YAMLError, RecursionError):
            raise NotPlain from None

    return read_block(text, file, mapping=LocDict, sequence=LocList, scalar=scalar, flow=flow,
                      max_nodes=MAX_NODES, max_depth=MAX_DEPTH)


def _count_values(text: str, file: str) -> None:
    """Refuse a document of more than MAX_NODES values while it is parsed, before the composer
    holds them all (a 48 MB list of zeros took 7 GB and two minutes to compose). Every value
    is delimited by a colon, comma, dash, bracket, question mark or line break, so a text with
    few of these cannot hold many values and is not parsed twice."""
    delimiters = sum(text.count(c) for c in ":,-\n[{?")
    if 2 * delimiters + 2 <= MAX_NODES:
        return
    import yaml

    values = 0
    for event in yaml.parse(text, Loader=_loader_class()):
        if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            values += 1
            if values > MAX_NODES:
                raise ArgmapError.at(Location(file, event.start_mark.line + 1),
                                     f"document holds more than {MAX_NODES:,} values; argmap files hold "
                                     "far fewer — split the data or write it out differently")


class _Converter:
    def __init__(self, file: str):
        self.file = file
        self.nodes = 0
        self.seen: set[int] = set()
        self.alias_uses = 0
        self.problems: list[Problem] = []
        self._constructor: Any = None
        self.offset = 0  # lines before the text composed (a flow value read on its own)

    @property
    def _scalars(self) -> Any:
        if self._constructor is None:
            self._constructor = _loader_class()("")
        return self._constructor

    def loc(self, node: Any) -> Location:
        return Location(self.file, node.start_mark.line + 1 + self.offset)

    def convert(self, node: Any, depth: int) -> Any:
        import yaml

        self.nodes += 1
        if isinstance(node, yaml.CollectionNode):
            # the composer shares one node object among all uses of an *alias: count the reuses
            if id(node) in self.seen:
                self.alias_uses += 1
                if self.alias_uses > MAX_ALIAS_EXPANSIONS:
                    raise ArgmapError.at(self.loc(node), f"more than {MAX_ALIAS_EXPANSIONS:,} uses of "
                                                         "'*alias' lists or mappings; write the data out")
            self.seen.add(id(node))
        if self.nodes > MAX_NODES:
            raise ArgmapError.at(
                self.loc(node),
                f"document expands to more than {MAX_NODES:,} values (aliases?); "
                "write the data out without '*alias' repetition",
            )
        if depth > MAX_DEPTH:
            raise ArgmapError.at(
                self.loc(node), f"nesting deeper than {MAX_DEPTH} levels; flatten the structure"
            )
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _COLLECTION_TAGS:
            raise self._unsupported(node)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            result = LocList(self.convert(item, depth + 1) for item in node.value)
            result.location = self.loc(node)
            result.item_locations = [self.loc(item) for item in node.value]
            return result
        return self._scalar(node)

    def _mapping(self, node: Any, depth: int) -> LocDict:
        import yaml

        result = LocDict()
        result.location = self.loc(node)
        result.key_locations = {}
        problems: list[Problem] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ArgmapError.at(
                    self.loc(key_node), "merge keys ('<<:') are not supported; write the keys out"
                )
            if not isinstance(key_node, yaml.ScalarNode):
                raise ArgmapError.at(self.loc(key_node), "a key must be plain text, not a list or mapping")
            key = scalar_text(self._scalar(key_node))
            if key in result:
                problems.append(
                    Problem(
                        self.loc(key_node),
                        f"duplicate key '{key}' (first written on line "
                        f"{result.key_locations[key].line}); keep one",
                    )
                )
                continue
            result.key_locations[key] = self.loc(key_node)
            result[key] = self.convert(value_node, depth + 1)
        if problems:
            raise ArgmapError(problems)
        return result

    def _scalar(self, node: Any) -> Any:
        tag = node.tag
        if tag == "tag:yaml.org,2002:str":
            return node.value
        if tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay as written; argmap parses its own date forms
        if tag == "tag:yaml.org,2002:float":
            text = node.value
            # YAML's own forms (".inf", "1_000.5", "1:30.0") go through PyYAML; plain decimals
            # read the same with float(), several times faster
            if "_" not in text and ":" not in text and "." in text:
                try:
                    return float(text)
                except ValueError:
                    pass
        elif tag == "tag:yaml.org,2002:int":
            text = node.value
            if text.isdigit() and (text[0] != "0" or text == "0"):  # not octal, hex or base 60
                return int(text)
        if tag in (
            "tag:yaml.org,2002:null",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:float",
        ):
            return self._scalars.construct_object(node)
        raise self._unsupported(node)

    def _unsupported(self, node: Any) -> ArgmapError:
        return ArgmapError.at(
            self.loc(node),
            f"unsupported YAML tag '{node.tag}'; write plain values (text, numbers, lists, mappings)",
        )


