"""Reading the OFAC SDN files (sdn.csv, alt.csv, add.csv) and the internal denylist.

The SDN files have no header, quote every field and write ``-0-`` for an empty one. Each
file's bytes are read once and both parsed and hashed, so the version a list reports is the
version of exactly the bytes it was built from.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from services.fraud.watchlist.countries import normalize_country
from services.fraud.watchlist.models import Alias, AliasType, EntityType, WatchlistEntry

LIST_FILES = ("sdn.csv", "alt.csv", "add.csv", "denylist.csv", "denylist.json")
_COLUMNS = {"sdn.csv": 12, "alt.csv": 5, "add.csv": 6}
_ENTITY_TYPES: dict[str | None, EntityType] = {
    "individual": "individual",
    "vessel": "vessel",
    "aircraft": "aircraft",
    None: "entity",
}
_ALIAS_TYPES: dict[str, AliasType] = {"aka": "aka", "fka": "fka", "nka": "nka"}
_MONTH_NAMES = "jan feb mar apr may jun jul aug sep oct nov dec"
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES.split(), 1)}
_FULL_DATE = re.compile(r"(\d{1,2}) ([a-z]{3})[a-z]* (\d{4})")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_FACT = re.compile(r"^(?:alt\.\s*)?(dob|pob|nationality|citizen)\s+(.+)$", re.IGNORECASE)


class ListFormatError(ValueError):
    """A list file that cannot be read as its format says; names the file and line."""

    def __init__(self, file: str, line: int, message: str) -> None:
        super().__init__(f"{file} line {line}: {message}")
        self.file, self.line = file, line


@dataclass(frozen=True)
class Remarks:
    dates_of_birth: tuple[date, ...] = ()
    birth_years: tuple[tuple[int, int], ...] = ()
    countries: tuple[str, ...] = ()


def null(value: str) -> str | None:
    """The SDN files' ``-0-`` placeholder (and blanks) as None."""
    text = value.strip()
    return None if text in {"", "-0-"} else text


def _parse_date(text: str) -> date | None:
    found = _FULL_DATE.search(text.lower())
    if found is None or found.group(2) not in _MONTHS:
        return None
    day, month, year = int(found.group(1)), _MONTHS[found.group(2)], int(found.group(3))
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _parse_dob(text: str) -> tuple[date | None, tuple[int, int] | None]:
    """An exact date, or a year range ("1960 to 1962", "circa 1965", "Jan 1970")."""
    if " to " in text:
        years = [int(y) for y in _YEAR.findall(text)]
        return (None, (min(years), max(years))) if years else (None, None)
    exact = _parse_date(text)
    if exact is not None:
        return exact, None
    year = _YEAR.search(text)
    return (None, (int(year.group(1)),) * 2) if year else (None, None)


def parse_remarks(remarks: str | None) -> Remarks:
    """Birth dates, birth years and countries out of an SDN Remarks field."""
    dates: list[date] = []
    years: list[tuple[int, int]] = []
    countries: list[str] = []
    for part in (remarks or "").split(";"):
        fact = _FACT.match(part.strip().rstrip("."))
        if fact is None:
            continue
        kind, value = fact.group(1).lower(), fact.group(2).strip()
        if kind == "dob":
            exact, span = _parse_dob(value)
            dates.extend([exact] if exact else [])
            years.extend([span] if span else [])
        else:
            place = value.rsplit(",", 1)[-1] if kind == "pob" else value
            country = normalize_country(place)
            countries.extend([country] if country else [])
    return Remarks(tuple(dates), tuple(years), tuple(dict.fromkeys(countries)))


def _decode(file: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # the published files predate UTF-8


def _rows(file: str, data: bytes) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(io.StringIO(_decode(file, data)))
    try:
        for row in reader:
            if not row or all(not f.strip() or f.strip() == "\x1a" for f in row):
                continue  # blank lines and the end-of-file marker the published files carry
            if len(row) != _COLUMNS[file]:
                raise ListFormatError(
                    file, reader.line_num, f"expected {_COLUMNS[file]} fields, got {len(row)}"
                )
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise ListFormatError(file, reader.line_num, str(exc)) from None
    return rows


def _ent_num(file: str, line: int, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ListFormatError(file, line, f"ent_num {value!r} is not a number") from None


def _programs(value: str | None) -> tuple[str, ...]:
    # Several programs are written "SDGT] [IRGC" inside the one field.
    return tuple(p.strip(" []") for p in (value or "").split("] [") if p.strip(" []"))


def parse_sdn(files: dict[str, bytes]) -> list[WatchlistEntry]:
    """Entries from sdn.csv with the aliases of alt.csv and the countries of add.csv."""
    aliases: dict[int, list[Alias]] = defaultdict(list)
    addresses: dict[int, list[str]] = defaultdict(list)
    alias_lines: dict[int, int] = {}
    address_lines: dict[int, int] = {}
    for line, row in _rows("alt.csv", files.get("alt.csv", b"")):
        ent = _ent_num("alt.csv", line, row[0])
        name, kind = null(row[3]), (null(row[2]) or "aka").lower().replace(".", "")
        alias_type = _ALIAS_TYPES.get(kind)
        if name is None or alias_type is None:
            raise ListFormatError("alt.csv", line, f"alias {name!r} of type {kind!r}")
        aliases[ent].append(Alias(name=name, kind=alias_type))
        alias_lines.setdefault(ent, line)
    for line, row in _rows("add.csv", files.get("add.csv", b"")):
        ent = _ent_num("add.csv", line, row[0])
        country = normalize_country(null(row[4]))
        addresses[ent].extend([country] if country else [])
        address_lines.setdefault(ent, line)
    entries: list[WatchlistEntry] = []
    seen: set[int] = set()
    for line, row in _rows("sdn.csv", files["sdn.csv"]):
        ent = _ent_num("sdn.csv", line, row[0])
        name, sdn_type = null(row[1]), null(row[2])
        if name is None:
            raise ListFormatError("sdn.csv", line, "SDN_Name is empty")
        if ent in seen:
            raise ListFormatError("sdn.csv", line, f"ent_num {ent} appears twice")
        entity_type = _ENTITY_TYPES.get(sdn_type.lower() if sdn_type else None)
        if entity_type is None:
            raise ListFormatError("sdn.csv", line, f"unknown SDN_Type {sdn_type!r}")
        seen.add(ent)
        remarks = parse_remarks(null(row[11]))
        entries.append(
            WatchlistEntry(
                uid=f"sdn:{ent}",
                source="sdn",
                entity_type=entity_type,
                primary_name=name,
                aliases=tuple(aliases.get(ent, ())),
                programs=_programs(null(row[3])),
                dates_of_birth=remarks.dates_of_birth,
                birth_years=remarks.birth_years,
                countries=tuple(dict.fromkeys([*remarks.countries, *addresses.get(ent, ())])),
            )
        )
    for file, lines in (("alt.csv", alias_lines), ("add.csv", address_lines)):
        for ent, line in lines.items():
            if ent not in seen:
                raise ListFormatError(file, line, f"ent_num {ent} is not in sdn.csv")
    return entries


def _denylist_entry(file: str, line: int, record: Any) -> WatchlistEntry:
    if not isinstance(record, dict) or not {"id", "name"} <= record.keys():
        raise ListFormatError(file, line, "a denylist record needs an id and a name")
    if None in record:
        raise ListFormatError(file, line, "more fields than the header names")
    unknown = set(record) - {"id", "name", "date_of_birth", "country", "reason"}
    if unknown:
        raise ListFormatError(file, line, f"unknown fields {sorted(unknown)}")
    dob = record.get("date_of_birth") or None
    try:
        born = [datetime.strptime(str(dob).strip(), "%Y-%m-%d").date()] if dob else []
        country = normalize_country(record.get("country") or None)
        return WatchlistEntry(
            uid=f"deny:{str(record['id']).strip()}",
            source="denylist",
            entity_type="individual",
            primary_name=str(record["name"]).strip(),
            dates_of_birth=tuple(born),
            countries=(country,) if country else (),
        )
    except (ValueError, ValidationError) as exc:
        raise ListFormatError(file, line, str(exc).splitlines()[0]) from None


def parse_denylist(file: str, data: bytes) -> list[WatchlistEntry]:
    """Entries of ``denylist.csv`` (with a header row) or ``denylist.json`` (a list)."""
    text = _decode(file, data)
    if file.endswith(".json"):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ListFormatError(file, exc.lineno, exc.msg) from None
        if not isinstance(records, list):
            raise ListFormatError(file, 1, "expected a list of records")
        return [_denylist_entry(file, i + 1, r) for i, r in enumerate(records)]
    reader = csv.DictReader(io.StringIO(text))
    missing = {"id", "name"} - set(reader.fieldnames or ())
    if missing:
        raise ListFormatError(file, 1, f"header lacks {sorted(missing)}")
    return [_denylist_entry(file, reader.line_num, dict(row)) for row in reader]


def read_files(path: Path) -> dict[str, bytes]:
    """The bytes of every list file present in ``path``."""
    if not path.is_dir():
        raise FileNotFoundError(f"watch-list directory {path} does not exist")
    return {name: (path / name).read_bytes() for name in LIST_FILES if (path / name).is_file()}


def digest(files: dict[str, bytes]) -> str:
    hasher = hashlib.sha256()
    for name in sorted(files):
        hasher.update(name.encode() + b"\0" + len(files[name]).to_bytes(8, "big"))
        hasher.update(files[name])
    return hasher.hexdigest()[:12]


def parse_files(files: dict[str, bytes]) -> tuple[WatchlistEntry, ...]:
    """All entries of the given list files; the uids must be unique."""
    if not files:
        raise FileNotFoundError(f"no list files; expected some of {', '.join(LIST_FILES)}")
    if ("alt.csv" in files or "add.csv" in files) and "sdn.csv" not in files:
        raise FileNotFoundError("alt.csv and add.csv need the sdn.csv they refer to")
    entries = parse_sdn(files) if "sdn.csv" in files else []
    for name in ("denylist.csv", "denylist.json"):
        if name in files:
            entries.extend(parse_denylist(name, files[name]))
    counts: dict[str, int] = defaultdict(int)
    for entry in entries:
        counts[entry.uid] += 1
    duplicated = sorted(uid for uid, n in counts.items() if n > 1)
    if duplicated:
        raise ValueError(f"uids listed more than once: {', '.join(duplicated[:5])}")
    return tuple(entries)


def load_directory(path: Path) -> tuple[WatchlistEntry, ...]:
    """Every entry of the list files in ``path``."""
    return parse_files(read_files(path))
