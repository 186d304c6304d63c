"""The version of the code behind each result, so that results follow the code.

Snakemake reruns a job when its params change, so every rule's params carry a digest of
the code its script runs: the script and every module of this package it imports,
transitively (imports inside functions included), found by reading their syntax trees.
Each file is digested as its syntax tree without docstrings, so comments, docstrings
and formatting change nothing, while any change to what the code does reruns exactly the
jobs whose scripts reach it. The report's notebook is part of its rule's code too.

Jobs import the method they run by name (:func:`prunelab.methods.pruning.load_method`),
out of sight of this reading, so a job that runs a method carries that method's version
too (:meth:`prunelab.plumbing.plan.Plan.job_code`): its module and what it reaches, and
the providers of what it needs. An edit to one method reruns only its own results.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
PACKAGE_NAME = PACKAGE.name


def _module_files(dotted: list[str]) -> list[Path]:
    """The files Python runs to import ``prunelab.<dotted>``: the module (or package) and the
    ``__init__.py`` of every package around it; none if it is not one of this package's."""
    files = [PACKAGE.joinpath(*dotted[:depth], "__init__.py") for depth in range(len(dotted))]
    target = PACKAGE.joinpath(*dotted)
    if target.with_suffix(".py").is_file():
        return files + [target.with_suffix(".py")]
    if (target / "__init__.py").is_file():
        return files + [target / "__init__.py"]
    return []


def _package_of(path: Path) -> list[str] | None:
    """The package parts of a module of this package (``['methods']`` for methods/weight.py);
    ``None`` for a file outside it (a script)."""
    try:
        return list(path.resolve().relative_to(PACKAGE).parts[:-1])
    except ValueError:
        return None


def imported_modules(tree: ast.AST, package: list[str] | None = None) -> set[Path]:
    """The files of this package's modules that ``tree`` imports, absolutely or (from a module
    in ``package``) relatively, with the packages' ``__init__.py`` files Python runs."""
    found = {PACKAGE / "__init__.py"}
    for node in ast.walk(tree):
        bases = []
        if isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".") if node.module else []
            if node.level == 0:
                if module[:1] != [PACKAGE_NAME]:
                    continue
                base = module[1:]
            elif package is None or node.level - 1 > len(package):
                continue
            else:
                base = package[:len(package) - (node.level - 1)] + module
            bases = [base] + [base + [alias.name] for alias in node.names]  # submodules imported by name
        elif isinstance(node, ast.Import):
            bases = [alias.name.split(".")[1:] for alias in node.names if alias.name.startswith(PACKAGE_NAME + ".")]
        for base in bases:
            found.update(_module_files(base))
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
    return _parsed(source, None)[1]


@functools.lru_cache(maxsize=None)
def _parsed(source: str, package: tuple[str, ...] | None) -> tuple[frozenset[Path], str]:
    """The package modules ``source`` imports (from a module in ``package``), and its normalized
    code: parsed once per distinct source, since every rule's digest reaches the same modules
    (Snakemake computes them all at each start, a no-op rerun included)."""
    tree = ast.parse(source)
    imports = frozenset(imported_modules(tree, None if package is None else list(package)))
    return imports, ast.dump(_without_docstrings(tree), include_attributes=False)


def _notebook_code(notebook: Path) -> tuple[str, str]:
    """A notebook's code cells as one source (magics dropped), and all its cells as text."""
    cells = json.loads(notebook.read_text())["cells"]
    code = "\n".join(line for cell in cells if cell["cell_type"] == "code"
                     for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith("%"))
    return code, json.dumps([(cell["cell_type"], "".join(cell["source"])) for cell in cells])


def code_files(script: Path, notebook: Path | None = None) -> list[Path]:
    """The script (and notebook) and every package module they reach, sorted."""
    return CodeSnapshot().code_files(script, notebook)


def code_version(script: str | Path, notebook: str | Path | None = None) -> str:
    """A digest of everything the script (and notebook) runs, insensitive to comments,
    docstrings and formatting; a notebook's text (its prose is the report's) counts as is."""
    return CodeSnapshot().code_version(script, notebook)


def modules_version(files: tuple[Path, ...]) -> str:
    """A digest of package modules and every module they reach (a method's code, say)."""
    return CodeSnapshot().modules_version(files)


class CodeSnapshot:
    """The package's code read once: each file read and parsed at most once, each set of modules'
    closure found once. Snakemake asks for every job's code version at each start, dry runs
    included (about 40 digests over the same 60 files, 1.2 s of a 2.9 s dry run before this); a
    plan keeps one snapshot for its process, while the functions above read the files afresh."""

    def __init__(self):
        self._files: dict[Path, tuple[frozenset[Path], str]] = {}
        self._closures: dict[frozenset[Path], list[Path]] = {}
        self._versions: dict[tuple, str] = {}

    def parsed_file(self, path: Path) -> tuple[frozenset[Path], str]:
        """The package modules the file imports, and its normalized code."""
        if path not in self._files:
            package = _package_of(path)
            self._files[path] = _parsed(path.read_text(), None if package is None else tuple(package))
        return self._files[path]

    def closure(self, pending: frozenset[Path]) -> list[Path]:
        """``pending`` and every package module they reach, sorted."""
        if pending not in self._closures:
            seen: set[Path] = set()
            unread = set(pending)
            while unread:
                path = unread.pop()
                seen.add(path)
                unread |= self.parsed_file(path)[0] - seen
            self._closures[pending] = sorted(seen)
        return self._closures[pending]

    def code_files(self, script: Path, notebook: Path | None = None) -> list[Path]:
        notebook_imports = _parsed(_notebook_code(notebook)[0], None)[0] if notebook else frozenset()
        return self.closure(self.parsed_file(script)[0] | notebook_imports)

    def code_version(self, script: str | Path, notebook: str | Path | None = None) -> str:
        script, notebook = Path(script), None if notebook is None else Path(notebook)
        if (script, notebook) not in self._versions:
            digest = hashlib.sha256(self.parsed_file(script)[1].encode())
            self._update(digest, self.code_files(script, notebook))
            if notebook is not None:
                digest.update(_notebook_code(notebook)[1].encode())
            self._versions[script, notebook] = digest.hexdigest()[:16]
        return self._versions[script, notebook]

    def modules_version(self, files: tuple[Path, ...]) -> str:
        if files not in self._versions:
            digest = hashlib.sha256()
            self._update(digest, self.closure(frozenset(files)))
            self._versions[files] = digest.hexdigest()[:16]
        return self._versions[files]

    def _update(self, digest, files: list[Path]) -> None:
        for path in files:
            digest.update(f"\n{path.relative_to(PACKAGE)}\n{self.parsed_file(path)[1]}".encode())
