"""The `designer-bff` command line. Heavy libraries are imported inside commands so `--help` is instant."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

if TYPE_CHECKING:
    from designer_bff.container import Container

# Set before numpy loads: the selection stage is a chain of small matrix-vector products that OpenBLAS
# runs 2–5× slower on two threads, and job threads already use the cores. Operators can still override.
for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")

app = typer.Typer(
    help="Designer BFF — a self-hostable AI design studio for fashion designers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")

LOCAL_USER = "studio@localhost"
DEMO_PROMPTS = (
    ("bohemian maxi dress in rust linen", 3),
    ("navy and white striped long sleeve shirt", 2),
    ("camel wool wrap coat", 2),
    ("wide leg high waisted cream trousers", 2),
    ("red polka dot a-line skirt", 2),
    ("black leather bomber jacket", 1),
    ("emerald satin mermaid gown", 2),
    ("sage floral puff sleeve blouse", 2),
    ("indigo denim jeans", 1),
    ("mustard knit turtleneck sweater", 1),
    ("olive utility jumpsuit", 2),
    ("grey check tailored blazer", 2),
    ("white t-shirt", 1),
    ("blush tulle romper with ruffles", 1),
)


def _container() -> Container:
    from designer_bff.config import load_settings
    from designer_bff.container import Container
    from designer_bff.errors import ConfigurationError

    try:
        return Container(load_settings())
    except ConfigurationError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc


def _local_user_id(container: Container) -> str:
    """The studio's own account for CLI work (created on first use, no usable password)."""
    import secrets

    from designer_bff.db.repositories import Users

    with container.db.session() as s:
        user = Users(s).by_email(LOCAL_USER)
        if user is None:
            user = Users(s).add(LOCAL_USER, "!" + secrets.token_hex(16), "Local studio")
        return user.id


def _run_prompts(
    container: Container,
    prompts: list[tuple[str, int]],
    seed: int | None,
    provider: str | None,
    aspect_ratio: str | None,
) -> list[str]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from designer_bff.domain.generation import GenerationSettings
    from designer_bff.services.runner import Progress as Event

    user_id = _local_user_id(container)
    service = container.foreground_generations()
    ids: list[str] = []
    total = sum(n for _, n in prompts)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()
    ) as bar:
        task = bar.add_task("designing", total=total)
        for i, (prompt, count) in enumerate(prompts):
            settings = GenerationSettings(
                provider=provider, aspect_ratio=aspect_ratio, seed=None if seed is None else seed + i
            )
            generation = service.from_prompt(
                user_id, prompt=prompt, negative_prompt=None, count=count, settings=settings
            )
            ids.append(generation.id)

            # Over-generation makes more candidates than kept: the bar's total grows to what is planned.
            start, rest = bar.tasks[task].completed, sum(n for _, n in prompts[i + 1 :])

            def on_progress(event: Event, start: float = start, rest: int = rest) -> None:
                if event.status == "processing":
                    bar.update(
                        task, advance=1, total=start + event.total + rest, description=event.message[:40]
                    )

            status = container.runner.run(generation.id, on_progress)
            if status != "completed":
                view = service.get(user_id, generation.id)
                typer.secho(f"{prompt!r}: {status}: {view.generation.error}", fg=typer.colors.RED, err=True)
    return ids


def _export(container: Container, ids: list[str], out: Path, title: str) -> None:
    from designer_bff.services.export import export_collection

    user_id = _local_user_id(container)
    service = container.foreground_generations()
    views = [service.get(user_id, gid) for gid in ids]
    index, manifest = export_collection(views, container.blobs, out, title=title)
    kept = sum(1 for v in views for a in v.assets if a.selected)
    typer.echo(f"{kept} designs written to {out}")
    typer.echo(f"manifest: {manifest}")
    typer.secho(f"contact sheet: {index.resolve()}", fg=typer.colors.GREEN, bold=True)


@app.command()
def generate(
    prompt: Annotated[str, typer.Argument(help="What to design, e.g. 'bohemian maxi dress in rust linen'.")],
    n: Annotated[int, typer.Option("-n", "--count", min=1, help="How many designs.")] = 8,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for images, index.html, manifest.json.")
    ] = Path("./out"),
    seed: Annotated[Optional[int], typer.Option(help="Fix every random choice.")] = None,  # noqa: UP045
    provider: Annotated[str | None, typer.Option(help="Provider id (default: configured default).")] = None,
    aspect_ratio: Annotated[Optional[str], typer.Option("--aspect-ratio", help="e.g. 3:4.")] = None,  # noqa: UP045
) -> None:
    """Design N garments from a prompt, offline by default, and write a contact sheet."""
    from designer_bff.errors import DesignerBFFError

    container = _container()
    try:
        container.db.migrate()
        ids = _run_prompts(container, [(prompt, n)], seed, provider, aspect_ratio)
        _export(container, ids, out, prompt)
    except DesignerBFFError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    finally:
        container.close()


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("./out/demo"),
    seed: Annotated[int, typer.Option(help="Seed of the sample collection.")] = 2026,
) -> None:
    """Design a 24-piece sample collection across garment types and write its contact sheet."""
    container = _container()
    try:
        container.db.migrate()
        ids = _run_prompts(container, list(DEMO_PROMPTS), seed, None, "3:4")
        _export(container, ids, out, "Designer BFF — sample collection")
    finally:
        container.close()


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Bind address.")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port.")] = None,  # noqa: UP045
) -> None:
    """Run the HTTP API (and, unless DESIGNER_BFF_JOB_WORKERS=0, job consumers in-process)."""
    import uvicorn

    from designer_bff.api.app import create_app

    container = _container()
    uvicorn.run(
        create_app(container),
        host=host or container.settings.host,
        port=port or container.settings.port,
        log_level=container.settings.log_level,
    )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Consumer threads.")] = 2,
) -> None:
    """Run job consumers only (for extra machines sharing PostgreSQL, Redis and S3)."""
    import logging
    import signal

    container = _container()
    logging.basicConfig(
        level=container.settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    container.db.migrate()
    container.warm_up()
    queue = container.queue
    signal.signal(signal.SIGTERM, lambda *_: queue.request_stop())
    typer.echo(f"worker: {concurrency} consumer threads on the {queue.backend} queue")
    queue.run_worker(concurrency, container.settings.recovery_interval_seconds)
    container.close()


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    container = _container()
    revision = container.db.migrate()
    typer.echo(f"database at revision {revision}")
    container.close()


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Argument(help="Login email.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
    name: Annotated[Optional[str], typer.Option(help="Display name.")] = None,  # noqa: UP045
) -> None:
    """Create an account."""
    from designer_bff.errors import DesignerBFFError

    container = _container()
    try:
        container.db.migrate()
        user = container.auth.register(email, password, name)
    except DesignerBFFError as exc:
        typer.secho(f"error: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    finally:
        container.close()
    typer.echo(f"created user {user.email} ({user.id})")
