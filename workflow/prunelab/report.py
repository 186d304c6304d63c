"""Execute the report notebook with papermill and render it to self-contained HTML."""

from __future__ import annotations

import os
from pathlib import Path

from .fileio import atomic_output

PACKAGE_PARENT = str(Path(__file__).resolve().parents[1])
OFFLINE_TEMPLATE = Path(PACKAGE_PARENT) / "notebooks" / "offline"


def render_report(template: str, executed: str, html: str, parameters: dict) -> None:
    """Run ``template`` with ``parameters`` into ``executed``, then write ``html`` (code hidden,
    images embedded) so the page reads the same offline."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    # The kernel is a separate process: it finds this package through PYTHONPATH.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))
    with atomic_output(executed, "w") as handle:
        notebook = papermill.execute_notebook(template, None, parameters=parameters, kernel_name="python3",
                                              progress_bar=False, cwd=os.getcwd())
        nbformat.write(notebook, handle)
    exporter = HTMLExporter(template_name=OFFLINE_TEMPLATE.name, extra_template_basedirs=[str(OFFLINE_TEMPLATE.parent)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    body, _ = exporter.from_filename(executed)
    with atomic_output(html, "w") as handle:
        handle.write(body)
