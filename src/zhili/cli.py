"""The `zhili` command line. Every command that reads or writes stored data takes --data DIR
(default $ZHILI_DATA, else ./var)."""

from __future__ import annotations

import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from zhili.config import data_dir, get_settings
from zhili.logging import setup_logging

app = typer.Typer(help="Zhili (治理): a social-governance city brain.", no_args_is_help=True)
twin_app = typer.Typer(help="The synthetic district (twin).", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks: each prints one JSON line of measured figures.", no_args_is_help=True
)
app.add_typer(twin_app, name="twin")
app.add_typer(bench_app, name="bench")
log = logging.getLogger("zhili")

DataOpt = Annotated[
    Path | None, typer.Option("--data", help="Data directory (default $ZHILI_DATA or ./var).")
]
ScaleOpt = Annotated[
    float, typer.Option("--scale", help="1.0 = the seed's district (3.2 M residents).")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Same seed, same district, same bytes.")]


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    setup_logging("DEBUG" if verbose else get_settings().log_level)


def _twin_dir(data: Path | None) -> Path:
    return data_dir(data) / "twin"


def _generate(scale: float, seed: int, out: Path, show_progress: bool) -> dict:
    from zhili.twin.generate import generate
    from zhili.twin.spec import TwinSpec

    spec = TwinSpec(scale=scale, seed=seed)
    if not show_progress:
        return generate(spec, out)
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, transient=False) as bar:
        task = bar.add_task("twin", total=1)

        def progress(name: str, done: int, total: int) -> None:
            bar.update(task, description=name, completed=done, total=total)

        return generate(spec, out, progress)


@twin_app.command("generate")
def twin_generate(
    scale: ScaleOpt = 0.01,
    seed: SeedOpt = 7,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output directory (default DATA/twin).")
    ] = None,
    data: DataOpt = None,
) -> None:
    """Generate the twin: DIR/sources/<system>/…, DIR/truth/…, DIR/summary.json."""
    target = out or _twin_dir(data)
    try:
        summary = _generate(scale, seed, target, show_progress=sys.stderr.isatty())
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    c = summary["counts"]
    typer.echo(
        f"twin written to {target}: {c['persons']:,} persons, {c['houses']:,} houses, "
        f"{c['enterprises']:,} enterprises, {summary['systems']} systems of "
        f"{summary['departments']} "
        f"departments, {summary['records']:,} source records in {summary['seconds']} s"
    )


@bench_app.command("twin")
def bench_twin(
    scale: ScaleOpt = 0.1,
    seed: SeedOpt = 7,
    repeats: Annotated[int, typer.Option(help="Runs; seconds is their median.")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON line.")] = False,
) -> None:
    """Time `twin generate` and report its peak memory (this process: run it on its own)."""
    times = []
    for _ in range(max(1, repeats)):
        with tempfile.TemporaryDirectory(prefix="zhili-bench-") as tmp:
            started = time.perf_counter()
            summary = _generate(scale, seed, Path(tmp), show_progress=False)
            times.append(time.perf_counter() - started)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    figures = {
        "bench": "twin",
        "scale": scale,
        "repeats": len(times),
        "seconds": round(statistics.median(times), 2),
        "peak_rss_mb": round(peak_mb, 1),
        "persons": summary["counts"]["persons"],
        "records": summary["records"],
    }
    lines = "\n".join(f"{k}: {v}" for k, v in figures.items())
    typer.echo(json.dumps(figures) if json_out else lines)


@app.command()
def serve(
    data: DataOpt = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """Serve the web app and API over the data directory."""
    import uvicorn

    from zhili.web.app import create_app

    settings = get_settings()
    uvicorn.run(
        create_app(data_dir(data)),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def demo(
    data: DataOpt = None,
    scale: ScaleOpt = 0.01,
    seed: SeedOpt = 7,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
) -> None:
    """The main job: build a small twin district (unless one is there), run every pipeline
    stage that exists, and serve the web app at http://127.0.0.1:8000."""
    twin = _twin_dir(data)
    summary_file = twin / "summary.json"
    current = json.loads(summary_file.read_text("utf-8")) if summary_file.exists() else None
    if not current or current.get("scale") != scale or current.get("seed") != seed:
        typer.echo(f"generating the twin district (scale {scale}, seed {seed}) in {twin} …")
        _generate(scale, seed, twin, show_progress=sys.stderr.isatty())
    else:
        typer.echo(f"using the twin district in {twin}")
    serve(data=data, host=None, port=port)


if __name__ == "__main__":
    app()
