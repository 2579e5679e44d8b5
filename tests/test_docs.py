"""The documentation stands alone: every file it names exists, every section it cites exists, and every
flag it mentions is an option of some command.

Checked texts: ``README.md``, ``DEVELOPERS.md``, ``docs/**/*.md``, every command's ``--help`` (rendered
through typer's runner) and the docstrings and comments of ``src/synae``, ``tests`` and ``benchmarks``.

Rules (URLs are removed first):

- **Paths.** Every token that looks like a file path ending in ``.md`` or ``.py`` (letters, digits,
  ``_``, ``-``, ``.``, ``/``) names an existing file, relative to the repository root, ``docs/``,
  ``src/``, ``src/synae/``, ``tests/``, ``benchmarks/`` or the citing file's own folder (a usage
  placeholder such as ``FILE.md`` is not a path).
- **Sections.** ``§N`` (N = ``1``, ``5.4``, …; ranges ``§5.2–5.4`` check both ends) cites a numbered
  heading (``## 5. …``, ``### 5.4 …``) of a document: the ``.md`` file written right before it
  (```docs/method.md` §5.4``), else the last file cited that way earlier in the same text, else (in a
  doc) the doc itself; a bare ``§`` in a docstring, comment or help text with no such file is an error.
- **Flags.** Every ``--flag`` written in a doc, help text or CLI message is an option of some
  ``synae`` command (``compare``'s multi-value options included) or of a script in ``benchmarks/``
  (options of other tools are listed in :data:`FOREIGN_FLAGS`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from synae.cli.app import app
from synae.cli.configdoc import commands
from synae.cli.options import MULTI_VALUE_KEYS

ROOT = Path(__file__).resolve().parents[1]
URL = re.compile(r"\b(?:https?|file)://\S+")
PATH = re.compile(r"(?<![\w./-])(?:[\w-]+/)*[\w.-]*\w\.(?:md|py)\b")
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?(\d+(?:\.\d+)*))?")
HEADING = re.compile(r"^#{1,6}\s+(\d+(?:\.\d+)*)\.?\s", re.MULTILINE)
PLACEHOLDER = re.compile(r"(FILE|PATH|OUT|NAME)\.(md|py)")  # a usage line's "--out FILE.md"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
# Flags of other programs that the docs show in their own commands (pip, curl, a model server,
# the duplicates checker).
FOREIGN_FLAGS = {"--no-deps", "--data-binary", "--host", "--port", "--change",
                 # llama_cpp.server's own options (docs/benchmarks/llm.md, scripts/local-llm.sh)
                 "--model", "--model_alias", "--chat_format", "--n_ctx", "--n_threads"}


def _doc_files() -> list[Path]:
    return [ROOT / "README.md", ROOT / "DEVELOPERS.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _source_files() -> list[Path]:
    return sorted((ROOT / "src" / "synae").rglob("*.py"))


def _code_files() -> list[Path]:
    """The package, the tests and the benchmarks (this file states the rules, so it is left out)."""
    tests = [p for p in (ROOT / "tests").rglob("*.py") if p != Path(__file__).resolve()]
    return [*_source_files(), *sorted(tests), *sorted((ROOT / "benchmarks").glob("*.py"))]


def _comments_and_docstrings(path: Path) -> str:
    """The ``#`` comments and the string literals that stand alone as statements (docstrings) of a
    module, in source order."""
    import io
    import tokenize

    text = path.read_text()
    parts: list[tuple[int, str]] = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            parts.append((tok.start[0], tok.string))
    for node in ast.walk(ast.parse(text)):
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            parts.append((node.lineno, node.value.value))
    return "\n".join(s for _, s in sorted(parts))


@cache
def _help_texts() -> dict[str, str]:
    runner = CliRunner()
    out = {"synae": runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output}
    for name, _ in commands(typer.main.get_command(app)):
        result = runner.invoke(app, [*name.split(), "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, (name, result.output)
        out[f"synae {name}"] = result.output
    return out


def _candidates(token: str, where: Path) -> Iterator[Path]:
    bases = ("", "docs", "src", "src/synae", "tests", "benchmarks")
    for base in (*(ROOT / b for b in bases), where):
        yield base / token


@cache
def _sections(path: Path) -> frozenset[str]:
    return frozenset(HEADING.findall(path.read_text()))


def problems(text: str, where: Path, own: Path | None = None) -> list[str]:
    """Paths that do not exist and sections that their document lacks, in ``text`` (found in a file of
    folder ``where``; ``own``: the document itself, which a bare ``§`` cites by default)."""
    found: list[str] = []
    current = own
    text = URL.sub(" ", text)
    events = sorted([(m.start(), "path", m) for m in PATH.finditer(text)]
                    + [(m.start(), "section", m) for m in SECTION.finditer(text)], key=lambda e: e[0])
    for _, kind, match in events:
        if kind == "path":
            token = match.group(0)
            hit = next((p for p in _candidates(token, where) if p.is_file()), None)
            if hit is None and PLACEHOLDER.fullmatch(token):
                continue
            if hit is None:
                found.append(f"no file {token!r}")
            elif hit.suffix == ".md" and "§" in text[match.end():match.end() + 4]:
                current = hit
            continue
        numbers = [n for n in match.groups() if n]
        if current is None:
            found.append(f"{match.group(0)!r} cites no document")
            continue
        missing = [n for n in numbers if n not in _sections(current)]
        if missing:
            found.append(f"{match.group(0)!r}: {current.relative_to(ROOT)} has no section {missing}")
    return found


def test_the_rules_catch_what_they_should() -> None:
    here = ROOT / "docs"
    assert problems("see `shared/spec/metrics.md` §5.4", here) == ["no file 'shared/spec/metrics.md'",
                                                                    "'§5.4' cites no document"]
    assert problems("(``metrics.md`` §5.4)", here) == ["'§5.4': docs/metrics.md has no section ['5.4']"]
    assert problems("(§2.3)", here) == ["'§2.3' cites no document"]
    assert problems("see `docs/method.md` §5.4 and §5.1–5.3, `run/scoring/aggregate.py`", here) == []
    assert problems("https://example.com/spec/generation.md §7", here) == ["'§7' cites no document"]
    assert problems("see `docs/report.md` and §5.4", here) == ["'§5.4' cites no document"]
    method = ROOT / "docs" / "method.md"
    assert problems("as §5.4 says; `docs/report.md` §2", here, method) == [
        "'§2': docs/report.md has no section ['2']"]


@pytest.mark.parametrize("path", _doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_docs_name_only_files_and_sections_that_exist(path: Path) -> None:
    assert problems(path.read_text(), path.parent, path) == []


def test_source_docstrings_and_comments_name_only_files_and_sections_that_exist() -> None:
    bad = {str(p.relative_to(ROOT)): found for p in _code_files()
           if (found := problems(_comments_and_docstrings(p), p.parent))}
    assert bad == {}


def test_help_texts_name_only_files_and_sections_that_exist() -> None:
    bad = {name: found for name, text in _help_texts().items() if (found := problems(text, ROOT))}
    assert bad == {}


@cache
def _all_flags() -> frozenset[str]:
    flags = set()
    for _, command in commands(typer.main.get_command(app)):
        for param in command.params:
            flags.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    scripts = {node.value for path in (ROOT / "benchmarks").glob("*.py")
               for node in ast.walk(ast.parse(path.read_text()))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)
               and FLAG.fullmatch(node.value)}
    return frozenset(flags | set(MULTI_VALUE_KEYS) | scripts | {"--help", "--version"})


def _string_literals(path: Path) -> str:
    return "\n".join(node.value for node in ast.walk(ast.parse(path.read_text()))
                     if isinstance(node, ast.Constant) and isinstance(node.value, str))


def _unknown_flags(text: str) -> set[str]:
    return {f for f in FLAG.findall(URL.sub(" ", text)) if f not in _all_flags() and f not in FOREIGN_FLAGS}


def test_every_flag_named_in_a_doc_exists() -> None:
    bad = {str(p.relative_to(ROOT)): flags for p in _doc_files() if (flags := _unknown_flags(p.read_text()))}
    assert bad == {}


def test_every_flag_named_in_a_help_text_exists() -> None:
    bad = {name: flags for name, text in _help_texts().items() if (flags := _unknown_flags(text))}
    assert bad == {}


def test_every_flag_named_in_a_message_exists() -> None:
    """Messages are the string literals of the package (errors, warnings, console lines)."""
    bad = {str(p.relative_to(ROOT)): flags for p in _source_files()
           if (flags := _unknown_flags(_string_literals(p)))}
    assert bad == {}


def test_a_removed_flag_is_caught() -> None:
    assert _unknown_flags("use --checker rules") == {"--checker"}
    assert _unknown_flags("use --validity rules") == set()
