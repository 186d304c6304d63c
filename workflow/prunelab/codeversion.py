"""The version of the code behind each result, so that results follow the code.

Snakemake reruns a job when its params change, so every rule's params carry a digest of
the code its script runs: the script and every module of this package it imports,
transitively (imports inside functions included), found by reading their syntax trees.
Each file is digested as its syntax tree without docstrings, so comments, docstrings
and formatting change nothing, while any change to what the code does reruns exactly the
jobs whose scripts reach it. The report's notebook is part of its rule's code too.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PACKAGE_NAME = PACKAGE.name


def _module_file(name: str) -> Path | None:
    """The file of ``prunelab.<name>`` (``name`` without the package prefix), if it is one."""
    path = PACKAGE / f"{name.replace('.', '/')}.py"
    return path if path.is_file() else None


def imported_modules(tree: ast.AST) -> set[Path]:
    """The files of this package's modules that ``tree`` imports, absolutely or relatively."""
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 0 and (module == PACKAGE_NAME or module.startswith(PACKAGE_NAME + ".")):
                module = module[len(PACKAGE_NAME) + 1:]
            elif node.level != 1:
                continue
            names = [module] if module else []
            names += [f"{module}.{alias.name}".lstrip(".") for alias in node.names]  # submodules imported by name
        elif isinstance(node, ast.Import):
            names = [alias.name[len(PACKAGE_NAME) + 1:] for alias in node.names
                     if alias.name.startswith(PACKAGE_NAME + ".")]
        found.update(path for path in map(_module_file, names) if path is not None)
    found.add(PACKAGE / "__init__.py")
    return found


def _without_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def normalized(source: str) -> str:
    """What the code does: its syntax tree, without docstrings, positions or comments."""
    return _parsed(source)[1]


@functools.lru_cache(maxsize=None)
def _parsed(source: str) -> tuple[frozenset[Path], str]:
    """The package modules ``source`` imports, and its normalized code: parsed once per distinct
    source, since every rule's digest reaches the same modules (Snakemake computes them all at
    each start, a no-op rerun included)."""
    tree = ast.parse(source)
    imports = frozenset(imported_modules(tree))
    return imports, ast.dump(_without_docstrings(tree), include_attributes=False)


def _notebook_code(notebook: Path) -> tuple[str, str]:
    """A notebook's code cells as one source (magics dropped), and all its cells as text."""
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join(line for cell in cells if cell["cell_type"] == "code"
                     for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith("%"))
    return code, json.dumps([(cell["cell_type"], "".join(cell["source"])) for cell in cells])


def code_files(script: Path, notebook: Path | None = None) -> list[Path]:
    """The script (and notebook) and every package module they reach, sorted."""
    sources = [script.read_text()] + ([_notebook_code(notebook)[0]] if notebook else [])
    pending = set().union(*(_parsed(source)[0] for source in sources))
    seen: set[Path] = set()
    while pending:
        path = pending.pop()
        seen.add(path)
        pending |= _parsed(path.read_text())[0] - seen
    return sorted(seen)


def code_version(script: str | Path, notebook: str | Path | None = None) -> str:
    """A digest of everything the script (and notebook) runs, insensitive to comments,
    docstrings and formatting; a notebook's text (its prose is the report's) counts as is."""
    script, notebook = Path(script), None if notebook is None else Path(notebook)
    digest = hashlib.sha256(normalized(script.read_text()).encode())
    for path in code_files(script, notebook):
        digest.update(f"\n{path.name}\n{normalized(path.read_text())}".encode())
    if notebook is not None:
        digest.update(_notebook_code(notebook)[1].encode())
    return digest.hexdigest()[:16]
