"""Every ```python block of docs/python.md runs, in order, in one namespace."""

import os
import re

import pytest

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "python.md")


def test_docs_examples_run(capsys):
    if not os.environ.get("CT_DATA_DIR"):
        pytest.skip("CT_DATA_DIR is not set")
    text = open(DOC, encoding="utf-8").read()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 6
    ns: dict = {}
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/python.md block {i + 1}", "exec"), ns)
    assert "res" in ns and ns["res"].trade_count > 0
