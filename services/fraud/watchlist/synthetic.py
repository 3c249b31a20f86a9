"""A synthetic list in the SDN layout, for tests and the benchmark.

Names are built from hand-written tables of name parts of five origins (English, Spanish,
Arabic transliterated, Russian transliterated, Chinese pinyin), so the list has the shapes a
real one has: family names shared by many people, patronymics, two-part Spanish surnames,
"al-" family names, one-syllable Chinese family names, and aliases that respell, shorten or
replace a name. Every spelling is unique after normalisation, so a label names one entry.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from services.fraud.watchlist.normalize import normalize_name


def _words(text: str) -> list[str]:
    """A table written as running text: long name tables stay a few lines each."""
    return text.split()


_MONTHS = _words("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec")

ANGLO_GIVEN = _words("""
james john robert michael william david richard joseph thomas charles christopher
daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian george timothy
ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan stephen larry justin scott
brandon benjamin samuel gregory patrick frank raymond dennis jerry tyler aaron henry douglas
peter adam nathan walter harold arthur gerald roger keith jeremy lawrence albert bruce ralph
mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa margaret
sandra ashley kimberly emily donna michelle dorothy carol amanda melissa deborah stephanie
rebecca sharon laura cynthia kathleen amy angela helen brenda pamela nicole samantha katherine
christine rachel catherine carolyn janet ruth heather diane virginia julie joyce victoria
olivia kelly christina lauren joan evelyn judith megan cheryl andrea hannah martha gloria""")
ANGLO_FAMILY = _words("""
smith johnson williams brown jones miller davis wilson anderson taylor moore
martin jackson thompson white harris clark lewis robinson walker young allen king wright scott
hill green adams baker nelson carter mitchell roberts turner phillips campbell parker evans
edwards collins stewart morris murphy cook rogers morgan peterson cooper reed bailey bell kelly
howard ward cox richardson watson brooks bennett gray hughes price sanders myers long ross
foster powell jenkins perry russell sullivan fisher henderson coleman simmons patterson
reynolds hamilton graham wallace cole hayes gibson bryant ellis stevens murray marshall owens
mcdonald harrison kennedy wells butler barnes fleming chambers holmes lambert o'brien o'connor
fitzgerald""")
ANGLO_STEMS = _words("""
ash black brad brook cald cran dun fair gold hart hol kings lang mar north pem
rad red stan thorn wake west whit win brent carl dal hal mid""")
ANGLO_ENDS = _words(
    "ford well wood ley ton field worth by ham stead more dale combe wick hurst bury"
)
HISPANIC_GIVEN = _words("""
jose juan luis carlos jorge manuel francisco antonio miguel pedro alejandro
fernando ricardo javier rafael sergio eduardo roberto andres diego raul alberto enrique hector
oscar ramon ruben arturo gustavo pablo emilio ignacio joaquin mauricio santiago felipe
guillermo rodrigo ernesto cesar julio marco alfonso maria ana carmen rosa lucia elena isabel
teresa patricia laura marta pilar dolores beatriz adriana gabriela veronica alejandra claudia
monica silvia sofia valeria mariana paula daniela natalia ximena guadalupe esperanza""")
HISPANIC_FAMILY = _words("""
garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez
torres flores rivera gomez diaz reyes morales cruz ortiz gutierrez chavez ramos ruiz alvarez
mendoza castillo jimenez moreno romero herrera medina aguilar vargas castro guzman fernandez
vasquez salazar soto delgado pena rios mendez contreras navarro sandoval guerrero cortes campos
vega cabrera ibarra estrada dominguez carrillo nunez santos rojas acosta molina suarez espinoza
ochoa valencia quintero zapata cardenas villalobos arango londono escobar bustamante echeverria
figueroa montoya benitez pacheco velasquez serrano""")
ARABIC_GIVEN = _words("""
mohammed ahmed ali omar hassan hussein khalid abdullah ibrahim yusuf mahmoud
mustafa tariq said salim karim nabil walid faisal hamza bilal jamal adel samir nasser rashid
majid hisham ziad fadi rami anwar bashir ghassan imad kamal sami yasser zaid osama amr ayman
marwan mansour fouad hakim idris issa musa harun suleiman jafar qasim""")
ARABIC_FEMALE = _words(
    "fatima aisha khadija maryam zainab layla huda amina samira rania salma yasmin"
)
ARABIC_FAMILY = _words("""
rashid masri tikriti qahtani otaibi zahrani ghamdi harbi shehri dosari mutairi
anazi shammari hashimi baghdadi najjar haddad khoury nasrallah hamdan saleh aziz darwish khalil
habib jaber farouk othman qureshi sabbagh barakat abboud shaheen awad hamdi sharif zaki tamimi
kubaisi dulaimi juburi obeidi janabi zubaidi bakri hakimi maliki hussaini alawi shami halabi
homsi ansari azzam hamadi""")
RUSSIAN_GIVEN = _words("""
aleksandr sergei dmitri andrei alexei ivan mikhail nikolai vladimir yuri
evgeny pavel oleg igor viktor boris konstantin anatoly vasily grigory fyodor roman maksim artem
denis kirill stanislav vyacheslav gennady leonid valery arkady timur ruslan""")
RUSSIAN_FEMALE = _words("""
yelena natalya tatyana olga irina yekaterina svetlana anna galina lyudmila
nadezhda oksana yulia anastasia larisa marina vera""")
RUSSIAN_ROOTS = _words("""
petr ivan sidor smirn kuznets sokol volk orl medved kozl lebed golub zayts
bel moroz novik pavl fedor grom zhuk karp makar nikit osip rybak tarasen chern krasn gorbach
kalash tkach bondar shevch yakovl zakhar timofe vorob galk stepan bogdan levch kravch melnik
zolot serebr kamen polyak litvin dubrov""")
CHINESE_FAMILY = _words("""
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao
lin luo zheng liang xie song tang han feng deng cao peng xiao tian dong yuan pan jiang cai
du ye cheng su wei lu ding ren shen yao cui zhong tan fan jin shi liao jia xia fang bai""")
CHINESE_GIVEN = _words("""
wei ming xiao hua jun li na fang jie qiang lei yang yong jing hong ping hui lan
tao gang feng yan ling ying jian guo zhi wen hai dong chun xiu min xia yu peng chao bo lin chen
hao kai xin yi ting xue liang long fei""")

# Spellings of one name; each group is one name written by different hands.
_SPELLING_TEXT = """mohammed muhammad mohamed mohammad muhammed|ahmed ahmad|hussein husayn hussain
    husein|hassan hasan|yusuf youssef yousef yousif|mahmoud mahmud mahmood|mustafa mostafa
    moustafa|omar umar omer|osama usama|abdullah abdallah abdulla|ibrahim ebrahim ibraheem|khalid
    khaled|said saeed sayed|salim saleem selim|karim kareem|nabil nabeel|walid waleed|jamal gamal
    |adel adil|samir sameer|nasser nasir naser|rashid rasheed rachid|majid majeed|ziad ziyad
    |bashir basheer bachir|kamal kemal|yasser yasir yaser|zaid zayd zeid|mansour mansur|fouad
    fuad|issa isa eissa|musa moussa mousa|suleiman sulaiman sulayman|jafar jaafar|qasim kasim
    qassem|fatima fatma fatimah|aisha aicha ayesha|maryam mariam|zainab zaynab zeinab|layla
    leila laila|aleksandr alexander aleksander alexandr|sergei sergey serguei|dmitri dmitry
    dmitriy|yuri yury yuriy iouri|andrei andrey|alexei aleksei alexey aleksey|nikolai nikolay
    |evgeny yevgeny evgeniy|fyodor fedor feodor|maksim maxim|vasily vasiliy vassili|anatoly
    anatoliy|viktor victor|yelena elena|natalya natalia|tatyana tatiana|yekaterina ekaterina
    |yulia yuliya julia|stephen steven|catherine katherine kathryn|jeffrey geoffrey|philip
    phillip|sara sarah|jon john|mcdonald macdonald|javier xavier|vasquez vazquez|cesar caesar
    |jose josef"""
SPELLINGS = [_words(group) for group in _SPELLING_TEXT.split("|")]
# Short forms a person is also listed under.
NICKNAMES = dict(
    pair.split(":")
    for pair in _words("""
william:bill robert:bob richard:dick james:jim john:jack michael:mike thomas:tom
charles:charlie joseph:joe edward:ted elizabeth:liz margaret:peggy katherine:kate
patricia:pat jennifer:jen christopher:chris daniel:dan anthony:tony andrew:andy timothy:tim
kenneth:ken steven:steve nicholas:nick benjamin:ben samuel:sam gregory:greg matthew:matt
donald:don ronald:ron douglas:doug gerald:gerry lawrence:larry rebecca:becky deborah:debbie
pamela:pam cynthia:cindy kimberly:kim victoria:vicky catherine:cathy judith:judy
sandra:sandy susan:sue francisco:paco jose:pepe guillermo:memo alejandro:alex
aleksandr:sasha dmitri:dima mikhail:misha nikolai:kolya vladimir:volodya yekaterina:katya
""")
)
# Endings respelled by transliteration ("-ov"/"-off", "-sky"/"-ski").
ENDINGS = [("ov", "off"), ("ev", "eff"), ("sky", "ski"), ("in", "ine"), ("ich", "itch")]
_SPELLING_GROUP = {w: g for g in SPELLINGS for w in g}

_COUNTRIES = {
    "anglo": ["United Kingdom", "United States", "Canada", "Australia", "Ireland"],
    "hispanic": ["Mexico", "Colombia", "Venezuela", "Spain", "Peru", "Ecuador", "Panama"],
    "arabic": ["Iraq", "Syria", "Yemen", "Saudi Arabia", "Lebanon", "Egypt", "Jordan", "Libya"],
    "russian": ["Russia", "Ukraine", "Belarus", "Kazakhstan", "Moldova"],
    "chinese": ["China", "Hong Kong", "Taiwan"],
}
_PROGRAMS = {
    "anglo": ["SDGT", "CYBER2", "GLOMAG"],
    "hispanic": ["SDNTK", "VENEZUELA", "ILLICIT-DRUGS-EO14059"],
    "arabic": ["SDGT", "IRAQ2", "SYRIA", "IFSR"],
    "russian": ["RUSSIA-EO14024", "UKRAINE-EO13660", "CAATSA - RUSSIA"],
    "chinese": ["CMIC-EO13959", "NPWMD", "HK-EO13936"],
}
ORIGINS = {"anglo": 0.25, "hispanic": 0.2, "arabic": 0.25, "russian": 0.15, "chinese": 0.15}


@dataclass(frozen=True)
class Person:
    """A name as parts: lower-case, a Chinese given name's syllables joined by '|'."""

    origin: str
    given: tuple[str, ...]
    family: tuple[str, ...]
    female: bool = False

    def words(self) -> list[str]:
        return [*self.given, *self.family]

    def sdn_name(self) -> str:
        def shown(word: str, upper: bool) -> str:
            word = word.replace("|", "")
            return word.upper() if upper else "-".join(p.capitalize() for p in word.split("-"))

        given = " ".join(shown(w, False) for w in self.given)
        family = " ".join(shown(w, True) for w in self.family)
        return f"{family}, {given}" if given else family


@dataclass(frozen=True)
class SyntheticEntry:
    ent_num: int
    person: Person
    aliases: tuple[tuple[str, Person], ...]  # (alias type, name)
    dob: date | None
    years: tuple[int, int] | None
    countries: tuple[str, ...]
    program: str

    @property
    def uid(self) -> str:
        return f"sdn:{self.ent_num}"


def _patronymic(father: str, female: bool) -> str:
    if father[-1] in "iy":  # Sergei -> Sergeyevich, Yuri -> Yuryevich
        return father[:-1] + "y" + ("evna" if female else "evich")
    return father + ("ovna" if female else "ovich")


def _russian_family(rng: random.Random, female: bool) -> str:
    root = rng.choice(RUSSIAN_ROOTS)
    ending = rng.choices(["ov", "in", "sky", "enko", "ev"], [50, 15, 15, 10, 10])[0]
    if female and ending in {"ov", "in", "ev"}:
        return root + ending + "a"
    return root + ("skaya" if female and ending == "sky" else ending)


def _anglo(rng: random.Random, female: bool) -> Person:
    given = tuple(rng.sample(ANGLO_GIVEN, 2 if rng.random() < 0.6 else 1))
    if rng.random() < 0.6:
        family = rng.choice(ANGLO_FAMILY)
    else:
        family = rng.choice(ANGLO_STEMS) + rng.choice(ANGLO_ENDS)
    return Person("anglo", given, (family,), female)


def _hispanic(rng: random.Random, female: bool) -> Person:
    given = tuple(rng.sample(HISPANIC_GIVEN, 2 if rng.random() < 0.3 else 1))
    family = tuple(rng.sample(HISPANIC_FAMILY, 2 if rng.random() < 0.75 else 1))
    return Person("hispanic", given, family, female)


def _arabic(rng: random.Random, female: bool) -> Person:
    first = rng.choice(ARABIC_FEMALE if female else ARABIC_GIVEN)
    given = (first, rng.choice(ARABIC_GIVEN)) if rng.random() < 0.6 else (first,)
    root = rng.choice(ARABIC_FAMILY)
    return Person("arabic", given, ("al-" + root if rng.random() < 0.6 else root,), female)


def _russian(rng: random.Random, female: bool) -> Person:
    first = rng.choice(RUSSIAN_FEMALE if female else RUSSIAN_GIVEN)
    given: tuple[str, ...] = (first,)
    if rng.random() < 0.7:
        given = (first, _patronymic(rng.choice(RUSSIAN_GIVEN), female))
    return Person("russian", given, (_russian_family(rng, female),), female)


def _chinese(rng: random.Random, female: bool) -> Person:
    syllables = rng.sample(CHINESE_GIVEN, 2 if rng.random() < 0.7 else 1)
    return Person("chinese", ("|".join(syllables),), (rng.choice(CHINESE_FAMILY),), female)


_MAKERS = {
    "anglo": _anglo,
    "hispanic": _hispanic,
    "arabic": _arabic,
    "russian": _russian,
    "chinese": _chinese,
}


def make_person(rng: random.Random, origin: str, female: bool | None = None) -> Person:
    """A new name of the given origin (not checked against any list)."""
    return _MAKERS[origin](rng, rng.random() < 0.3 if female is None else female)


def respell(rng: random.Random, word: str) -> str | None:
    """Another accepted spelling of ``word``, or None when none is known."""
    group = _SPELLING_GROUP.get(word)
    if group:
        return rng.choice([w for w in group if w != word])
    for old, new in ENDINGS:
        for a, b in ((old, new), (new, old)):
            if word.endswith(a) and len(word) > len(a) + 2:
                return word[: -len(a)] + b
    return None


def _respelled_person(rng: random.Random, person: Person) -> Person | None:
    words = person.words()
    options = [i for i, w in enumerate(words) if respell(rng, w)]
    if not options:
        return None
    i = rng.choice(options)
    words[i] = respell(rng, words[i]) or words[i]
    n = len(person.given)
    return replace(person, given=tuple(words[:n]), family=tuple(words[n:]))


def _alias(rng: random.Random, person: Person) -> tuple[str, Person] | None:
    """Another name of the same person, of a kind that fits the name; None if none does."""
    words = person.words()
    kinds = ["spelling"] * any(respell(rng, w) for w in words)
    kinds += ["short"] * (len(person.given) > 1 or len(person.family) > 1)
    kinds += ["nickname"] * any(w in NICKNAMES for w in person.given)
    kinds += ["kunya"] * (person.origin == "arabic" and not person.female)
    kinds += ["maiden"] * (person.female and person.origin in {"anglo", "hispanic"})
    kinds += ["western"] * (person.origin == "chinese")
    if not kinds:
        return None
    kind = rng.choice(kinds)
    if kind == "spelling":
        found = _respelled_person(rng, person)
        return ("aka", found) if found else None
    if kind == "short":
        return "aka", replace(person, given=person.given[:1], family=person.family[:1])
    if kind == "nickname":
        given = tuple(NICKNAMES.get(w, w) for w in person.given[:1])
        return "aka", replace(person, given=given)
    if kind == "kunya":
        return "aka", replace(person, given=("abu", rng.choice(ARABIC_GIVEN)))
    if kind == "maiden":
        return "fka", replace(person, family=make_person(rng, person.origin).family)
    return "aka", replace(person, given=(rng.choice(ANGLO_GIVEN),))


def _birth(rng: random.Random) -> tuple[date | None, tuple[int, int] | None]:
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(60 * 365))
    roll = rng.random()
    if roll < 0.45:
        return born, None
    if roll < 0.65:
        return None, (born.year, born.year)
    if roll < 0.72:
        return None, (born.year, born.year + rng.randint(1, 3))
    return None, None


def identity(name: str) -> str:
    """What makes two spellings one name here: the tokens without "al-" and the like, in any
    order ("AL-RASHID, Omar" and "Omar Rashid" are one name, not two people)."""
    return " ".join(sorted(normalize_name(name).cores))


def generate_list(size: int, seed: int) -> list[SyntheticEntry]:
    """``size`` individuals, about a third with one to three aliases; deterministic per seed."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    taken: set[str] = set()
    entries: list[SyntheticEntry] = []
    origins, shares = list(ORIGINS), list(ORIGINS.values())
    while len(entries) < size:
        origin = rng.choices(origins, shares)[0]
        person = make_person(rng, origin)
        key = identity(person.sdn_name())
        if key in taken:
            continue
        taken.add(key)
        aliases: list[tuple[str, Person]] = []
        wanted = rng.randint(1, 3) if rng.random() < 0.34 else 0
        for _ in range(4 * wanted):
            alias = _alias(rng, person)
            alias_key = identity(alias[1].sdn_name()) if alias else ""
            if alias and alias_key not in taken:
                taken.add(alias_key)
                aliases.append(alias)
            if len(aliases) == wanted:
                break
        dob, years = _birth(rng)
        countries = rng.sample(_COUNTRIES[origin], rng.choice([0, 1, 1, 2]))
        entries.append(
            SyntheticEntry(
                ent_num=10_000 + len(entries),
                person=person,
                aliases=tuple(aliases),
                dob=dob,
                years=years,
                countries=tuple(countries),
                program=rng.choice(_PROGRAMS[origin]),
            )
        )
    return entries


def _remarks(entry: SyntheticEntry, rng: random.Random) -> str:
    facts: list[str] = []
    if entry.dob:
        facts.append(f"DOB {entry.dob.day:02d} {_MONTHS[entry.dob.month - 1]} {entry.dob.year}")
    elif entry.years and entry.years[0] != entry.years[1]:
        facts.append(f"DOB {entry.years[0]} to {entry.years[1]}")
    elif entry.years:
        facts.append(f"DOB {'circa ' if rng.random() < 0.3 else ''}{entry.years[0]}")
    if entry.countries:
        facts.append(f"POB Capital City, {entry.countries[0]}")
        facts.append(f"nationality {entry.countries[-1]}")
    facts.append(f"Gender {'Female' if entry.person.female else 'Male'}")
    return "; ".join(facts) + "."


def write_sdn(entries: list[SyntheticEntry], directory: Path, *, seed: int = 0) -> None:
    """sdn.csv, alt.csv and add.csv in the published layout: quoted, no header, ``-0-``."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    empty = "-0- "
    files = {
        n: (directory / n).open("w", newline="", encoding="utf-8")
        for n in ("sdn.csv", "alt.csv", "add.csv")
    }
    try:
        sdn, alt, add = (csv.writer(files[n], quoting=csv.QUOTE_ALL) for n in files)
        alt_num = add_num = 0
        for entry in entries:
            ent = entry.ent_num
            sdn.writerow(
                [ent, entry.person.sdn_name(), "individual", entry.program]
                + [empty] * 7
                + [_remarks(entry, rng)]
            )
            for kind, alias in entry.aliases:
                alt_num += 1
                alt.writerow([ent, alt_num, kind, alias.sdn_name(), empty])
            for country in entry.countries[:1]:
                add_num += 1
                add.writerow([ent, add_num, empty, empty, country, empty])
    finally:
        for handle in files.values():
            handle.close()
