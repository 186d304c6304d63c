"""The report: the notebook executed with papermill on a run's results and rendered to
self-contained HTML."""

from __future__ import annotations

import os
from pathlib import Path

from ..plumbing.fileio import atomic_output

PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
NOTEBOOK = Path(PACKAGE_PARENT) / "notebooks" / "report.ipynb"
OFFLINE_TEMPLATE = Path(PACKAGE_PARENT) / "notebooks" / "offline"


def render_report(executed: str, html: str, parameters: dict, template: str | Path = NOTEBOOK) -> None:
    """Run ``template`` with ``parameters`` into ``executed``, then write ``html`` (code hidden,
    images embedded) so the page reads the same offline."""
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    # The kernel is a separate process: it finds this package as every job does, through the
    # PYTHONPATH the Snakefile sets (prunelab.plumbing.runtime.package_path).
    with atomic_output(executed, "w") as handle:
        notebook = papermill.execute_notebook(str(template), None, parameters=parameters, kernel_name="python3",
                                              progress_bar=False, cwd=os.getcwd())
        nbformat.write(notebook, handle)
    exporter = HTMLExporter(template_name=OFFLINE_TEMPLATE.name, extra_template_basedirs=[str(OFFLINE_TEMPLATE.parent)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            embed_images=True)
    body, _ = exporter.from_filename(executed)
    with atomic_output(html, "w") as handle:
        handle.write(body)


