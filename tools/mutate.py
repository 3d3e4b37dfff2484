"""A mutation run over the pure domain rules: put one small realistic bug in at a time, run the tests that cover
that code, and count how many bugs the tests catch. Prints the score and every surviving mutant.

    .venv/bin/python tools/mutate.py                  # every target (about 10 minutes on one core)
    .venv/bin/python tools/mutate.py validity codes   # some targets
    .venv/bin/python tools/mutate.py --list           # the mutants, without running anything

Not part of CI's pass/fail (too slow); its last score and the survivors are in the README ("Mutation run").

How: each target module's source is parsed, and every place one of these operators applies inside a function
(or a module-level constant) gives one mutant: a comparison swapped (== !=, < <=, > >=, < >, in/not in, is/is
not), an arithmetic operator swapped (+ -, * /, // /), `and`/`or` swapped, a `not` dropped, an `if`/`while`
condition negated, a number changed by one, True/False swapped, a string constant losing its last character, and a statement
removed (replaced by `pass`). The parent process imports the app and the covering tests once; each mutant runs
in a forked child, which compiles the mutated module and swaps the mutated functions' code into the live
function objects (so every module that imported them runs the bug) and module constants into the module, then
runs the covering tests with pytest (-x: the first failure kills the mutant). A child that runs past its time
limit (the baseline's, times three, at least 10 s) is killed and counts as caught. Class bodies are not mutated
(dataclass fields are read once at import); a mutated module-level table (a dict or list, say) replaces the
live one whole; a constant another module copied at import is not reached, and such a mutant survives, which
shows in the list.

Mutants the README explains as equivalent (the same behaviour, so no test can tell) are listed in EQUIVALENT by
module, line and description, and those only slower tests catch in OUTSIDE; both are left out of the score's
denominator and counted apart. Line numbers move when a module changes: an entry that no longer matches shows up
as a survivor, to be looked at again.
"""

from __future__ import annotations

import argparse
import ast
import os
import signal
import sys
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Iterator

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """A module to mutate and the pytest arguments of the tests that cover it (fast ones, SQLite only)."""

    module: str
    tests: tuple[str, ...]
    only: tuple[str, ...] = ()  # mutate only these functions (and no module constants); empty: the whole module
    skip: tuple[str, ...] = ()  # functions left out (their tests cannot run once per mutant; see the README)


TARGETS: dict[str, Target] = {
    "validity": Target("kiosk.rules.validity", ("tests/test_validity.py",)),
    "screening": Target("kiosk.rules.screening", ("tests/test_screening.py",)),
    "codes": Target("kiosk.documents.codes", ("tests/test_codes.py",)),
    # the verdict rules; the pyHanko calls around them (_judge_pdf, _check, _subject) are covered by test_seal.py,
    # too slow to run once per mutant
    "verification": Target("kiosk.documents.verification", ("tests/test_verification_rules.py",), only=(
        "is_pdf", "verify_pdf", "too_complex", "_digest", "screen_pdf", "_declared_xref_entries", "_after_letter",
        "_nesting", "judge_pdf", "_judge")),
    # _serialise only locks on PostgreSQL, and only many tries at once show it: test_rate_limits.py's
    # concurrency tests on PostgreSQL, too slow to run once per mutant, catch its removal
    "throttle": Target("kiosk.core.throttle", ("tests/test_throttle_rules.py",), skip=("_serialise",)),
}

# (module, line, description) of mutants that behave exactly like the original; each is explained in the README
V = "kiosk.documents.verification"
EQUIVALENT: set[tuple[str, int, str]] = {
    # `$` dropped from the ISO date pattern: date.fromisoformat, which runs next, refuses anything after the day
    ("kiosk.rules.screening", 20, r"'^\\d{4}-\\d{2}-\\d{2}$' -> '^\\d{4}-\\d{2}-\\d{2}' (last character dropped)"),
    # an assert for the type checker: the texts loader refuses a date question without within_months
    ("kiosk.rules.screening", 141, "statement removed: assert question.within_months is not None"),
    # the screen counts keywords; a keyword less its last letter counts the same places in any PDF (nothing else
    # in a PDF's syntax starts with these prefixes), so the counts, and the verdicts, are the same
    (V, 131, "b'startxref' -> b'startxre' (last character dropped)"),
    (V, 132, "b'%%EOF' -> b'%%EO' (last character dropped)"),
    (V, 132, "b'xref' -> b'xre' (last character dropped)"),
    (V, 136, "b'/Size' -> b'/Siz' (last character dropped)"),
    (V, 136, "b'/Index' -> b'/Inde' (last character dropped)"),
    (V, 140, "b'/ByteRange' -> b'/ByteRang' (last character dropped)"),
    (V, 224, "b'stream' -> b'strea' (last character dropped)"),  # the token pattern only yields `stream` + EOL
    # "larger than N MB" with N = max_bytes // (1023 * 1024): the same whole number for any bound under 1,023 MB
    (V, 129, "1024 -> 1023"),
    # the function's last line, `return None`: a Python function returns None without it
    (V, 152, "statement removed: return None"),
    # the subsection pattern skips the whitespace itself, so starting one byte later reads the same header
    (V, 177, "1 -> 0"),
    # the nesting scan's early stops only save time: without them the depth or token count it returns is past
    # the bound all the same (bench/bench_hostile.py measures the time); `>=` sets deepest to the same depth
    (V, 212, "statement removed: if tokens > bounds.max_tokens:"),
    (V, 213, "statement removed: break"),
    (V, 218, "> -> >="),
    (V, 220, "statement removed: if deepest > bounds.max_nesting:"),
    (V, 221, "statement removed: break"),
    # `endstream` is searched for from after `stream` and an end of line, so it is never found at 0
    (V, 226, "< -> <="),
    (V, 226, "0 -> 1"),
}
# Mutants this run cannot see, explained in the README and caught elsewhere: left out of the score like the
# equivalent ones, and counted apart.
OUTSIDE: set[tuple[str, int, str]] = {
    # the PostgreSQL lock (SQLite has its own write lock): test_rate_limits.py's 40 simultaneous tries on
    # PostgreSQL get 30 through instead of 10 without it
    ("kiosk.core.throttle", 49, "statement removed: _serialise(session, rule, ip_address, subject)"),
}


@dataclass(frozen=True)
class Mutant:
    module: str
    line: int
    description: str
    index: int  # which applicable site in the module, in the walk's order (to rebuild it in the child)
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()


_COMPARE_SWAPS: dict[type, type] = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_COMPARE_FLIPS: dict[type, type] = {ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.LtE: ast.GtE, ast.GtE: ast.LtE}
_BINOP_SWAPS: dict[type, type] = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
                                  ast.FloorDiv: ast.Div, ast.Mod: ast.Mult}
_SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.In: "in",
           ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
           ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%"}


def _sites(tree: ast.Module, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()
           ) -> Iterator[tuple[ast.AST, str, Any]]:
    """Every (node, description, change) a mutant can be made of, in a fixed order."""
    for top in tree.body:
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)) and top.name in skip:
            continue
        if only:
            if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)) and top.name in only:
                yield from _in_function(top)
            continue
        if isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _in_function(top)
        elif isinstance(top, ast.ClassDef):
            for item in top.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield from _in_function(item)
        elif isinstance(top, (ast.Assign, ast.AnnAssign)) and top.value is not None:
            for node in ast.walk(top.value):
                yield from _constant(node)


def _docstring(node: ast.AST) -> ast.AST | None:
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
        return None
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _in_function(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[tuple[ast.AST, str, Any]]:
    skip = _docstring(function)
    docstrings = {id(getattr(d, "value", None)) for n in ast.walk(function) if (d := _docstring(n)) is not None}
    annotations = {id(n) for arg in ast.walk(function.args) if isinstance(arg, ast.arg) and arg.annotation
                   for n in ast.walk(arg.annotation)}
    if function.returns is not None:
        annotations |= {id(n) for n in ast.walk(function.returns)}
    for node in ast.walk(function):
        if node is skip or id(node) in annotations or id(node) in docstrings:
            continue
        if isinstance(node, ast.Compare):
            for position, op in enumerate(node.ops):
                if type(op) in _COMPARE_SWAPS:
                    yield node, f"{_SYMBOL[type(op)]} -> {_SYMBOL[_COMPARE_SWAPS[type(op)]]}", ("cmp", position,
                                                                                         _COMPARE_SWAPS[type(op)])
                if type(op) in _COMPARE_FLIPS:
                    yield node, f"{_SYMBOL[type(op)]} -> {_SYMBOL[_COMPARE_FLIPS[type(op)]]}", ("cmp", position,
                                                                                         _COMPARE_FLIPS[type(op)])
        elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP_SWAPS:
            yield node, f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[_BINOP_SWAPS[type(node.op)]]}", ("binop",)
        elif isinstance(node, ast.BoolOp):
            yield node, "and -> or" if isinstance(node.op, ast.And) else "or -> and", ("boolop",)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not dropped", ("unnot",)
        elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
            yield node, f"{type(node).__name__.lower()} condition negated", ("negate",)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.For, ast.While, ast.If, ast.With, ast.Try)):
            for field in ("body", "orelse", "finalbody"):
                statements = getattr(node, field, None) or []
                for position, statement in enumerate(statements):
                    if statement is skip or isinstance(statement, (ast.Pass, ast.FunctionDef, ast.ClassDef)):
                        continue
                    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                        continue  # a docstring or a bare string
                    yield statement, f"statement removed: {ast.unparse(statement).splitlines()[0][:60]}", (
                        "remove", node, field, position)
        yield from _constant(node)


def _constant(node: ast.AST) -> Iterator[tuple[ast.AST, str, Any]]:
    if not isinstance(node, ast.Constant):
        return
    value = node.value
    if isinstance(value, bool):
        yield node, f"{value} -> {not value}", ("const", not value)
    elif isinstance(value, int):
        yield node, f"{value} -> {value + 1}", ("const", value + 1)
        if value != 0:
            yield node, f"{value} -> {value - 1}", ("const", value - 1)
    elif isinstance(value, float):
        yield node, f"{value} -> {value * 2 or 1.0}", ("const", value * 2 or 1.0)
    elif isinstance(value, (str, bytes)) and value:
        yield node, f"{_short(value)} -> {_short(value[:-1])} (last character dropped)", ("const", value[:-1])


def _short(value: str | bytes) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _apply(node: ast.AST, change: Any) -> None:
    kind = change[0]
    if kind == "cmp":
        node.ops[change[1]] = change[2]()  # type: ignore[attr-defined]
    elif kind == "binop":
        node.op = _BINOP_SWAPS[type(node.op)]()  # type: ignore[attr-defined]
    elif kind == "boolop":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()  # type: ignore[attr-defined]
    elif kind == "unnot":
        node.op = ast.UAdd()  # type: ignore[attr-defined]  # +x: keeps the operand, drops the negation
        node.operand = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])  # type: ignore[attr-defined]
    elif kind == "negate":
        node.test = ast.UnaryOp(ast.Not(), node.test)  # type: ignore[attr-defined]
    elif kind == "const":
        node.value = change[1]  # type: ignore[attr-defined]
    elif kind == "remove":
        _kind, parent, field, position = change
        getattr(parent, field)[position] = ast.Pass()


def source_of(module: str) -> tuple[Path, str]:
    path = ROOT / (module.replace(".", "/") + ".py")
    return path, path.read_text(encoding="utf-8")


def mutants(target: Target) -> list[Mutant]:
    _path, source = source_of(target.module)
    tree = ast.parse(source)
    return [Mutant(target.module, getattr(node, "lineno", 0), description, index, target.only, target.skip)
            for index, (node, description, _change) in enumerate(_sites(tree, target.only, target.skip))]


def mutated_tree(module: str, index: int, only: tuple[str, ...], skip: tuple[str, ...]
                 ) -> tuple[ast.Module, set[str]]:
    """The module's tree with one mutant applied, and the module-level names whose assignment holds it."""
    _path, source = source_of(module)
    tree = ast.parse(source)
    for position, (node, _description, change) in enumerate(_sites(tree, only, skip)):
        if position == index:
            _apply(node, change)
            return ast.fix_missing_locations(tree), _assigned_around(tree, node)
    raise IndexError(index)


def _assigned_around(tree: ast.Module, node: ast.AST) -> set[str]:
    """Names a module-level assignment holding `node` binds (a table of kinds, say), so install replaces them whole."""
    for top in tree.body:
        if isinstance(top, (ast.Assign, ast.AnnAssign)) and any(inner is node for inner in ast.walk(top)):
            targets = top.targets if isinstance(top, ast.Assign) else [top.target]
            return {name.id for target in targets for name in ast.walk(target) if isinstance(name, ast.Name)}
    return set()


def install(module_name: str, tree: ast.Module, tables: Collection[str] = ()) -> None:
    """Run the mutated module in a fresh namespace and swap its code into the live module's functions.

    A mutated module-level table (a dict of kinds to judges, say) is replaced whole whatever its type: otherwise
    the live module keeps the unmutated table and the mutant cannot be seen.
    """
    live = sys.modules[module_name]
    path, _source = source_of(module_name)
    namespace: dict[str, Any] = {"__name__": module_name, "__file__": str(path)}
    exec(compile(tree, str(path), "exec"), namespace)  # noqa: S102 - the project's own source, mutated
    for name, new in namespace.items():
        old = getattr(live, name, None)
        if isinstance(new, types.FunctionType) and isinstance(old, types.FunctionType):
            _swap(old, new)
        elif isinstance(new, type) and isinstance(old, type) and new.__module__ == module_name:
            for attribute, value in vars(new).items():
                current = vars(old).get(attribute)
                if isinstance(value, types.FunctionType) and isinstance(current, types.FunctionType):
                    _swap(current, value)
                elif isinstance(value, property) and isinstance(current, property) and value.fget and current.fget:
                    _swap(current.fget, value.fget)  # type: ignore[arg-type]
        elif name in tables:
            setattr(live, name, new)
        elif not isinstance(new, (types.ModuleType, type)) and not name.startswith("__") and old is not new:
            if isinstance(new, (int, float, str, bytes, tuple, frozenset)) or type(new).__name__ == "Pattern":
                setattr(live, name, new)


def _swap(old: types.FunctionType, new: types.FunctionType) -> None:
    old.__code__ = new.__code__
    old.__defaults__ = new.__defaults__
    old.__kwdefaults__ = new.__kwdefaults__


def run_tests(tests: tuple[str, ...], mutant: Mutant | None, limit: float) -> tuple[str, float]:
    """Fork; in the child install the mutant and run pytest quietly. Returns (killed|survived|error, seconds)."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child
        code = 3
        try:
            os.setpgid(0, 0)
            devnull = os.open(os.devnull, os.O_WRONLY)
            if not os.environ.get("MUTATE_VERBOSE"):
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
            if mutant is not None:
                install(mutant.module, *mutated_tree(mutant.module, mutant.index, mutant.only, mutant.skip))
            import pytest

            code = int(pytest.main(["-q", "-x", "-p", "no:cacheprovider", "-p", "_hypothesis_pytestplugin",
                                    "-o", "addopts=", "-W", "ignore::pytest.PytestAssertRewriteWarning",
                                    *_sqlite_only(tests)]))
        except BaseException:  # noqa: BLE001 - a mutant that breaks the import is caught as well
            code = 4
        finally:
            os._exit(code)
    deadline = started + limit
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return "killed (time limit)", time.monotonic() - started
            time.sleep(0.02)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM): take the running child with us
        os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    code = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if code == 0:
        return "survived", seconds
    if code in (1, 4):
        return "killed", seconds
    return f"error (pytest exit {code})", seconds


def _sqlite_only(tests: tuple[str, ...]) -> list[str]:
    args = list(tests)
    if "-k" in args:
        position = args.index("-k") + 1
        args[position] = f"({args[position]}) and not postgresql"
    else:
        args += ["-k", "not postgresql"]
    return args


def _stop(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", metavar="target", help=f"some of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    options = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("KIOSK_HYPOTHESIS_EXAMPLES", "15")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # each child loads only what it needs
    chosen = options.targets or list(TARGETS)
    unknown = [name for name in chosen if name not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    plan = {name: mutants(TARGETS[name]) for name in chosen}
    if options.list:
        for name, items in plan.items():
            for m in items:
                print(f"{name}:{m.line}: {m.description}")
        print(f"{sum(map(len, plan.values()))} mutants")
        return 0
    import importlib

    import pytest  # noqa: F401 - imported once here, so each child starts warm

    import app  # noqa: F401
    for name in chosen:
        importlib.import_module(TARGETS[name].module)
    for warm in ("tests.conftest", "tests.support", "tests.helpers", "tests.test_pdf_review"):
        importlib.import_module(warm)
    counts = {"killed": 0, "survived": 0, "equivalent": 0, "outside": 0, "error": 0}
    survivors: list[str] = []
    started = time.monotonic()
    for name in chosen:
        target = TARGETS[name]
        baseline, seconds = run_tests(target.tests, None, 600)
        if baseline != "survived":
            print(f"{name}: the covering tests do not pass unmutated ({baseline}); fix that first")
            return 2
        limit = max(10.0, 3 * seconds)
        print(f"{name}: {len(plan[name])} mutants, tests take {seconds:.1f} s unmutated", flush=True)
        for done, mutant in enumerate(plan[name], 1):
            if done % 50 == 0:
                print(f"  {done}/{len(plan[name])} after {time.monotonic() - started:.0f} s", flush=True)
            key = (target.module, mutant.line, mutant.description)
            result, _took = run_tests(target.tests, mutant, limit)
            if result == "survived" and key in EQUIVALENT:
                counts["equivalent"] += 1
            elif result == "survived" and key in OUTSIDE:
                counts["outside"] += 1
            elif result.startswith("killed"):
                counts["killed"] += 1
            elif result == "survived":
                counts["survived"] += 1
                survivors.append(f"  {target.module}:{mutant.line}: {mutant.description}")
            else:
                counts["error"] += 1
                survivors.append(f"  {target.module}:{mutant.line}: {mutant.description} [{result}]")
    judged = counts["killed"] + counts["survived"] + counts["error"]
    print(f"\n{judged + counts['equivalent'] + counts['outside']} mutants in {time.monotonic() - started:.0f} s: "
          f"{counts['killed']} killed, {counts['survived']} survived, {counts['equivalent']} equivalent, "
          f"{counts['outside']} outside this run (caught by slower tests), {counts['error']} errors")
    if survivors:
        print("surviving (or erroring) mutants:")
        print("\n".join(survivors))
    score = 100.0 * counts["killed"] / judged if judged else 100.0
    print(f"mutation score: {score:.1f}% of non-equivalent mutants killed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
