"""The ``skills-engine`` command line."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Skills Recommendation Engine: data, notebooks, site and models."
)
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks that print speed and memory figures.")
app.add_typer(bench_app, name="bench")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


def _print_figures(figures: dict, as_json: bool) -> None:
    """One figure per line; with ``--json`` the same figures as one JSON object on the last line."""
    width = max((len(key) for key in figures), default=0) + 2
    for key, value in figures.items():
        typer.echo(f"{key:<{width}} {value}")
    if as_json:
        typer.echo(json.dumps(figures))


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@app.command()
def data(
    adzuna_file: Path | None = typer.Option(None, help="The full Kaggle Train_rev1.csv, if you have it."),
    force: bool = typer.Option(False, help="Rebuild processed tables even if up to date (re-verifies raw files)."),
    verify: bool = typer.Option(False, help="Hash every raw file again and stop if one changed since it was verified."),
    adverts: Path | None = typer.Option(
        None, "--adverts", help="Your own adverts: a CSV, Parquet or JSON Lines file, or a folder of them."
    ),
    mapping: str | None = typer.Option(
        None,
        "--mapping",
        help="YAML mapping your columns onto the adverts fields, or a shipped one: plain (default), adzuna_train_rev1.",
    ),
    adverts_only: bool = typer.Option(
        False, "--adverts-only", help="With --adverts: leave the pinned NHS Jobs, Reed and Adzuna adverts out."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Fetch and verify every source, then build the tidy tables in data/processed."""
    from skills_engine.data import sourcing, tables

    _setup_logging(verbose)
    if (mapping or adverts_only) and adverts is None:
        _fail("--mapping and --adverts-only need --adverts PATH")
    try:
        report = tables.build_data(
            adzuna_file, force=force, verify=verify, custom_adverts=adverts, mapping=mapping, adverts_only=adverts_only
        )
    except (sourcing.SourcingError, FileNotFoundError, ValueError) as error:
        _fail(str(error))
    if report.get("skipped"):
        typer.echo(f"data up to date (built {report['built_at']}); nothing to do")
    else:
        typer.echo(
            f"fetched {len(report['datasets'])} datasets in {report['fetch_seconds']} s, built tables in {report['build_seconds']} s"
        )
    for name, rows in report["tables"].items():
        typer.echo(f"  {name:<24} {rows:>9,} rows")
    own = report.get("adverts", {}).get("custom_adverts")
    if own:
        typer.echo(
            f"your adverts: source {own['source']!r} ({own['combined']}), mapping {own['mapping']}: "
            f"{own['rows_read']:,} rows read from {own['files']} file(s), {own['rows_kept']:,} kept, "
            f"{own['rows_rejected']:,} rejected"
        )
        for reason, count in own["rejected_by_reason"].items():
            typer.echo(f"  {count:>9,}  {reason} (first: {own['first_rejected'][reason]})")
        if own["rows_rejected"]:
            from skills_engine import paths

            typer.echo(f"  every rejected row, by file and row: {paths.rejected_adverts()}")


@app.command()
def run(
    params: Path | None = typer.Option(None, "--params", help="YAML file of notebook parameters (see params/)."),
    region: str | None = typer.Option(None, help="Override the region parameter."),
    notebook: list[str] | None = typer.Option(None, "--notebook", help="Run only notebooks whose name contains this."),
    all_regions: bool = typer.Option(
        False, "--all-regions", help="Also run the regional notebooks for every other region."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Execute the notebooks in order with papermill into reports/<run-name>/."""
    from skills_engine import runner

    _setup_logging(verbose)
    overrides = {"region": region} if region else {}
    try:
        plans = runner.plan_all_regions(params, overrides) if all_regions else [runner.plan_run(params, overrides)]
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error))
    for plan in plans:
        if notebook:
            plan = runner.RunPlan(
                plan.run_name,
                plan.parameters,
                tuple(n for n in plan.notebooks if any(s in n.name for s in notebook)),
                plan.output_dir,
            )
        typer.echo(
            f"run {plan.run_name!r}: {len(plan.notebooks)} notebooks, parameters {plan.parameters or '(notebook defaults)'}"
        )
        try:
            for path in runner.execute(plan):
                typer.echo(f"  wrote {path}")
        except runner.NotebookRunError as error:
            _fail(str(error))


@app.command()
def site(
    renderer: str = typer.Option("auto", help="auto (quarto if on PATH, else smalldocs), quarto or smalldocs."),
    output_dir: str = typer.Option("_site", help="Folder the site is written to, relative to the project."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Render the website of findings into _site/ (notebooks are not re-executed)."""
    from skills_engine import paths
    from skills_engine.publish import render as site_builder

    _setup_logging(verbose)
    try:
        output = site_builder.build_site(paths.PROJECT_ROOT, output_dir, renderer)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        _fail(str(error))
    typer.echo(f"site written to {output}")


ENGINE_HELP = "Engine of the corpus steps: pandas (this process) or spark (pyspark extra and Java 17)."
MASTER_HELP = "Spark master URL for --engine spark (default $SPARK_MASTER or local[2]), e.g. spark://host:7077."


def _corpus_steps(engine: str, master: str | None):
    from skills_engine.scale import engines

    try:
        return engines.corpus_steps(engine, master)
    except (ValueError, RuntimeError) as error:
        _fail(str(error))


@app.command()
def extract(
    engine: str = typer.Option("pandas", "--engine", help=ENGINE_HELP),
    master: str | None = typer.Option(None, "--master", help=MASTER_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Extract ESCO skills from every advert (boilerplate stripped, cached by text hash) into
    data/processed/advert_skills.parquet."""
    from skills_engine import getters
    from skills_engine.extraction.boilerplate import boilerplate_summary

    _setup_logging(verbose)
    steps = _corpus_steps(engine, master)
    adverts = getters.read_adverts(columns=["advert_id", "title", "description", "employer"])
    texts, detector = steps.corpus_texts(adverts)
    summary = boilerplate_summary(texts["cleaned"], texts["text"], detector)
    typer.echo(f"boilerplate: {summary['share_removed']:.1%} of the text of {summary['adverts']:,} adverts removed")
    table = steps.build_advert_skills(adverts, steps.ensure_advert_occupations(adverts), texts=texts)
    getters.write_processed(table, "advert_skills")
    typer.echo(f"{len(table):,} advert skills for {table['advert_id'].nunique():,} adverts written")


@app.command("train-encoder")
def train_encoder(
    force: bool = typer.Option(False, help="Train again even if an intact encoder of this recipe is cached."),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Fine-tune all-MiniLM-L6-v2 on SkillSkape train and ESCO labels into data/interim/encoder, then
    fit the second-stage reranker on the validation files (each skipped when a current one is cached)."""
    from skills_engine.extraction import finetune, rerank

    _setup_logging(verbose)
    try:
        meta = finetune.build_encoder(force=force)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        _fail(str(error))
    state = "cached, checksums verified" if meta["cached"] else f"trained in {finetune.minutes(meta)} min"
    typer.echo(f"skill encoder {state}: {finetune.describe(meta)}")
    seconds = finetune.embed_taxonomy()
    typer.echo(f"ESCO labels and descriptions embedded with it: {seconds:.0f} s (cached in data/interim/extraction)")
    try:
        record = rerank.build_reranker(force=force)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        _fail(str(error))
    typer.echo(rerank.describe(record))


@app.command("eval-extraction")
def eval_extraction(
    file: Path = typer.Argument(..., help="A CSV in the benchmark's format: sentence, span, sub_span, label."),
    as_json: bool = typer.Option(False, "--json", help="Last line: one JSON object with the metrics."),
) -> None:
    """Score the skill extractor on a benchmark file: RP@1/5/10 (percent), MRR and speed."""
    from skills_engine.extraction import evaluate

    if not file.is_file():
        _fail(f"benchmark file not found: {file}")
    try:
        result = evaluate.evaluate_file(file)
    except ValueError as error:
        _fail(str(error))
    bounds = result["interval_95"]
    for key, value in result.items():
        if key != "interval_95":
            interval = (
                f"  95% interval {bounds[key][0]} to {bounds[key][1]} (bootstrap over sentences)"
                if key in bounds
                else ""
            )
            typer.echo(f"{key:<22} {value}{interval}")
    if as_json:
        typer.echo(json.dumps(result))


@app.command("eval-rerank")
def eval_rerank(
    skillskape_sentences: int | None = typer.Option(None, help="A fixed-seed sample of SkillSkape dev (all 1,230)."),
    as_json: bool = typer.Option(False, "--json", help="Last line: one JSON object, rows and coefficients."),
) -> None:
    """Does the second stage carry from one validation source to another? Fits it without each source,
    and with it (cross-fitted), and scores both against the first stage (about 1 s per SkillSkape sentence)."""
    from skills_engine.extraction import rerank
    from skills_engine.extraction.extractor import SkillExtractor

    try:
        frames = rerank.check_sources(skillskape_sentences)
        check = rerank.cross_source_check(SkillExtractor(rerank=False).fit(), frames)
    except (FileNotFoundError, ValueError) as error:
        _fail(str(error))
    typer.echo(check.describe())
    if as_json:
        typer.echo(json.dumps(check.to_dict()))


@app.command("build-model")
def build_model(
    engine: str = typer.Option("pandas", "--engine", help=ENGINE_HELP),
    master: str | None = typer.Option(None, "--master", help=MASTER_HELP),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
) -> None:
    """Fit the recommender on the processed tables and save data/processed/engine.joblib."""
    from skills_engine import getters
    from skills_engine.recommender import artifacts, training

    _setup_logging(verbose)
    try:
        if engine == "pandas":
            fitted = training.build_engine()
        else:
            steps = _corpus_steps(engine, master)
            adverts = getters.read_adverts()
            advert_skills = getters.read_processed("advert_skills")
            fitted = steps.fit_engine(adverts, steps.ensure_advert_occupations(adverts), advert_skills)
    except FileNotFoundError as error:
        _fail(str(error))
    typer.echo(f"engine written to {artifacts.save_engine(fitted)}")


def _load_engine():
    from skills_engine.recommender import artifacts

    try:
        return artifacts.load_engine()
    except artifacts.EngineArtifactError as error:
        _fail(str(error))


@app.command()
def recommend(
    skills: str = typer.Option(
        ..., "--skills", help='Skills separated by ";", e.g. "patient care; phlebotomy; record keeping".'
    ),
    region: str | None = typer.Option(None, help='One of the twelve UK regions, e.g. "North East".'),
    k: int = typer.Option(10, "--k", help="How many job titles to return (1-100)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full answer as JSON."),
) -> None:
    """Recommend job titles for a person's skills, with salary, demand and growth."""
    engine, meta = _load_engine()
    try:
        answer = engine.recommend(skills, region=region, k=k)
    except ValueError as error:
        _fail(str(error))
    if as_json:
        typer.echo(json.dumps(answer | {"engine": meta}, default=str))
        return
    from skills_engine.recommender.formatting import format_answer

    typer.echo(format_answer(answer))


@app.command("eval-recommend")
def eval_recommend(
    as_json: bool = typer.Option(False, "--json", help="Last line: one JSON object with every method's metrics."),
    n_bootstrap: int = typer.Option(1000, help="Bootstrap resamples for the 95% intervals."),
) -> None:
    """Rank occupations for held-out adverts (split by employer) with every method and compare."""
    from skills_engine.recommender import evaluation

    try:
        result = evaluation.evaluate_from_tables(n_bootstrap=n_bootstrap)
    except FileNotFoundError as error:
        _fail(str(error))
    table = result["summary"].pivot_table(index="method", columns="metric", values="value").round(4)
    typer.echo(f"held-out adverts: {result['n_test']:,} (trained on {result['n_train']:,}, split by employer)")
    typer.echo(table.to_string())
    if as_json:
        typer.echo(json.dumps(evaluation.evaluation_json(result)))


@bench_app.command("sourcing")
def bench_sourcing(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Cold and warm seconds for sourcing plus normalisation of the full corpus, and peak memory."""
    from skills_engine.bench import sourcing

    figures = sourcing.bench_sourcing()
    _print_figures(figures, as_json)


@bench_app.command("extraction")
def bench_extraction(
    n_adverts: int = typer.Option(2000, help="Real adverts from the corpus to run."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Adverts per second for the lexical stage and the full extractor, and peak memory."""
    from skills_engine.bench import extraction

    figures = extraction.bench_extraction(n_adverts)
    _print_figures(figures, as_json)


@bench_app.command("pipeline")
def bench_pipeline(
    params: Path | None = typer.Option(None, "--params", help="YAML file of notebook parameters (see params/)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Seconds per notebook and in total for a full `run --all-regions` plus `site`."""
    from skills_engine import runner
    from skills_engine.bench import pipeline

    try:
        figures = pipeline.bench_pipeline(params)
    except runner.NotebookRunError as error:
        _fail(str(error))
    _print_figures(figures, as_json)


@bench_app.command("scale")
def bench_scale(
    base: int = typer.Option(5000, help="Real adverts with text in the 1x corpus (fixed seed)."),
    engine: list[str] | None = typer.Option(None, "--engine", help="Engines to run (default both: pandas and spark)."),
    master: str | None = typer.Option(None, "--master", help=MASTER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Seconds, adverts/second and driver peak memory of the corpus steps on 1x, 4x and 16x a base
    sample of real adverts, per engine, and the fitted slope of seconds against adverts.

    Replicas get new ids and a reference line of their own, every cache of corpus results is
    bypassed (a fresh extraction cache per run, no regional cache), so no replica is a cache hit;
    each run is a fresh process, so its peak memory is its own."""
    from skills_engine.bench import scale

    try:
        result = scale.bench_scale(base, engines=tuple(engine or scale.ENGINES), master=master)
    except (RuntimeError, ValueError, FileNotFoundError) as error:
        _fail(str(error))
    typer.echo(f"{'engine':<7} {'multiple':>8} {'adverts':>8} {'seconds':>9} {'adverts/s':>10} {'peak MB':>9}")
    for run in result["runs"]:
        typer.echo(
            f"{run['engine']:<7} {run['multiple']:>8} {run['adverts']:>8} {run['seconds']:>9} "
            f"{run['adverts_per_second']:>10} {run['peak_memory_mb']:>9}"
        )
    for name in ("slope_seconds_per_1000_adverts", "cost_ratio_largest_to_1x"):
        typer.echo(f"{name}: {result[name]}")
    typer.echo(f"identical outputs across engines: {result['identical']}")
    scale.write_figures(result)
    if as_json:
        typer.echo(json.dumps(result))


@bench_app.command("recommend")
def bench_recommend(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Fit seconds and the latency of one recommendation over all occupations (p50, p99), and of
    requests of three never-seen everyday phrases with the sentence model loaded."""
    from skills_engine.bench import recommend

    try:
        figures = recommend.bench_recommend()
    except FileNotFoundError as error:
        _fail(str(error))
    _print_figures(figures, as_json)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (127.0.0.1: this machine only)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, help="Worker processes; each loads the engine and model once (0.5 GB, up to 1 GB under load)."
    ),
    artifact: Path | None = typer.Option(
        None, help="Engine artefact (default $SKILLS_ENGINE_ARTIFACT or data/processed/engine.joblib)."
    ),
    cors_origins: str | None = typer.Option(
        None, help="Comma-separated origins allowed to embed (default $SKILLS_ENGINE_CORS_ORIGINS)."
    ),
    eager_model: bool = typer.Option(
        True,
        "--eager-model/--lazy-model",
        help="Load the semantic model at start-up in the background (/ready says when), or on first need.",
    ),
    header_timeout: float | None = typer.Option(
        None, help="Seconds a client has to send its request headers (default 10, or $SKILLS_ENGINE_HEADER_TIMEOUT)."
    ),
) -> None:
    """Serve the recommender over HTTP (API at /docs, try-it page at /; /health liveness, /ready readiness)."""
    import os

    import uvicorn

    from skills_engine.recommender import artifacts
    from skills_engine.service import app as service_app
    from skills_engine.service import server

    if header_timeout is not None:
        os.environ[server.HEADER_TIMEOUT_ENV] = str(header_timeout)
    if artifact is not None:
        os.environ[service_app.ARTIFACT_ENV] = str(artifact)
    if cors_origins is not None:
        os.environ[service_app.CORS_ENV] = cors_origins
    os.environ[service_app.EAGER_MODEL_ENV] = "1" if eager_model else "0"
    path = Path(os.environ[service_app.ARTIFACT_ENV]) if os.environ.get(service_app.ARTIFACT_ENV) else None
    try:
        engine, meta = artifacts.load_engine(path)  # refuse to start, with the how-to, before binding the port
    except artifacts.EngineArtifactError as error:
        _fail(str(error))
    typer.echo(
        f"engine built {meta.get('built_at')} from data built {meta.get('data_built_at')}; serving on http://{host}:{port}"
    )
    try:
        options = server.uvicorn_options(host, port)
    except ValueError as error:
        _fail(str(error))
    if workers > 1:
        del engine
        uvicorn.run("skills_engine.service.app:app", workers=workers, **options)
    else:
        uvicorn.run(service_app.create_app(engine, meta), **options)


@bench_app.command("api")
def bench_api(
    url: str = typer.Option("http://127.0.0.1:8000", help="The running service, on loopback."),
    requests: int = typer.Option(300, help="Requests measured per concurrency level."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object as the last line."),
) -> None:
    """Requests/second, p50 and p99 latency and errors of POST /recommend at 1, 10 and 50 clients,
    beside the p99 of GET /health (the floor), then with 200-unknown-skill requests mixed in."""
    from skills_engine.bench import api_load

    try:
        result = api_load.bench_api(url, requests_per_level=requests)
    except ValueError as error:
        _fail(str(error))
    typer.echo(
        f"{'mix':<17} {'clients':>7} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'health p99':>10} {'errors':>6}"
    )
    for run in result["runs"]:
        typer.echo(
            f"{run['mix']:<17} {run['concurrency']:>7} {run['requests']:>8} {run['requests_per_second']:>8} "
            f"{run['p50_ms']:>8} {run['p99_ms']:>8} {run['max_ms']:>8} {run['health_p99_ms']:>10} {run['errors']:>6}"
        )
    if as_json:
        typer.echo(json.dumps(result))


if __name__ == "__main__":
    app()
