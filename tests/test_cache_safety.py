"""What the remembered checks (leaflet.checked) must never do, found on review: serve data
a fresh check would reject or read differently, trust what another user could have put
there, or turn a damaged cache into a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from leaflet import checked, fonts, i18n
from leaflet.errors import LeafletError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEAFLET = str(Path(sys.executable).with_name("leaflet"))


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(folder))
    return folder


def leaflet(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The CLI as a fresh process: nothing of this one's in-process memory."""
    return subprocess.run([LEAFLET, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_a_cjk_font_replaced_at_the_same_path_checks_the_content_again(cache, tmp_path):
    """The content was checked drawable with one CJK font; another file now sits at the
    same path. A fresh check refuses the content: so must the build, in one line."""
    if fonts.cjk_face() is None:
        pytest.fail("no CJK font on this machine: tests/setup installs fonts-wqy-zenhei")
    font = tmp_path / "cjk.ttc"
    shutil.copy(fonts.cjk_face().regular, font)
    content = tmp_path / "cjk.yaml"
    content.write_text((FIXTURES / "minimal.yaml").read_text().replace(
        "disclaimer: This is a test leaflet.", "disclaimer: This is a test leaflet 王芳."), encoding="utf-8")
    env = {"LEAFLET_CACHE_DIR": str(cache), "LEAFLET_CJK_FONT": str(font)}
    assert leaflet("build", str(content), "-a", "adult", "-o", str(tmp_path / "a.pdf"), env=env).returncode == 0

    shutil.copy(fonts.LATIN.regular, font)  # a font with no CJK glyphs, at the same path
    again = leaflet("build", str(content), "-a", "adult", "-o", str(tmp_path / "b.pdf"), env=env)
    assert "Traceback" not in again.stderr
    assert again.returncode == 2, again.stderr
    assert "cjk.yaml:" in again.stderr and "U+738B" in again.stderr


@pytest.fixture
def catalogue_dir(tmp_path, monkeypatch) -> Path:
    """The catalogues copied to a folder of their own (as tests of catalogues do)."""
    folder = tmp_path / "catalogues"
    shutil.copytree(i18n.CATALOGUE_DIR, folder)
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", folder)
    _forget()
    yield folder
    _forget()


def _forget() -> None:
    """What a new process would not know."""
    i18n.catalogue.cache_clear()
    i18n._source_messages.cache_clear()
    checked._code_fingerprint.cache_clear()


def test_a_catalogue_is_checked_again_when_the_english_one_it_is_checked_against_changes(cache, catalogue_dir):
    """A translated catalogue may use only the fields of the English message: its check
    depends on en.yaml, which the cache must see wherever the catalogues are."""
    assert i18n.catalogue("es").page_number == "Página {page} de {total}"
    english = catalogue_dir / "en.yaml"
    english.write_text(english.read_text(encoding="utf-8").replace("Page {page} of {total}", "Page {page}"),
                       encoding="utf-8")
    _forget()
    with pytest.raises(LeafletError, match=r"page_number: unknown field\(s\) total"):
        i18n.catalogue("es")


def test_content_is_checked_again_when_its_languages_catalogue_changes(cache, catalogue_dir, tmp_path):
    """A content file's check tailors it with its language's catalogue (the grammar
    check): content checked against one catalogue is not remembered for another."""
    content = tmp_path / "testamol.yaml"
    content.write_text((FIXTURES / "schema2" / "testamol.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    checked.load_content(content)
    english = catalogue_dir / "en.yaml"
    english.write_text(english.read_text(encoding="utf-8").replace(  # a heading the check finds ungrammatical
        'call_doctor: "Call {your} doctor if {you} {has|have}:"', 'call_doctor: "Call {your} doctor if {you} have:"'),
        encoding="utf-8")
    _forget()
    with pytest.raises(LeafletError, match='reads "your child have" in the caregiver leaflet'):
        checked.load_content(content)


# --- Whose folder, whose entries --------------------------------------------------------------


def _point(link: Path, target: Path) -> None:
    spare = link.with_name(link.name + ".spare")
    spare.unlink(missing_ok=True)
    spare.symlink_to(target)
    os.replace(spare, link)


def test_a_folder_swapped_right_after_its_check_is_never_read(tmp_path, monkeypatch):
    """The cache folder's path passes through a folder another user can write: they point
    it at a folder of ours (which passes the ownership check) and, the moment its owner
    has been compared, at theirs (which would not pass). Nothing may be read from theirs."""
    ours = tmp_path / "ours"
    ours.mkdir(mode=0o700)
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chmod(theirs, 0o777)  # anyone may write it: never trusted
    link = tmp_path / "cache"
    link.symlink_to(ours)
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(link))
    content = tmp_path / "minimal.yaml"
    content.write_text((FIXTURES / "minimal.yaml").read_text(), encoding="utf-8")
    checked.load_content(content)
    for entry in ours.iterdir():  # their copies of our entries, with their own words
        (theirs / entry.name).write_bytes(entry.read_bytes().replace(b"This is a test leaflet.", b"PLANTED"))

    uid = os.getuid()

    def swapped_after_the_owner_is_compared() -> int:
        _point(link, theirs)
        return uid

    monkeypatch.setattr(os, "getuid", swapped_after_the_owner_is_compared)
    for _ in range(3):
        _point(link, ours)
        assert checked.load_content(content).disclaimer == "This is a test leaflet."


def test_an_entry_that_is_a_symbolic_link_is_not_followed(tmp_path, monkeypatch):
    elsewhere, cache = tmp_path / "elsewhere", tmp_path / "cache"
    content = tmp_path / "minimal.yaml"
    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(elsewhere))
    content.write_text((FIXTURES / "minimal.yaml").read_text().replace("This is a test leaflet.", "PLANTED"))
    checked.load_content(content)
    planted = next(elsewhere.glob("*.json"))  # a real entry, for other bytes

    monkeypatch.setenv("LEAFLET_CACHE_DIR", str(cache))
    content.write_text((FIXTURES / "minimal.yaml").read_text())
    checked.load_content(content)
    for entry in cache.glob("*.json"):
        entry.unlink()
        entry.symlink_to(planted)
    assert checked.load_content(content).disclaimer == "This is a test leaflet."


@pytest.mark.parametrize("xdg", [None, "relative/cache"])
def test_with_no_home_nothing_is_written_in_the_working_folder(tmp_path, monkeypatch, xdg):
    """A container run under a user with no home and no passwd entry: `~` stays `~`,
    a relative folder. The cache is then off, not a `~` folder wherever the build runs."""
    import pwd

    monkeypatch.delenv("LEAFLET_CACHE_DIR", raising=False)
    monkeypatch.delenv("HOME", raising=False)
    if xdg:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)  # relative: the XDG spec says to ignore it
    else:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_such_user(uid):
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_such_user)
    monkeypatch.chdir(tmp_path)
    assert checked.cache_folder() is None
    content = tmp_path / "minimal.yaml"
    content.write_text((FIXTURES / "minimal.yaml").read_text())
    checked.load_content(content)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["minimal.yaml"]


# --- Damaged entries ----------------------------------------------------------------------------


def _build(content: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return leaflet("build", str(content), "-a", "adult", "-o", str(out), env=env)


def _unmarshalled_face(payload: bytes) -> tuple[int, dict]:
    """Where the marshalled face starts in an entry (after whatever header it has), and the face."""
    import marshal

    for start in range(min(len(payload), 512)):
        try:
            state = marshal.loads(payload[start:])
        except (ValueError, EOFError, TypeError):
            continue
        if isinstance(state, dict) and "charWidths" in state:
            return start, state
    raise AssertionError("no marshalled face in the entry")


def test_a_damaged_font_entry_that_still_unmarshals_costs_a_parse_not_a_wrong_leaflet(cache, tmp_path):
    """A flipped bit in a remembered font face can leave data that reads back: glyph
    widths changed, a field gone. The leaflet must be the one a fresh parse gives."""
    import marshal

    env = {"LEAFLET_CACHE_DIR": str(cache)}
    content = ROOT / "content" / "dupixent.yaml"
    assert _build(content, tmp_path / "fresh.pdf", env).returncode == 0
    faces = sorted(cache.glob("*.bin"))
    assert faces
    kept = {face: face.read_bytes() for face in faces}
    for damage in ("widths", "field"):
        for face, payload in kept.items():
            start, state = _unmarshalled_face(payload)
            if damage == "widths":
                state["charWidths"] = {char: width * 2 for char, width in state["charWidths"].items()}
            else:
                del state["unitsPerEm"]
            face.write_bytes(payload[:start] + marshal.dumps(state))
        built = _build(content, tmp_path / f"{damage}.pdf", env)
        assert built.returncode == 0 and "Traceback" not in built.stderr, built.stderr
        assert (tmp_path / f"{damage}.pdf").read_bytes() == (tmp_path / "fresh.pdf").read_bytes(), damage


def test_a_damaged_entry_that_still_reads_as_json_is_not_printed(cache, tmp_path):
    """A changed byte in a remembered content file (a dose 300 becoming 900) must never
    reach a leaflet: the entry is checked whole, and a damaged one costs a check."""
    content = tmp_path / "minimal.yaml"
    content.write_text((FIXTURES / "minimal.yaml").read_text())
    checked.load_content(content)
    for entry in cache.glob("*.json"):
        entry.write_bytes(entry.read_bytes().replace(b"It is a tablet.", b"It is a syrup."))
    assert checked.load_content(content).about.lines[0].text == "It is a tablet."


def test_no_patient_value_is_ever_remembered(cache):
    """Names, directions, pharmacy, age and weight are the patient's: none may reach the
    cache folder (only public content, catalogues, dates, page numbers and fonts)."""
    from leaflet.build import Request, render_request
    from leaflet.layout import Personal

    for content in ("dupixent.yaml", "dupixent.es.yaml"):
        render_request(Request(ROOT / "content" / content, "caregiver", 7.25, 23.5, personal=Personal(
            "Zoë Secretname 王芳", "Secretpharm", "01632 960 777", directions="Secretdirections 3.75 ml")))
    found = b"".join(entry.read_bytes() for entry in cache.iterdir())
    for value in ("Secret", "王芳", "7.25", "23.5", "3.75", "960 777", "Zoë", "Zo\\u00eb"):
        assert value.encode("utf-8") not in found, value


# --- Commands that check from scratch ------------------------------------------------------


COUNT_READS = """
import sys
from leaflet import checked
from leaflet.cli import main
reads = []
read = checked._read_bytes
checked._read_bytes = lambda folder, name: reads.append(name) or read(folder, name)
sys.argv = ["leaflet", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print("cache entries read:", len(reads))
"""


@pytest.mark.parametrize("command", [["validate", "content/dupixent.es.yaml"], ["lint", "content/dupixent.yaml"],
                                     ["migrate", "tests/fixtures/minimal.yaml"]], ids=lambda command: command[0])
def test_validate_lint_and_migrate_read_nothing_remembered(cache, tmp_path, command):
    """The commands an author runs to learn whether a file is right check everything
    from scratch: the catalogues and fonts too, never what an earlier run remembered."""
    env = {**os.environ, "LEAFLET_CACHE_DIR": str(cache)}

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, "-c", COUNT_READS, *args], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        return done.stdout.strip().splitlines()[-1]

    # a build does read them (and remembers them for the command after it): the count sees reads
    assert run("build", "content/dupixent.es.yaml", "-a", "adult", "-o", str(tmp_path / "es.pdf")) != \
        "cache entries read: 0"
    assert run(*command) == "cache entries read: 0"


# --- Records as the models were ---------------------------------------------------------------


UNPICKLE = """
import pickle, sys
words = pickle.loads(sys.stdin.buffer.read())
print(type(words).__module__, words.right_to_left, words.number(0.75))
"""


def test_a_catalogue_record_sent_to_a_fresh_process_keeps_what_it_does():
    """Unpickled in a spawned process that has not imported leaflet.i18n yet, a checked
    catalogue is still a catalogue (right_to_left, date, number), not a bag of fields."""
    import pickle

    sent = pickle.dumps(i18n.catalogue("es"))
    done = subprocess.run([sys.executable, "-c", UNPICKLE], input=sent, capture_output=True, timeout=60)
    assert done.stdout.decode().split() == ["leaflet.i18n", "False", "0,75"], done.stderr.decode()[-500:]


def test_equal_records_have_equal_hashes():
    """Records compare by value, as the frozen models did; a mapping's order does not
    make two equal records hash apart (a glossary read in another order)."""
    from leaflet.records import from_data

    first = from_data({"r": "Glossed", "f": {"glossary": {"d": {"a": "one", "b": "two"}}}})
    second = from_data({"r": "Glossed", "f": {"glossary": {"d": {"b": "two", "a": "one"}}}})
    assert first == second
    assert hash(first) == hash(second)


def test_the_folder_stays_within_its_size_as_well_as_its_count(cache, monkeypatch):
    """A font's face is some 0.3 MB (a CJK font's 2.4 MB), and every new copy of leaflet
    (each edit of an editable install) remembers them afresh: the folder is bounded in
    bytes, oldest first, not only in entries."""
    monkeypatch.setattr(checked, "MAX_BYTES", 1_000_000, raising=False)
    for number in range(12):
        checked.remember_bytes("test", str(number), bytes([number]) * 300_000)
    held = [entry.stat().st_size for entry in cache.iterdir()]
    assert sum(held) <= 1_000_000
    assert checked.remembered_bytes("test", "11") == bytes([11]) * 300_000  # the newest is kept
    assert checked.remembered_bytes("test", "0") is None
    monkeypatch.setattr(checked, "MAX_ENTRIES", 5)
    for number in range(12, 20):
        checked.remember_bytes("test", str(number), b"small")
    assert len(list(cache.iterdir())) == 5
    assert checked.remembered_bytes("test", "19") == b"small"


@pytest.mark.parametrize("content", sorted((ROOT / "content").glob("*.yaml")), ids=lambda path: path.name)
def test_a_batch_rows_inputs_hash_the_same_whether_checked_now_or_remembered(cache, monkeypatch, content):
    """A batch skips a row whose inputs hash as before: a content file read back from the
    cache must digest exactly as one checked now, or every other run rebuilds every row."""
    from leaflet import manifest

    checked.load_content(content)  # remembered
    remembered = manifest._digest(checked.load_content(content))
    monkeypatch.setenv("LEAFLET_CACHE_DIR", "")
    assert manifest._digest(checked.load_content(content)) == remembered
