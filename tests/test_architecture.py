"""The shape of the package: imports point one way, and no module reaches into another's privates.

Every import in ``ct_helpers`` is read from the source (those inside functions too, which hide
cycles from Python but not from a reader), resolved to a module of the package, and the graph is
checked for cycles with Tarjan's algorithm.
"""

import ast
import importlib
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "ct_helpers"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def imports_of(name: str) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) for every import statement in module ``name``."""
    tree = ast.parse(MODULES[name].read_text())
    package = name if is_package(name) else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = node.module or ""
            if node.level:
                target = f"{base}.{target}".rstrip(".") if target else base
            found.append((target, [alias.name for alias in node.names]))
    return found


def edges(name: str) -> set[str]:
    """Package modules that importing ``name`` imports (submodules named in ``from . import``)."""
    out = set()
    for target, names in imports_of(name):
        if not target.startswith("ct_helpers"):
            continue
        submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
        out.update(submodules or [target])
        # importing a.b.c imports the packages a.b first, unless they already enclose `name`
        parent = target.rpartition(".")[0]
        while parent and not name.startswith(parent + ".") and parent != name:
            out.add(parent)
            parent = parent.rpartition(".")[0]
    out.discard(name)
    return {module for module in out if module in MODULES}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_planted_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_imports_inside_functions():
    assert "ct_helpers.storage" in edges("ct_helpers.data.expression")
    assert any(
        "ct_helpers" in target for target, _ in imports_of("ct_helpers.compressors.registry")
    )


def test_no_import_cycle_in_the_package():
    graph = {name: edges(name) for name in MODULES if name != "ct_helpers"}
    graph = {name: {m for m in targets if m != "ct_helpers"} for name, targets in graph.items()}
    assert cycles(graph) == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(name):
    private = [
        (target, n)
        for target, names in imports_of(name)
        if target.startswith("ct_helpers")
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]
    assert private == [], f"{name} imports private names {private}"


ROOT = PACKAGE.parent
DOCUMENTS = [
    *ROOT.glob("*.md"),
    *ROOT.glob("book/*.md"),
    *ROOT.glob("notebooks/*.md"),
    *ROOT.glob("benchmarks/*.md"),
    *ROOT.glob("benchmarks/*.py"),
    *PACKAGE.rglob("*.py"),
    ROOT / "Makefile",
    ROOT / "pyproject.toml",
]


def resolves(dotted: str) -> bool:
    """Whether ``a.b.c`` is a module, or an attribute reached from the longest module prefix."""
    import importlib

    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        try:
            thing = importlib.import_module(".".join(parts[:n]))
        except ImportError:
            continue
        for attribute in parts[n:]:
            if not hasattr(thing, attribute):
                return False
            thing = getattr(thing, attribute)
        return True
    return False


def test_every_name_and_path_of_the_package_in_docs_and_code_exists():
    import re

    from ct_helpers.compressors.model_files import RENAMED_MODULES  # old names, on purpose

    stale = []
    for document in DOCUMENTS:
        text = document.read_text()
        for dotted in set(re.findall(r"\bct_helpers(?:\.[A-Za-z_][A-Za-z0-9_]*)+", text)):
            if dotted not in RENAMED_MODULES and not resolves(dotted.rstrip(".")):
                stale.append(f"{document.relative_to(ROOT)}: {dotted}")
        for path in set(re.findall(r"\bct_helpers/[\w/.]*\w", text)):
            if not (ROOT / path).exists():
                stale.append(f"{document.relative_to(ROOT)}: {path}")
    assert stale == []


def test_the_reference_checker_tells_stale_names_from_real_ones():
    assert resolves("ct_helpers.evaluation.sweep.run_sweep")
    assert resolves("ct_helpers.plotting.plot_brain_map")
    assert not resolves("ct_helpers.sweep")  # the module's path before the package was split
    assert not resolves("ct_helpers.evaluation.sweep.no_such_function")


def test_only_config_names_the_sub_folders_of_the_data_folder():
    import re

    from ct_helpers.config import DATA_FOLDERS, data_folder

    spelled = [
        f"{path.relative_to(ROOT)}:{n + 1}"
        for path in PACKAGE.rglob("*.py")
        for n, line in enumerate(path.read_text().splitlines())
        if re.search(r"get_data_dir\([^)]*\)\s*/\s*[\"']", line)
    ]
    assert spelled == [], "use config.data_folder(kind) instead"
    assert sorted(DATA_FOLDERS) == sorted(set(DATA_FOLDERS))
    with pytest.raises(ValueError, match="Unknown data sub-folder 'model'"):
        data_folder("model")


#: CONTRIBUTING.md's limit on a module's length, in lines.
MAX_MODULE_LINES = 400


def test_no_module_grows_past_the_400_line_rule():
    lengths = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    too_long = {name: n for name, n in lengths.items() if n > MAX_MODULE_LINES}
    assert too_long == {}, f"split these modules along their seams: {too_long}"


def test_the_formatter_formats_everything():
    """No formatter escapes: ruff format's layout is the house layout (CONTRIBUTING.md)."""
    marker = "fmt: " + "skip"  # spelled apart so this file does not match itself
    skipped = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("ct_helpers", "tests", "benchmarks", ".ci")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if marker in line
    ]
    assert skipped == [], f"let ruff format these lines: {skipped}"


PACKAGES = sorted(name for name in MODULES if is_package(name))


@pytest.mark.parametrize("namespace", PACKAGES)
def test_every_name_a_namespace_exports_resolves(namespace):
    """A name in ``__all__`` left dangling by a move or a rename is found here, not by a reader."""
    module = importlib.import_module(namespace)
    dangling = []
    for name in getattr(module, "__all__", []):
        try:
            getattr(module, name)
        except AttributeError:
            dangling.append(name)
    assert dangling == [], f"{namespace}.__all__ names what it does not hold: {dangling}"


#: Chapters import ct_helpers as ``ct`` (and what ct exports, such as ``plotting``) plus
#: names from at most this many subpackages' namespaces.
MAX_CHAPTER_SUBPACKAGES = 2


def chapter_imports(text: str) -> list[tuple[str, str]]:
    """(module, name) of every ct_helpers import in a chapter's code cells (MyST text)."""
    imports = []
    for block in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", text, flags=re.S):
        code = "\n".join(
            "" if line.startswith((":", "%", "!")) else line for line in block.splitlines()
        )
        code = re.sub(r"\A---\n.*?\n---\n", "", code, flags=re.S)  # cell options
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ct_helpers"):
                imports += [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                imports += [
                    (alias.name, alias.name)
                    for alias in node.names
                    if alias.name.startswith("ct_helpers")
                ]
    return imports


def chapter_import_problems(text: str, exported: set[str], subpackages: set[str]) -> list[str]:
    """What breaks the chapters' import rule (CONTRIBUTING.md), in words."""
    problems, used, seen = [], set(), set()
    for module, name in chapter_imports(text):
        parts = module.split(".")
        if module == "ct_helpers" and name in subpackages:
            if name not in exported:  # ct.plotting is ct's own: importing it counts as ct
                used.add(name)
        elif len(parts) == 2 and parts[1] in subpackages:
            used.add(parts[1])
        elif not (module == "ct_helpers" and name == "ct_helpers"):
            problems.append(f"{module} (import from ct or a subpackage's namespace)")
        if name in exported and module != "ct_helpers":
            problems.append(f"{name} from {module} (ct.{name} exists)")
        if name in seen:
            problems.append(f"{name} imported twice")
        seen.add(name)
    if len(used) > MAX_CHAPTER_SUBPACKAGES:
        problems.append(f"{len(used)} subpackages {sorted(used)}")
    return problems


def test_the_import_rule_finds_deep_repeated_and_exported_names():
    import ct_helpers as ct

    subpackages = {"plotting", "prediction", "evaluation", "compressors", "data"}
    text = (
        "```{code-cell} ipython3\nimport ct_helpers as ct\nfrom ct_helpers import plotting\n"
        "from ct_helpers.prediction import cv_folds, load_targets\n"
        "from ct_helpers.evaluation.paired import paired_difference\n"
        "from ct_helpers.compressors import Compressor\n"
        "from ct_helpers.data import paper_comparison\n```\n"
        "```{code-cell} ipython3\n:tags: [hide-input]\n"
        "from ct_helpers.prediction import cv_folds\n```\n"
    )
    problems = chapter_import_problems(text, set(ct.__all__), subpackages)
    assert problems == [
        "load_targets from ct_helpers.prediction (ct.load_targets exists)",
        "ct_helpers.evaluation.paired (import from ct or a subpackage's namespace)",
        "Compressor from ct_helpers.compressors (ct.Compressor exists)",
        "cv_folds imported twice",
        "3 subpackages ['compressors', 'data', 'prediction']",
    ]


CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapters_import_from_ct_and_at_most_two_subpackages(chapter):
    import pkgutil

    import ct_helpers as ct

    subpackages = {m.name for m in pkgutil.iter_modules(ct.__path__)}
    problems = chapter_import_problems(chapter.read_text(), set(ct.__all__), subpackages)
    assert problems == [], f"{chapter.name}: {problems}"
