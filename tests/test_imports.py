"""Jobs that do not train must not pay for importing TensorFlow."""

import ast
import subprocess
import sys

import pytest

from conftest import REPO

SCRIPTS = REPO / "workflow" / "scripts"
TRAINING_SCRIPTS = {"train.py", "finetune.py", "train_method.py"}
pytestmark = pytest.mark.slow  # a Python process per script


def prunelab_imports(script):
    tree = ast.parse(script.read_text())
    return sorted({node.module for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("prunelab")})


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.py") if p.name not in TRAINING_SCRIPTS))
def test_script_imports_do_not_load_tensorflow(script):
    modules = prunelab_imports(SCRIPTS / script)
    assert modules
    code = "import sys\n" + "".join(f"import {m}\n" for m in modules) + \
        "loaded = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules)\nassert not loaded, loaded\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO / "workflow", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
