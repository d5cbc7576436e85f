"""CSV shot lists: round trips, what spreadsheets do to them, and clear errors."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest

from previz.screenplay import (
    ShotlistError,
    ShotlistRow,
    breakdown,
    format_duration,
    parse,
    parse_duration,
    read_shotlist,
    rows_from_breakdown,
    write_shotlist,
)
from previz.screenplay.shotlist_csv import COLUMNS

ROWS = [
    ShotlistRow(
        scene="4A",
        shot="0010",
        int_ext="INT/EXT",
        day_night="NIGHT",
        location="TEO'S TRUCK",
        cast=("TEO", "ZOË"),
        description='Teo drives, "fast".\nRain on the glass.',
        duration_frames=108,
        camera="50mm, dolly in",
        notes="TEO: Hold on, Zoë.",
    ),
    ShotlistRow(scene="4A", shot="0015A", description="Insert: the speedometer."),
    ShotlistRow(
        scene="12",
        shot="0020",
        int_ext="EXT",
        day_night="DAY",
        location="PIER",
        description="@Captain walks along the pier.",
        duration_frames=24 * 60 + 12,
        notes="=not a formula",
    ),
]


def test_header_is_the_standard_columns(tmp_path: Path) -> None:
    path = tmp_path / "shots.csv"
    write_shotlist(path, ROWS)
    first_line = path.read_text(encoding="utf-8-sig").splitlines()[0]
    # the columns people exchange first, then what makes the file a faithful copy of the plan
    assert first_line == (
        "Scene,Shot,INT/EXT,Day/Night,Location,Cast,Description,Duration,Camera,Notes,"
        "Dialogue,Transition,Frames,FPS,Sequence"
    )
    assert tuple(first_line.split(",")) == COLUMNS


def test_round_trip_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "shots.csv"
    write_shotlist(path, ROWS, fps=24)
    assert read_shotlist(path, fps=24) == ROWS


def test_round_trip_in_timecode_is_exact_to_the_frame(tmp_path: Path) -> None:
    rows = [ShotlistRow(scene="1", shot="0010", duration_frames=n) for n in (1, 23, 25, 101, 86399)]
    path = tmp_path / "shots.csv"
    write_shotlist(path, rows, fps=24, duration_format="timecode")
    assert "00:00:04:05" in path.read_text(encoding="utf-8-sig")  # 101 frames
    assert read_shotlist(path, fps=24) == rows


def test_seconds_are_written_with_one_decimal(tmp_path: Path) -> None:
    path = tmp_path / "shots.csv"
    rows = [ShotlistRow(scene="1", shot="0010", duration_frames=100)]  # 4.1666 s
    write_shotlist(path, rows, fps=24)
    cells = path.read_text(encoding="utf-8-sig").splitlines()[1].split(",")
    assert (cells[7], cells[12], cells[13]) == ("4.2", "100", "24")  # Duration, Frames, FPS
    # the Frames column keeps the exact count: 4.2 s alone would read back as 101
    assert read_shotlist(path, fps=24)[0].duration_frames == 100


def test_written_with_a_byte_order_mark_for_excel(tmp_path: Path) -> None:
    path = tmp_path / "shots.csv"
    write_shotlist(path, ROWS)
    assert path.read_bytes().startswith(b"\xef\xbb\xbfScene,")
    write_shotlist(path, ROWS, excel_bom=False)
    assert path.read_bytes().startswith(b"Scene,")
    assert read_shotlist(path) == ROWS


def test_formula_like_cells_are_protected_and_restored(tmp_path: Path) -> None:
    path = tmp_path / "shots.csv"
    write_shotlist(path, ROWS)
    text = path.read_text(encoding="utf-8-sig")
    assert "'@Captain walks along the pier." in text
    assert "'=not a formula" in text
    back = read_shotlist(path)
    assert back[2].description == "@Captain walks along the pier."
    assert back[2].notes == "=not a formula"


def test_reads_and_writes_open_text_files() -> None:
    buffer = io.StringIO(newline="")
    write_shotlist(buffer, ROWS)
    buffer.seek(0)
    assert read_shotlist(buffer) == ROWS
    assert read_shotlist(io.StringIO("\ufeff" + buffer.getvalue())) == ROWS


@pytest.mark.parametrize(
    ("cell", "frames"),
    [
        ("5", 120),
        ("5.0", 120),
        ("5s", 120),
        ("5 s", 120),
        ("4.5", 108),
        ("4,5", 108),
        (".5", 12),
        ("120f", 120),
        ("00:00:05:00", 120),
        ("00:00:04:12", 108),
        ("01:00:00:00", 86400),
    ],
)
def test_parse_duration(cell: str, frames: int) -> None:
    assert parse_duration(cell, 24) == frames


def test_durations_at_fractional_fps() -> None:
    ntsc = Fraction(24000, 1001)
    assert parse_duration("5", ntsc) == 120  # 119.88 rounds to 120
    assert parse_duration("00:00:01:00", ntsc) == 24  # non-drop timecode counts 24 a second
    assert format_duration(120, ntsc) == "5.0"
    assert format_duration(120, ntsc, "timecode") == "00:00:05:00"


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("abc", "'abc' is not a duration; use seconds like 4.5 or a timecode 00:00:04:12"),
        ("0", "'0' is not longer than zero"),
        ("00:00:04:30", "has frame 30, but a second has only 24 frames at 24 fps"),
        ("00:75:00:00", "is not a valid timecode"),
        ("-3", "is not a duration"),
    ],
)
def test_bad_durations(cell: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(cell, 24)


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(text.encode(encoding))
    return path


HEADER = "Scene,Shot,INT/EXT,Day/Night,Location,Cast,Description,Duration,Camera,Notes\n"


def test_bad_duration_names_the_row(tmp_path: Path) -> None:
    body = "".join(f"1,{n * 10:04d},INT,DAY,ROOM,,Beat,2.0,,\n" for n in range(1, 6))
    path = csv_file(tmp_path, HEADER + body + "1,0060,INT,DAY,ROOM,,Beat,abc,,\n")
    with pytest.raises(ShotlistError) as caught:
        read_shotlist(path)
    assert caught.value.problems == (
        "row 7: Duration 'abc' is not a duration; use seconds like 4.5 or a timecode 00:00:04:12",
    )
    assert str(caught.value) == caught.value.problems[0]


def test_every_bad_value_is_reported_at_once(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        HEADER
        + "1,0010,OUTSIDE,DAY,ROOM,,Beat,2,,\n"
        + ",0020,INT,DAY,ROOM,,Beat,2,,\n"
        + "2,shot one,INT,DAY,ROOM,,Beat,2,,\n"
        + "2,0030,INT,DAY,ROOM,,Beat,00:00:01:99,,\n",
    )
    with pytest.raises(ShotlistError) as caught:
        read_shotlist(path)
    assert caught.value.problems == (
        "row 2: INT/EXT 'OUTSIDE' is not one of INT, EXT, INT/EXT, EST (or leave it empty)",
        "row 3: Scene is empty; give the scene number, e.g. 12 or 12A",
        "row 4: Shot 'shot one' is not a shot code; use digits with an optional letter, e.g. "
        "0010 or 0015A",
        "row 5: Duration '00:00:01:99' has frame 99, but a second has only 24 frames at 24 fps; "
        "use seconds like 4.5 or a timecode 00:00:04:12",
    )


def test_missing_required_column(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "Scene,Description\n1,Beat\n")
    with pytest.raises(ShotlistError, match="row 1: there is no Shot column"):
        read_shotlist(path)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ShotlistError, match="is empty; the first row must name the columns"):
        read_shotlist(csv_file(tmp_path, "\n\n"))


def test_not_utf8_says_how_to_save_from_excel(tmp_path: Path) -> None:
    path = csv_file(tmp_path, HEADER + "1,0010,INT,DAY,CAFÉ,,Beat,2,,\n", encoding="cp1252")
    with pytest.raises(ShotlistError, match="not UTF-8 text; in Excel use Save As"):
        read_shotlist(path)


def test_what_spreadsheets_do_to_a_shot_list(tmp_path: Path) -> None:
    # Excel in a comma-decimal locale: semicolons, decimal commas, shot codes as numbers,
    # columns renamed and reordered, an extra column, blank rows, lower-case values.
    path = csv_file(
        tmp_path,
        "\ufeffShot #;Sc;Description;I/E;D/N;Characters;Length;Budget\n"
        "10;4a;Teo drives;int./ext.;NIGHT;TEO, ZOË;4,5;$100\n"
        ";;;;;;;\n"
        "15A;4a;Insert;i/e;NIGHT;;00:00:01:12;\n",
    )
    assert read_shotlist(path) == [
        ShotlistRow(
            scene="4A",
            shot="0010",
            int_ext="INT/EXT",
            day_night="NIGHT",
            cast=("TEO", "ZOË"),
            description="Teo drives",
            duration_frames=108,
        ),
        ShotlistRow(
            scene="4A",
            shot="0015A",
            int_ext="INT/EXT",
            day_night="NIGHT",
            description="Insert",
            duration_frames=36,
        ),
    ]


def test_rows_from_breakdown_restart_codes_in_each_scene(tmp_path: Path) -> None:
    script = parse(
        "EXT. PIER - NIGHT\n\nCAPTAIN walks.\n\nCAPTAIN\nWe sail at dawn.\n\nWaves.\n\n"
        "INT. CABIN - NIGHT\n\nA lamp sways.\n"
    )
    rows = rows_from_breakdown(breakdown(script, fps=24))
    assert [(r.scene, r.shot, r.int_ext, r.day_night, r.location) for r in rows] == [
        ("1", "0010", "EXT", "NIGHT", "PIER"),
        ("1", "0020", "EXT", "NIGHT", "PIER"),
        ("2", "0010", "INT", "NIGHT", "CABIN"),
    ]
    assert rows[0].cast == ("CAPTAIN",)
    assert rows[0].description == "CAPTAIN walks."
    assert rows[0].dialogue == "CAPTAIN: We sail at dawn." and rows[0].notes == ""
    assert rows[0].sequence == "1 EXT. PIER - NIGHT"
    path = tmp_path / "shots.csv"
    write_shotlist(path, rows, duration_format="timecode")
    assert read_shotlist(path) == rows


def test_row_numbers_count_blank_rows_before_the_header(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "\n" + HEADER + "1,0010,INT,DAY,ROOM,,Beat,soon,,\n")
    with pytest.raises(ShotlistError, match="^row 3: Duration 'soon' is not a duration"):
        read_shotlist(path)


def test_two_columns_with_the_same_meaning(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "Scene,Shot,Cast,Characters\n1,0010,A,B\n")
    with pytest.raises(ShotlistError, match=r"row 1: two columns mean Cast \('Characters'\)"):
        read_shotlist(path)


def test_frames_and_fps_keep_durations_exact_at_any_rate(tmp_path: Path) -> None:
    ntsc = Fraction(30000, 1001)
    rows = [
        ShotlistRow(scene="1", shot="0010", duration_frames=37, fps=ntsc),
        ShotlistRow(scene="1", shot="0020", duration_frames=37, transition=("dissolve", 12)),
    ]
    path = tmp_path / "shots.csv"
    write_shotlist(path, rows, fps=24)
    text = path.read_text(encoding="utf-8-sig").splitlines()
    assert text[1].endswith(",1.2,,,,,37,29.97,")  # seconds for people, 37 frames at 29.97
    assert text[2].endswith(",1.5,,,,dissolve:12f,37,24,")
    back = read_shotlist(path, fps=ntsc)
    assert back[0].duration_frames == 37 and back[0].duration_exact
    assert back[1].duration_frames == round(37 * ntsc / 24)  # 24 fps frames, converted
    assert read_shotlist(path, fps=24)[1].transition == ("dissolve", 12, "")


def test_a_duration_cell_that_no_longer_matches_frames_is_reported_to_the_caller(
    tmp_path: Path,
) -> None:
    path = csv_file(
        tmp_path, "Scene,Shot,Duration,Frames,FPS\n1,0010,3.5,37,24\n1,0020,1.5,37,24\n"
    )
    edited, untouched = read_shotlist(path)
    assert (edited.duration_frames, edited.frames_disagree) == (84, 37)
    assert (untouched.duration_frames, untouched.frames_disagree) == (37, None)


def test_clear_marker(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "Scene,Shot,Description,Notes,Dialogue,Transition,Location\n"
        "1,0010,[clear],[CLEAR], [clear] ,[clear],[clear]\n"
        "1,0020,'[clear],,,,\n",
    )
    cleared, literal = read_shotlist(path)
    assert cleared.cleared == {"description", "notes", "dialogue", "transition"}
    assert (cleared.description, cleared.notes, cleared.location) == ("", "", "")
    assert cleared.transition == ("cut", 0, "")
    assert literal.cleared == frozenset() and literal.description == "[clear]"


def test_fields_that_cannot_be_cleared_or_hold_bad_values_name_the_row(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "Scene,Shot,Duration,Frames,FPS,Transition\n"
        "1,0010,[clear],,,\n"
        "1,0020,,0,twenty-four,wipe:12f\n",
    )
    with pytest.raises(ShotlistError) as caught:
        read_shotlist(path)
    assert caught.value.problems == (
        "row 2: Duration cannot be cleared; give a value or leave the cell empty to keep it",
        "row 3: FPS 'twenty-four' is not a frame rate; use e.g. 24, 23.976, 29.97 or 24000/1001",
        "row 3: Frames '0' is not a frame count; give a whole number of frames above 0, e.g. "
        "37 (or leave it empty)",
        "row 3: Transition 'wipe:12f' is not one of cut, dissolve, fade_black, dip_color; "
        "write e.g. cut or dissolve:12f",
    )


def test_a_cell_over_the_csv_field_limit_is_a_row_error_not_a_traceback(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "Scene,Shot,Notes\n1,0010,ok\n1,0020," + "n" * 140_000 + "\n")
    with pytest.raises(ShotlistError, match=r"^row 3: a cell is longer than 131,072 characters"):
        read_shotlist(path)
