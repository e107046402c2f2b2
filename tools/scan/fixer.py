"""Apply the safe fixes that rules attach to their findings, without ever losing code.

A fix replaces the text of the node it names, and nothing else: that text (with the fixes
of nodes inside it applied first) is parsed with libcst, rewritten, and printed back, so
comments and spacing inside it are kept and every byte outside it stays as it was. libcst
never sees the rest of the file. A file is written only when the new text parses, and
atomically (a temporary file in the same folder, then a rename) with its permissions kept;
a file that does not parse or cannot be written is reported and left as it was.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from tf2rec.atomic import write_atomically
from tf2rec.tools.scan.engine import analyze
from tf2rec.tools.scan.positions import Positions
from tf2rec.tools.scan.results import FileFix
from tf2rec.tools.scan.rule import Edit, FileContext, Rule


def fix_source(
    path: str, source: str, rules: Iterable[Rule], *, unsafe_fixes: bool = False
) -> FileFix:
    """The fixed text of one file (equal to `source` when nothing is safe to fix; with
    `unsafe_fixes`, the fixes that change behaviour on purpose are applied too)."""
    rules = list(rules)
    findings, ctx = analyze(path, source, rules, fixing=True, unsafe_fixes=unsafe_fixes)
    if ctx is None:
        unreadable = [f for f in findings if f.rule_id in ("TF001", "TF002")]
        error = f"not changed: {unreadable[0].message}" if unreadable else None
        return FileFix(path, source, source, remaining=findings, error=error)
    conversion, base = ctx.python2, source
    if conversion is not None:
        chosen = {rule.id for rule in rules}
        if any(edit.rule_id not in chosen for edit in conversion.edits):
            return FileFix(path, source, source, remaining=findings)  # conversion not chosen
        base = conversion.text
    if base == source and not (ctx.edits or ctx.import_moves or ctx.insertions):
        return FileFix(path, source, source, remaining=findings)
    try:
        fixed, failed = apply_fixes(base, ctx)
    except (RecursionError, MemoryError):
        return FileFix(
            path, source, source, remaining=findings, error="not changed: fixes nested too deeply"
        )
    # fresh rule objects: some keep state for the file they look at; a converted file is
    # still judged as Python 2 (its `/` and `round` keep their findings)
    remaining, new_ctx = analyze(
        path, fixed, [type(rule)() for rule in rules], python2=conversion is not None
    )
    if (
        new_ctx is None
        and fixed != source
        and remaining
        and remaining[0].rule_id
        in (
            "TF001",
            "TF002",
        )
    ):  # a bug in a fix
        return FileFix(
            path,
            source,
            source,
            remaining=findings,
            error=f"not changed: the fixed text would not parse ({remaining[0].message})",
        )
    applied = {r.finding for r in ctx.reports if r.fix is not None and r.fix not in failed}
    if conversion is not None:
        applied = {conversion.original_finding(f) for f in applied}
        applied |= {f for f in findings if f.rule_id in {e.rule_id for e in conversion.edits}}
    return FileFix(path, source, fixed, applied=sorted(applied), remaining=remaining)


def apply_fixes(source: str, ctx: FileContext) -> tuple[str, set[tuple]]:
    """The source with every recorded fix applied, and the keys of the fixes that could not
    be (their text did not parse as the node they name: they are left as they were)."""
    positions = Positions(source)
    # (start, end, key, rewrite of the text there), outermost first where spans nest
    spans = [
        (*positions.offsets(edit.span), key, functools.partial(_rewrite, edit))
        for key, edit in ctx.edits.items()
    ]
    spans += [
        _import_move(source, *positions.offsets(span), moved, ("import", span))
        for span, moved in ctx.import_moves.items()
    ]
    spans.sort(key=lambda item: (item[0], -item[1]))
    failed: set[tuple] = set()
    fixed = _apply_within(source, 0, len(source), spans, failed)
    return _insert_statements(fixed, ctx.insertions), failed


def _apply_within(source: str, start: int, end: int, spans: list, failed: set) -> str:
    """The text from `start` to `end` with the edits in `spans` (all inside it, sorted)
    applied, each edit's own inner edits first."""
    pieces, done, index = [], start, 0
    while index < len(spans):
        edit_start, edit_end, key, rewrite = spans[index]
        inside = index + 1
        while inside < len(spans) and spans[inside][1] <= edit_end:
            inside += 1
        text = _apply_within(source, edit_start, edit_end, spans[index + 1 : inside], failed)
        new = rewrite(text)
        if new is None:
            failed.add(key)
        pieces += [source[done:edit_start], text if new is None else new]
        done, index = edit_end, inside
    pieces.append(source[done:end])
    return "".join(pieces)


def _rewrite(edit: Edit, text: str) -> str | None:
    """`text` rewritten by the edit through libcst; None when it does not parse as the
    kind of node the edit names."""
    if isinstance(edit.rewrite, str):
        return edit.rewrite
    import libcst as cst

    try:
        if edit.kind == "keyword":
            node = cst.parse_expression(f"f({text})").args[0]
        else:
            parsed = cst.parse_expression(f"({text})")
            node = parsed.with_changes(lpar=parsed.lpar[1:], rpar=parsed.rpar[:-1])
    except (cst.ParserSyntaxError, IndexError, AttributeError):
        return None
    new = edit.rewrite(node)
    if "#" in text and not _comments(node) <= _comments(new):
        return None  # the rewrite would drop a comment the user wrote: left to them
    return code_of(new)


def _comments(node) -> set[str]:
    import libcst as cst

    found = set()

    class Comments(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.add(comment.value)

    node.visit(Comments())
    return found


def _import_move(source: str, start: int, end: int, moved: set[str], key: tuple) -> tuple:
    """The edit of a `from tensorflow import ...` statement whose names `moved` go to
    compat.v1: a second statement on a line of its own after the first (after its comment),
    where the first had its line to itself, else after a `; `."""
    line_start = source.rfind("\n", 0, start) + 1
    line_end = len(re.match(r"[^\r\n]*", source[end:]).group()) + end
    rest = source[end:line_end]
    alone = not source[line_start:start].strip() and rest.strip()[:1] in ("", "#")
    separator = _newline(source) + source[line_start:start] if alone else "; "

    def rewrite(text: str) -> str | None:
        import libcst as cst

        try:
            line = cst.parse_statement(text + "\n")
        except cst.ParserSyntaxError:
            return None
        first, *others = _split_import(line.body[0], moved)
        head = code_of(first) + (rest if alone else "")
        return separator.join([head, *map(code_of, others)])

    return (start, line_end if alone else end, key, rewrite)


def _newline(source: str) -> str:
    match = re.search(r"\r\n|\r|\n", source)
    return match.group() if match else "\n"


def _insert_statements(source: str, insertions: dict[int, str]) -> str:
    """Module-level statements added after the lines they name (0: before the first)."""
    if not insertions:
        return source
    newline = _newline(source)
    starts = Positions(source).line_starts
    for after_line, statement in sorted(insertions.items(), reverse=True):
        if after_line < len(starts):
            at = starts[after_line]
            source = source[:at] + statement + newline + source[at:]
        else:  # after the last line, which has no line end
            source = source + newline + statement + newline
    return source


def _split_import(node, moved: set[str]) -> list:
    """`from tensorflow[.x] import a, b` with `b` TF1-only -> the same statement for `a`
    and `from tensorflow.compat.v1[.x] import b` after it."""
    import libcst as cst

    module = code_of(node.module)
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


def code_of(node) -> str:
    """The source text of a libcst node."""
    import libcst as cst

    return cst.Module(body=[]).code_for_node(node)


def write_fixes(
    fixes: Iterable[FileFix], roots: Iterable[str | Path] = (), *, break_hard_links: bool = False
) -> None:
    """Write every changed file; one that cannot be written safely is left as it was, with
    `error` saying why (so it no longer counts as changed). `roots`: the paths the user
    named; a symbolic link is followed only to a file under one of them.

    A file with other hard links cannot be rewritten safely: written in place, a kill or a
    full disk midway leaves every name half-written; written through a rename, only the name
    given gets the new text. So it is left alone unless `break_hard_links`, which writes it
    through a rename: that name becomes a file of its own, the other names keep the old text."""
    roots = [Path(root).resolve() for root in roots]
    written: set[Path] = set()
    for fix in fixes:
        if not fix.changed:
            continue
        target = Path(fix.path).resolve()
        if target in written:  # a second name (a link) of a file fixed already
            fix.fixed = fix.source
            continue
        fix.error = _replace(fix, roots, break_hard_links)
        if fix.error is None:
            written.add(target)


def _replace(fix: FileFix, roots: list[Path], break_hard_links: bool) -> str | None:
    """Replace the file's contents with the fix, or say why not.

    The file must be unchanged since it was read (an edit saved meanwhile is kept), have a
    write bit (even for root), no other hard link (unless `break_hard_links`), and a link must
    lead into the scanned tree; the link stays a link (its target is written). The file is
    written through a temporary file and a rename, keeping its mode, owner and group, so an
    error leaves it exactly as it was.
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
    if status.st_nlink > 1 and not break_hard_links:
        return (
            f"has {status.st_nlink - 1} other hard link(s), which cannot be rewritten safely; "
            "not changed (--break-hard-links writes this name only, as a file of its own)"
        )
    try:
        write_atomically(target, fix.fixed.encode(fix.encoding))
    except OSError as err:
        return f"cannot write ({err.strerror}); not changed"
    return None
