"""The README's picture, taken from a real run's report as a reader sees it in Chromium: the
summary ("How far each method goes") above the first methods-compared figure, with the run's
date and commit in the caption under it. ``make readme-picture`` brings the default sweep up
to date first, so the picture is the default run's, never a smoke run's.

    python -m prunelab.results.readme_picture results/report/report.html docs/images/report.png README.md
"""

from __future__ import annotations

import argparse
import io
import re
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from prunelab.results.browser import opened

WIDTH = 1280
GAP = 24  # white pixels between the two parts
# The line under the README's image that says where the picture comes from.
CAPTION = re.compile(r"^\*The default run's report.*\*$", re.M)

# Each part's document-coordinates rectangle [top, bottom]: the summary from its heading to the
# next section's heading, the figure from its heading to the bottom of its first image.
REGIONS = """
const heading = text => Array.from(document.querySelectorAll('h2')).find(h => h.textContent.includes(text));
const y = rect => rect.top + window.scrollY;
const summary = heading('How far each method goes'), compared = heading('Methods compared');
if (!summary || !compared) return null;
const after = (first, nodes) => Array.from(nodes).find(
    node => first.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING);
const next = after(summary, document.querySelectorAll('h2')), figure = after(compared, document.images);
return [[y(summary.getBoundingClientRect()), y(next.getBoundingClientRect())],
        [y(compared.getBoundingClientRect()), y(figure.getBoundingClientRect()) + figure.height]];
"""


def picture(report: Path, destination: Path) -> tuple[int, int]:
    """Save the summary and the first methods-compared figure of ``report`` stacked in one PNG
    (blank margins trimmed); return its size. A report without both sections is refused."""
    from PIL import Image, ImageChops

    parts = []
    with tempfile.TemporaryDirectory() as profile, opened(report, Path(profile), width=WIDTH,
                                                          flags=("--hide-scrollbars",)) as driver:
        regions = driver.execute_script(REGIONS)
        if regions is None:
            raise SystemExit(f"{report}: no 'How far each method goes' and 'Methods compared' sections "
                             "(a run with one method has no comparison figure)")
        chrome = driver.execute_script("return window.outerHeight - window.innerHeight")
        for top, bottom in regions:
            height = int(bottom - top) + 1
            driver.set_window_size(WIDTH, height + chrome)
            offset = driver.execute_script(f"window.scrollTo(0, {top}); return {top} - window.scrollY")
            shot = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
            parts.append(shot.crop((0, int(offset), shot.width, int(offset) + height)))
    width = max(part.width for part in parts)
    stacked = Image.new("RGB", (width, sum(part.height for part in parts) + GAP), "white")
    stacked.paste(parts[0], (0, 0))
    stacked.paste(parts[1], (0, parts[0].height + GAP))
    content = ImageChops.difference(stacked, Image.new("RGB", stacked.size, "white")).getbbox()
    trimmed = stacked.crop((max(content[0] - 8, 0), 0, min(content[2] + 8, width), stacked.height))
    destination.parent.mkdir(parents=True, exist_ok=True)
    trimmed.save(destination, optimize=True)
    return trimmed.size


def caption(report: Path) -> str:
    """Where the picture comes from: the report's date and the commit of the checkout it was made
    in (marked when that checkout's workflow code or config differs from the commit)."""
    def git(folder, *args):
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              check=True).stdout.strip()

    checkout = git(report.resolve().parent, "rev-parse", "--show-toplevel")
    commit = git(checkout, "rev-parse", "--short", "HEAD")
    changed = git(checkout, "status", "--porcelain", "--", "Snakefile", "workflow", "config.yaml")
    made = datetime.fromtimestamp(report.stat().st_mtime, tz=timezone.utc).strftime("%Y-%m-%d")
    return (f"*The default run's report (`make run`, config.yaml) of {made}, commit {commit}"
            f"{' with uncommitted changes' if changed else ''}; `make readme-picture` takes it again.*")


def with_caption(readme: str, text: str) -> str:
    """The README with its picture's caption line replaced by ``text``."""
    if not CAPTION.search(readme):
        raise SystemExit("README.md has no caption line under its picture (a line starting "
                         "\"*The default run's report\")")
    return CAPTION.sub(lambda _: text, readme, count=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("destination", type=Path)
    parser.add_argument("readme", type=Path)
    arguments = parser.parse_args()
    size = picture(arguments.report, arguments.destination)
    text = caption(arguments.report)
    arguments.readme.write_text(with_caption(arguments.readme.read_text(), text))
    print(f"{arguments.destination}: {size[0]}x{size[1]} pixels; {text}")


if __name__ == "__main__":
    main()
