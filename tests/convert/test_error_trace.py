"""Error tracing without TensorFlow: a recorded converter failure must be put on the user's line first."""

from pathlib import Path

from toolkit.convert import error_trace

SITE = "/venv/lib/python3.11/site-packages/tensorflow/python"


def _message(user_file: str) -> str:
    # Shape of TF 2.21's text for from_concrete_functions: TF's outermost frame is the primary location.
    return (
        "Could not translate MLIR to FlatBuffer."
        f"{SITE}/eager/polymorphic_function/polymorphic_function.py:696:1: error: 'tf.Igamma' op is neither a "
        "custom op nor a flex op\n    self._concrete_variable_creation_fn = trace_function(\n^\n"
        f"{SITE}/eager/polymorphic_function/tracing_compilation.py:283:1: note: called from\n    x = 1\n^\n"
        f"{user_file}:3:1: note: called from\n    return tf.math.igamma(x, x)\n^\n"
        f"{SITE}/ops/gen_math_ops.py:4602:1: note: called from\n    _apply_op_helper(\n^\n"
        f"{SITE}/eager/polymorphic_function/polymorphic_function.py:696:1: note: Error code: ERROR_NEEDS_CUSTOM_OPS\n"
    )


def _errors(user_file: str) -> list[dict]:
    calls = [f"{SITE}/eager/polymorphic_function/polymorphic_function.py", f"{SITE}/x/tracing_compilation.py",
             user_file, f"{SITE}/ops/gen_math_ops.py"]
    location = {"type": "CALLSITELOC", "call": [{"name": "Igamma", "source": {"filename": calls[0], "line": 696}}]
                + [{"source": {"filename": f, "line": 3 if f == user_file else 10}} for f in calls[1:]]}
    return [{"error_code": "ERROR_NEEDS_CUSTOM_OPS", "operator": {"name": "tf.Igamma"}, "location": location,
             "error_message": "'tf.Igamma' op is neither a custom op nor a flex op\nError code: X"}]


def test_structured_errors_put_the_users_line_first(tmp_path: Path) -> None:
    user = tmp_path / "mymodel.py"
    user.write_text("import tensorflow as tf\ndef f(x):\n    return tf.math.igamma(x, x)\n")
    traced = error_trace.trace_converter_error(_errors(str(user)), _message(str(user)))
    assert len(traced) == 1
    err = traced[0]
    assert err.user_frame.file == str(user) and err.user_frame.line == 3
    assert err.user_frame.source == "return tf.math.igamma(x, x)"
    assert err.op == "tf.Igamma" and err.node == "Igamma" and err.error_code == "ERROR_NEEDS_CUSTOM_OPS"
    assert "--allow-custom" in err.fix
    line = error_trace.one_line(err)
    assert "mymodel.py:3" in line and "needs a custom kernel" in line
    block = error_trace.render(traced)
    assert block.index("mymodel.py:3") < block.index("TF node") < block.index("error code") < block.index("fix:")


def test_message_text_alone_is_enough(tmp_path: Path) -> None:
    user = tmp_path / "mymodel.py"
    traced = error_trace.trace_converter_error([], _message(str(user)))
    err = traced[0]
    assert err.op == "tf.Igamma" and err.error_code == "ERROR_NEEDS_CUSTOM_OPS"
    assert err.user_frame.file == str(user) and err.user_frame.line == 3
    assert err.user_frame.source == "return tf.math.igamma(x, x)"  # taken from the message text
    assert err.frames[0].internal  # gen_math_ops (innermost) is TF's, skipped for the user frame


def test_tensorarray_messages_get_their_fix() -> None:
    msg = "error: 'tf.TensorListReserve' op requires element_shape to be 1D tensor during TF Lite transformation"
    err = error_trace.trace_converter_error([], msg)[0]
    assert "element_shape" in err.fix and "TensorArray" in err.fix
    static = error_trace.trace_converter_error([], "requires element_shape to be static during TF Lite pass")[0]
    assert "--batch 1" in static.fix


def test_internal_frames_are_recognised() -> None:
    assert error_trace.is_internal(f"{SITE}/framework/func_graph.py")
    assert error_trace.is_internal(str(Path(error_trace.__file__)))  # edgetk's own worker frames
    assert not error_trace.is_internal("/home/me/project/model.py")
