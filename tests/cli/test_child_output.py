"""Children end stdout with one JSON object; anything else is None (the caller turns it into a ToolkitError)."""

import pytest

from toolkit.child_output import last_json_object


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        ('motd line\n{"a": 1}\n', {"a": 1}),
        ('{"first": 1}\nnoise\n{"last": 2}\n', {"last": 2}),
        ("", None),
        ("\n\n", None),
        ("Segmentation fault\n", None),
        ('{"truncated": \n', None),
        ("[1, 2]\n", None),
    ],
)
def test_last_json_object(stdout: str, expected: dict | None) -> None:
    assert last_json_object(stdout) == expected
