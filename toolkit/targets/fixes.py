"""What each compatibility rule means in a few words, and what a user does about it.

The rule's docstring (toolkit/targets/rules.py) is the full message of one finding; this table gives the
short title a grouped report shows once per (rule, op type) and the fix hint printed under it. One entry per
rule: tests/targets/test_fix_hints.py fails when a rule is added without one. A rule name this table does
not know (a saved JSON document from another version) renders with its name and the generic hint.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleHelp:
    title: str  # a few words, shown after the op: "DEQUANTIZE: dtype rejected"
    fix: str


RULE_HELP: dict[str, RuleHelp] = {
    "flex_op": RuleHelp("Flex op, no Flex delegate",
                        "convert without SELECT_TF_OPS (rewrite the op with builtin TFLite ops), or link the "
                        "Flex delegate into the app"),
    "custom_op": RuleHelp("custom op not built in",
                          "register the op's kernel in the app and list it in the target's custom_ops, or "
                          "replace it with builtin ops"),
    "missing_kernel": RuleHelp("no kernel",
                               "rewrite it with ops the runtime has (docs/SUPPORTED_OPS.md)"),
    "unsupported_op_version": RuleHelp("op version too new",
                                       "convert with an older converter (`edgetk convert --legacy`) or "
                                       "upgrade the runtime on the device"),
    "unsupported_op_dtype": RuleHelp("dtype rejected",
                                     "convert so the op gets a dtype the runtime accepts (for MCUs: "
                                     "`edgetk convert --quantize int8 --integer-io`)"),
    "unsupported_tensor_dtype": RuleHelp("tensor dtype unsupported",
                                         "convert to a dtype the target supports (see `edgetk targets show "
                                         "TARGET`; for MCUs: `--quantize int8`)"),
    "dynamic_shapes": RuleHelp("dynamic input shape",
                               "fix the shape at conversion (`edgetk convert --batch 1 --input-shapes ...`)"),
    "resource_variables": RuleHelp("resource variables",
                                   "convert with state as inputs/outputs instead of variables (drop "
                                   "--allow-resource-variables)"),
    "model_over_flash": RuleHelp("model larger than flash",
                                 "shrink the model: `edgetk convert --quantize int8` (4x smaller than "
                                 "float32), prune, or pick a target with more flash"),
    "arena_over_ram": RuleHelp("tensor arena larger than RAM",
                               "shrink activations (smaller input, int8) or use more RAM"),
    "control_flow_cycle": RuleHelp("cyclic control flow",
                                   "re-export the model with the TensorFlow converter; the file is damaged or "
                                   "hand-built"),
    "while_cond_is_body": RuleHelp("WHILE cond is its own body",
                                   "re-export the model with the TensorFlow converter; the file is damaged or "
                                   "hand-built"),
    "kernel_constraint": RuleHelp("kernel rejects this variant",
                                  "change the graph so the op gets what the kernel takes (for TFLM: rank <= 4 "
                                  "and constant begin/end/strides for STRIDED_SLICE, full-integer weights AND "
                                  "activations, i.e. `edgetk convert --quantize int8` instead of dynamic)"),
    "tflm_runtime_shaped_tensor": RuleHelp("run-time tensor shape (TFLM overruns it)",
                                           "give the op static sizes: a TensorArray read/written with a "
                                           "constant index, `unroll=True` for short RNN loops, or convert "
                                           "with --rnn fused for LSTMs"),
    "verified_does_not_run": RuleHelp("the runtime tried here refused it",
                                      "read the runtime's own line above; fix the op it names"),
    "verified_alternative_fails": RuleHelp("another runtime configuration refused it",
                                           "only matters if you deploy that configuration (e.g. no XNNPACK)"),
    "delegate_fallback": RuleHelp("falls back to CPU",
                                  "fine if the CPU is fast enough; else replace the op"),
    "delegate_refuses_graph": RuleHelp("delegate refuses the whole model",
                                       "fix every shape at conversion (`edgetk convert --batch 1`, RNNs with "
                                       "--rnn fused) or do not enable the delegate"),
    "gpu_numerics_differ": RuleHelp("GPU outputs differ from LiteRT CPU",
                                    "check accuracy on a phone before enabling the GPU delegate; a model the "
                                    "GPU takes whole (e.g. converted without sparse weights) avoids the split"),
    "gpu_prediction_wrong": RuleHelp("GPU op table prediction wrong",
                                     "re-probe (`edgetk targets probe --accelerator gpu`); the accelerator run "
                                     "is the verdict"),
    "custom_op_on_delegate": RuleHelp("custom op only the delegate takes",
                                      "enable that delegate in the app, or register the op's CPU kernel"),
    "unknown_builtin_code": RuleHelp("unknown builtin code",
                                     "re-export with the converter that matches the runtime, or use a runtime "
                                     "whose schema has the op; otherwise the file is damaged"),
    "negative_dimension": RuleHelp("negative static dimension",
                                   "re-export the model; dynamic sizes are -1 in shape_signature, never in shape"),
    "tensor_too_large": RuleHelp("tensor beyond 2^31 elements",
                                 "use a smaller input shape or split the tensor (batch, tiles)"),
}

GENERIC = RuleHelp("", "see the rule in docs/SUPPORTED_OPS.md")

#: the dtype-specific fixes that matter most in practice: a float16-weights model on an integer-only runtime
_DTYPE_FIX = {
    "float16": "quantize to int8 (`edgetk convert --quantize int8`) or convert without float16 "
               "(`--quantize none`)",
    "float32": "quantize to int8 (`edgetk convert --quantize int8 --integer-io`): this runtime takes integer "
               "inputs for the op",
}


#: constraint-specific fixes (kernel_constraint findings name "with FEATURE = VALUE")
_CONSTRAINT_FIX = {
    "input_scale = int8-tiny": "calibrate with representative data (`edgetk convert --quantize int8 "
                               "--calibration SAMPLES.npz`): the softmax input range is so small that TFLM "
                               "aborts (beta x input scale x 2^26 must exceed 1)",
    "quantization = hybrid-int8": "quantize weights AND activations (`edgetk convert --quantize int8`) "
                                  "instead of dynamic range",
}


def rule_help(rule: str) -> RuleHelp:
    """The title and fix for a rule; rules without an entry get the rule's name and the generic hint."""
    found = RULE_HELP.get(rule)
    return found if found is not None else RuleHelp(rule.replace("_", " "), GENERIC.fix)


def fix_hint(rule: str, message: str) -> str:
    """The fix for one group of findings; dtype rules name the dtype the message mentions."""
    if rule in ("unsupported_op_dtype", "unsupported_tensor_dtype"):
        for dtype, fix in _DTYPE_FIX.items():
            if f" {dtype} " in f" {message} ":
                return fix
    if rule == "kernel_constraint":
        for variant, fix in _CONSTRAINT_FIX.items():
            if f"with {variant} " in message:
                return fix
    return rule_help(rule).fix
