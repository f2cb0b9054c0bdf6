"""The `leaflet` command: a thin layer that parses options and calls the pipeline."""

from __future__ import annotations

from pathlib import Path

import click

from . import __version__
from .build import Request, build
from .errors import LeafletError
from .layout import PAGE_SIZES
from .load import load_yaml
from .model import Content
from .styles import available_styles
from .tailor import AUDIENCES
from .validate import validate as validate_against

AUDIENCE_CHOICES = [*AUDIENCES, "all"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="leaflet")
def cli() -> None:
    """Make tailored, printable PDF patient leaflets from structured medicine content.

    \b
    Examples:
      leaflet build content/dupixent.yaml --audience all
      leaflet build content/dupixent.yaml --audience caregiver --patient-age 4 --style large-print
      leaflet validate content/dupixent.yaml
    """


@cli.command()
@click.argument("content", type=click.Path(path_type=Path))
@click.option("--audience", "-a", required=True, type=click.Choice(AUDIENCE_CHOICES),
              help="Who reads it: caregiver (of a child under 12), adolescent (12-17), adult (18+), "
                   "or all three.")
@click.option("--patient-age", type=float, metavar="YEARS",
              help="Narrow to one patient's age in years (decimals allowed, e.g. 0.75).")
@click.option("--patient-weight", type=float, metavar="KG", help="Narrow to one patient's weight in kg.")
@click.option("--style", "-s", default="standard", show_default=True, metavar="NAME|PATH",
              help=f"A style from styles/ ({', '.join(available_styles())}) or a path to a style YAML file.")
@click.option("--page-size", type=click.Choice(list(PAGE_SIZES)), default="a4", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Where to write the PDF [default: output/<medicine>-<audience>.pdf].")
def build_command(content: Path, audience: str, patient_age: float | None, patient_weight: float | None,
                  style: str, page_size: str, output: Path | None) -> None:
    """Build one leaflet (or one per audience with --audience all).

    \b
    Examples:
      leaflet build content/dupixent.yaml --audience adult
      leaflet build content/dupixent.yaml -a caregiver --patient-age 3 --patient-weight 14
      leaflet build content/dupixent.yaml -a all --style large-print --page-size letter
    """
    audiences = list(AUDIENCES) if audience == "all" else [audience]
    if len(audiences) > 1:
        if output is not None:
            raise LeafletError("--output names one file; it cannot be used with --audience all")
        if patient_age is not None:
            raise LeafletError("--patient-age belongs to one audience; it cannot be used with --audience all")
    for each in audiences:
        request = Request(content, each, patient_age, patient_weight, style, page_size)
        path, rendered = build(request, output)
        click.echo(f"wrote {path} ({rendered.pages} page{'s' if rendered.pages != 1 else ''})")


cli.add_command(build_command, name="build")


@cli.command()
@click.argument("content", type=click.Path(path_type=Path))
def validate(content: Path) -> None:
    """Check a content file and list every problem as file:line: key.path: what is wrong.

    \b
    Example:
      leaflet validate content/dupixent.yaml
    """
    try:
        validate_against(load_yaml(content), Content)
    except LeafletError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.exceptions.Exit(error.exit_code) from None
    click.echo(f"{content}: ok")


def main() -> None:
    cli(prog_name="leaflet")
