"""The ``prescreen`` command line: the operator's entry point."""

from __future__ import annotations

import typer

from services.cli import (
    bench,
    data,
    dlq,
    documents,
    fraud,
    infra,
    model,
    schemas,
    screen,
    stack,
    topics,
    train,
)

app = typer.Typer(
    name="prescreen",
    help="Loan pre-screening on Kafka: run, inspect and benchmark the platform.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(schemas.app, name="schemas")
app.add_typer(infra.app, name="infra")
app.add_typer(topics.app, name="topics")
app.add_typer(dlq.app, name="dlq")
app.add_typer(bench.app, name="bench")
app.add_typer(data.app, name="data")
app.add_typer(model.app, name="model")
app.add_typer(fraud.app, name="fraud")
app.add_typer(documents.app, name="documents")
app.command("train")(train.train_command)
app.command("screen")(screen.screen_command)
stack.register(app)


if __name__ == "__main__":
    app()
