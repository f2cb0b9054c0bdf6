"""The `leaflet` command: a thin layer that parses options and calls the pipeline."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import LeafletError
from .styles import PAGE_SIZES, available_styles
from .tailor import AUDIENCES, audience_for_age, serves
from .translation import content_for

# Each command imports what it needs when it runs, so `leaflet --help` or `validate` do not
# load the layout engine, and a build does not load pydantic (see leaflet.checked).

AUDIENCE_CHOICES = [*AUDIENCES, "all"]


class _Number(click.ParamType):
    """A plain number, with a decimal comma as many spreadsheets and locales write it."""

    name = "number"

    def __init__(self, unit: str, example: str) -> None:
        self.unit, self.example = unit, example

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, float):
            return value
        try:
            return float(str(value).strip().replace(",", "."))
        except ValueError:
            self.fail(f"{value!r} is not a number: give the {self.unit} as a number, such as {self.example}",
                      param, ctx)


AGE = _Number("age in years", "4 or 0.75")
WEIGHT = _Number("weight in kg", "16 or 16.5")


class _OneLineErrors(click.Group):
    """Every error as one line: click's usage errors otherwise add a usage block and a hint."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            command = error.ctx.command_path if error.ctx else "leaflet"
            message = " ".join(error.format_message().split())  # click lists choices on separate lines
            click.echo(f"Error: {message} (see '{command} --help')", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            error.show()
            sys.exit(error.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_OneLineErrors,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="leaflet")
def cli() -> None:
    """Make tailored, printable PDF patient leaflets from structured medicine content.

    \b
    Examples:
      leaflet build content/dupixent.yaml --audience all
      leaflet build content/dupixent.yaml --audience caregiver --patient-age 4 --style large-print
      leaflet build content/dupixent.yaml -a adult --use asthma --directions "Inject 300 mg every other week." -o zoe.pdf
      leaflet validate content/dupixent.yaml
      leaflet migrate content/old.yaml --write
      leaflet lint content/dupixent.yaml
      leaflet check output/dupixent-adult.pdf --content content/dupixent.yaml --audience adult
      leaflet batch tonight.csv --out-dir leaflets --merge print.pdf --report report.csv
      leaflet serve                # the clinic's page: http://127.0.0.1:8000/
      leaflet schema -o schemas/content-2.schema.json

    Each command's --help has more examples.
    """


@cli.command(short_help="Build one leaflet, or one per audience and content file.")
@click.argument("contents", metavar="CONTENT...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--audience", "-a", type=click.Choice(AUDIENCE_CHOICES, case_sensitive=False),
              help="Who reads it: caregiver (of a child under 12), adolescent (12-17), adult (18+), "
                   "or all three.  [required unless --patient-age is given: then it follows the age]")
@click.option("--patient-age", type=AGE, metavar="YEARS",
              help="Narrow to one patient's age in years (decimals allowed, e.g. 0.75).")
@click.option("--patient-weight", type=WEIGHT, metavar="KG", help="Narrow to one patient's weight in kg.")
@click.option("--style", "-s", default="standard", show_default=True, metavar="NAME|PATH",
              help=f"A style from styles/ ({', '.join(available_styles())}) or a path to a style YAML file.")
@click.option("--page-size", type=click.Choice(list(PAGE_SIZES), case_sensitive=False), default="a4", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Where to write the PDF (.pdf is added when missing) [default: "
                   "output/<medicine>-<audience>.pdf; a language other than en, the patient's age, weight "
                   "and uses, a style other than standard and a page size other than a4 are added to the name].")
@click.option("--use", "uses", multiple=True, metavar="ID",
              help="A use (condition) it is prescribed for, by its id in the content; repeat for several. "
                   "Only these uses are printed.")
@click.option("--patient-name", metavar="NAME", help='Printed under the title as "Prepared for NAME".')
@click.option("--directions", metavar="TEXT",
              help="The prescription's directions for this patient, printed in their own box on page 1.")
@click.option("--pharmacy", metavar="NAME", help="Printed in every page's footer (as batch's pharmacy column).")
@click.option("--pharmacy-phone", metavar="PHONE", help="Printed in every page's footer, after --pharmacy.")
@click.option("--pdfa", is_flag=True, help="Also make it PDF/A-2a (archival: sRGB output intent, pdfaid in XMP). "
                                          "Every leaflet is tagged PDF/UA-1 either way.")
@click.option("--language", "-l", metavar="CODE",
              help="The content's translation to print: es picks <medicine>.es.yaml beside CONTENT.")
@click.option("--strict", is_flag=True, help="Refuse a translation not yet reviewed by a qualified person.")
def build_command(contents: tuple[Path, ...], audience: str | None, patient_age: float | None, patient_weight: float | None,
                  style: str, page_size: str, output: Path | None, uses: tuple[str, ...],
                  patient_name: str | None, directions: str | None, pharmacy: str | None,
                  pharmacy_phone: str | None, pdfa: bool, language: str | None, strict: bool) -> None:
    """Build one leaflet (or one per audience with --audience all, and per content file).

    With --audience all, an audience that no use of the medicine applies to (a medicine
    for children only has nothing for an adult) is skipped with a note.

    \b
    Examples:
      leaflet build content/dupixent.yaml --audience adult
      leaflet build content/*.yaml --audience all
      leaflet build content/dupixent.yaml -a caregiver --patient-age 3 --patient-weight 14
      leaflet build content/dupixent.yaml --patient-age 15     # the audience follows the age
      leaflet build content/dupixent.yaml -a all --style large-print --page-size letter
      leaflet build content/dupixent.yaml -a adult --use asthma --patient-name "Zoë Martin" \\
        --directions "Inject 300 mg every other week." -o zoe.pdf
      leaflet build content/dupixent.yaml -a adult --pdfa --pharmacy "High Street Pharmacy" --pharmacy-phone "01632 960 000"
      leaflet build content/dupixent.yaml -a all --language es
    """
    chosen = ""
    if audience is None:  # as on the clinic's page, the audience follows the patient's age
        if patient_age is None:
            context = click.get_current_context()
            raise click.MissingParameter(ctx=context, param=next(p for p in context.command.params
                                                                  if p.name == "audience"))
        audience = audience_for_age(patient_age)
        chosen = f"; the {audience} leaflet, from --patient-age"
    if (patient_name or directions) and output is None:
        # else Zoë's leaflet lands on output/<medicine>-<audience>.pdf, the one printed for everyone
        raise LeafletError("--patient-name and --directions make one patient's leaflet: name its file with "
                           "--output (the default name is the leaflet for everyone, which it would replace)")
    if len(contents) > 1 and output is not None:
        raise LeafletError("--output names one file; it cannot be used with several content files")
    if audience == "all":
        if output is not None:
            raise LeafletError("--output names one file; it cannot be used with --audience all")
        if patient_age is not None:
            raise LeafletError("--patient-age belongs to one audience; it cannot be used with --audience all")
    from .build import Request, build
    from .checked import load_content
    from .manifest import personal_details

    problems: list[str] = []
    personal = personal_details({"patient_name": patient_name or "", "directions": directions or "",
                                 "pharmacy": pharmacy or "", "pharmacy_phone": pharmacy_phone or ""}, problems)
    if problems:  # the batch's words, naming the option; never the value (patient data)
        raise LeafletError("; ".join("--" + column.replace("_", "-") + ":" + what
                                     for column, what in (problem.split(":", 1) for problem in problems)))
    for content in contents:
        content = content_for(content, language)
        audiences = [audience]
        if audience == "all":
            loaded = load_content(content)
            audiences = [name for name, each in AUDIENCES.items() if serves(loaded, each)]
            for name in AUDIENCES:
                if name not in audiences:
                    click.echo(f"skipped {content} for the {name} audience: no use of {loaded.name} applies to it",
                               err=True)
        for each in audiences:
            request = Request(content, each, patient_age, patient_weight, style, page_size, personal, uses, pdfa=pdfa)
            path, rendered = build(request, output, strict=strict)
            click.echo(f"wrote {path} ({rendered.pages} page{'s' if rendered.pages != 1 else ''}{chosen})")


cli.add_command(build_command, name="build")


@cli.command(short_help="Check a content file and list every problem, by line.")
@click.argument("content", type=click.Path(path_type=Path))
def validate(content: Path) -> None:
    """Check a content file and list every problem as file:line: key.path: what is wrong.

    \b
    Example:
      leaflet validate content/dupixent.yaml
    """
    from .checked import fresh
    from .load import load_yaml
    from .model import Content
    from .validate import schema_version, validate as validate_against

    try:
        with fresh():
            loaded = load_yaml(content)
            validate_against(loaded, Content)
    except LeafletError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise click.exceptions.Exit(error.exit_code) from None
    if schema_version(loaded) == 1:
        click.echo(f"{content}: ok (schema 1; `leaflet migrate {content}` shows it in schema 2)")
    else:
        click.echo(f"{content}: ok")


@cli.command(name="migrate", short_help="Rewrite a schema-1 content file as schema 2 (shows the diff).")
@click.argument("content", type=click.Path(path_type=Path))
@click.option("--write", "-w", is_flag=True, help="Rewrite the file in place (atomically) as well as showing the diff.")
def migrate_command(content: Path, write: bool) -> None:
    """Rewrite a schema-1 content file as schema 2 and print the unified diff.

    Without --write the file is left as it is. Comments, key order and wrapped texts are
    kept. Schema 2 also checks grammar for every reader; problems found are listed (fix
    them by hand, e.g. with {has|have}). A schema-2 file is left alone.
    Exit status: 0 migrated (or already schema 2), 1 migrated with problems to fix, 2 bad input.

    \b
    Examples:
      leaflet migrate content/old.yaml            # show what would change
      leaflet migrate content/old.yaml --write    # and rewrite the file
    """
    from .checked import fresh
    from .migrate import migrate_file
    from .write import write_atomic

    with fresh():
        migration = migrate_file(content)
    if migration is None:
        click.echo(f"{content}: already schema 2; nothing to do")
        return
    click.echo(migration.diff(), nl=False)
    if write:
        write_atomic(content, migration.new.encode("utf-8"))
        click.echo(f"{content}: rewritten as schema 2")
    for problem in migration.problems:
        click.echo(problem, err=True)
    if migration.problems:
        click.echo(f"{content}: schema 2 finds {len(migration.problems)} problem(s) to fix by hand", err=True)
        raise click.exceptions.Exit(1)


@cli.command(name="schema")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of printing.")
def schema_command(output: Path | None) -> None:
    """Print the JSON Schema of a schema-2 content file, for editors.

    The repository ships it as schemas/content-2.schema.json; a YAML editor with the YAML
    language server completes and checks a content file that starts with
    `# yaml-language-server: $schema=../schemas/content-2.schema.json`.

    \b
    Example:
      leaflet schema -o schemas/content-2.schema.json
    """
    from .model import json_schema_text
    from .write import write_atomic

    text = json_schema_text()
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text.encode("utf-8"))
        click.echo(f"wrote {output}")


@cli.command(name="batch")
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option("--out-dir", "-d", type=click.Path(path_type=Path), default=Path("output"), show_default=True,
              help="Folder for the PDFs (and the .leaflet-state/ folder that makes re-runs resume).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="Worker processes [default: the number of cores].")
@click.option("--merge", type=click.Path(path_type=Path), metavar="FILE",
              help="Also write one PDF for the printer: every leaflet starts on a right-hand page, "
                   "one bookmark each.")
@click.option("--shard", metavar="K/N", help="Build only the K-th of N slices of the rows (K from 0), "
                                             "to split a run across machines.")
@click.option("--force", is_flag=True, help="Rebuild every row, replacing files this tool did not make.")
@click.option("--report", type=click.Path(path_type=Path), metavar="FILE",
              help="Write every row's status, output, pages, sha256 and error (.csv or .json).")
@click.option("--verify", is_flag=True, help="Read each new PDF back (as `leaflet check` does) and fail the row, "
                                            "writing nothing, if a line is missing or misplaced.")
@click.option("--merge-built-only", is_flag=True,
              help="With --merge: merge only the rows this run built, not those already up to date "
                   "[default: every good row, so a resumed night still prints in one file].")
@click.option("--verify-time-limit", type=click.FloatRange(min=0, min_open=True), default=10, show_default=True,
              metavar="SECONDS", help="With --verify: fail a row whose PDF takes longer than this to read back.")
@click.option("--verify-memory-limit", type=click.IntRange(min=16), default=256, show_default=True, metavar="MIB",
              help="With --verify: fail a row whose PDF needs more memory than this to read back.")
@click.option("--wait", type=click.FloatRange(min=0), default=0, metavar="SECONDS",
              help="If another run is writing into --out-dir, wait this long for it [default: stop at once, "
                   "exit status 75].")
@click.option("--pdfa", is_flag=True, help="Make every leaflet PDF/A-2a too (a row's pdfa column, yes or no, "
                                          "overrides it).")
@click.option("--strict", is_flag=True, help="Fail rows whose translation is not yet reviewed by a qualified person.")
def batch_command(manifest: Path, out_dir: Path, jobs: int | None, merge: Path | None, shard: str | None,
                  force: bool, report: Path | None, verify: bool, merge_built_only: bool, verify_time_limit: float,
                  verify_memory_limit: int, wait: float, pdfa: bool, strict: bool) -> None:
    """Build one personalised leaflet per row of a CSV manifest.

    \b
    Columns: content, audience (required); patient_age, patient_weight, patient_name,
    pharmacy, pharmacy_phone, style, page_size, output, uses (ids separated by ;), directions,
    pdfa (yes or no), language (optional). Rows with problems
    are reported and the rest are still built; re-running skips rows already built.
    Exit status: 0 all built or up to date, 1 some rows failed, 2 bad manifest or options,
    75 another run is writing into --out-dir, 130/143 stopped by Ctrl-C/SIGTERM.
    Columns leaflet does not use (an Rx number...) are copied into the report.

    \b
    Examples:
      leaflet batch tonight.csv --out-dir leaflets --merge print.pdf --report report.csv
      leaflet batch tonight.csv --out-dir /shared/leaflets --shard 2/8
      leaflet batch tonight.csv --out-dir leaflets --verify --force
    """
    from .batch import Options, Shard, run
    from .check import Budget

    options = Options(manifest, out_dir, jobs, merge, Shard.parse(shard) if shard is not None else None,
                      force, report, verify, pdfa=pdfa, strict=strict, wait=wait, merge_built_only=merge_built_only,
                      verify_budget=Budget(seconds=verify_time_limit, memory_mib=verify_memory_limit))
    summary = run(options)
    if summary.exit_code:
        raise click.exceptions.Exit(summary.exit_code)


@cli.command(name="lint")
@click.argument("content", type=click.Path(path_type=Path))
@click.option("--audience", "-a", type=click.Choice(AUDIENCE_CHOICES, case_sensitive=False), default="all", show_default=True,
              help="Whose tailored text to score.")
@click.option("--strict", is_flag=True, help="Treat warnings (such as a stale source) as errors.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Judge the source's age as of this date [default: today].")
def lint_command(content: Path, audience: str, strict: bool, today) -> None:
    """Check that each audience's leaflet is in plain language.

    Scores each section and the whole leaflet (Flesch-Kincaid grade, Flesch reading
    ease), flags long sentences, glossary terms not explained where first used, medical
    terms missing from the glossary and a stale source. Targets come from the content's
    `lint:` block (default: grade 6 overall, 8 per section, 25 words a sentence, source
    updated within 12 months). One line per finding (file:line), then a table of
    scores with a column per audience. Exit status: 0 no errors, 1 errors (with
    --strict, warnings too), 2 bad input.

    \b
    Examples:
      leaflet lint content/dupixent.yaml
      leaflet lint content/dupixent.yaml --audience caregiver --strict
    """
    from .checked import fresh
    from .lint import lint_file, table

    audiences = None if audience == "all" else [audience]
    with fresh():
        report = lint_file(content, audiences, today.date() if today else None, strict=strict)
    for finding in report.findings:
        click.echo(str(finding))
    if report.findings:
        click.echo()
    click.echo("\n".join(table(report)))
    errors, warnings = len(report.errors()), len(report.warnings())
    click.echo(f"\n{content}: {errors} error{'s' if errors != 1 else ''}, "
               f"{warnings} warning{'s' if warnings != 1 else ''}")
    if errors:
        raise click.exceptions.Exit(1)


@cli.command(name="check")
@click.argument("pdf", type=click.Path(path_type=Path))
@click.option("--content", "-c", "content", required=True, type=click.Path(path_type=Path),
              help="The content file the leaflet was built from.")
@click.option("--audience", "-a", required=True, type=click.Choice(list(AUDIENCES), case_sensitive=False),
              help="The reader the leaflet is for.")
@click.option("--patient-age", type=AGE, metavar="YEARS", help="The patient's age, if it was built for one.")
@click.option("--patient-weight", type=WEIGHT, metavar="KG", help="The patient's weight, if it was built for one.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=10, show_default=True,
              metavar="SECONDS", help="Give up on a PDF that takes longer than this to read (exit status 3).")
@click.option("--memory-limit", type=click.IntRange(min=16), default=256, show_default=True, metavar="MIB",
              help="Give up on a PDF that needs more memory than this to read (exit status 3).")
@click.option("--use", "uses", multiple=True, metavar="ID", help="A use it was built for (--use), if any; repeatable.")
@click.option("--language", "-l", metavar="CODE", help="The translation it was built from (as for build).")
def check_command(pdf: Path, content: Path, audience: str, patient_age: float | None,
                  patient_weight: float | None, time_limit: float, memory_limit: int, uses: tuple[str, ...],
                  language: str | None) -> None:
    """Read a printed leaflet back and check it against its tailoring.

    Every line and safety line meant for this reader must be in the PDF, and no line
    meant only for other readers may be. Only the visible text is read, so a PDF from
    an older build is checked the same way. Each miss is reported by name.
    Exit status: 0 all present, 1 misses, 2 bad input (no such file, not a PDF, bad
    options), 3 a PDF that cannot be read (damaged, encrypted, or over the time or
    memory limit).

    \b
    Examples:
      leaflet check output/dupixent-adult.pdf --content content/dupixent.yaml --audience adult
      leaflet check jo.pdf -c content/dupixent.yaml -a caregiver --patient-age 4 --patient-weight 16
    """
    from .check import UNEXPECTED, Budget, check_file

    leaflet, misses = check_file(pdf, content_for(content, language), audience, patient_age, patient_weight, uses,
                                 Budget(seconds=time_limit, memory_mib=memory_limit))
    for miss in misses:
        click.echo(f"{pdf}: {miss}")
    if misses:
        # the commonest slip: checking one reader's leaflet against another's --audience
        printed_for = next((miss.name.split(":", 1)[1] for miss in misses if miss.kind == UNEXPECTED
                            and miss.name.startswith("audience-label:")), None)
        hint = (f"; it reads as the {printed_for} leaflet: was it built with --audience {printed_for}?"
                if printed_for and printed_for != audience else "")
        click.echo(f"{pdf}: FAILED: {len(misses)} miss{'es' if len(misses) != 1 else ''} for the "
                   f"{audience} leaflet{hint}")
        raise click.exceptions.Exit(1)
    safety = sum(fact.safety for fact in leaflet.facts)
    boxed = f", {len(leaflet.warnings)} boxed warning{'s' if len(leaflet.warnings) != 1 else ''}" \
        if leaflet.warnings else ""
    click.echo(f"{pdf}: ok: all {len(leaflet.facts)} lines for this reader are present "
               f"({safety} safety lines{boxed}), and none meant for other readers")


@cli.command(name="serve")
@click.option("--content-dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of content files to offer [default: the shipped content/].")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, metavar="PORT",
              help="Port to listen on.")
@click.option("--workers", "-w", type=click.IntRange(min=0), metavar="N",
              help="Render processes, sharing one queue [default: the number of cores]; 0 renders in the "
                   "server's own process.")
@click.option("--token", envvar="LEAFLET_TOKEN", metavar="TOKEN",
              help="Access token (or LEAFLET_TOKEN): the API needs 'Authorization: Bearer TOKEN', the page "
                   "asks for it once. Required for any --host but loopback.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=10.0, show_default=True, metavar="SECONDS",
              help="Longest time one request may take.")
@click.option("--queue", type=click.IntRange(min=1), default=32, show_default=True, metavar="N",
              help="Leaflets the server holds at once, rendering or waiting; more are answered 503 at once.")
def serve_command(content_dir: Path | None, host: str, port: int, workers: int | None, token: str | None,
                  timeout: float, queue: int) -> None:
    """Serve the clinic's page and the HTTP API (Ctrl-C stops).

    \b
    The page: choose the medicine and patient, see the pages, download or print the PDF.
    The API: POST /api/leaflets (JSON, the manifest's columns) returns the PDF;
    GET /api/medicines, /healthz, /openapi.json.

    \b
    Examples:
      leaflet serve                       # http://127.0.0.1:8000/
      leaflet serve --port 8080 --workers 2
      LEAFLET_TOKEN=... leaflet serve --host 0.0.0.0
    """
    from .batch import default_jobs
    from .serve.library import shipped_content_dir
    from .serve.server import Settings, run

    settings = Settings(content_dir=content_dir or shipped_content_dir(), token=token or None, timeout=timeout,
                        capacity=queue, workers=default_jobs() if workers is None else workers)
    run(host, port, settings)


def main() -> None:
    cli(prog_name="leaflet")
