"""The papermill runner: parameters, output naming, and stopping at a failing cell."""

from __future__ import annotations

import os

import nbformat
import pytest

from skills_engine import runner


def make_notebook(path, cells):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell('region = "North East"\nsample_size = 10')
    parameters.metadata["tags"] = ["parameters"]
    notebook.cells = [nbformat.v4.new_markdown_cell("# Demo"), parameters] + [
        nbformat.v4.new_code_cell(c) for c in cells
    ]
    nbformat.write(notebook, path)
    return path


def test_run_name_comes_from_params_or_region(tmp_path):
    params = tmp_path / "wales.yaml"
    params.write_text("region: Wales\nsample_size: null\n")
    plan = runner.plan_run(params, notebooks=(), output_root=tmp_path)
    assert plan.run_name == "wales" and plan.output_dir == tmp_path / "wales"
    assert plan.parameters == {"region": "Wales", "sample_size": None}
    named = runner.plan_run(params, overrides={"run_name": "trial"}, notebooks=())
    assert named.run_name == "trial" and "run_name" not in named.parameters


def test_unknown_region_and_bad_params_file_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown region 'Atlantis'"):
        runner.plan_run(overrides={"region": "Atlantis"}, notebooks=())
    with pytest.raises(FileNotFoundError, match="nowhere.yaml"):
        runner.plan_run(tmp_path / "nowhere.yaml", notebooks=())
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ValueError, match="expected a mapping"):
        runner.plan_run(listy, notebooks=())


def test_execute_injects_parameters_and_stops_at_the_first_failing_cell(tmp_path):
    good = make_notebook(tmp_path / "01_good.ipynb", ["assert region == 'Wales', region\nprint('ok', sample_size)"])
    bad = make_notebook(tmp_path / "02_bad.ipynb", ["x = 1", "raise ValueError('boom in cell')"])
    never = make_notebook(tmp_path / "03_never.ipynb", ["print('should not run')"])
    plan = runner.plan_run(
        overrides={"region": "Wales"}, notebooks=(good, bad, never), output_root=tmp_path / "reports"
    )
    with pytest.raises(runner.NotebookRunError) as caught:
        runner.execute(plan)
    message = str(caught.value)
    assert "02_bad.ipynb" in message and "boom in cell" in message and "ValueError" in message
    assert (tmp_path / "reports/wales/01_good.ipynb").is_file()
    assert not (tmp_path / "reports/wales/03_never.ipynb").exists()
    executed = nbformat.read(tmp_path / "reports/wales/01_good.ipynb", 4)
    assert any(
        "ok 10" in o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
    )


def test_all_regions_plans_every_notebook_once_then_the_regional_one_per_region(tmp_path, monkeypatch):
    from skills_engine import config

    folder = tmp_path / "notebooks"
    folder.mkdir()
    for name in ("01_data_sourcing.ipynb", "04_regional_comparison.ipynb", "05_all_regions.ipynb"):
        make_notebook(folder / name, ["pass"])
    monkeypatch.setattr(runner, "notebooks_dir", lambda: folder)
    plans = runner.plan_all_regions(overrides={"region": "Wales"}, output_root=tmp_path / "reports")
    assert [p.run_name for p in plans][0] == "wales"
    assert len(plans) == 12 and {p.run_name for p in plans} == {config.slugify(r) for r in config.REGIONS}
    assert [n.name for n in plans[0].notebooks] == [
        "01_data_sourcing.ipynb",
        "04_regional_comparison.ipynb",
        "05_all_regions.ipynb",
    ]
    assert all([n.name for n in p.notebooks] == ["04_regional_comparison.ipynb"] for p in plans[1:])
    assert all(p.parameters["region"] == r for p, r in zip(plans[1:], [r for r in config.REGIONS if r != "Wales"]))
    # the national notebook's copy never lands in a region's folder
    assert (
        runner.output_path(plans[0], folder / "05_all_regions.ipynb")
        == tmp_path / "reports/national/05_all_regions.ipynb"
    )
    assert runner.output_path(plans[3], folder / "04_regional_comparison.ipynb").parent.name == plans[3].run_name


def test_a_failed_run_leaves_the_previous_report_byte_identical(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook = make_notebook(folder / "01_demo.ipynb", ["print('ok', sample_size)"])
    plan = runner.plan_run(overrides={"region": "Wales"}, notebooks=(notebook,), output_root=tmp_path / "reports")
    (good,) = runner.execute(plan)
    before = good.read_bytes()
    make_notebook(notebook, ["raise ValueError('second run breaks')"])
    with pytest.raises(runner.NotebookRunError, match="previous report is unchanged"):
        runner.execute(plan)
    assert good.read_bytes() == before
    failed = good.with_name(good.name + runner.FAILED_SUFFIX)
    assert "second run breaks" in failed.read_text()
    assert sorted(p.name for p in good.parent.iterdir()) == ["01_demo.ipynb", "01_demo.ipynb.failed"]
    make_notebook(notebook, ["print('fixed')"])
    runner.execute(plan)
    assert not failed.exists()


def test_unsafe_run_names_unknown_parameters_and_wrong_types_are_refused_before_running(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    notebook = make_notebook(folder / "01_demo.ipynb", ["pass"])
    for name in ("../../x", "Reports", "a/b", "", "x" * 65):
        with pytest.raises(ValueError, match="not a safe name"):
            runner.plan_run(overrides={"run_name": name}, notebooks=(notebook,))
    with pytest.raises(ValueError, match="unknown parameter.*n_bootsrap"):
        runner.plan_run(overrides={"n_bootsrap": 10}, notebooks=(notebook,))
    with pytest.raises(ValueError, match="sample_size='lots' should be a int"):
        runner.plan_run(overrides={"sample_size": "lots"}, notebooks=(notebook,))
    assert runner.plan_run(overrides={"sample_size": None}, notebooks=(notebook,)).parameters["sample_size"] is None
    broken = tmp_path / "broken.yaml"
    broken.write_text("region: [North East\n")
    with pytest.raises(ValueError, match="broken.yaml: not valid YAML"):
        runner.plan_run(broken, notebooks=(notebook,))


def test_region_slugs_are_accepted_and_a_named_run_keeps_its_national_notebook(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    national = make_notebook(folder / "05_all_regions.ipynb", ["pass"])
    plan = runner.plan_run(overrides={"region": "north-east"}, notebooks=(national,), output_root=tmp_path)
    assert plan.parameters["region"] == "North East" and plan.run_name == "north-east"
    assert runner.output_path(plan, national) == tmp_path / "national" / "05_all_regions.ipynb"
    named = runner.plan_run(overrides={"run_name": "trial"}, notebooks=(national,), output_root=tmp_path)
    assert runner.output_path(named, national) == tmp_path / "trial" / "05_all_regions.ipynb"


def test_the_kernel_does_not_inherit_a_non_inline_matplotlib_backend(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = make_notebook(
        tmp_path / "01_plot.ipynb",
        [
            "import os, matplotlib\nprint('env', os.environ.get('MPLBACKEND'))",
            "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
        ],
    )
    plan = runner.plan_run(notebooks=(notebook,), output_root=tmp_path / "reports")
    (written,) = runner.execute(plan)
    outputs = [o for c in nbformat.read(written, 4).cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("inline" in o.get("text", "") for o in outputs)  # the kernel chose its own (inline) backend
    assert any("image/png" in o.get("data", {}) for o in outputs), "the figure was not drawn inline"
    assert os.environ["MPLBACKEND"] == "Agg"  # restored for the rest of this process


def _sample_caps(notebook) -> dict[str, object]:
    """Parameters whose comment says ``None`` lifts a cap (every advert, every sentence), with their defaults."""
    import ast

    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    caps, comments = {}, []
    for line in cell.source.splitlines():
        if line.lstrip().startswith("#"):
            comments.append(line)
            continue
        name, _, rest = line.partition("=")
        value, _, comment = rest.partition("#")
        if "None" in comment or any("None" in c for c in comments):
            default = ast.literal_eval(value.strip())
            if default is not None:
                caps[name.strip()] = default
        comments = []
    return caps


def test_the_full_run_lifts_every_sample_cap_a_notebook_declares():
    """``params/north-east.yaml`` is the full run: every parameter whose default samples (and whose
    comment says None takes everything) must be null there, or the 'full' figures are a sample."""
    full = runner.load_parameters(runner.notebooks_dir().parent / "params" / "north-east.yaml")
    caps = {name: nb.name for nb in runner.discover_notebooks() for name in _sample_caps(nb)}
    assert {"sample_size", "max_sentences", "max_span_sentences", "peer_skillskape_sentences"} <= set(caps)
    still_capped = {name: notebook for name, notebook in caps.items() if full.get(name, "missing") is not None}
    assert not still_capped, f"params/north-east.yaml leaves these samples capped: {still_capped}"
