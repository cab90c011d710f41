"""End-to-end: the regional notebook on the real data, for a region with too few adverts.

Needs the processed tables that notebooks 01-03 write (``make test`` runs the notebooks under
nbval before this file), so it is skipped when they are absent.
"""

from __future__ import annotations

import nbformat
import pytest

from skills_engine import getters, runner


@pytest.mark.mirror
def test_region_with_too_few_adverts_gets_a_report_that_says_so(real_mirror, tmp_path):
    for table in ("adverts", "advert_occupations", "advert_skills"):
        if not getters.processed_path(table).is_file():
            pytest.skip(f"{table} not built yet: run the notebooks first (make test does)")
    notebook = runner.notebooks_dir() / "04_regional_comparison.ipynb"
    plan = runner.plan_run(
        overrides={"region": "Northern Ireland", "n_bootstrap": 50}, notebooks=(notebook,), output_root=tmp_path
    )
    (written,) = runner.execute(plan)
    assert written == tmp_path / "northern-ireland" / "04_regional_comparison.ipynb"
    outputs = "\n".join(
        str(output.get("data", {}).get("text/markdown", "")) + str(output.get("text", ""))
        for cell in nbformat.read(written, 4).cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "Too few adverts for reliable comparisons" in outputs
    assert "Not shown: Northern Ireland" in outputs
    assert "postings in Northern Ireland changed" in outputs  # the Indeed index is still reported
