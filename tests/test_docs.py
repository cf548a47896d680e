"""The docs stay true: the settings table matches `Settings`, every relative link resolves,
and the README stays short and links every page in docs/."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from handler.platform.settings import PlatformSettings
from handler.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]

MAX_README_LINES = 200
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
# [text](target) and ![alt](target), with an optional "title"; the target has no spaces.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = ("http://", "https://", "mailto:")
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
VARIABLE_CELL = re.compile(r"`([A-Z][A-Z0-9_]*)`")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks: a `# comment` in a shell block is no heading,
    and a `[x](y)` in a code sample is no link."""
    lines: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped (hyphens and spaces
    kept), spaces turned into hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


@cache
def anchors(page: Path) -> frozenset[str]:
    """Every anchor GitHub gives the page's headings; a repeated slug gets -1, -2, ..."""
    seen: Counter[str] = Counter()
    found: set[str] = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        match = HEADING.match(line)
        if match is None:
            continue
        slug = github_slug(match.group(2))
        found.add(f"{slug}-{seen[slug]}" if seen[slug] else slug)
        seen[slug] += 1
    return frozenset(found)


def relative_links(page: Path) -> list[str]:
    links: list[str] = []
    for line in prose_lines(page.read_text(encoding="utf-8")):
        for target in LINK.findall(INLINE_CODE.sub("", line)):
            if not target.startswith(EXTERNAL):
                links.append(target)
    return links


def broken_link(page: Path, target: str) -> str | None:
    """Why `target` (as written in `page`) does not resolve, or None when it does."""
    path_part, _, anchor = target.partition("#")
    linked = (page.parent / path_part).resolve() if path_part else page
    if not linked.exists():
        return f"{linked.relative_to(ROOT) if linked.is_relative_to(ROOT) else linked} is missing"
    if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
        return f"no heading with anchor #{anchor} in {linked.relative_to(ROOT)}"
    return None


def settings_table_rows() -> list[list[str]]:
    """The cells of every row of the configuration page's `| variable | ...` table."""
    cells: list[list[str]] = []
    in_table = False
    for line in prose_lines(CONFIGURATION.read_text(encoding="utf-8")):
        row = [cell.strip() for cell in UNESCAPED_PIPE.split(line.strip().strip("|"))]
        if not line.lstrip().startswith("|"):
            if in_table:
                break
            continue
        if row[0] == "variable":
            in_table = True
        elif in_table and not set(row[0]) <= set("-: "):
            cells.append(row)
    return cells


def test_every_settings_field_has_one_row_and_every_row_is_a_field() -> None:
    rows = settings_table_rows()
    assert rows, f"no `| variable | class | default | meaning |` table in {CONFIGURATION}"
    names = []
    for cell, *_ in rows:
        match = VARIABLE_CELL.fullmatch(cell)
        assert match, f"first cell {cell!r} is not one backticked upper-case variable"
        names.append(match.group(1))
    fields = {name.upper() for name in Settings.model_fields}
    repeated = sorted(name for name, count in Counter(names).items() if count > 1)
    assert not repeated, f"rows listed more than once: {repeated}"
    assert sorted(fields - set(names)) == [], "Settings fields missing from the table"
    assert sorted(set(names) - fields) == [], "table rows that are not Settings fields"


def test_the_table_names_the_class_that_owns_each_variable() -> None:
    platform = {name.upper() for name in PlatformSettings.model_fields}
    wrong = [
        f"{variable}: {owner}"
        for variable, owner, *_ in settings_table_rows()
        if owner != ("platform" if variable.strip("`") in platform else "app")
    ]
    assert wrong == [], "the class column says `platform` or `app`, as the field's class"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    problems = [
        f"{target}: {why}"
        for target in relative_links(page)
        if (why := broken_link(page, target)) is not None
    ]
    assert problems == []


def test_readme_is_short_and_has_a_mermaid_diagram() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_README_LINES
    assert re.search(r"^```mermaid\s*$", text, re.MULTILINE), "no ```mermaid block"


def test_readme_links_every_docs_page() -> None:
    linked = {
        (README.parent / target.partition("#")[0]).resolve() for target in relative_links(README)
    }
    pages = {page.resolve() for page in DOCS.glob("*.md")}
    assert pages, "docs/ has no pages"
    assert sorted(str(page.relative_to(ROOT)) for page in pages - linked) == []


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("The stream URL's auth choice", "the-stream-urls-auth-choice"),
        ("A background task: route, SQS, worker", "a-background-task-route-sqs-worker"),
        ("`@cached(ttl=...)`", "cachedttl"),
        ("Running the AWS path on a laptop", "running-the-aws-path-on-a-laptop"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug
