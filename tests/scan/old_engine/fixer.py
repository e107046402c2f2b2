"""Apply the safe fixes that rules attach to their findings, without ever losing code.

Only the nodes a fix names are replaced; everything else keeps its exact bytes (libcst
regenerates untouched code verbatim). A file is written only when the new text parses
(CPython and libcst), atomically (a temporary file in the same folder, then a rename) and
with its permissions kept; a file that does not parse or cannot be written is reported
and left as it was.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from tests.scan.old_engine.engine import analyze, mentions_tensorflow, syntax_findings
from tests.scan.old_engine.names import dotted
from tests.scan.old_engine.rule import Finding, Rule
from tf2rec.atomic import write_atomically


@dataclass
class FileFix:
    path: str
    source: str
    fixed: str
    applied: list[Finding] = field(default_factory=list)  # findings the fix removes
    remaining: list[Finding] = field(default_factory=list)  # findings left after it
    error: str | None = None  # why the file is left alone
    encoding: str = "utf-8"  # written back as it was read
    digest: str | None = None  # sha256 of the bytes read: unchanged when written?

    @property
    def changed(self) -> bool:
        return self.error is None and self.fixed != self.source

    def diff(self) -> str:
        relative = not Path(self.path).is_absolute()
        return "".join(
            difflib.unified_diff(
                self.source.splitlines(keepends=True),
                self.fixed.splitlines(keepends=True),
                fromfile=f"a/{self.path}" if relative else self.path,
                tofile=f"b/{self.path}" if relative else self.path,
            )
        )


def fix_source(
    path: str, source: str, rules: Iterable[Rule], *, unsafe_fixes: bool = False
) -> FileFix:
    """The fixed text of one file (equal to `source` when nothing is safe to fix; with
    `unsafe_fixes`, the fixes that change behaviour on purpose are applied too)."""
    rules = list(rules)
    try:
        tree = ast.parse(source, path)
        if not mentions_tensorflow(source):
            return FileFix(path, source, source)
        module = cst.parse_module(source)
    except (SyntaxError, ValueError, cst.ParserSyntaxError) as err:
        (finding,) = syntax_findings(path, source, err)
        return FileFix(
            path, source, source, error=f"not changed: {finding.message}", remaining=[finding]
        )
    findings, ctx = analyze(path, source, tree, module, rules, unsafe_fixes=unsafe_fixes)
    if not ctx.edits and not ctx.import_moves:
        return FileFix(path, source, source, remaining=findings)
    fixed = module.visit(_Apply(ctx.edits, ctx.import_moves)).code
    try:
        new_tree = ast.parse(fixed, path)
        new_module = cst.parse_module(fixed)
    except (SyntaxError, ValueError, cst.ParserSyntaxError) as err:  # a bug in a fix
        return FileFix(
            path,
            source,
            source,
            remaining=findings,
            error=f"not changed: the fixed text would not parse ({err})",
        )
    # fresh rule objects: some keep state for the file they look at
    remaining, _ = analyze(path, fixed, new_tree, new_module, [type(rule)() for rule in rules])
    applied = [f for f in findings if f.fixable]  # fixable: its fix was recorded
    return FileFix(path, source, fixed, applied=applied, remaining=remaining)


class _Apply(cst.CSTTransformer):
    def __init__(self, edits: dict, import_moves: dict) -> None:
        super().__init__()
        self.edits = edits
        self.import_moves = import_moves

    def on_leave(self, original_node, updated_node):
        updated_node = super().on_leave(original_node, updated_node)
        edit = self.edits.get(id(original_node))
        return edit[1](updated_node) if edit is not None else updated_node

    def leave_SimpleStatementLine(self, original_node, updated_node):
        if not any(id(small) in self.import_moves for small in original_node.body):
            return updated_node
        body, extra_lines = [], []
        for original, updated in zip(original_node.body, updated_node.body, strict=True):
            move = self.import_moves.get(id(original))
            if move is None:
                body.append(updated)
                continue
            first, *rest = _split_import(updated, move[1])
            body.append(first)
            extra_lines += rest
        line = updated_node.with_changes(body=body)
        if not extra_lines:
            return line
        return cst.FlattenSentinel(
            [line, *(cst.SimpleStatementLine(body=[statement]) for statement in extra_lines)]
        )


def _split_import(node: cst.ImportFrom, moved: set[str]) -> list[cst.ImportFrom]:
    """`from tensorflow[.x] import a, b` with `b` TF1-only -> the same line for `a` and
    `from tensorflow.compat.v1[.x] import b` after it."""
    module = dotted(node.module)
    compat = cst.parse_expression("tensorflow.compat.v1" + module[len("tensorflow") :])

    def local(alias: cst.ImportAlias) -> str:
        return alias.asname.name.value if alias.asname else alias.name.value

    stay = [a for a in node.names if local(a) not in moved]
    go = [a for a in node.names if local(a) in moved]
    if not stay:
        return [node.with_changes(module=compat)]
    last = cst.MaybeSentinel.DEFAULT
    return [
        node.with_changes(names=[*stay[:-1], stay[-1].with_changes(comma=last)]),
        cst.ImportFrom(module=compat, names=[*go[:-1], go[-1].with_changes(comma=last)]),
    ]


def write_fixes(fixes: Iterable[FileFix], roots: Iterable[str | Path] = ()) -> None:
    """Write every changed file; one that cannot be written safely is left as it was, with
    `error` saying why (so it no longer counts as changed). `roots`: the paths the user
    named; a symbolic link is followed only to a file under one of them."""
    roots = [Path(root).resolve() for root in roots]
    written: set[Path] = set()
    for fix in fixes:
        if not fix.changed:
            continue
        target = Path(fix.path).resolve()
        if target in written:  # a second name (a link) of a file fixed already
            fix.fixed = fix.source
            continue
        fix.error = _replace(fix, roots)
        if fix.error is None:
            written.add(target)


def _replace(fix: FileFix, roots: list[Path]) -> str | None:
    """Replace the file's contents with the fix, or say why not.

    The file must be unchanged since it was read (an edit saved meanwhile is kept), have a
    write bit (even for root), and a link must lead into the scanned tree; the link stays a
    link (its target is written). A file with other hard links is written in place, so
    that every name sees the new text; any other through a temporary file and a rename,
    keeping its mode, owner and group.
    """
    path = Path(fix.path)
    target = path.resolve()
    if path.is_symlink() and roots and not any(target.is_relative_to(r) for r in roots):
        return f"a link to {target}, outside the paths given; not changed"
    try:
        status = target.stat()
        unchanged = hashlib.sha256(target.read_bytes()).hexdigest() == fix.digest
    except OSError as err:
        return f"cannot read it again ({err.strerror}); not changed"
    if fix.digest is not None and not unchanged:
        return "changed since it was read; not changed (run fix again)"
    if not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        target, os.W_OK
    ):
        return "read-only; not changed (make it writable and run again)"
    data = fix.fixed.encode(fix.encoding)
    try:
        if status.st_nlink > 1:
            with open(target, "r+b") as handle:
                handle.write(data)
                handle.truncate()
        else:
            write_atomically(target, data)
    except OSError as err:
        return f"cannot write ({err.strerror}); not changed"
    return None
