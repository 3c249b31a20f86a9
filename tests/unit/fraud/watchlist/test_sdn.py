"""Reading the SDN files and the denylist: layout, nulls, remarks, and errors that say where."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from services.fraud.watchlist.sdn import (
    ListFormatError,
    digest,
    load_directory,
    null,
    parse_remarks,
    read_files,
)

# Fictional entries in the published layout: no header, every field quoted, "-0- " for empty.
SDN_ROWS = [
    '"36","NORTHWIND MARITIME TRADING LLC","-0- ","CUBA","-0- ","-0- ","-0- ","-0- ","-0- ",'
    '"-0- ","-0- ","-0- "',
    '"2674","AL-RASHID, Omar Khalil","individual","SDGT] [IRAQ2","-0- ","-0- ","-0- ","-0- ",'
    '"-0- ","-0- ","-0- ","DOB 12 Jan 1970; alt. DOB 1971; POB Mosul, Iraq; nationality Iraq; '
    'citizen Syria; Gender Male."',
    '"3001","DROBNIKOV, Ivan Sergeyevich","individual","RUSSIA-EO14024","Director","-0- ",'
    '"-0- ","-0- ","-0- ","-0- ","-0- ","DOB 1960 to 1962; nationality Russia."',
    '"4200","SEA BREEZE STAR","vessel","SDGT","-0- ","9XYZ7","Cargo","5,000","-0- ","Panama",'
    '"-0- ","-0- "',
    '"5100","QUINTERO VALLE, Maria Elena","individual","SDNTK","-0- ","-0- ","-0- ","-0- ",'
    '"-0- ","-0- ","-0- ","DOB circa 1975; POB Cali, Colombia."',
]
ALT_ROWS = [
    '"2674","101","aka","AL-RASHEED, Omar","-0- "',
    '"2674","102","fka","HADDAD, Omar Khalil","-0- "',
    '"3001","103","aka","DROBNIKOFF, Ivan","-0- "',
]
ADD_ROWS = [
    '"2674","201","-0- ","Damascus","Syria","-0- "',
    '"3001","202","12 Harbour Road","Minsk","Belarus","-0- "',
]


def write_sample(directory: Path, *, sdn: list[str] | None = None) -> Path:
    """The sample SDN files (CRLF lines and the end-of-file marker, as published)."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = SDN_ROWS if sdn is None else sdn
    (directory / "sdn.csv").write_bytes(("\r\n".join(rows) + "\r\n\x1a").encode())
    (directory / "alt.csv").write_bytes(("\r\n".join(ALT_ROWS) + "\r\n").encode())
    (directory / "add.csv").write_bytes(("\r\n".join(ADD_ROWS) + "\r\n").encode())
    return directory


def test_the_sdn_layout_is_read_with_nulls_aliases_and_addresses(tmp_path: Path) -> None:
    entries = {e.uid: e for e in load_directory(write_sample(tmp_path))}
    assert set(entries) == {"sdn:36", "sdn:2674", "sdn:3001", "sdn:4200", "sdn:5100"}
    company, omar, ivan, vessel = (
        entries[u] for u in ("sdn:36", "sdn:2674", "sdn:3001", "sdn:4200")
    )
    assert company.entity_type == "entity" and company.countries == ()
    assert company.dates_of_birth == () and company.aliases == ()
    assert vessel.entity_type == "vessel"
    assert omar.entity_type == "individual" and omar.source == "sdn"
    assert omar.primary_name == "AL-RASHID, Omar Khalil"
    assert omar.programs == ("SDGT", "IRAQ2")
    assert [(a.name, a.kind) for a in omar.aliases] == [
        ("AL-RASHEED, Omar", "aka"),
        ("HADDAD, Omar Khalil", "fka"),
    ]
    assert omar.countries == ("iraq", "syria")  # POB, nationality, citizen, then the address
    assert ivan.countries == ("russia", "belarus")


def test_remarks_give_full_dates_years_and_ranges() -> None:
    remarks = parse_remarks(
        "DOB 12 Jan 1970; alt. DOB 1971; alt. DOB 1960 to 1962; DOB circa 1975; "
        "POB Baghdad, Iraq; nationality Iraq; citizen Syria; a.k.a. 'ABU X'."
    )
    assert remarks.dates_of_birth == (date(1970, 1, 12),)
    assert remarks.birth_years == ((1971, 1971), (1960, 1962), (1975, 1975))
    assert remarks.countries == ("iraq", "syria")
    assert parse_remarks(None).dates_of_birth == ()
    assert parse_remarks("DOB 31 Feb 1970").dates_of_birth == ()  # no such day


def test_null_is_the_published_placeholder_with_or_without_its_space() -> None:
    assert null("-0- ") is None and null(" -0-") is None and null("  ") is None
    assert null(" Cuba ") == "Cuba"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('"77","ONLY, Three","individual"', "expected 12 fields, got 3"),
        ('"x1","NAME, Some","individual"' + ',"-0- "' * 9, "ent_num 'x1' is not a number"),
        ('"78","-0- ","individual"' + ',"-0- "' * 9, "SDN_Name is empty"),
        ('"79","NAME, Some","submarine"' + ',"-0- "' * 9, "unknown SDN_Type 'submarine'"),
    ],
)
def test_a_malformed_sdn_row_names_its_file_and_line(
    tmp_path: Path, row: str, message: str
) -> None:
    write_sample(tmp_path, sdn=[*SDN_ROWS[:2], row])
    with pytest.raises(ListFormatError) as raised:
        load_directory(tmp_path)
    assert raised.value.file == "sdn.csv" and raised.value.line == 3
    assert message in str(raised.value) and str(raised.value).startswith("sdn.csv line 3:")


def test_an_alias_of_an_unknown_entry_is_an_error(tmp_path: Path) -> None:
    write_sample(tmp_path)
    (tmp_path / "alt.csv").write_text(
        '"2674","1","aka","X, Y","-0- "\n"999","2","aka","Z, W","-0- "\n'
    )
    with pytest.raises(ListFormatError, match=r"alt.csv line 2: ent_num 999 is not in sdn.csv"):
        load_directory(tmp_path)


def test_aliases_without_the_sdn_file_are_refused(tmp_path: Path) -> None:
    (tmp_path / "alt.csv").write_text('"1","1","aka","X, Y","-0- "\n')
    with pytest.raises(FileNotFoundError, match=r"sdn\.csv"):
        load_directory(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_directory(tmp_path / "missing")


def test_the_denylist_reads_from_csv_and_json(tmp_path: Path) -> None:
    (tmp_path / "denylist.csv").write_text(
        "id,name,date_of_birth,country,reason\n"
        "c-1,Jane Q. Doefield,1981-03-04,GB,chargeback ring\n"
        "c-2,Tomas Brenner,,,\n"
    )
    (tmp_path / "denylist.json").write_text(
        json.dumps([{"id": 7, "name": "Lena Vorst", "date_of_birth": None, "country": "de"}])
    )
    entries = {e.uid: e for e in load_directory(tmp_path)}
    assert set(entries) == {"deny:c-1", "deny:c-2", "deny:7"}
    jane = entries["deny:c-1"]
    assert (jane.source, jane.entity_type) == ("denylist", "individual")
    assert jane.dates_of_birth == (date(1981, 3, 4),) and jane.countries == ("united kingdom",)
    assert entries["deny:c-2"].dates_of_birth == () and entries["deny:c-2"].countries == ()
    assert entries["deny:7"].countries == ("germany",)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("denylist.csv", "id,name,date_of_birth\nd1,Ann Lee,04/03/1981\n", "denylist.csv line 2"),
        ("denylist.csv", "id,fullname\nd1,Ann Lee\n", "denylist.csv line 1: header lacks"),
        ("denylist.json", '[{"id": "d1"}]', "denylist.json line 1: a denylist record needs"),
        ("denylist.json", '[{"id": "d1", "name": "A B", "colour": "red"}]', "unknown fields"),
        ("denylist.json", '{"id": "d1"', "denylist.json line 1"),
    ],
)
def test_a_malformed_denylist_names_its_file_and_record(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ListFormatError, match=expected):
        load_directory(tmp_path)


def test_the_same_uid_twice_is_refused(tmp_path: Path) -> None:
    (tmp_path / "denylist.csv").write_text("id,name\nd1,Ann Lee\nd1,Bo Lee\n")
    with pytest.raises(ValueError, match="deny:d1"):
        load_directory(tmp_path)


def test_the_digest_follows_the_bytes(tmp_path: Path) -> None:
    files = read_files(write_sample(tmp_path))
    same = digest(dict(files))
    assert len(same) == 12 and same == digest(files)
    files["add.csv"] += b'"3001","203","-0- ","-0- ","Cuba","-0- "\r\n'
    assert digest(files) != same
