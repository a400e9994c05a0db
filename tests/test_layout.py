"""The package's folders are the pipeline (DESIGN §2): each module imports only its own stage and
the stages before it, no import cycle (imports inside functions included), no private name of
another module, and the data model imports no stage."""

from __future__ import annotations

import ast
import functools
import graphlib
import os

from conftest import ROOT

PACKAGE = os.path.join(ROOT, "argmap")
#: stages in pipeline order; the ground is the data model every stage may use
STAGES = ("ground", "loader", "engine", "analysis", "output", "interop", "verify", "workflow", "top")
GROUND = {"argmap.model", "argmap.errors", "argmap.scales", "argmap._io", "argmap._text", "argmap._results", "argmap._output", "argmap._files", "argmap._limits", "argmap._terminal", "argmap._progress",
          "argmap._interrupt"}
TOP = {"argmap", "argmap.cli", "argmap.__main__", "argmap.testing", "argmap.api"}


@functools.cache
def _modules() -> dict[str, str]:
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
                if parts[-1] == "__init__":
                    parts.pop()
                found[".".join(parts)] = path
    return found


def _stage(module: str) -> int:
    if module in GROUND:
        return 0
    if module in TOP:
        return len(STAGES) - 1
    return STAGES.index(module.split(".")[1])


def _imports(path: str, module: str) -> list[tuple[str, tuple[str, ...], int]]:
    """(imported module, names, line) for every import of argmap, wherever it is in the file,
    except under ``if TYPE_CHECKING:`` (annotations only, never executed)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    type_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                 and getattr(node.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(node)}
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "argmap" or target.startswith("argmap."):
                names = tuple(a.name for a in node.names)
                modules = _modules()
                for name in names:  # `from argmap.engine import compile` imports a module
                    if f"{target}.{name}" in modules:
                        found.append((f"{target}.{name}", (), node.lineno))
                if not all(f"{target}.{n}" in modules for n in names):
                    found.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("argmap"):
                    found.append((alias.name, (), node.lineno))
    return found


def test_every_module_imports_only_its_stage_and_earlier_ones():
    modules = _modules()
    wrong = []
    for module, path in modules.items():
        for target, _, line in _imports(path, module):
            while target not in modules:  # a name imported from a package's __init__
                target = target.rpartition(".")[0]
            if _stage(target) > _stage(module):
                wrong.append(f"{os.path.relpath(path, ROOT)}:{line}: {module} ({STAGES[_stage(module)]}) "
                             f"imports {target} ({STAGES[_stage(target)]})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    modules = _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for target, _, _ in _imports(path, module):
            while target not in modules:
                target = target.rpartition(".")[0]
            # a package's __init__ importing its own modules is how a facade works, not a cycle
            if target != module and not (module and target.startswith(module + ".") and path.endswith("__init__.py")):
                graph[module].add(target)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_no_module_imports_a_private_name_of_another():
    modules = _modules()
    wrong = [f"{os.path.relpath(path, ROOT)}:{line}: imports {name} from {target}"
             for module, path in modules.items() for target, names, line in _imports(path, module)
             for name in names if name.startswith("_") and not name.startswith("__")]
    assert not wrong, "\n".join(wrong)


def test_the_data_model_imports_no_stage():
    modules = _modules()
    for module in GROUND:
        for target, _, line in _imports(modules[module], module):
            assert target in GROUND, f"{module}:{line} imports {target}"


def test_each_stage_folder_says_what_it_takes_and_gives():
    for stage in STAGES[1:-1]:
        init = os.path.join(PACKAGE, stage, "__init__.py")
        doc = ast.get_docstring(ast.parse(open(init, encoding="utf-8").read()))
        assert doc and "→" in doc.splitlines()[0], f"argmap/{stage}/__init__.py needs an 'input → output' docstring"


def test_every_module_opens_with_an_input_output_docstring():
    missing = []
    for module, path in _modules().items():
        doc = ast.get_docstring(ast.parse(open(path, encoding="utf-8").read()))
        if module not in ("argmap.__main__",) and not (doc and "→" in doc.split("\n\n")[0]):
            missing.append(os.path.relpath(path, ROOT))
    assert not missing, missing
