"""The documentation a newcomer reads: every relative link resolves, anchors included, and the
README stays short."""

import re

import pytest

from conftest import REPO

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        if not resolved.exists() or (anchor and resolved.suffix == ".md" and anchor not in anchors(resolved)):
            broken.append(target)
    assert not broken


def test_the_readme_is_short_and_leads_to_every_page_of_the_docs():
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert all(f"docs/{page.name}" in readme for page in (REPO / "docs").glob("*.md"))


def test_the_readme_picture_caption_is_replaced_not_added():
    """make readme-picture rewrites the one caption line under the README's picture."""
    from prunelab.results.readme_picture import with_caption

    readme = (REPO / "README.md").read_text()
    text = "*The default run's report (`make run`, config.yaml) of 2026-12-02, commit abc1234.*"
    updated = with_caption(readme, text)
    assert updated.count(text) == 1 and updated.count("*The default run's report") == 1
    assert updated.replace(text, "") == readme.replace(re.search(r"^\*The default run's report.*$", readme, re.M)[0], "")
    with pytest.raises(SystemExit, match="no caption line"):
        with_caption(readme.replace("*The default run's report", "The report"), text)
