"""Turn converter failures into errors that point at the user's own line.

The MLIR converter reports where a failing op was created, but its primary location is TensorFlow's
outermost internal frame (tracing_compilation.py:283); the user's line is buried among "called from"
notes. This module reads both the structured ``ConverterError.errors`` (as JSON dicts, produced by the
worker with protobuf's MessageToDict) and the message text, and puts the innermost frame that belongs to
the user first, followed by the TF node name, the error code in words and a fix. Pure Python: no TF import.

Errors with a node name and no file:line at all (TF's tensor-list lowering) get their frames from the
worker's lookup of that node in the traced graph (``toolkit.convert.graph_trace``), passed in as
``node_frames``; errors that reach the user's code are listed first.
"""

from __future__ import annotations

import linecache
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_TOOLKIT_DIR = str(Path(__file__).resolve().parent.parent)
_INTERNAL_MARKERS = ("/site-packages/", "/dist-packages/", "<frozen", "<unknown>", "<string>")

ERROR_CODE_WORDS = {
    "ERROR_NEEDS_FLEX_OPS": "not a TFLite builtin; it exists only as a Flex (TF Select) op",
    "ERROR_NEEDS_CUSTOM_OPS": "neither a TFLite builtin nor a Flex op; it needs a custom kernel",
    "ERROR_UNSUPPORTED_CONTROL_FLOW_V1": "TF1 control flow (Switch/Merge) that TFLite cannot convert",
    "ERROR_GPU_NOT_COMPATIBLE": "not compatible with the GPU delegate",
}

# (pattern in the message or op name, fix) — first match wins; the generic fixes by error code follow.
_TEXT_FIXES = (
    ("element_shape to be static", "fix the batch and sequence length (--batch 1, --seq-len N) so lists have static shapes"),
    ("element_shape to be 1D", "give the TensorArray an element_shape: tf.TensorArray(dtype, size=N, element_shape=[...])"),
    ("TensorList", "use a fixed-size TensorArray with an element_shape (size=N, dynamic_size=False)"),
    ("legalize operation 'tf.Identity'", "use a fixed size TensorArray (dynamic_size=False, size=N, element_shape=[...])"),
    ("Switch", "rebuild the model with TF2 control flow (tf.cond / tf.while_loop inside tf.function)"),
)
_CODE_FIXES = {
    "ERROR_NEEDS_FLEX_OPS": "replace {op} with ops TFLite has as builtins, or pass --allow-flex "
    "(the model then needs the Flex delegate, which LiteRT and TFLM here do not ship)",
    "ERROR_NEEDS_CUSTOM_OPS": "replace {op} with ops TFLite has as builtins, or pass --allow-custom "
    "and register a kernel for it in every runtime you deploy to",
    "ERROR_UNSUPPORTED_CONTROL_FLOW_V1": "rebuild the model with TF2 control flow (tf.cond / tf.while_loop)",
}


@dataclass(frozen=True)
class Frame:
    file: str
    line: int
    source: str | None = None
    internal: bool = False


@dataclass
class TracedError:
    """One converter error, user frame first. ``frames`` are innermost (op creation) to outermost."""

    message: str
    op: str | None = None
    node: str | None = None
    error_code: str | None = None
    frames: list[Frame] = field(default_factory=list)
    fix: str | None = None
    origin: str | None = None  # why the user frame is this line when the converter named only a node

    @property
    def user_frame(self) -> Frame | None:
        return next((f for f in self.frames if not f.internal), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        uf = self.user_frame
        data["user_frame"] = asdict(uf) if uf else None
        data["error_code_words"] = ERROR_CODE_WORDS.get(self.error_code or "")
        return data


def is_internal(file: str) -> bool:
    """A frame is internal when it lives in an installed package, the stdlib, or edgetk itself."""
    if any(marker in file for marker in _INTERNAL_MARKERS):
        return True
    resolved = str(Path(file).resolve()) if file.startswith("/") else file
    return resolved.startswith(_TOOLKIT_DIR) or resolved.startswith(sys.base_prefix + "/lib/")


def _frame(file: str, line: int, source: str | None = None) -> Frame:
    text = source if source is not None else linecache.getline(file, line).strip() or None
    return Frame(file=file, line=int(line), source=text, internal=is_internal(file))


def frames_from_location(location: dict[str, Any]) -> tuple[list[Frame], str | None]:
    """Frames (innermost first) and the node name from a ConverterErrorData.location dict."""
    frames: list[Frame] = []
    node = None
    for call in location.get("call", []):
        node = node or call.get("name")
        src = call.get("source") or {}
        if src.get("filename"):
            frames.append(_frame(src["filename"], int(src.get("line", 0))))
    frames.reverse()  # the converter lists them outermost first; the op was created by the last one
    return frames, node


_DIAG = re.compile(r"^(?P<file>[^\s<][^:\n]*):(?P<line>\d+):\d+: (?P<kind>error|note|warning): (?P<text>.*)$")


def frames_from_message(text: str) -> tuple[str | None, list[Frame]]:
    """The first error line's text and the frames of its diagnostic (error + "called from" notes)."""
    lines = text.splitlines()
    first_error: str | None = None
    frames: list[Frame] = []
    for i, line in enumerate(lines):
        match = _DIAG.match(line.strip())
        if not match:
            continue
        kind, body = match["kind"], match["text"]
        if kind == "error":
            if first_error is not None:
                break
            first_error = body
        elif not body.startswith("called from"):
            continue
        source = lines[i + 1].strip() if i + 1 < len(lines) and lines[i + 1].strip() != "^" else None
        frames.append(_frame(match["file"], int(match["line"]), source))
    frames.reverse()
    return first_error, frames


def _first_sentence(text: str) -> str:
    head = text.split(". ")[0].strip()
    return head if len(head) < 200 else head[:197] + "..."


def _message_frames_for(op: str | None, message: str) -> list[Frame]:
    """Frames of the message's diagnostic about ``op`` (the structured error may lack file locations)."""
    if not op:
        return []
    for chunk in re.split(r"\n(?=\S[^\n]*: error: )", message):
        if f"'{op}'" in chunk.split("\n")[0]:
            return frames_from_message(chunk)[1]
    return []


def _fix_for(text: str, op: str | None, code: str | None) -> str | None:
    for needle, fix in _TEXT_FIXES:
        if needle in text or (op and needle in op):
            return fix
    template = _CODE_FIXES.get(code or "")
    return template.format(op=op or "the op") if template else None


def _from_graph(node: str | None, node_frames: dict[str, Any]) -> tuple[list[Frame], str | None]:
    """Frames (innermost first) and an origin sentence for a node the worker found in the traced graph."""
    entry = node_frames.get(node or "")
    if not entry:
        return [], None
    frames = [_frame(file, int(line)) for file, line in entry.get("frames", [])]
    if entry.get("origin") == "saved debug info":
        return frames, f"where TF node {node} was created, from the SavedModel's saved debug info"
    if not entry.get("tensor_list"):
        return frames, f"where TF node {node} was created (the converter gave no source location)"
    own = next((f for f in (_frame(file, int(line)) for file, line in entry.get("node_frames", [])) if not f.internal),
               None)
    made = f"; the node comes from {short_path(own.file)}:{own.line}" if own else ""
    return frames, f"the tensor list that TF node {node} carries is made here{made}"


def trace_converter_error(errors: list[dict[str, Any]], message: str,
                          node_frames: dict[str, Any] | None = None) -> list[TracedError]:
    """Structured errors when the converter gave them, else the message text; one entry per distinct op.

    ``node_frames``: node -> frames from the traced graph (the worker's ``graph_trace.node_frames``), used
    for errors whose locations reach no user frame. Errors that reach the user's code come first.
    """
    node_frames = node_frames or {}
    traced: list[TracedError] = []
    seen: set[tuple[str | None, str | None]] = set()
    for err in errors:
        frames, node = frames_from_location(err.get("location") or {})
        op = (err.get("operator") or {}).get("name")
        text = _first_sentence((err.get("error_message") or "").split("\n")[0])
        code = err.get("error_code")
        code = None if code in (None, "UNKNOWN") else code
        if not any(not f.internal for f in frames):  # NAMELOC-only: look for the frames in the text
            frames = frames + _message_frames_for(op, message)
        origin = None
        if not any(not f.internal for f in frames):  # no location at all: the node's creation in the graph
            graph_frames, origin = _from_graph(node, node_frames)
            frames = graph_frames + frames if graph_frames else frames
            origin = origin if graph_frames else None
        item = TracedError(message=text, op=op, node=node, error_code=code, frames=frames, origin=origin)
        key = (op, f"{item.user_frame.file}:{item.user_frame.line}" if item.user_frame else node)
        if key in seen:
            continue
        seen.add(key)
        item.fix = _fix_for(text + message, op, code)
        traced.append(item)
    if not traced:
        first, frames = frames_from_message(message)
        op_match = re.search(r"'((?:tf|tfl)\.[A-Za-z0-9_]+)' op", first or message)
        code_match = re.search(r"Error code: (ERROR_[A-Z0-9_]+)", message)
        code = code_match[1] if code_match else None
        op = op_match[1] if op_match else None
        text = _first_sentence(first or _last_meaningful_line(message))
        node = next(iter(node_frames), None)
        origin = None
        if node and not any(not f.internal for f in frames):
            graph_frames, origin = _from_graph(node, node_frames)
            frames = graph_frames + frames
        traced.append(TracedError(message=text, op=op, node=node, error_code=code, frames=frames,
                                  fix=_fix_for(message, op, code), origin=origin))
    return sorted(traced, key=lambda t: t.user_frame is None)


def trace_python_exception(message: str, frames: list[tuple[str, int]]) -> TracedError:
    """A Python exception raised while loading/tracing the user's model (frames outermost first)."""
    built = [_frame(f, line) for f, line in reversed(frames)]
    return TracedError(message=message, frames=built, fix=_fix_for(message, None, None))


def _last_meaningful_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and ln.strip() != "^"]
    return lines[0] if lines else "the converter failed without a message"


def short_path(file: str) -> str:
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return file


def one_line(err: TracedError) -> str:
    """The single red line: what failed and where in the user's code."""
    what = f"'{err.op}' is {ERROR_CODE_WORDS[err.error_code]}" if err.error_code in ERROR_CODE_WORDS and err.op \
        else err.message
    uf = err.user_frame
    where = f" at {short_path(uf.file)}:{uf.line}" if uf else (f" (TF node {err.node})" if err.node else "")
    return f"conversion failed: {what}{where}"


def render(errors: list[TracedError], max_other_frames: int = 3) -> str:
    """The details block printed under the red line (user's frame first, never a traceback)."""
    out: list[str] = []
    for err in errors:
        out.append(f"- {err.message}")
        uf = err.user_frame
        if uf:
            out.append(f"    at {short_path(uf.file)}:{uf.line}")
            if uf.source:
                out.append(f"        {uf.source}")
            if err.origin:
                out.append(f"    ({err.origin})")
        others = [f for f in err.frames if not f.internal and f is not uf][:max_other_frames]
        for f in others:
            out.append(f"    called from {short_path(f.file)}:{f.line}")
        if err.node or err.op:
            out.append(f"    TF node:    {err.node or '?'}" + (f"  ({err.op})" if err.op else ""))
        if err.error_code:
            words = ERROR_CODE_WORDS.get(err.error_code, "")
            out.append(f"    error code: {err.error_code}" + (f" — {words}" if words else ""))
        if err.fix:
            out.append(f"    fix:        {err.fix}")
    return "\n".join(out)
