"""What a shot is dressed with, read from the prompt: the set, the cast's looks and the props.

The words come from the prompt (whose @elements are already expanded into "Name (description)"),
from the sequence's scene heading ("12 INT. FERRY CABIN - NIGHT") and from the element
descriptions. Pure functions of text, no randomness: the same words always dress the same way.

- set kinds (:data:`SET_KINDS`): harbour, street, room, office (corridor), forest, field, desert,
  beach, rooftop, car (interior), train (interior), stage; ``plaza`` is the fallback exterior;
- a figure's :class:`Look`: coat / legs / hair colours from wardrobe words ("navy peacoat",
  "red raincoat", "blue jeans", "blonde", "grizzled"), a hat ("cap", "fedora", "captain"), child
  or adult; a figure without wardrobe words gets a colour seeded from its name;
- props (:data:`PROP_KINDS`): car, van, boat, ferry, door, table, chair, phone, lamp post, bench,
  crate, suitcase.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

__all__ = [
    "COLOURS",
    "Dressing",
    "Look",
    "PROP_KINDS",
    "SET_KINDS",
    "INTERIOR_SETS",
    "read_dressing",
    "heading_location",
]

RGB = tuple[int, int, int]

# Wardrobe colour words (RGB), saturated enough to read on a grey set.
COLOURS: dict[str, RGB] = {
    "red": (206, 38, 34),
    "scarlet": (214, 36, 30),
    "crimson": (186, 24, 48),
    "maroon": (128, 28, 40),
    "burgundy": (124, 26, 46),
    "pink": (232, 104, 164),
    "magenta": (214, 40, 170),
    "orange": (238, 118, 24),
    "rust": (176, 74, 30),
    "yellow": (238, 204, 30),
    "mustard": (204, 160, 30),
    "gold": (214, 170, 40),
    "golden": (214, 170, 40),
    "green": (44, 150, 58),
    "olive": (112, 122, 40),
    "khaki": (150, 140, 80),
    "teal": (24, 140, 140),
    "turquoise": (40, 190, 180),
    "cyan": (40, 190, 210),
    "blue": (36, 82, 206),
    "navy": (26, 36, 104),
    "purple": (118, 44, 172),
    "violet": (132, 60, 200),
    "lavender": (170, 140, 220),
    "brown": (116, 70, 36),
    "tan": (190, 148, 96),
    "beige": (204, 180, 140),
    "camel": (188, 140, 84),
    "white": (236, 236, 232),
    "cream": (236, 226, 200),
    "grey": (128, 128, 132),
    "gray": (128, 128, 132),
    "silver": (178, 180, 186),
    "black": (30, 30, 34),
    "charcoal": (58, 58, 62),
}
_HAIR: dict[str, RGB] = {
    "blonde": (226, 190, 110),
    "blond": (226, 190, 110),
    "redhead": (176, 70, 30),
    "ginger": (186, 84, 30),
    "grizzled": (150, 146, 140),
    "grey haired": (150, 146, 140),
    "gray haired": (150, 146, 140),
    "white haired": (226, 224, 218),
    "silver haired": (190, 190, 194),
    "brunette": (82, 50, 28),
    "dark haired": (40, 28, 22),
    "bald": (0, 0, 0),  # no hair: the skin shows (see Look.hair)
}
_HATS = {
    "hat": "hat", "fedora": "hat", "cowboy hat": "hat", "bowler": "hat", "top hat": "hat",
    "cap": "cap", "baseball cap": "cap", "beret": "cap", "captain": "cap", "sailor": "cap",
    "beanie": "beanie", "hood": "hood", "hooded": "hood", "hoodie": "hood", "helmet": "helmet",
}  # fmt: skip
_LEG_GARMENTS = {"jeans", "trousers", "pants", "skirt", "shorts", "slacks", "leggings", "boots"}
_CHILD = {"child", "children", "kid", "kids", "boy", "boys", "girl", "girls", "toddler",
          "little", "schoolboy", "schoolgirl", "baby"}  # fmt: skip
_SKIN: tuple[RGB, ...] = ((232, 170, 120), (214, 148, 100), (176, 112, 72), (128, 80, 52))
_NAME_PALETTE: tuple[RGB, ...] = (
    (206, 38, 34),
    (36, 82, 206),
    (44, 150, 58),
    (238, 204, 30),
    (118, 44, 172),
    (24, 140, 140),
    (238, 118, 24),
    (232, 104, 164),
)

SET_KINDS: tuple[str, ...] = (
    "harbour",
    "street",
    "room",
    "office",
    "forest",
    "field",
    "desert",
    "beach",
    "rooftop",
    "car",
    "train",
    "stage",
    "plaza",
)
INTERIOR_SETS = frozenset({"room", "office", "car", "train"})

_SET_WORDS: dict[str, tuple[str, ...]] = {
    "car": ("car interior", "inside the car", "inside a car", "in the car", "back seat",
            "backseat", "front seat", "drivers seat", "passenger seat", "taxi", "cab interior",
            "int car", "dashboard", "behind the wheel"),
    "train": ("train", "subway", "metro", "carriage", "tram", "railcar", "compartment",
              "underground train", "bus interior"),
    "harbour": ("harbour", "harbor", "pier", "dock", "docks", "wharf", "quay", "marina",
                "jetty", "port", "waterfront", "ferry terminal", "boardwalk", "canal"),
    "rooftop": ("rooftop", "roof top", "roof", "rooftops", "top of the building",
                "top of a building", "helipad"),
    "beach": ("beach", "shore", "seashore", "shoreline", "coast", "seaside", "ocean", "sea",
              "surf", "bay", "waves", "coastline"),
    "desert": ("desert", "dunes", "dune", "canyon", "wasteland", "badlands", "sahara", "mesa"),
    "forest": ("forest", "woods", "woodland", "jungle", "trees", "grove", "rainforest",
               "pine forest", "clearing"),
    "field": ("field", "fields", "meadow", "park", "farm", "countryside", "grassland", "prairie",
              "garden", "hill", "hills", "pasture", "farmland", "open field", "lawn"),
    "office": ("office", "corridor", "hallway", "hall", "lobby", "hospital", "classroom",
               "school", "bank", "police station", "cubicle", "conference room", "elevator",
               "ward", "reception"),
    "room": ("room", "bedroom", "living room", "kitchen", "apartment", "house", "bar",
             "restaurant", "cafe", "diner", "cabin", "hotel room", "lounge", "studio apartment",
             "bathroom", "dining room", "attic", "basement", "cellar", "pub", "shop", "store"),
    "street": ("street", "streets", "road", "avenue", "alley", "alleyway", "sidewalk",
               "pavement", "crosswalk", "downtown", "city", "intersection", "boulevard",
               "lane", "highway", "town", "crossroads", "parking lot", "car park"),
    "stage": ("stage", "theatre", "theater", "void", "limbo", "black box", "soundstage",
              "sound stage", "studio", "auditorium", "cyclorama", "neutral background"),
}  # fmt: skip

PROP_KINDS: tuple[str, ...] = (
    "car",
    "van",
    "boat",
    "ferry",
    "door",
    "table",
    "chair",
    "phone",
    "lamp_post",
    "bench",
    "crate",
    "suitcase",
)
_PROP_WORDS: dict[str, tuple[str, ...]] = {
    "car": ("car", "cars", "sedan", "taxi", "cab", "police car", "convertible", "jeep"),
    "van": ("van", "truck", "lorry", "pickup", "bus"),
    "boat": ("boat", "boats", "rowboat", "dinghy", "yacht", "sailboat", "fishing boat",
             "trawler", "skiff", "tugboat"),
    "ferry": ("ferry", "ship", "steamer", "liner", "ferryboat"),
    "door": ("door", "doorway", "front door", "gate"),
    "table": ("table", "desk", "counter", "dining table", "workbench"),
    "chair": ("chair", "chairs", "stool", "armchair", "sofa", "couch"),
    "phone": ("phone", "cellphone", "smartphone", "mobile phone", "telephone", "payphone"),
    "lamp_post": ("lamp post", "lamp posts", "lamppost", "lampposts", "streetlight",
                  "streetlights", "street lamp", "street lamps", "lamps"),
    "bench": ("bench", "park bench", "benches"),
    "crate": ("crate", "crates", "box", "boxes", "barrel", "barrels", "cargo"),
    "suitcase": ("suitcase", "luggage", "bag", "briefcase", "backpack", "duffel bag"),
}  # fmt: skip


@dataclass(frozen=True)
class Look:
    """How one figure looks: colours (RGB), hair or hat, child or adult, and its name."""

    name: str = ""
    coat: RGB = (206, 38, 34)
    legs: RGB = (150, 28, 26)
    skin: RGB = (232, 170, 120)
    hair: RGB = (60, 40, 28)  # (0, 0, 0): bald
    hat: str = ""  # "" | hat | cap | beanie | hood | helmet
    hat_colour: RGB = (40, 40, 44)
    child: bool = False
    described: bool = False  # a wardrobe colour word chose the coat (it is kept as written)


@dataclass(frozen=True)
class Dressing:
    setting: str  # one of SET_KINDS
    location: str  # the key the set layout is seeded from ("" for the take's seed)
    interior: bool | None  # what the heading / set says, None: no opinion
    cast: tuple[Look, ...]
    props: tuple[tuple[str, RGB | None], ...]  # (kind, colour or None)


_WORD = re.compile(r"[a-z0-9_]+")
_HEADING = re.compile(
    r"^\s*(?:\d+[a-z]?\s+)?(int\.?\s*/\s*ext|ext\.?\s*/\s*int|i\s*/\s*e|int|ext)\b\.?\s*(.*)$",
    re.I,
)


def heading_location(heading: str) -> tuple[bool | None, str]:
    """("12 INT. FERRY CABIN - NIGHT") -> (True, "ferry cabin"); (None, "") if not a heading."""
    m = _HEADING.match(heading or "")
    if not m:
        return None, ""
    kind = m.group(1).lower().replace(" ", "").replace(".", "")
    interior = None if "/" in kind else kind == "int"
    place = re.split(r"\s+-+\s+|\s+--\s+", m.group(2))[0]
    return interior, " ".join(_WORD.findall(place.lower()))


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("'", "").replace("’", "").replace("-", " "))


def _find(tokens: list[str], phrase: str) -> int:
    """Index of the phrase's first token in tokens, or -1."""
    p = phrase.split()
    for i in range(len(tokens) - len(p) + 1):
        if tokens[i : i + len(p)] == p:
            return i
    return -1


def _set_from(tokens: list[str], interior: bool | None) -> str | None:
    best: tuple[int, str] | None = None
    for kind, phrases in _SET_WORDS.items():
        if interior is True and kind not in INTERIOR_SETS and kind != "stage":
            continue
        if interior is False and kind in INTERIOR_SETS:
            continue
        for ph in phrases:
            i = _find(tokens, ph)
            if i >= 0 and (best is None or i < best[0]):
                best = (i, kind)
    return best[1] if best else None


def _name_colour(name: str) -> RGB:
    return _NAME_PALETTE[zlib.crc32(name.lower().encode()) % len(_NAME_PALETTE)]


def _look_from(words: list[str], name: str, index: int) -> Look:
    coat: RGB | None = None
    legs: RGB | None = None
    hair: RGB | None = None
    hat = ""
    hat_colour: RGB = (40, 40, 44)
    child = any(w in _CHILD for w in words) or (
        "young" in words and any(w in ("boy", "girl") for w in words)
    )
    text = " ".join(words)
    for ph, col in _HAIR.items():
        if re.search(rf"\b{ph}\b", text):
            hair = col
            break
    for i, w in enumerate(words):
        if w in ("hair", "haired") and i > 0 and words[i - 1] in COLOURS:
            c = COLOURS[words[i - 1]]
            hair = (150, 146, 140) if words[i - 1] in ("grey", "gray") else c
    for ph in sorted(_HATS, key=lambda p: -len(p)):
        j = _find(words, ph)
        if j >= 0:
            hat = _HATS[ph]
            if j > 0 and words[j - 1] in COLOURS:
                hat_colour = COLOURS[words[j - 1]]
            break
    for i, w in enumerate(words):
        if w not in COLOURS:
            continue
        nxt = words[i + 1 : i + 3]
        if nxt[:1] in (["hair"], ["haired"], ["eyes"], ["eyed"], ["skin"]) or (
            _HATS.get(" ".join(nxt[:1])) and nxt[:1] != ["hood"]
        ):
            continue
        if any(n in _LEG_GARMENTS for n in nxt[:2]):
            legs = legs or COLOURS[w]
        elif coat is None:
            coat = COLOURS[w]
    described = coat is not None
    if coat is None:
        coat = _name_colour(name) if name else _NAME_PALETTE[index % len(_NAME_PALETTE)]
    if legs is None:
        legs = tuple(int(c * 0.72) for c in coat)  # type: ignore[assignment]
    seed = zlib.crc32((name or f"#{index}").lower().encode())
    skin = _SKIN[seed % len(_SKIN)] if name else _SKIN[0]
    if hair is None:
        hair = ((60, 40, 28), (30, 24, 20), (120, 80, 40), (40, 30, 26))[(seed >> 4) % 4]
    return Look(
        name=name,
        coat=coat,
        legs=legs,  # type: ignore[arg-type]
        skin=skin,
        hair=hair,
        hat=hat,
        hat_colour=hat_colour,
        child=child,
        described=described,
    )


_PERSON_WORDS = {
    "man", "woman", "person", "men", "women", "people", "boy", "girl", "child", "kid", "guy",
    "lady", "officer", "detective", "captain", "sailor", "soldier", "stranger", "figure",
    "children", "kids", "boys", "girls", "driver", "worker", "cop", "teenager", "friend",
}  # fmt: skip


def read_dressing(text: str, labels: tuple[str, ...], heading: str = "", figures: int = 0,
                  interior: bool | None = None) -> Dressing:  # fmt: skip
    """Read the set, the looks of `figures` figures (labels first) and the props from text."""
    h_interior, h_place = heading_location(heading)
    if h_interior is not None:
        interior = h_interior
    # the labelled characters' descriptions: "Name (description)" in the expanded prompt
    rest = text
    descs: dict[str, str] = {}
    for name in labels:
        m = re.search(rf"\b{re.escape(name)}\s*\(([^()]*)\)", rest, re.I)
        if m:
            descs[name] = m.group(1)
            rest = rest[: m.start()] + " " + rest[m.end() :]
    tokens = _words(text)
    setting = None
    if h_place:
        place = _words(h_place)
        setting = _set_from(place, interior)
        if setting is None and interior is not False:  # "INT. CAR", "INT. BUS"
            vehicle = {"car": "car", "taxi": "car", "cab": "car", "van": "car", "truck": "car",
                       "limo": "car", "limousine": "car", "bus": "train", "coach": "train"}  # fmt: skip
            setting = next((vehicle[w] for w in place if w in vehicle), None)
    if setting is None:
        setting = _set_from(tokens, interior)
    if setting is None:
        setting = "room" if interior else "plaza"
    location = h_place or ("" if setting == "plaza" else setting)
    set_interior = setting in INTERIOR_SETS if setting != "stage" else interior

    # looks: labelled figures first (in label order), then the described others in order
    cast: list[Look] = []
    for i, name in enumerate(labels[:figures] if figures else labels):
        words = _words(descs.get(name, ""))
        if not words:  # "@Jun in a red coat": the words after the name, to the next name
            m = re.search(rf"\b{re.escape(name)}\b([^,;.]*)", rest, re.I)
            words = _words(m.group(1)) if m else []
        cast.append(_look_from(words, name, i))
    rest_tokens = [t for t in _words(rest) if t not in {x.lower() for x in labels}]
    starts = [i for i, t in enumerate(rest_tokens) if t in _PERSON_WORDS]
    segments = [
        rest_tokens[max(0, s - 3) : (starts[k + 1] if k + 1 < len(starts) else None)]
        for k, s in enumerate(starts)
    ]
    k = 0
    while len(cast) < figures:
        words = segments[k] if k < len(segments) else []
        cast.append(_look_from(words, "", len(cast)))
        k += 1

    props: list[tuple[str, RGB | None]] = []
    prop_tokens = _words(rest)
    for kind, phrases in _PROP_WORDS.items():
        if kind == setting:
            continue
        for ph in phrases:
            j = _find(prop_tokens, ph)
            if j >= 0:
                colour = COLOURS.get(prop_tokens[j - 1]) if j > 0 else None
                props.append((kind, colour))
                break
    if setting == "car":
        props = [p for p in props if p[0] != "car"]
    return Dressing(setting, location, set_interior, tuple(cast), tuple(props))
