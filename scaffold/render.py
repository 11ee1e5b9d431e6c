"""Rendering blueprints into an in-memory tree ``{relative path: bytes}``.

Templates run in jinja2's sandbox with ``StrictUndefined``: a misspelt variable is an error, not
an empty string, and a template cannot reach Python internals. Files ending in ``.jinja`` are
rendered (the suffix is dropped); other files are copied byte for byte. Path segments may hold
expressions too (``{{ package }}/main.py.jinja``). A rendered path must stay inside the project.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import marshal
import math
import os
import re
import sys
import tempfile
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2 import Environment, StrictUndefined, Template, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.environment import TemplateExpression
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.parser import Parser
from jinja2.sandbox import (
    MAX_RANGE,
    SandboxedEnvironment,
    SandboxedEscapeFormatter,
    SandboxedFormatter,
)
from jinja2.utils import _PassArg, generate_lorem_ipsum
from markupsafe import Markup

from scaffold.errors import BlueprintError, SpecError
from scaffold.filekind import Executable

if TYPE_CHECKING:
    from jinja2.runtime import Context
    from pydantic import BaseModel

    from scaffold.compose import Composition, Selection
    from scaffold.models import ProjectSpec

TEMPLATE_SUFFIX = ".jinja"
_SIMPLE_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*\}\}")


class _NotSimpleError(Exception):
    """A placeholder that needs jinja after all (unknown name, attribute access)."""


Tree = dict[str, bytes]
# Compiled code depends on the interpreter, jinja and the environment's options below. "bounded"
# names the code generator that routes loops and '~' through the limits: code compiled without
# them must never be loaded, so the tag changes whenever the generated code does.
_CACHE_SIGNATURE = (
    f"{sys.implementation.cache_tag}|jinja{jinja2.__version__}|sandbox|trim|lstrip|bounded-v2"
)


@dataclass(frozen=True)
class ProjectContext:
    """What every template knows about the project."""

    name: str
    package: str
    description: str
    python: str


# --- limits: a hostile template must fail fast, not hang or exhaust memory -------------------
#
# jinja's sandbox stops a template from reaching Python internals, but not from asking for a
# billion of something: ``'a' * 10**9``, ``'a'|center(10**9)``, ``9 ** (9**9)``, nested loops.
# Every operation that can grow a value is checked *before* it runs (afterwards the memory is
# already gone), and every loop, call and output chunk checks a wall-clock deadline.

#: items or characters one operation may produce; generous for code generation (the built-in
#: blueprints never produce a value longer than a few thousand characters)
MAX_ITEMS = 1_000_000
#: the size of an integer one operation may produce (30,000 decimal digits; Python refuses to
#: print more than 4,300 anyway)
MAX_INT_BITS = 100_000
#: characters one rendered file (or one macro, block or string) may hold
MAX_OUTPUT = 10 * 1024 * 1024
#: seconds one render (a file, a path, a condition) may take; SCAFFOLD_RENDER_TIMEOUT overrides
DEFAULT_TIMEOUT = 10.0
TIMEOUT_VARIABLE = "SCAFFOLD_RENDER_TIMEOUT"

_SCALARS = (str, int, float, bool, type(None))
# Growth per str method: each returns the size of the result for (text, arguments).
_FORMAT_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?[hlL]?"
    r"(?P<kind>[a-zA-Z%])"
)


_LIMIT_HINT = "a blueprint's templates may not ask for that much work"


class RenderLimitError(SecurityError):
    """A template asked for more than a render limit allows; the message says which."""


def render_timeout() -> float:
    """Return the per-render deadline in seconds: SCAFFOLD_RENDER_TIMEOUT, or the default."""
    configured = os.environ.get(TIMEOUT_VARIABLE)
    if not configured:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(configured)
    except ValueError:
        seconds = -1.0
    if not seconds > 0 or math.isinf(seconds):
        msg = f"{TIMEOUT_VARIABLE}={configured!r} is not a number of seconds"
        raise SpecError(msg, hint="set it to a positive number, such as 10, or unset it")
    return seconds


def _too_big(
    what: str, size: int, limit: int = MAX_ITEMS, unit: str = "items or characters"
) -> RenderLimitError:
    return RenderLimitError(f"{what} of {size:,} {unit}; at most {limit:,}")


def text_size(value: Any, budget: int = MAX_ITEMS) -> int:
    """Estimate ``len(str(value))`` without building it; stops counting once past ``budget``.

    Containers are walked (a list of a million references to one long string is small in memory
    but its text is not); every item costs at least one character, so the walk is bounded too.
    """
    if isinstance(value, str):
        return len(value)
    total = 0
    stack = [value]
    while stack and total <= budget:
        item = stack.pop()
        size, children = _own_size(item)
        total += size
        if children is not None and total <= budget:
            stack.extend(children)
    return total


def _own_size(item: Any) -> tuple[int, Iterable[Any] | None]:
    """Return the characters ``item`` adds itself (quotes, separators), and its contents."""
    if isinstance(item, str | bytes | bytearray):
        return len(item) + 3, None  # quotes and a separator
    if isinstance(item, bool | float | type(None)):
        return 8, None
    if isinstance(item, int):
        return item.bit_length() // 3 + 2, None
    if isinstance(item, Mapping):
        return 2 + 4 * len(item), [*item.keys(), *item.values()]
    if isinstance(item, list | tuple | set | frozenset | range):
        return 2 + 2 * len(item), item
    # Objects print their attributes (dataclasses, pydantic models, jinja's namespace).
    try:
        attributes = object.__getattribute__(item, "__dict__")
    except (AttributeError, TypeError):
        return 16, None
    return 16, [attributes] if isinstance(attributes, dict) else None


def _check_text(what: str, value: Any) -> None:
    size = text_size(value)
    if size > MAX_ITEMS:
        raise _too_big(what, size)


def _check_width(what: str, width: Any) -> None:
    if isinstance(width, int) and width > MAX_ITEMS:
        raise _too_big(what, width)


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | bytearray | list | tuple) else None


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``*``, ``**``, ``+`` and ``%`` whose result would be too big (before computing it)."""
    if operator == "*":
        _check_product(left, right)
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            # bit_length * exponent bounds the result's size without computing it
            bits = abs(left).bit_length() * right
            if bits > MAX_INT_BITS:
                raise _too_big("a power", bits, MAX_INT_BITS, "bits")
    elif operator == "+":
        left_size, right_size = _sized(left), _sized(right)
        if left_size is not None and right_size is not None and left_size + right_size > MAX_ITEMS:
            raise _too_big("a concatenation", left_size + right_size)
    elif operator == "%" and isinstance(left, str | bytes):
        check_percent(left if isinstance(left, str) else left.decode("latin-1"), right)


def _check_product(left: Any, right: Any) -> None:
    for sequence, count in ((left, right), (right, left)):
        size = _sized(sequence)
        if size is not None and isinstance(count, int) and size * count > MAX_ITEMS:
            raise _too_big("a repetition", size * count)
    if isinstance(left, int) and isinstance(right, int):
        bits = abs(left).bit_length() + abs(right).bit_length()
        if bits > MAX_INT_BITS:
            raise _too_big("a product", bits, MAX_INT_BITS, "bits")


def check_percent(template: str, arguments: Any) -> None:
    """Refuse ``'%999999999s' % x`` and ``'%s%s' % (huge, huge)`` before formatting."""
    specs = list(_PERCENT_SPEC.finditer(template))
    total = len(template)
    for spec in specs:
        for part in (spec["width"], spec["precision"]):
            if part is not None and part != "*":
                total += int(part[:12])
    if any("*" in spec.group() for spec in specs):
        # a '*' takes its width from the arguments: count every number among them as one
        values = arguments if isinstance(arguments, tuple) else (arguments,)
        total += sum(max(v, 0) for v in values if isinstance(v, int))
    if total <= MAX_ITEMS:
        if isinstance(arguments, Mapping):
            # one mapping value may be named many times: count each use
            keys = [spec["key"] for spec in specs if spec["key"] is not None]
            for key in keys:
                total += text_size(arguments.get(key), MAX_ITEMS - total)
                if total > MAX_ITEMS:
                    break
        else:
            total += text_size(arguments, MAX_ITEMS - total)
    if total > MAX_ITEMS:
        raise _too_big("a %-format", total)


def _check_format_spec(spec: str) -> None:
    """Refuse ``{:>999999999}`` and ``{:.999999999f}``: widths and precisions are counts."""
    for number in _FORMAT_NUMBER.findall(spec):
        if len(number) > len(str(MAX_ITEMS)) or int(number) > MAX_ITEMS:
            raise _too_big("a format width", int(number[:12]))


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` in the sandbox, counting what each replacement field adds.

    One is made per call, so the count covers one result (``'{0}{0}{0}'`` counts three times).
    """

    def __init__(self, env: Environment, **options: Any) -> None:
        super().__init__(env, **options)
        self.produced = 0

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        _check_text("a formatted field", value)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_format_spec(format_spec)
        self.produced += text_size(value) + sum(map(int, _FORMAT_NUMBER.findall(format_spec)))
        if self.produced > MAX_ITEMS:
            raise _too_big("a str.format result", self.produced)
        return super().format_field(value, format_spec)


class _BoundedEscapeFormatter(_BoundedFormatter, SandboxedEscapeFormatter):
    """The same for ``Markup.format`` (a ``|safe`` or ``|tojson`` result), escaping fields."""


def _str_method_size(name: str, text: str | bytes, args: tuple[Any, ...], kwargs: Any) -> int:
    """How long a growing str/bytes method's result will be; 0 for the methods that shrink."""
    first = args[0] if args else None
    if name in {"center", "ljust", "rjust", "zfill"}:
        return first if isinstance(first, int) else 0
    if name == "expandtabs":
        size = first if first is not None else kwargs.get("tabsize", 8)
        tabs = text.count("\t" if isinstance(text, str) else b"\t")  # type: ignore[arg-type]
        return len(text) + tabs * size if isinstance(size, int) else 0
    if name == "replace" and len(args) >= 2:  # noqa: PLR2004
        old, new = args[0], args[1]
        if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
            return 0
        hits = text.count(old) if old else len(text) + 1  # type: ignore[arg-type]
        if len(args) > 2 and isinstance(args[2], int) and args[2] >= 0:  # noqa: PLR2004
            hits = min(hits, args[2])
        return len(text) + hits * max(0, len(new) - len(old))
    if name == "translate" and isinstance(first, Mapping):
        longest = max((len(v) for v in first.values() if isinstance(v, str | bytes)), default=1)
        return len(text) * longest
    return 0


def _check_join(separator: Any, items: list[Any]) -> None:
    size = text_size(separator) * max(len(items) - 1, 0)
    for item in items:
        size += text_size(item, MAX_ITEMS)
        if size > MAX_ITEMS:
            raise _too_big("a join", size)
    if size > MAX_ITEMS:
        raise _too_big("a join", size)


# Filters that can grow a value, checked with their arguments bound by name. A check may replace
# an argument (a generator is turned into a list so that it can be measured and still be used).
def _filter_center(arguments: dict[str, Any]) -> None:
    _check_width("a centred string", arguments["width"])


def _filter_indent(arguments: dict[str, Any]) -> None:
    width = arguments["width"]
    step = width if isinstance(width, int) else text_size(width)
    lines = str(arguments["s"]).count("\n") + 1
    if step > 0 and lines * step > MAX_ITEMS:
        raise _too_big("an indentation", lines * step)


def _filter_wordwrap(arguments: dict[str, Any]) -> None:
    text, wrapstring = str(arguments["s"]), arguments["wrapstring"]
    pieces = len(text) + 1
    size = len(text) + pieces * (text_size(wrapstring) if wrapstring is not None else 1)
    if size > MAX_ITEMS:
        raise _too_big("a word wrap", size)


def _filter_format(arguments: dict[str, Any]) -> None:
    check_percent(str(arguments["value"]), arguments["kwargs"] or arguments["args"])


def _filter_replace(arguments: dict[str, Any]) -> None:
    text = arguments["s"]
    if isinstance(text, str):
        args = (str(arguments["old"]), str(arguments["new"]))
        count = arguments["count"]
        size = _str_method_size("replace", text, (*args, -1 if count is None else count), {})
        if size > MAX_ITEMS:
            raise _too_big("a replacement", size)


def _filter_join(arguments: dict[str, Any]) -> None:
    items = list(arguments["value"])
    arguments["value"] = items
    _check_join(arguments["d"], items)


def _filter_sum(arguments: dict[str, Any]) -> None:
    items = list(arguments["iterable"])
    arguments["iterable"] = items
    size = _sized(arguments["start"]) or 0
    for item in items:
        size += _sized(item) or 0
        if size > MAX_ITEMS:
            raise _too_big("a sum", size)


def _filter_count(name: str, argument: str) -> Callable[[dict[str, Any]], None]:
    def check(arguments: dict[str, Any]) -> None:
        _check_width(f"'{name}' with a count", arguments[argument])

    return check


def _filter_text(name: str) -> Callable[[dict[str, Any]], None]:
    def check(arguments: dict[str, Any]) -> None:
        _check_text(f"the text of a value passed to '{name}'", arguments[name])

    return check


def _filter_tojson(arguments: dict[str, Any]) -> None:
    indent = arguments["indent"]
    step = indent if isinstance(indent, int) else text_size(indent) if indent else 0
    size = text_size(arguments["value"]) * (1 + max(step, 0))
    if size > MAX_ITEMS:
        raise _too_big("a JSON dump", size)


_FILTER_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "center": _filter_center,
    "indent": _filter_indent,
    "wordwrap": _filter_wordwrap,
    "format": _filter_format,
    "replace": _filter_replace,
    "join": _filter_join,
    "sum": _filter_sum,
    "batch": _filter_count("batch", "linecount"),
    "slice": _filter_count("slice", "slices"),
    "tojson": _filter_tojson,
    "pprint": _filter_text("value"),
    "string": _filter_text("s"),
    "py": _filter_text("value"),
    "toml": _filter_text("value"),
    "env": _filter_text("value"),
    "docstring": _filter_text("value"),
}


@cache
def _filter_signature(func: Callable[..., Any]) -> inspect.Signature:
    """Return a filter's own parameters, without the context or environment jinja passes."""
    signature = inspect.signature(func)  # follows __wrapped__ to the synchronous filter
    parameters = list(signature.parameters.values())
    if _PassArg.from_obj(inspect.unwrap(func)) is not None:
        parameters = parameters[1:]
    return signature.replace(parameters=parameters)


def _bounded_range(*args: int) -> range:
    """``range`` capped like jinja's, failing with the render-limit error."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise _too_big("a range", len(numbers), MAX_RANGE)
    return numbers


def _bounded_lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
    """``lipsum`` with its paragraph and word counts capped (about 10 characters a word)."""
    if isinstance(n, int) and isinstance(max, int) and n * max * 10 > MAX_ITEMS:
        raise _too_big("lorem ipsum", n * max * 10)
    return str(generate_lorem_ipsum(n=n, html=html, min=min, max=max))


def _finalize(value: Any) -> Any:
    """Measure every ``{{ value }}`` before jinja turns it into text."""
    if not isinstance(value, _SCALARS):
        _check_text("the text of a printed value", value)
    return value


class _BoundedCodeGenerator(CodeGenerator):
    """jinja's code generator, with loops and ``~`` going through the environment's checks.

    (jinja refuses custom node types, so the loop's iterable is recognised by identity.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Start with no loop being written."""
        super().__init__(*args, **kwargs)
        self._loop_iterables: list[nodes.Node] = []

    def visit_For(self, node: nodes.For, frame: Frame) -> None:  # noqa: N802  # jinja's name
        """Wrap the loop's iterable; nested loops with empty bodies still meet the deadline."""
        self._loop_iterables.append(node.iter)
        try:
            super().visit_For(node, frame)
        finally:
            self._loop_iterables.pop()

    def visit(self, node: nodes.Node, *args: Any, **kwargs: Any) -> Any:
        """Write ``environment.bounded_iter(<iterable>)`` for the innermost loop's iterable."""
        if self._loop_iterables and node is self._loop_iterables[-1]:
            self.write("environment.bounded_iter(")
            super().visit(node, *args, **kwargs)
            self.write(")")
            return None
        return super().visit(node, *args, **kwargs)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802
        """Measure the parts of ``a ~ b`` before joining them (jinja joins them unchecked)."""
        if frame.eval_ctx.volatile:
            func_name = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            func_name = "markup_join"
        else:
            func_name = "str_join"
        self.write(f"{func_name}(environment.checked_parts((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write(")))")


class BoundedSandbox(SandboxedEnvironment):
    """jinja's sandbox plus limits on size and time (see the constants above)."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, **options: Any) -> None:
        """Create the environment; ``deadline`` is set by each render (monotonic seconds)."""
        super().__init__(finalize=_finalize, **options)
        self.deadline = math.inf
        self.globals["range"] = _bounded_range
        self.globals["lipsum"] = _bounded_lipsum

    def guard_filters(self) -> None:
        """Give every filter a deadline check, and the growing ones a size check."""
        for name, func in list(self.filters.items()):
            self.filters[name] = self._guarded(func, _FILTER_CHECKS.get(name))

    def _guarded(
        self, func: Callable[..., Any], check: Callable[[dict[str, Any]], None] | None
    ) -> Callable[..., Any]:
        # jinja passes the context, eval context or environment first to some filters; the
        # check sees the filter's own arguments by name.
        leading = 1 if _PassArg.from_obj(func) is not None else 0
        signature = _filter_signature(func) if check is not None else None

        @functools.wraps(func)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.check_deadline()
            if signature is None or check is None:
                return func(*args, **kwargs)
            try:
                bound = signature.bind(*args[leading:], **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # jinja reports the bad call in its own words
            bound.apply_defaults()
            check(bound.arguments)
            return func(*args[:leading], *bound.args, **bound.kwargs)

        return guarded

    def check_deadline(self) -> None:
        """Fail once the current render has run out of time."""
        if time.monotonic() > self.deadline:
            msg = "it ran for longer than the time allowed"
            raise RenderLimitError(msg)

    def bounded_iter(self, iterable: Any) -> Iterator[Any]:
        """Iterate, checking the deadline at every step (about 50 ns)."""
        for item in iterable:
            self.check_deadline()
            yield item

    def checked_parts(self, parts: tuple[Any, ...]) -> tuple[Any, ...]:
        """Measure the operands of ``~`` before they are joined."""
        self.check_deadline()
        size = 0
        for part in parts:
            size += text_size(part, MAX_ITEMS)
            if size > MAX_ITEMS:
                raise _too_big("a ~ concatenation", size)
        return parts

    def concat(self, parts: Iterable[str]) -> str:
        """Join a buffer (a macro, a ``{% set %}`` block, a filter block) within MAX_OUTPUT."""
        buffer = parts if isinstance(parts, list) else list(parts)
        size = sum(map(len, buffer))
        if size > MAX_OUTPUT:
            raise _too_big("a block", size, MAX_OUTPUT)
        return "".join(buffer)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Check the operands of an intercepted operator before computing it."""
        check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format`` through a formatter that counts widths and fields (else as jinja's)."""
        if not isinstance(
            value, types.MethodType | types.BuiltinMethodType
        ) or value.__name__ not in (
            "format",
            "format_map",
        ):
            return None
        text = value.__self__
        if not isinstance(text, str):
            return None
        is_format_map = value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            self.check_deadline()
            if is_format_map:
                if kwargs or len(args) != 1:
                    msg = "format_map() takes exactly one argument"
                    raise TypeError(msg)
                kwargs, args = args[0], ()
            formatter: _BoundedFormatter = (
                _BoundedEscapeFormatter(self, escape=text.escape)
                if isinstance(text, Markup)
                else _BoundedFormatter(self)
            )
            return type(text)(formatter.vformat(text, args, kwargs))

        return functools.update_wrapper(wrapper, value)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """Call from a template: deadline, growing str methods and container growth checked."""
        self.check_deadline()
        owner = getattr(obj, "__self__", None)
        if isinstance(obj, types.BuiltinMethodType) and owner is not None:
            name = obj.__name__
            if isinstance(owner, str | bytes):
                if name == "join" and args:
                    items = list(args[0])
                    _check_join(owner, items)
                    args = (items, *args[1:])
                else:
                    size = _str_method_size(name, owner, args, kwargs)
                    if size > MAX_ITEMS:
                        raise _too_big(f"str.{name}", size)
            elif isinstance(owner, list | dict | set) and name in {"extend", "update"} and args:
                growth = _sized(args[0]) or (len(args[0]) if isinstance(args[0], Mapping) else 0)
                if len(owner) + growth > MAX_ITEMS:
                    raise _too_big(f"{type(owner).__name__}.{name}", len(owner) + growth)
        result = super().call(context, obj, *args, **kwargs)
        if isinstance(owner, list | dict | set) and len(owner) > MAX_ITEMS:
            raise _too_big(f"a {type(owner).__name__}", len(owner))
        result_size = _sized(result)
        if result_size is not None and result_size > MAX_OUTPUT:
            raise _too_big("a call's result", result_size, MAX_OUTPUT)
        return result


def _python_literal(value: Any) -> str:
    """Render a value as Python source (``repr`` of TOML/JSON data is valid Python)."""
    return repr(value)


def _toml_string(value: Any) -> str:
    """Render a value as a TOML basic string or array (JSON's spelling, unescaped non-ASCII)."""
    return json.dumps(value, ensure_ascii=False)


def _yaml_scalar(value: Any) -> str:
    """Render a value as a YAML double-quoted scalar or flow sequence (JSON is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _docstring_text(value: Any) -> str:
    """Make text safe inside a triple-quoted docstring: backslashes and quotes escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"')


def _env_value(value: Any) -> str:
    """Render a value as pydantic-settings reads it from the environment."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _module(ref: str) -> str:
    return ref.partition(":")[0]


def _attribute(ref: str) -> str:
    return ref.partition(":")[2]


def _flatten(items: Iterable[Any]) -> Iterable[str]:
    for item in items:
        if isinstance(item, list | tuple):
            yield from _flatten(item)
        else:
            yield str(item)


def _import_lines(refs: Iterable[Any], exclude: str | None = None) -> list[str]:
    """Turn ``module:name`` references (nested lists allowed) into ``from m import a`` lines.

    ``exclude`` names the module being rendered, whose own names need no import.
    """
    by_module: dict[str, set[str]] = {}
    for ref in _flatten(refs):
        module, _, name = ref.partition(":")
        if module == exclude:
            continue
        by_module.setdefault(module, set()).add(name)
    return [f"from {m} import {', '.join(sorted(names))}" for m, names in sorted(by_module.items())]


class Renderer:
    """A sandboxed jinja2 environment bound to one project's context."""

    def __init__(self, spec: ProjectSpec) -> None:
        """Create the environment and the context every template sees."""
        self.project = ProjectContext(
            name=spec.name, package=spec.package, description=spec.description, python=spec.python
        )
        self.timeout = render_timeout()
        self.env = BoundedSandbox(
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        self.env.filters.update(
            py=_python_literal,
            toml=_toml_string,
            yaml=_yaml_scalar,
            docstring=_docstring_text,
            env=_env_value,
            module=_module,
            attribute=_attribute,
        )
        self.env.guard_filters()
        self.env.globals["import_lines"] = _import_lines
        self._codes: dict[tuple[str, str], types.CodeType] = {}
        self.base_context: dict[str, Any] = {
            "project": asdict(self.project),
            "package": self.project.package,
            "blueprints": [],
            "org_blueprints": [],
            "app": None,
        }

    def bind(self, selection: Selection, composition: Composition | None = None) -> None:
        """Let templates see the selection (and, once composed, the contributions)."""
        self.base_context["blueprints"] = selection.names
        self.base_context["all_options"] = {item.name: item.options for item in selection.items}
        from scaffold.sources import BUILTIN

        # Blueprints from an organisation's sources: a project with any is checked in its CI.
        self.base_context["org_blueprints"] = [
            item.name for item in selection.items if item.blueprint.source != BUILTIN
        ]
        self.base_context["app"] = composition

    def _context(self, options: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.base_context, "options": dict(options), **options}

    @contextlib.contextmanager
    def _limits(self, what: str, *, origin: str | None = None) -> Iterator[None]:
        """Run one render against the deadline; a limit is reported as ``what`` exceeding it.

        With ``origin`` (a template file), the message names the template line it was reached on.
        """
        self.env.deadline = time.monotonic() + self.timeout
        try:
            yield
        except RenderLimitError as error:
            line = _template_line(error, origin) if origin else None
            where = f"{what}:{line}" if line else what
            msg = f"{where} exceeded the render limit ({error.message})"
            raise BlueprintError(msg, hint=_LIMIT_HINT) from None
        finally:
            self.env.deadline = math.inf

    def _collect(self, chunks: Iterable[str]) -> str:
        """Join a template's output as it is produced, within MAX_OUTPUT and the deadline."""
        parts: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise _too_big("the output", size, MAX_OUTPUT)
            self.env.check_deadline()
            parts.append(chunk)
        return "".join(parts)

    def evaluate(self, expression: str, options: Mapping[str, Any]) -> bool:
        """Evaluate a condition from a manifest in the sandbox."""
        with self._limits(f"the manifest condition '{_shorten(expression)}'"):
            try:
                # undefined_to_none=False: a misspelt name fails (StrictUndefined) instead of
                # being quietly false, which would skip a file or let a refused combination by.
                compiled = TemplateExpression(self._expression(expression), undefined_to_none=False)
                return bool(compiled(**self._context(options)))
            except _TEMPLATE_FAILURES as error:
                if isinstance(error, RenderLimitError):
                    raise
                msg = f"cannot evaluate the manifest condition '{_shorten(expression)}': "
                raise BlueprintError(msg + _describe(error)) from None

    def render_string(
        self, text: str, options: Mapping[str, Any], *, origin: str | None = None
    ) -> str:
        """Render a short templated string (a path segment, a reference).

        ``origin`` names where the string comes from (a file of a blueprint) in errors.
        """
        if "{" not in text:
            return text
        simple = self._substitute_simple(text, options)
        if simple is not None:
            return simple
        where = f"{origin} ('{_shorten(text)}')" if origin else f"'{_shorten(text)}'"
        with self._limits(where):
            try:
                template = self._from_code(self._code("string", text, self.env.compile))
                return self._collect(template.generate(self._context(options)))
            except _TEMPLATE_FAILURES as error:
                if isinstance(error, RenderLimitError):
                    raise
                msg = f"cannot render {where}: {_describe(error)}"
                raise BlueprintError(msg) from None

    def render_strings(self, texts: Iterable[str], options: Mapping[str, Any]) -> list[str]:
        """Render each of several short templated strings."""
        return [self.render_string(text, options) for text in texts]

    def _substitute_simple(self, text: str, options: Mapping[str, Any]) -> str | None:
        """Fill ``{{ a.b }}`` placeholders without compiling a template (most strings are these).

        Returns None when the text holds anything else, so jinja renders it in the sandbox.
        """
        if "{" in _SIMPLE_PLACEHOLDER.sub("", text):
            return None
        context = self._context(options)

        def lookup(match: re.Match[str]) -> str:
            value: Any = context
            for part in match.group(1).split("."):
                if part.startswith("_") or not isinstance(value, Mapping) or part not in value:
                    raise _NotSimpleError
                value = value[part]
            # Data that is not plain text goes through jinja, whose output is measured.
            if not isinstance(value, _SCALARS):
                raise _NotSimpleError
            return str(value)

        try:
            return _SIMPLE_PLACEHOLDER.sub(lookup, text)
        except _NotSimpleError:
            return None

    def render_model(self, model: BaseModel, options: Mapping[str, Any]) -> BaseModel:
        """Render every string (tuple of strings, mapping of strings) field of a contribution."""
        updates: dict[str, Any] = {}
        for key, value in model:
            if isinstance(value, str):
                updates[key] = self.render_string(value, options)
            elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                updates[key] = tuple(self.render_strings(value, options))
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                # Keys too: an environment variable's name may hold the settings' prefix.
                updates[key] = {
                    self.render_string(k, options): self.render_string(v, options)
                    for k, v in value.items()
                }
        rendered = model.model_copy(update=updates)
        _check_contributed_paths(rendered)
        return rendered

    def _template(self, source: str, origin: str) -> Template:
        """Compile a template file's ``source``, reusing the code cached for identical source."""
        # The origin is part of the key: the code names its file, which errors report.
        code = self._code(
            f"file {origin}",
            source,
            lambda text: self.env.compile(text, name=origin, filename=origin),
        )
        return self._from_code(code)

    def _expression(self, expression: str) -> Template:
        """Compile a manifest condition as ``compile_expression`` does, through the same cache."""

        def compile_expression(source: str) -> types.CodeType:
            parser = Parser(self.env, source, state="variable")
            try:
                expr = parser.parse_expression()
                if not parser.stream.eos:
                    msg = "chunk after expression"
                    raise TemplateSyntaxError(msg, parser.stream.current.lineno, None, None)
                expr.set_environment(self.env)
            except TemplateSyntaxError:
                self.env.handle_exception(source=source)
            body = [nodes.Assign(nodes.Name("result", "store"), expr, lineno=1)]
            return self.env.compile(nodes.Template(body, lineno=1))

        return self._from_code(self._code("expression", expression, compile_expression))

    def _from_code(self, code: types.CodeType) -> Template:
        return self.env.template_class.from_code(self.env, code, self.env.make_globals(None))

    def _code(
        self, kind: str, source: str, compile_source: Callable[[str], types.CodeType]
    ) -> types.CodeType:
        """Compile ``source`` once per run, keeping the code in the cache folder for the next.

        Blueprints are the same from one project to the next (only the values they are rendered
        with differ), so their templates, strings and conditions compile to the same code.
        """
        memo = self._codes.get((kind, source))
        if memo is not None:
            return memo
        key = hashlib.sha256(f"{_CACHE_SIGNATURE}\0{kind}\0{source}".encode()).hexdigest()
        folder = _code_cache_dir()
        cached = folder / f"{key}.code" if folder is not None else None
        code = None
        if cached is not None:
            with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
                code = marshal.loads(cached.read_bytes())  # noqa: S302  # our own cache, keyed by hash
        if not isinstance(code, types.CodeType):
            code = compile_source(source)
            if cached is not None:
                _store(cached, marshal.dumps(code))
        self._codes[kind, source] = code
        return code

    def render_template(self, source: str, options: Mapping[str, Any], *, origin: str) -> str:
        """Render a whole template file, within the limits on size and time."""
        if len(source) > MAX_OUTPUT:
            msg = f"{origin} exceeded the render limit (a template of {len(source):,} characters)"
            raise BlueprintError(msg, hint=_LIMIT_HINT)
        try:
            with self._limits(origin, origin=origin):
                template = self._template(source, origin)
                return self._collect(template.generate(self._context(options)))
        except _TEMPLATE_FAILURES as error:
            line = getattr(error, "lineno", None) or _template_line(error, origin)
            where = f"{origin}:{line}" if line else origin
            msg = f"cannot render {where}: {_describe(error)}"
            raise BlueprintError(msg, hint="fix the blueprint's template") from None


# What a template can raise: jinja's errors, and Python's own for operations a template may
# attempt (1/0, int('x'), a runaway macro recursion, an allocation that fails, an expression
# nested too deeply for Python to compile). All of them are the blueprint's fault, reported as
# such (exit 2), never as scaffold's own crash.
_TEMPLATE_FAILURES = (
    TemplateError,
    SyntaxError,
    ArithmeticError,
    LookupError,
    TypeError,
    ValueError,
    AttributeError,
    RecursionError,
    MemoryError,
)


def _describe(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    if isinstance(error, TemplateError):
        return text
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _shorten(text: str, limit: int = 80) -> str:
    """One line, at most ``limit`` characters: errors quote expressions from manifests."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _template_line(error: BaseException, origin: str) -> int | None:
    """Find the template line a runtime error was raised on (jinja rewrites tracebacks to it)."""
    line = None
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == origin:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def _check_contributed_paths(model: BaseModel) -> None:
    """Page sections and assets name files inside the project: the same rules as file names."""
    from scaffold.models import Asset, PageSection

    if isinstance(model, PageSection):
        safe_relative_path(model.template, origin=f"the page section '{model.template}'")
    elif isinstance(model, Asset):
        safe_relative_path(model.path, origin=f"the asset '{model.path}'")


@cache
def _code_cache_dir() -> Path | None:
    """Where compiled templates are kept: a speed cache only, safe to delete at any time."""
    from scaffold.sources import cache_dir

    folder = cache_dir() / "templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return None
    # Cached code is executed: trust only a folder that is ours and that nobody else can write.
    if hasattr(os, "geteuid") and status.st_uid != os.geteuid():
        return None
    if status.st_mode & 0o022 or not os.access(folder, os.W_OK):
        return None
    return folder


def _store(path: Path, data: bytes) -> None:
    """Write a cache entry atomically; a failure only costs speed."""
    with contextlib.suppress(OSError):
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(temporary).replace(path)


# A drive ("C:"), or a colon anywhere: Windows reads "a:b" as a file's alternate data stream.
_DRIVE_OR_STREAM = re.compile(r":")
# Folders a blueprint may not write into: git runs what .git/config and .git/hooks name (a
# generated project is opened with git), and scaffold's own record is scaffold's.
_RESERVED_SEGMENTS = {".git"}
_RESERVED_FIRST = {".scaffold"}


def safe_relative_path(rendered: str, *, origin: str) -> str:
    """Refuse a rendered path that would land outside the project (or cannot be written)."""
    path = PurePosixPath(rendered)
    if (
        path.is_absolute()
        or rendered.startswith(("/", "\\"))
        or "\\" in rendered
        or _DRIVE_OR_STREAM.search(rendered)
    ):
        msg = f"{origin} renders to an absolute or non-portable path {rendered!r}"
        raise BlueprintError(msg, hint="blueprint paths must be relative")
    if any(ord(char) < 32 or char == "\x7f" for char in rendered):  # noqa: PLR2004  # C0 controls
        msg = f"{origin} renders to a path with a control character: {rendered!r}"
        raise BlueprintError(msg, hint="check the variables used in the file name")
    # the segments as written: PurePosixPath drops a '.' segment, which would hide it
    if any(part in {"..", "."} for part in rendered.split("/")) or not path.parts:
        msg = f"{origin} renders to {rendered!r}, outside the project"
        raise BlueprintError(msg, hint="blueprint paths must stay inside the project")
    if any(part == "" for part in rendered.split("/")):
        msg = f"{origin} renders to {rendered!r}, which has an empty path segment"
        raise BlueprintError(msg, hint="check the variables used in the file name")
    from scaffold.naming import windows_path_problem

    for segment in path.parts:
        problem = windows_path_problem(segment)
        if problem is not None:
            msg = f"{origin} renders to {rendered!r}: {problem}"
            raise BlueprintError(msg, hint="a project must check out on Windows too; rename it")
    parts = [part.lower() for part in path.parts]
    if _RESERVED_SEGMENTS.intersection(parts) or parts[0] in _RESERVED_FIRST:
        msg = f"{origin} renders to {rendered!r}, inside a folder blueprints may not write"
        raise BlueprintError(msg, hint="a blueprint may not write .git/ or .scaffold/")
    return path.as_posix()


def render_path(
    renderer: Renderer, template_path: str, options: Mapping[str, Any], *, origin: str
) -> str:
    """Render a file's path under ``files/`` segment by segment, and check the result.

    Each segment of the template path renders to exactly one segment: a value that holds a
    separator (an option set to 'a/b' or '../../etc') would otherwise move the file elsewhere.
    """
    segments = [
        renderer.render_string(segment, options, origin=origin)
        for segment in template_path.removesuffix(TEMPLATE_SUFFIX).split("/")
    ]
    rendered = "/".join(segments)
    checked = safe_relative_path(rendered, origin=origin)
    for segment in segments:
        if "/" in segment:
            msg = f"{origin} renders the path segment {segment!r}, which holds a '/'"
            raise BlueprintError(msg, hint="a value used in a file name may not contain '/'")
    return checked


def _template_files(files_dir: Path) -> list[Path]:
    if files_dir.is_symlink():  # a linked files/ would copy whatever it points to
        msg = f"{files_dir} is a symbolic link; blueprints may not contain links"
        raise BlueprintError(msg, hint="replace the link with the folder itself")
    if not files_dir.is_dir():
        return []
    found = []
    for path in sorted(files_dir.rglob("*")):
        # pip compiles every .py in the wheel, blueprint files included: bytecode is not a template.
        if "__pycache__" in path.relative_to(files_dir).parts or path.suffix == ".pyc":
            continue
        if path.is_symlink():
            msg = f"{path} is a symbolic link; blueprints may not contain links"
            raise BlueprintError(msg, hint="replace the link with the file itself")
        if path.is_file():
            found.append(path)
    return found


def _claim_folded(owners: dict[str, tuple[str, str]], target: str, name: str) -> None:
    """Record that blueprint ``name`` writes ``target``; a second writer is an error.

    Case-insensitive file systems (macOS, Windows) would write two spellings to one file.
    """
    folded = target.casefold()
    if folded in owners:
        other, written = owners[folded]
        msg = f"both '{other}' and '{name}' write {written}"
        if written != target:
            msg += f" (as {target}; the same file where case is ignored)"
        raise BlueprintError(msg, hint="a file belongs to one blueprint; use contributions")
    owners[folded] = (name, target)


def _add_copier_output(
    selection: Selection,
    item: Any,
    renderer: Renderer,
    tree: Tree,
    owners: dict[str, tuple[str, str]],
) -> None:
    from scaffold.copier_render import render_blueprint

    output = render_blueprint(item, renderer.base_context)
    selection.computed[item.name] = output.answers
    selection.skip_if_exists.extend(output.skip_if_exists)
    selection.copier_data[item.name] = output.data
    if output.replayed:
        selection.tasks_skipped.add(item.name)
    for target, content in output.files.items():
        _put(selection, tree, owners, target, content, name=item.name, copier=True)


def _put(
    selection: Selection,
    tree: Tree,
    owners: dict[str, tuple[str, str]],
    target: str,
    content: bytes,
    *,
    name: str,
    copier: bool,
) -> None:
    """Add one rendered file; a file a copier template shares with another is combined.

    The copier template's version is the foundation (kept byte for byte), the other's pieces
    are added by structure (:mod:`scaffold.combine`); two scaffold blueprints writing one file
    are still an error: they use contributions.
    """
    known = owners.get(target.casefold())
    if known is not None and known[1] == target and (copier or target in selection.copier_paths):
        from scaffold.combine import combine_shared

        first, second = (content, tree[target]) if copier else (tree[target], content)
        if target in selection.copier_paths and copier:
            first, second = tree[target], content  # two templates: the first one written leads
        combined = combine_shared(target, first, second)
        if combined is not None:
            copier_version = content if copier else tree[target]
            if combined == copier_version:  # the template's file as it is: never reformatted
                selection.copier_paths.add(target)
            else:  # scaffold added to it: scaffold formats it now
                selection.copier_paths.discard(target)
            tree[target] = combined
            return
    _claim_folded(owners, target, name)
    tree[target] = content
    if copier:
        selection.copier_paths.add(target)


def render_selection(selection: Selection, renderer: Renderer) -> Tree:
    """Render every selected blueprint's files into one tree; two owners of a path is an error.

    Paths are checked before any content is rendered, and everything stays in memory: a refused
    path or template leaves nothing on disk.
    """
    tree: Tree = {}
    owners: dict[str, tuple[str, str]] = {}  # folded path -> (blueprint, path as written)
    for item in selection.items:
        manifest = item.blueprint.manifest
        if item.blueprint.engine == "copier":  # copier renders this one (in a child process)
            _add_copier_output(selection, item, renderer, tree, owners)
            continue
        for source_path in _template_files(item.blueprint.files_dir):
            relative = source_path.relative_to(item.blueprint.files_dir).as_posix()
            condition = manifest.when.get(relative)
            if condition and not renderer.evaluate(condition, item.options):
                continue
            origin = f"{item.name}/files/{relative}"
            target = render_path(renderer, relative, item.options, origin=origin)
            if relative.endswith(TEMPLATE_SUFFIX):
                source = source_path.read_text(encoding="utf-8")
                text = renderer.render_template(source, item.options, origin=origin)
                content = text.encode("utf-8")
            else:
                content = source_path.read_bytes()
            if source_path.stat().st_mode & 0o111:  # a blueprint's script stays runnable
                content = Executable(content)
            _put(selection, tree, owners, target, content, name=item.name, copier=False)
    _check_files_and_folders(tree, owners)
    return dict(sorted(tree.items()))


def _check_files_and_folders(tree: Tree, owners: Mapping[str, tuple[str, str]]) -> None:
    """Refuse a path that one blueprint writes as a file and another needs as a folder."""
    folders = {
        PurePosixPath(path).parents[index].as_posix().casefold(): path
        for path in tree
        for index in range(len(PurePosixPath(path).parts) - 1)
    }
    for folded, (owner, path) in owners.items():
        if folded in folders:
            inside = folders[folded]
            other = owners[inside.casefold()][0]
            msg = f"'{owner}' writes the file {path} but '{other}' writes {inside} inside it"
            raise BlueprintError(msg, hint="a path is either a file or a folder")
