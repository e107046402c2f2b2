"""The package's layering, as the README's Layout section describes it: no import cycles,
`interactions/` at the bottom, `legacy/` and `migrated/` never importing each other, and no
TensorFlow in the scanner or the input pipeline. Read from the source (every import
statement, function-level ones included), so a lazy import cannot hide a cycle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"src/tf2rec": "tf2rec", "interactions": "tf2rec.interactions", "legacy": "tf2rec.legacy",
           "migrated": "tf2rec.migrated", "tools": "tf2rec.tools"}  # fmt: skip


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if "templates" in parts:
                continue  # benchmark inputs, not modules of the package
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The modules (of anything) that `name` imports: `from a import b` is `a.b` when that
    is a module of the package, else `a`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1],
                                 *([base] if base else [])])  # fmt: skip
            for alias in node.names:
                full = f"{base}.{alias.name}"
                out.add(full if full in MODULES else base)
    return out


GRAPH = {name: {m for m in _imports(name, path) if m in MODULES} for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    """One import cycle among the package's modules, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(GRAPH[node]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_no_import_cycle():
    assert _cycle() is None, " -> ".join(_cycle())


def test_the_cycle_finder_finds_a_cycle():
    GRAPH["tf2rec.tools.scan.names"].add("tf2rec.tools.scan.engine")
    try:
        cycle = _cycle()
    finally:
        GRAPH["tf2rec.tools.scan.names"].discard("tf2rec.tools.scan.engine")
    assert cycle is not None and cycle[0] == cycle[-1]


def _imported_by(prefix: str, *, but: tuple[str, ...] = ()) -> set[str]:
    return {m for name, path in MODULES.items() if name.startswith(prefix) and name not in but
            for m in _imports(name, path)}  # fmt: skip


def test_interactions_is_the_bottom_layer():
    imported = _imported_by("tf2rec.interactions")
    assert not {m for m in imported if m.startswith(("tf2rec.legacy", "tf2rec.migrated",
                                                     "tf2rec.tools"))}  # fmt: skip
    assert not {m for m in imported if m.split(".")[0] in ("tensorflow", "keras")}


def test_legacy_and_migrated_never_import_each_other():
    assert not {m for m in _imported_by("tf2rec.legacy") if m.startswith("tf2rec.migrated")}
    assert not {m for m in _imported_by("tf2rec.migrated") if m.startswith("tf2rec.legacy")}


def test_the_scanner_needs_no_tensorflow():
    # the API table's generator reads the installed TensorFlow when the table is rebuilt
    imported = _imported_by("tf2rec.tools.scan", but=("tf2rec.tools.scan.generate_api_table",))
    assert not {m for m in imported if m.split(".")[0] in ("tensorflow", "keras")}
    assert not {m for m in imported if m.startswith(("tf2rec.legacy", "tf2rec.migrated"))}


def test_the_command_line_imports_only_the_public_api():
    """`tools/cli` is a thin layer: it reaches the library through `tf2rec`'s public names
    (and its own modules), so that whatever it does, a Python caller can do too."""
    for name, path in MODULES.items():
        if not name.startswith("tf2rec.tools.cli"):
            continue
        internal = {m for m in _imports(name, path) if m.startswith("tf2rec.")}
        assert {m for m in internal if not m.startswith("tf2rec.tools.cli")} == set(), name


def test_every_public_name_resolves():
    import tf2rec

    for name in tf2rec.__all__:
        assert getattr(tf2rec, name) is not None, name


def test_the_tf1_runtime_stands_on_tensorflow_alone():
    # tf2rec.tf1 is what fixed TF1 code imports: it must not drag the kit's models or tools
    # (nor their imports) into a user's program, and the scanner must not import it (TF)
    imported = _imported_by("tf2rec.tf1")
    assert not {m for m in imported if m.startswith("tf2rec.") and not m.startswith("tf2rec.tf1")}
    assert not {m for m in _imported_by("tf2rec.tools.scan") if m.startswith("tf2rec.tf1")}


def test_module_names_say_what_the_module_holds():
    """A name like `data` or `utils` says nothing of what is inside; the command line's modules
    are named after the command they implement (`tools/cli/data.py` is `tf2rec data`)."""
    vague = {"data", "utils", "util", "helpers", "misc", "common"}
    named = {m for m in MODULES if m.rpartition(".")[2] in vague}
    assert named <= {"tf2rec.tools.cli.data"}, sorted(named)
