"""Compatibility rules: one small function per reason a model may not run on a target.

Each rule's docstring IS the message the user reads (a str.format template, Vela style); the rule only
decides *whether* and with which fields. `edgetk targets docs` prints the same docstrings, so the docs
cannot drift from the code. Severity: "error" (does not run), "fallback" (runs, some ops leave the
delegate), "warning" (runs, but read this).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from toolkit.model import Operator, TfliteModel
from toolkit.targets.arena import estimate_arena_bytes
from toolkit.targets.delegate_verdict import DelegateVerdict
from toolkit.targets.finding import Finding
from toolkit.targets.optable import OpSupportTable
from toolkit.targets.schema import TargetDescriptor

RESOURCE_VARIABLE_OPS = {"VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"}


@dataclass(frozen=True)
class CheckContext:
    model: TfliteModel
    target: TargetDescriptor
    table: OpSupportTable

    @property
    def runtime(self) -> str:
        return f"{self.table.runtime} {self.table.version}"

    @cached_property
    def delegates(self) -> list[DelegateVerdict]:
        """Each delegate's verdict (measured table or documented list), computed once per check."""
        from toolkit.targets.delegates import delegate_verdicts

        return delegate_verdicts(self.model, self.target)


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    fn: Callable[[CheckContext], Iterator[Finding]]

    @property
    def template(self) -> str:
        return " ".join((self.fn.__doc__ or "").split())


RULES: list[Rule] = []


def rule(severity: str) -> Callable[[Callable[..., Iterator[Finding]]], Callable[..., Iterator[Finding]]]:
    def register(fn: Callable[..., Iterator[Finding]]) -> Callable[..., Iterator[Finding]]:
        RULES.append(Rule(fn.__name__, severity, fn))
        return fn

    return register


def _finding(fn: Callable[..., Any], severity: str, op: Operator | None = None, **fields: Any) -> Finding:
    message = " ".join((fn.__doc__ or "").split()).format(op=op.name if op else None, **fields)
    if op is None:
        return Finding(fn.__name__, severity, message)
    return Finding(fn.__name__, severity, message, op.name, op.subgraph, op.index)


def _builtin_ops(ctx: CheckContext) -> Iterator[Operator]:
    return (op for op in ctx.model.operators() if not op.is_custom)


@rule("error")
def flex_op(ctx: CheckContext) -> Iterator[Finding]:
    """{op} is a Flex (Select TF ops) op: {runtime} here has no Flex delegate to run it."""
    for op in ctx.model.operators():
        if op.is_flex:
            yield _finding(flex_op, "error", op, runtime=ctx.runtime)


@rule("error")
def custom_op(ctx: CheckContext) -> Iterator[Finding]:
    """Custom op {op} is not built into {runtime}; register it in the app (and list it in the target's
    custom_ops) or replace it with builtin ops."""
    taken = _taken_by_measured_delegate(ctx)
    for op in ctx.model.operators():
        if op.is_custom and not op.is_flex and op.custom_code not in ctx.target.custom_ops \
                and not ctx.table.custom_op_registered(op.custom_code or "") and op.name not in taken:
            yield _finding(custom_op, "error", op, runtime=ctx.runtime)


def _taken_by_measured_delegate(ctx: CheckContext) -> dict[str, str]:
    """Custom op names a delegate with a measured table takes (name -> delegate)."""
    taken: dict[str, str] = {}
    for verdict in ctx.delegates:
        if verdict.evidence != "predicted from docs" and verdict.coverage != "refused":
            on_cpu = set(verdict.ops_on_cpu)
            for op in ctx.model.operators():
                if op.is_custom and op.name not in on_cpu:
                    taken.setdefault(op.name, verdict.name)
    return taken


@rule("warning")
def custom_op_on_delegate(ctx: CheckContext) -> Iterator[Finding]:
    """Custom op {op} has no CPU kernel registered in {runtime} (measured), but the {delegate} delegate takes
    it (measured): the model runs only with that delegate enabled, or with the op registered in the app."""
    for name, delegate in _taken_by_measured_delegate(ctx).items():
        if name in ctx.target.custom_ops or ctx.table.custom_op_registered(name):
            continue
        op = next(o for o in ctx.model.operators() if o.name == name)
        yield _finding(custom_op_on_delegate, "warning", op, runtime=ctx.runtime, delegate=delegate)


@rule("error")
def missing_kernel(ctx: CheckContext) -> Iterator[Finding]:
    """{runtime} has no kernel for {op} (measured by the op-support probe)."""
    for op in _builtin_ops(ctx):
        if ctx.table.has_kernel(op.name) is False:
            yield _finding(missing_kernel, "error", op, runtime=ctx.runtime)


@rule("error")
def unsupported_op_version(ctx: CheckContext) -> Iterator[Finding]:
    """{op} version {version} is newer than {runtime} supports (highest: {max_version}); convert with an
    older converter or use a newer runtime."""
    for op in _builtin_ops(ctx):
        if ctx.table.has_kernel(op.name) and not ctx.table.supports_version(op.name, op.version):
            yield _finding(unsupported_op_version, "error", op, version=op.version,
                           max_version=ctx.table.max_version(op.name), runtime=ctx.runtime)


@rule("error")
def unsupported_op_dtype(ctx: CheckContext) -> Iterator[Finding]:
    """{runtime} rejects {op} with {dtype} input (measured: {detail})."""
    for op in _builtin_ops(ctx):
        first = next((i for i in op.inputs if i >= 0), None)
        if first is None:
            continue
        dtype = ctx.model.subgraphs[op.subgraph].tensors[first].dtype
        detail = ctx.table.rejected_dtype(op.name, dtype)
        if detail:
            yield _finding(unsupported_op_dtype, "error", op, dtype=dtype, detail=detail[:160], runtime=ctx.runtime)


@rule("error")
def kernel_constraint(ctx: CheckContext) -> Iterator[Finding]:
    """{runtime} has a {op} kernel but rejects it with {feature} = {value} (measured by the constraints probe:
    {detail})."""
    from toolkit.targets.constraints import op_features

    if not ctx.table.constraints:
        return
    for op in _builtin_ops(ctx):
        if op.name not in ctx.table.constraints:
            continue
        for feature, value in op_features(ctx.model, op).items():
            detail = ctx.table.rejected_variant(op.name, feature, value)
            if detail:
                yield _finding(kernel_constraint, "error", op, feature=feature, value=value,
                               detail=_runtime_line(detail), runtime=ctx.runtime)


def _runtime_line(detail: str) -> str:
    """The runtime's own complaint out of the probe's captured text (path prefixes and node lines cut)."""
    text = detail.removeprefix("RuntimeError: ").replace("TFLM failed to allocate tensors ", "")
    text = text.split(" Node ", 1)[0].split("Node number", 1)[0]
    words = [w.rsplit("/", 1)[-1] if "/" in w and w.endswith(".cc") else w for w in text.split()]
    return " ".join(words)[:160]


@rule("error")
def tflm_runtime_shaped_tensor(ctx: CheckContext) -> Iterator[Finding]:
    """{op} (subgraph {subgraph}) computes the shape of tensor '{tensor}' at run time (signature {signature},
    stored {shape}): TFLM has no dynamic tensors and its kernel writes the run-time size past the stored shape,
    corrupting the arena. Seen with TFLM here: a WHILE that never returns (greedy decoder) and silently wrong
    outputs (stacked BiLSTM); TFLM only refuses stored dims <= 0 (tflite-micro #3181), so it does not say so."""
    if ctx.target.runtime.name != "tflm":
        return
    for op, tensor in runtime_shaped_outputs(ctx.model):
        yield _finding(tflm_runtime_shaped_tensor, "error", op, subgraph=op.subgraph, tensor=tensor.name,
                       signature=list(tensor.shape_signature), shape=list(tensor.shape))


def runtime_shaped_outputs(model: TfliteModel) -> Iterator[tuple[Operator, Any]]:
    """Op outputs whose shape the op itself makes dynamic: the output's signature has -1 while no input's
    does (a dynamic batch inherited from the model input is not this: TFLM runs it at the stored shape)."""
    for sg in model.subgraphs:
        for op in sg.operators:
            if any(i >= 0 and sg.tensors[i].is_dynamic for i in op.inputs):
                continue
            for o in op.outputs:
                if o >= 0 and sg.tensors[o].is_dynamic:
                    yield op, sg.tensors[o]
                    break


@rule("error")
def unsupported_tensor_dtype(ctx: CheckContext) -> Iterator[Finding]:
    """Tensor '{tensor}' (subgraph {subgraph}) is {dtype}, which {target} does not support."""
    banned = set(ctx.target.dtypes.unsupported)
    for sg in ctx.model.subgraphs:
        for t in sg.tensors:
            if t.dtype in banned:
                yield _finding(unsupported_tensor_dtype, "error", tensor=t.name, subgraph=sg.index,
                               dtype=t.dtype, target=ctx.target.name)


@rule("warning")
def dynamic_shapes(ctx: CheckContext) -> Iterator[Finding]:
    """Input '{tensor}' has a dynamic shape {signature}; {runtime} cannot resize tensors, so it runs only at
    the stored shape {shape}. Fix the shape at conversion to make this explicit."""
    if ctx.target.dynamic_shapes:
        return
    sg = ctx.model.subgraphs[0]
    for i in sg.inputs:
        t = sg.tensors[i]
        if t.is_dynamic:
            yield _finding(dynamic_shapes, "warning", tensor=t.name, signature=list(t.shape_signature),
                           shape=list(t.shape), runtime=ctx.runtime)


@rule("error")
def resource_variables(ctx: CheckContext) -> Iterator[Finding]:
    """{op} uses resource variables, which {target} does not support."""
    if ctx.target.resource_variables:
        return
    for op in _builtin_ops(ctx):
        if op.name in RESOURCE_VARIABLE_OPS:
            yield _finding(resource_variables, "error", op, target=ctx.target.name)


@rule("error")
def model_over_flash(ctx: CheckContext) -> Iterator[Finding]:
    """The model is {size} bytes but {target} has {flash} bytes of flash."""
    flash = ctx.target.memory.flash_bytes
    if flash and ctx.model.size_bytes > flash:
        yield _finding(model_over_flash, "error", size=ctx.model.size_bytes, flash=flash, target=ctx.target.name)


@rule("error")
def arena_over_ram(ctx: CheckContext) -> Iterator[Finding]:
    """Estimated tensor arena {arena} bytes ({basis}) exceeds {target}'s {ram} bytes of RAM."""
    ram = ctx.target.memory.ram_bytes
    if ram:
        arena, basis = estimated_arena(ctx.model, ctx.target)
        if arena > ram:
            yield _finding(arena_over_ram, "error", arena=arena, basis=basis, ram=ram, target=ctx.target.name)


def estimated_arena(model: TfliteModel, target: TargetDescriptor) -> tuple[int, str]:
    """The arena estimate for the target's runtime and what it counts: for TFLM an upper bound including
    its persistent data; elsewhere the greedy liveness estimate of activations."""
    if target.runtime.name == "tflm":
        from toolkit.targets.arena import estimate_tflm_arena_bytes

        return (estimate_tflm_arena_bytes(model),
                "activations + TFLM's persistent data: an upper bound of TFLM's measured arena")
    return estimate_arena_bytes(model), "greedy liveness estimate of activations"


def control_flow_cycles(model: TfliteModel) -> list[tuple[Operator, list[int]]]:
    """Every call (WHILE/IF/CALL_ONCE/...) that closes a cycle in the subgraph call graph, with the cycle as
    subgraph indices (first == last). Iterative DFS with colours: terminates on any graph, never recurses."""
    count = len(model.subgraphs)
    calls = {sg.index: [(op, c) for op in sg.operators for c in dict.fromkeys(op.called_subgraphs) if 0 <= c < count]
             for sg in model.subgraphs}  # fmt: skip
    state: dict[int, str] = {}  # "open" while on the DFS path, "done" after
    found: list[tuple[Operator, list[int]]] = []
    for root in calls:
        if root in state:
            continue
        path, stack = [root], [iter(calls[root])]
        state[root] = "open"
        while stack:
            step = next(stack[-1], None)
            if step is None:
                state[path.pop()] = "done"
                stack.pop()
                continue
            op, callee = step
            if state.get(callee) == "open":
                found.append((op, path[path.index(callee):] + [callee]))
            elif callee not in state:
                state[callee] = "open"
                path.append(callee)
                stack.append(iter(calls.get(callee, ())))
    return found


@rule("error")
def control_flow_cycle(ctx: CheckContext) -> Iterator[Finding]:
    """{op} in subgraph {subgraph} calls subgraph {callee}, closing the call cycle {cycle}: on cyclic control
    flow LiteRT and TFLM recurse until they crash (SIGSEGV) or loop forever, so {runtime} cannot run
    this model. TensorFlow's converter does not write call cycles: the file is likely damaged or hand-built."""
    for op, cycle in control_flow_cycles(ctx.model):
        yield _finding(control_flow_cycle, "error", op, subgraph=op.subgraph, callee=cycle[0],
                       cycle=" -> ".join(map(str, cycle)), runtime=ctx.runtime)


@rule("error")
def while_cond_is_body(ctx: CheckContext) -> Iterator[Finding]:
    """{op} in subgraph {subgraph} uses subgraph {body} as both its condition and its body: LiteRT refuses it
    at Prepare and TFLM loops forever, so {runtime} cannot run this model."""
    for op in ctx.model.operators():
        indices = _while_indices(op) if op.name == "WHILE" else None
        if indices is not None and indices[0] == indices[1]:
            yield _finding(while_cond_is_body, "error", op, subgraph=op.subgraph, body=indices[1],
                           runtime=ctx.runtime)


def _while_indices(op: Operator) -> tuple[int, int] | None:
    opts = op.options or {}
    cond, body = opts.get("cond_subgraph_index"), opts.get("body_subgraph_index")
    return (cond, body) if isinstance(cond, int) and isinstance(body, int) else None


@rule("fallback")
def delegate_fallback(ctx: CheckContext) -> Iterator[Finding]:
    """{delegate} delegate: {op} runs on the CPU ({evidence}: {reason})"""
    first_use: dict[str, Operator] = {}
    for op in ctx.model.operators():
        first_use.setdefault(op.name, op)
    for verdict in ctx.delegates:
        if verdict.coverage == "refused":
            continue
        reasons = {r.op: r.message for r in verdict.reasons}
        for name in verdict.ops_on_cpu:  # one finding per op type, located at its first use
            yield _finding(delegate_fallback, "fallback", first_use.get(name), delegate=verdict.name,
                           evidence=verdict.evidence, reason=reasons.get(name) or "no reason given")


@rule("fallback")
def delegate_refuses_graph(ctx: CheckContext) -> Iterator[Finding]:
    """The {delegate} delegate REFUSES this whole model ({evidence}: {reason}): an app that enables it gets
    an error at load, not a CPU fallback. Run it on the CPU, or fix every shape at conversion."""
    for verdict in ctx.delegates:
        if verdict.coverage == "refused":
            reason = verdict.reasons[0].message if verdict.reasons else "dynamic-sized tensors"
            yield _finding(delegate_refuses_graph, "fallback", delegate=verdict.name, evidence=verdict.evidence,
                           reason=reason)


# --- Static validity: models no runtime loads, whatever the op tables say (each runtime refuses them at
# load or allocation; measured with LiteRT 2.x on builder models, see tests/targets/test_validity_rules.py).
MAX_TENSOR_ELEMENTS = 2**31 - 1  # TFLite kernels count elements in 32-bit ints


@rule("error")
def unknown_builtin_code(ctx: CheckContext) -> Iterator[Finding]:
    """{op}: builtin operator code {code} is not in the TFLite schema (a newer or corrupted model);
    {runtime} refuses to load it ("Op builtin_code out of range")."""
    from toolkit.model.schema_names import BUILTIN_OP_NAMES

    for op in ctx.model.operators():
        if op.builtin_code is not None and not op.is_custom and op.builtin_code not in BUILTIN_OP_NAMES:
            yield _finding(unknown_builtin_code, "error", op, code=op.builtin_code, runtime=ctx.runtime)


@rule("error")
def negative_dimension(ctx: CheckContext) -> Iterator[Finding]:
    """Tensor '{tensor}' (subgraph {subgraph}) has a negative static dimension {shape}; runtimes refuse it
    at load ("invalidly specified in schema"). Dynamic sizes belong in shape_signature as -1."""
    for sg in ctx.model.subgraphs:
        for t in sg.tensors:
            if any(d < 0 for d in t.shape):
                yield _finding(negative_dimension, "error", tensor=t.name, subgraph=sg.index, shape=list(t.shape))


@rule("error")
def tensor_too_large(ctx: CheckContext) -> Iterator[Finding]:
    """Tensor '{tensor}' (subgraph {subgraph}) has {elements:,} elements (shape {shape}): more than
    2,147,483,647, the most a TFLite kernel can index; allocation fails."""
    for sg in ctx.model.subgraphs:
        for t in sg.tensors:
            if not t.shape or any(d < 0 for d in t.shape):
                continue
            elements = 1
            for d in t.shape:
                elements *= d
            if elements > MAX_TENSOR_ELEMENTS:
                shape = list(t.shape) if len(t.shape) <= 8 else f"rank {len(t.shape)}"
                yield _finding(tensor_too_large, "error", tensor=t.name, subgraph=sg.index, elements=elements,
                               shape=shape)


def run_rules(ctx: CheckContext) -> list[Finding]:
    return [finding for r in RULES for finding in r.fn(ctx)]
