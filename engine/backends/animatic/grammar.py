"""Reading the shot grammar filmmakers write into a `ShotSpec`.

Case-insensitive and tolerant of punctuation and hyphens ("close-up", "CU", "Close up" are the
same). Unknown words are ignored. What is understood:

- shot size: extreme wide (EWS/XWS/ELS, establishing), wide (WS/LS), medium wide (MWS, cowboy),
  full (FS), medium (MS), medium close-up (MCU), close-up (CU), extreme close-up (ECU/XCU);
  framings: two-shot, over-the-shoulder (OTS), POV, insert;
- angle and lens: eye level, low angle (worm's eye), high angle, overhead/bird's eye/top down,
  Dutch tilt/angle/canted (slight/strong); "18mm", "85 mm" set the focal length (not "35mm
  film"); wide-angle/telephoto/fisheye lens;
- camera: static/locked off, pan left/right, tilt up/down, dolly/push in, dolly/pull out,
  truck/crab/track left/right, crane/boom/pedestal up/down, zoom in/out, orbit/arc, handheld,
  whip pan; slow/fast (very slow/very fast) modify the nearest move;
- light and weather: day, night, dusk/golden hour/sunset, dawn/sunrise; INT./interior vs
  EXT./exterior; rain, snow, fog/mist;
- subjects: "a woman", "two men", "three people", "a crowd", "a couple of friends"...; actions
  walk, run, stand, sit / sit down, stand up, turn, look up/down/around, point, wave,
  talk/gesture, kneel, fall, jump, drive (see actions.py), moving left/right, toward/away from
  camera, slowly/quickly; "@Name" adds a label;
- looks (used by remix): noir, black and white/monochrome, sepia, vintage, teal and orange,
  warm, cool, high contrast, desaturated, vivid, neon.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.backends.animatic.dressing import Look, read_dressing

__all__ = ["CameraMove", "ShotSpec", "parse_prompt", "SHOT_SIZES"]

# Visible height (metres) at the subject for each shot size, seen through the reference lens.
SHOT_SIZES: dict[str, float] = {
    "extreme_wide": 40.0,
    "wide": 7.0,
    "medium_wide": 2.6,
    "full": 2.25,
    "medium": 1.15,
    "medium_close_up": 0.72,
    "close_up": 0.42,
    "extreme_close_up": 0.2,
}


@dataclass(frozen=True)
class CameraMove:
    """kind: pan|tilt|dolly|truck|crane|zoom|orbit; direction: left|right|up|down|in|out."""

    kind: str
    direction: str
    speed: float = 1.0


@dataclass(frozen=True)
class ShotSpec:
    """Everything the animatic renders, read from a prompt (and the request's labels)."""

    shot_size: str = "full"
    framing: str = "single"  # single | two_shot | ots | pov | insert
    angle: str = "eye"  # eye | low | high | overhead
    dutch_deg: float = 0.0
    focal_mm: float = 35.0
    moves: tuple[CameraMove, ...] = ()
    handheld: bool = False
    static: bool = False
    time_of_day: str = "day"  # day | night | dusk | dawn
    interior: bool = False
    weather: frozenset[str] = frozenset()  # rain | snow | fog
    figures: int = 0
    action: str = "stand"  # one of actions.ACTIONS (stand, walk, run, sit, sit_down, fall...)
    direction: str | None = None  # left | right | toward | away
    action_speed: float = 1.0
    labels: tuple[str, ...] = ()
    looks: frozenset[str] = frozenset()
    terms: tuple[str, ...] = field(default=(), compare=False)
    # the dressing (see dressing.py): set kind, the key its layout is seeded from, each figure's
    # look (labels first), the props as (kind, colour or None)
    setting: str = "plaza"
    location: str = ""
    cast: tuple[Look, ...] = ()
    props: tuple[tuple[str, tuple[int, int, int] | None], ...] = ()

    def move(self, kind: str) -> CameraMove | None:
        for m in self.moves:
            if m.kind == kind:
                return m
        return None


# ---------------------------------------------------------------------------------------------
# Vocabulary

_PHRASES: list[tuple[str, str, str]] = []  # (phrase, category, value)

# fmt: off


def _add(category: str, value: str, *phrases: str) -> None:
    for p in phrases:
        _PHRASES.append((p, category, value))


_add("size", "extreme_wide", "extreme wide shot", "extreme wide", "extreme long shot",
     "extreme long", "very wide shot", "very wide", "ews", "xws", "els", "xls", "els",
     "establishing shot", "establishing", "extreme ws", "extreme ls")
_add("size", "wide", "wide shot", "wide", "long shot", "ws", "ls", "wide angle shot")
_add("size", "medium_wide", "medium wide shot", "medium wide", "medium long shot",
     "medium long", "mws", "mls", "cowboy shot", "cowboy", "american shot")
_add("size", "full", "full shot", "full body shot", "full body", "full length", "full figure",
     "fs", "head to toe")
_add("size", "medium_close_up", "medium close up", "medium closeup", "mcu", "medium close shot",
     "chest shot")
_add("size", "medium", "medium shot", "medium", "mid shot", "midshot", "ms",
     "waist shot", "waist up")
_add("size", "extreme_close_up", "extreme close up", "extreme closeup", "ecu", "xcu",
     "big close up", "bcu", "extreme cu", "macro")
_add("size", "close_up", "close up", "closeup", "cu", "close shot", "tight shot", "tight on",
     "head and shoulders")
_add("framing", "two_shot", "two shot", "2 shot", "twoshot", "2shot")
_add("framing", "ots", "over the shoulder", "over shoulder", "ots", "o t s")
_add("framing", "pov", "pov", "point of view", "p o v", "subjective camera", "pov shot")
_add("framing", "insert", "insert shot", "insert", "cutaway to", "detail shot")
_add("angle", "eye", "eye level", "eye line", "eyelevel", "neutral angle")
_add("angle", "low", "low angle", "low shot", "worms eye", "worm eye", "worms eye view",
     "looking up at", "from below", "low camera")
_add("angle", "high", "high angle", "high shot", "looking down at", "from above", "aerial",
     "high camera", "drone shot")
_add("angle", "overhead", "overhead", "birds eye", "bird eye", "birds eye view", "top down",
     "topdown", "top shot", "gods eye", "straight down")
_add("dutch", "15", "dutch angle", "dutch tilt", "dutch", "canted angle", "canted",
     "tilted frame", "oblique angle")
_add("lens", "24", "wide angle lens", "wide lens", "wide angle")
_add("lens", "12", "fisheye", "fish eye", "fisheye lens")
_add("lens", "135", "telephoto", "telephoto lens", "long lens", "tele lens")
_add("lens", "50", "normal lens", "standard lens")
_add("camera", "handheld", "handheld", "hand held", "shaky cam", "shakycam", "shaky",
     "documentary style", "shoulder mounted", "shoulder rig")
_add("camera", "static", "static", "locked off", "lock off", "locked", "tripod",
     "still camera", "fixed camera", "static shot", "locked down")
_add("time", "night", "night", "nighttime", "night time", "midnight", "moonlight", "moonlit",
     "at night", "dark night")
_add("time", "dusk", "dusk", "sunset", "golden hour", "magic hour", "twilight", "evening",
     "sundown")
_add("time", "dawn", "dawn", "sunrise", "daybreak", "first light", "early morning",
     "blue hour")
_add("time", "day", "day", "daytime", "daylight", "noon", "midday", "afternoon", "sunny",
     "morning", "broad daylight")
_add("place", "int", "int", "interior", "indoors", "indoor", "inside", "room", "office",
     "kitchen", "bedroom", "hallway", "corridor", "living room", "apartment", "bar",
     "restaurant", "warehouse", "classroom")
_add("place", "ext", "ext", "exterior", "outdoors", "outdoor", "outside", "street", "field",
     "park", "beach", "desert", "road")
_add("weather", "rain", "rain", "raining", "rainy", "rainfall", "downpour", "drizzle",
     "storm", "stormy", "rainstorm", "thunderstorm", "pouring")
_add("weather", "snow", "snow", "snowing", "snowy", "snowfall", "blizzard", "snowstorm",
     "flurries", "snowflakes")
_add("weather", "fog", "fog", "foggy", "mist", "misty", "haze", "hazy", "smoke", "smoky",
     "fogbound")
_add("look", "noir", "noir", "film noir", "black and white", "b and w", "b w", "bw",
     "black white")
_add("look", "mono", "monochrome", "mono", "grayscale", "greyscale", "desaturated fully")
_add("look", "sepia", "sepia", "old photo", "antique", "daguerreotype")
_add("look", "vintage", "vintage", "retro", "old film", "grainy", "film grain", "super 8",
     "70s", "1970s", "faded")
_add("look", "teal_orange", "teal and orange", "orange and teal", "teal orange", "blockbuster")
_add("look", "warm", "warm", "warm tones", "warm light", "tungsten")
_add("look", "cool", "cool", "cool tones", "cold", "icy", "cold light")
_add("look", "high_contrast", "high contrast", "contrasty", "harsh light", "hard light")
_add("look", "desaturated", "desaturated", "muted", "bleach bypass", "washed out")
_add("look", "vivid", "vivid", "saturated", "colorful", "colourful", "technicolor")
_add("look", "neon", "neon", "cyberpunk", "neon lit")

# Inflected verb forms -> stem.
_VERBS: dict[str, tuple[str, ...]] = {
    "pan": ("pan", "pans", "panning", "panned"),
    "tilt": ("tilt", "tilts", "tilting", "tilted"),
    "dolly": ("dolly", "dollies", "dollying", "dollied"),
    "push": ("push", "pushes", "pushing", "pushed"),
    "pull": ("pull", "pulls", "pulling", "pulled"),
    "truck": ("truck", "trucks", "trucking", "trucked"),
    "track": ("track", "tracks", "tracking", "tracked"),
    "crab": ("crab", "crabs", "crabbing", "crabbed"),
    "crane": ("crane", "cranes", "craning", "craned"),
    "boom": ("boom", "booms", "booming", "boomed"),
    "pedestal": ("pedestal", "pedestals", "ped", "peds"),
    "jib": ("jib", "jibs", "jibbing"),
    "zoom": ("zoom", "zooms", "zooming", "zoomed"),
    "orbit": ("orbit", "orbits", "orbiting", "orbited", "arc", "arcs", "arcing",
              "circle", "circles", "circling", "revolve", "revolves", "revolving"),
    "walk": ("walk", "walks", "walking", "walked", "stroll", "strolls", "strolling",
             "wander", "wanders", "wandering", "move", "moves", "moving", "cross", "crosses",
             "crossing", "step", "steps", "stepping", "go", "goes",
             "going", "approach", "approaches", "approaching", "leave", "leaves", "leaving",
             "limp", "limps", "limping", "march", "marches", "marching", "drift", "drifts",
             "walkin"),
    "run": ("run", "runs", "running", "ran", "jog", "jogs", "jogging", "sprint", "sprints",
            "sprinting", "rush", "rushes", "rushing", "race", "races", "racing", "flee",
            "flees", "fleeing", "chase", "chases", "chasing", "dash", "dashes", "dashing",
            "hurry", "hurries", "hurrying", "charge", "charges", "charging"),
    "stand": ("stand", "stands", "standing", "stood", "wait", "waits", "waiting", "stare",
              "stares", "staring", "watch", "watches", "watching", "talk", "talks", "talking",
              "look", "looks", "looking", "pose", "poses", "posing"),
    "sit": ("sit", "sits", "sitting", "sat", "seated", "sitdown"),
}
_STEM = {form: stem for stem, forms in _VERBS.items() for form in forms}

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "lone": 1, "single": 1, "solitary": 1, "two": 2, "three": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "dozen": 12, "few": 3, "several": 4, "some": 3, "many": 10, "both": 2,
    "pair": 2, "couple": 2, "dozens": 20, "hundreds": 24, "numerous": 10, "multiple": 3,
}
_PERSON = {
    "man", "woman", "person", "figure", "guy", "boy", "girl", "child", "kid", "soldier", "cop",
    "officer", "detective", "worker", "dancer", "runner", "student", "friend", "stranger",
    "character", "actor", "actress", "pedestrian", "passerby", "villager", "agent", "lady",
    "gentleman", "teenager", "teen", "driver", "doctor", "nurse", "farmer", "hero", "villain",
    "king", "queen", "player", "athlete", "customer", "waiter", "waitress", "mother", "father",
    "son", "daughter", "brother", "sister", "cowboy", "knight", "thief", "boss", "traveler",
    "traveller", "hiker", "tourist", "businessman", "businesswoman", "witness", "suspect",
    "guard", "prisoner", "musician", "singer", "old man", "old woman", "victim", "survivor",
    "refugee", "monk", "priest", "pilot", "sailor", "warrior", "gunman", "reporter",
    "photographer", "scientist", "robot", "lover", "bride", "groom", "rider", "horseman",
    "cyclist", "skater", "surfer", "jogger", "walker", "shopper", "commuter", "vendor",
}
_PERSON_PLURAL = {
    "men": "man", "women": "woman", "people": "person", "persons": "person",
    "children": "child", "ladies": "lady", "gentlemen": "gentleman", "passersby": "passerby",
    "businessmen": "businessman", "businesswomen": "businesswoman", "gunmen": "gunman",
}
for _p in list(_PERSON):
    _PERSON_PLURAL.setdefault(_p + "s", _p)
_PERSON_PLURAL.setdefault("actresses", "actress")
_PERSON_PLURAL.setdefault("waitresses", "waitress")
_GROUPS = {"crowd": 14, "group": 5, "family": 4, "team": 5, "army": 24, "audience": 14,
           "gang": 5, "band": 4, "couple": 2, "pair": 2, "trio": 3, "duo": 2, "mob": 16,
           "squad": 6, "class": 10}
_PRONOUNS_ONE = {"he", "she", "him", "her", "his", "hers", "himself", "herself"}
_PRONOUNS_MANY = {"they", "them", "their", "themselves"}
_CAMERA_WORDS = {"camera", "us", "lens", "viewer", "viewers", "audience", "screen", "foreground"}
_FILLERS = {"to", "the", "slowly", "slow", "quickly", "fast", "gently", "camera", "screen",
            "frame", "a", "bit", "across", "very", "steadily", "further", "back", "and",
            "smoothly", "around", "quick", "rapidly", "then"}
_SLOW = {"slow", "slowly", "gentle", "gently", "gradual", "gradually", "creeping", "leisurely",
         "lazily", "lazy", "subtle", "subtly"}
_FAST = {"fast", "quick", "quickly", "rapid", "rapidly", "swift", "swiftly", "sudden",
         "suddenly", "speedy", "hurried"}

# fmt: on

_MM = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)\s*mm\b(?!\s*(?:film|stock|camera|footage))")
_LABEL = re.compile(r"@([A-Za-z0-9_]+)")
_CLAUSES = re.compile(r"[,;:!?\n()\[\]]|\.(?!\d)|\s-\s|\s--\s")
_TOKENS = re.compile(r"@?[a-z0-9_]+")

_PHRASE_TABLE: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
for _phrase, _cat, _val in _PHRASES:
    _toks = tuple(_TOKENS.findall(_phrase))
    _PHRASE_TABLE.setdefault(_toks[0], []).append((_toks, _cat, _val))
for _lst in _PHRASE_TABLE.values():
    _lst.sort(key=lambda e: -len(e[0]))


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "").replace("'", "").replace("`", "")
    text = text.replace("&", " and ").replace("/", " ")
    return text


def _tokenise(text: str) -> list[list[str]]:
    """Clauses of tokens."""
    return [toks for c in _CLAUSES.split(text) if (toks := _TOKENS.findall(c))]


def _match_phrases(tokens: list[str]) -> list[tuple[int, int, str, str]]:
    """Non-overlapping (start, end, category, value), longest phrase first, left to right."""
    out = []
    i = 0
    while i < len(tokens):
        for toks, cat, val in _PHRASE_TABLE.get(tokens[i], ()):
            if tuple(tokens[i : i + len(toks)]) == toks:
                out.append((i, i + len(toks), cat, val))
                i += len(toks)
                break
        else:
            i += 1
    return out


def _speed_near(tokens: list[str], start: int, end: int) -> float:
    window = tokens[max(0, start - 3) : end + 2]
    speed = 1.0
    for j, t in enumerate(window):
        very = j > 0 and window[j - 1] in ("very", "really", "extremely")
        if t in _SLOW:
            speed = 0.3 if very else 0.5
        elif t in _FAST:
            speed = 3.0 if very else 2.0
    return speed


def _direction_after(tokens: list[str], i: int, options: dict[str, str], limit: int = 3):
    """Look for a direction word within `limit` tokens after i (skipping fillers)."""
    j = i + 1
    skipped = 0
    while j < len(tokens) and skipped <= limit:
        t = tokens[j]
        if t in options:
            return options[t], j
        if t not in _FILLERS:
            return None, j
        skipped += 1
        j += 1
    return None, j


_DIR_LR = {"left": "left", "right": "right"}
_DIR_UD = {
    "up": "up",
    "down": "down",
    "upward": "up",
    "upwards": "up",
    "downward": "down",
    "downwards": "down",
}
_DIR_IO = {
    "in": "in",
    "into": "in",
    "forward": "in",
    "forwards": "in",
    "closer": "in",
    "toward": "in",
    "towards": "in",
    "out": "out",
    "back": "out",
    "backward": "out",
    "backwards": "out",
    "away": "out",
}


def _camera_moves(clause: list[str], terms: list[str]) -> list[CameraMove]:
    moves: list[CameraMove] = []
    for i, tok in enumerate(clause):
        stem = _STEM.get(tok)
        if stem is None and tok == "whip":
            continue
        kind = direction = None
        end = i + 1
        if stem == "pan":
            direction, end = _direction_after(clause, i, _DIR_LR)
            kind, direction = "pan", direction or "right"
        elif stem == "tilt":
            direction, end = _direction_after(clause, i, _DIR_UD)
            if direction is None and i > 0 and clause[i - 1] == "dutch":
                continue
            kind, direction = "tilt", direction or "up"
        elif stem in ("dolly", "track"):
            d, end = _direction_after(clause, i, {**_DIR_IO, **_DIR_LR})
            if d in ("left", "right"):
                kind, direction = "truck", d
            elif d is not None or stem == "dolly":
                kind, direction = "dolly", d or "in"
            elif clause[i + 1 : i + 2] == ["shot"] or stem == "track":
                kind, direction = "truck", "right"
        elif stem == "push":
            d, end = _direction_after(clause, i, _DIR_IO)
            kind, direction = "dolly", d or "in"
        elif stem == "pull":
            d, end = _direction_after(clause, i, _DIR_IO)
            if d is not None or clause[i + 1 : i + 2] in (["back"], ["out"]):
                kind, direction = "dolly", "out"
        elif stem in ("truck", "crab"):
            d, end = _direction_after(clause, i, _DIR_LR)
            kind, direction = "truck", d or "right"
        elif stem in ("crane", "boom", "pedestal", "jib"):
            d, end = _direction_after(clause, i, _DIR_UD)
            kind, direction = "crane", d or "up"
        elif stem == "zoom":
            d, end = _direction_after(clause, i, _DIR_IO)
            kind, direction = "zoom", d or "in"
        elif stem == "orbit":
            d, end = _direction_after(
                clause,
                i,
                {
                    **_DIR_LR,
                    "clockwise": "left",
                    "counterclockwise": "right",
                    "anticlockwise": "right",
                },
            )
            kind, direction = "orbit", d or "right"
        if kind is None:
            continue
        speed = _speed_near(clause, i, end)
        if kind == "pan" and i > 0 and clause[i - 1] == "whip":
            speed = 5.0
        if any(m.kind == kind for m in moves):
            continue
        moves.append(CameraMove(kind, direction, speed))
        terms.append(f"{kind} {direction}" + (f" x{speed:g}" if speed != 1 else ""))
    return moves


def _count_people(tokens: list[str]) -> int:
    """How many people the words describe ("a man and two women" -> 3)."""
    total = 0
    seen: set[str] = set()
    skip_until = -1
    for i, tok in enumerate(tokens):
        if i <= skip_until:
            continue
        noun = tok if tok in _PERSON else _PERSON_PLURAL.get(tok)
        group = _GROUPS.get(tok)
        if group is not None and tok in ("couple", "pair") and tokens[i + 1 : i + 2] == ["of"]:
            continue  # "a couple of friends": a count word, used at the noun
        if noun is None and group is None:
            continue
        # the nearest count word in the three words before ("two tall men", "a couple of men")
        count: int | None = None
        definite = False
        for back in range(1, 4):
            if i - back < 0:
                break
            prev = tokens[i - back]
            if prev in ("and", "with", "while", "as", "then"):
                break
            if prev.isdigit():
                count = int(prev)
                break
            if prev in _NUMBERS:
                count = _NUMBERS[prev]
                break
            if prev in ("the", "this", "that", "these", "those"):
                definite = True
                break
        key = noun or tok
        if definite and key in seen:
            continue  # "the woman" again: the same person
        if group is not None:
            size = group
            after = tokens[i + 1 : i + 5]
            if after[:1] == ["of"]:  # "a group of five people": counted here, once
                for k, word in enumerate(after[1:], start=2):
                    if word.isdigit() or word in _NUMBERS:
                        size = int(word) if word.isdigit() else _NUMBERS[word]
                    if word in _PERSON or word in _PERSON_PLURAL:
                        skip_until = i + k
                        break
            elif count is not None and count > 1:
                size = group * count  # "two groups"
            total += size
        else:
            if count is None:
                count = 1 if tok in _PERSON else (3 if tok == "people" else 2)
            total += count
        seen.add(key)
    if total == 0:
        if any(t in _PRONOUNS_ONE for t in tokens):
            total = 1
        elif any(t in _PRONOUNS_MANY for t in tokens):
            total = 2
    return min(total, 24)


# Action verbs beyond walk/run/stand/sit (forms -> action); see actions.py for each motion.
# fmt: off
_ACTION_FORMS: dict[str, tuple[str, ...]] = {
    "turn": ("turn", "turns", "turning", "turned", "spin", "spins", "spinning", "pivot",
             "pivots", "pivoting"),
    "point": ("point", "points", "pointing", "pointed", "gestures toward", "indicates"),
    "wave": ("wave", "waves", "waving", "waved", "beckons", "beckoning"),
    "talk": ("talk", "talks", "talking", "speak", "speaks", "speaking", "say", "says",
             "saying", "argue", "argues", "arguing", "chat", "chats", "chatting", "explain",
             "explains", "explaining", "gesture", "gestures", "gesturing", "converse",
             "conversing", "shout", "shouts", "shouting", "yell", "yells", "yelling",
             "whisper", "whispers", "whispering", "discuss", "discusses", "discussing"),
    "kneel": ("kneel", "kneels", "kneeling", "knelt", "crouch", "crouches", "crouching",
              "squat", "squats", "squatting"),
    "fall": ("fall", "falls", "falling", "fell", "collapse", "collapses", "collapsing",
             "trip", "trips", "tripping", "stumble", "stumbles", "stumbling", "faint",
             "faints", "fainting"),
    "jump": ("jump", "jumps", "jumping", "jumped", "leap", "leaps", "leaping", "hop", "hops",
             "hopping", "bounce", "bounces", "bouncing"),
    "drive": ("drive", "drives", "driving", "drove", "ride", "rides", "riding", "cycle",
              "cycles", "cycling"),
    "look": ("look", "looks", "looking", "glance", "glances", "glancing", "gaze", "gazes",
             "gazing", "peer", "peers", "peering", "search", "searches", "searching", "scan",
             "scans", "scanning"),
}
_ACTION_STEM = {f: a for a, forms in _ACTION_FORMS.items() for f in forms if " " not in f}
_NOT_FALL = {"rain", "snow", "night", "darkness", "dark", "dusk", "leaves", "silence", "light",
             "shadow", "shadows", "water", "ash", "dust", "petals", "tears", "curtain"}
_NOUN_BEFORE = {"the", "ocean", "sea", "crashing", "big", "huge", "rolling", "breaking",
                "heat", "sound", "radio", "light", "shock", "brain", "of", "a"}
# fmt: on


def _action_at(clause: list[str], i: int) -> str | None:
    """The action a token names in its clause (None: not an action here)."""
    tok = clause[i]
    prev = clause[i - 1] if i > 0 else ""
    nxt = clause[i + 1 : i + 3]
    if prev in ("camera", "lens"):
        return None
    stem = _STEM.get(tok)
    if stem in ("walk", "run", "stand", "sit"):
        if tok in ("stand", "stands", "standing", "stood") and nxt[:1] == ["up"]:
            return "stand_up"
        if stem == "sit" and nxt[:1] == ["down"]:
            return "sit_down"
        if tok in ("talk", "talks", "talking"):
            return "talk"
        if stem == "stand" and tok.startswith("look"):
            pass  # handled as a look below
        else:
            return stem
    action = _ACTION_STEM.get(tok)
    if action is None:
        if tok in ("stands", "stand", "gets", "get", "rises", "rise", "rising") and nxt[:1] == [
            "up"
        ]:
            return "stand_up"
        return None
    if action == "fall" and (prev in _NOT_FALL or nxt[:1] in (["asleep"], ["silent"])):
        return None
    if action in ("wave", "point", "jump", "turn", "drive") and prev in _NOUN_BEFORE:
        return None
    if action == "point" and nxt[:1] in (["of"], ["blank"]):
        return None
    if action == "jump" and nxt[:1] == ["cut"]:
        return None
    if action == "look":
        for t in clause[i + 1 : i + 4]:
            if t in ("up", "upward", "upwards", "skyward"):
                return "look_up"
            if t in ("down", "downward", "downwards"):
                return "look_down"
        return "look_around"
    return action


def _action(clauses: list[list[str]]) -> tuple[str, str | None, float]:
    """The shot's action: the first action verb, preferring any over plain standing."""
    found: list[tuple[str, str | None, float]] = []
    for clause in clauses:
        for i, tok in enumerate(clause):
            stem = _action_at(clause, i)
            if stem is None:
                continue
            direction = None
            speed = _speed_near(clause, i, i + 1)
            if tok.startswith(("approach",)):
                direction = "toward"
            elif tok.startswith(("leav",)):
                direction = "away"
            window = clause[i + 1 : i + 7]
            text = " ".join(window)
            if "left to right" in text:
                direction = "right"
            elif "right to left" in text:
                direction = "left"
            else:
                for k, t in enumerate(window):
                    if t in ("left", "right"):
                        direction = t
                        break
                    if t in ("toward", "towards", "to", "at"):
                        nxt = window[k + 1 : k + 3]
                        if any(n in _CAMERA_WORDS for n in nxt):
                            direction = "toward"
                            break
                        if t in ("toward", "towards"):
                            direction = direction or "away"
                            break
                    if t in ("away", "off", "into", "distance") or (
                        t == "around" and stem == "turn"
                    ):
                        direction = "away"
                        break
                    if t == "closer":
                        direction = "toward"
                        break
            if stem in ("walk", "run", "drive") and direction is None:
                direction = "right"
            found.append((stem, direction, speed))
    for entry in found:
        if entry[0] != "stand":
            return entry
    return found[0] if found else ("stand", None, 1.0)


def parse_prompt(prompt: str, labels: tuple[str, ...] = (), scene_heading: str = "") -> ShotSpec:
    """Read a prompt's shot grammar (see the module docstring) into a `ShotSpec`.

    `scene_heading` ("12 INT. FERRY CABIN - NIGHT") helps choose the set and interior/exterior.
    """
    raw = prompt or ""
    text = _normalise(raw)
    clauses = _tokenise(text)
    tokens = [t for c in clauses for t in c]
    terms: list[str] = []
    found: dict[str, list[str]] = {}
    for clause in clauses:
        for start, end, cat, val in _match_phrases(clause):
            if cat == "dutch":
                before = clause[max(0, start - 2) : start]
                if any(t in ("slight", "slightly", "subtle", "gentle") for t in before):
                    val = "8"
                elif any(t in ("extreme", "heavy", "strong", "steep", "severe") for t in before):
                    val = "25"
            if cat == "size" and val == "wide" and clause[end : end + 1] in (["angle"], ["lens"]):
                continue
            found.setdefault(cat, []).append(val)
            terms.append(" ".join(clause[start:end]))

    size = (found.get("size") or [None])[0]
    framing = (found.get("framing") or ["single"])[0]
    angle = (found.get("angle") or ["eye"])[0]
    dutch = float(found["dutch"][0]) if "dutch" in found else 0.0

    focal = None
    for m in _MM.finditer(text):
        before = text[max(0, m.start() - 12) : m.start()]
        if re.search(r"(?:\bon|\b(?:shot|filmed)\s+in)\s*$", before):
            continue  # "shot on 35mm": a film gauge, not a lens
        focal = float(m.group(1))
        terms.append(f"{focal:g}mm")
        break
    if focal is None and "lens" in found:
        focal = float(found["lens"][0])
    focal_mm = min(600.0, max(8.0, focal if focal is not None else 35.0))

    moves: list[CameraMove] = []
    for clause in clauses:
        for mv in _camera_moves(clause, terms):
            if not any(m.kind == mv.kind for m in moves):
                moves.append(mv)
    camera = set(found.get("camera", []))
    static = "static" in camera
    handheld = "handheld" in camera
    if static:
        moves = []

    times = found.get("time", [])
    time_of_day = next((t for t in ("night", "dusk", "dawn") if t in times), "day")
    if re.search(r"\bint\s*\.?\s*(?:/|and)\s*ext\b", raw.lower()):
        interior = False
    else:
        places = found.get("place", [])
        interior = bool(places) and places[0] == "int"
    weather = frozenset(found.get("weather", []))
    looks = frozenset(found.get("look", []))

    all_labels: list[str] = []
    for lab in list(labels) + _LABEL.findall(raw):
        name = lab.strip().lstrip("@").strip()
        if name and name.lower() not in {x.lower() for x in all_labels}:
            all_labels.append(name)
    label_tokens = {"@" + x.lower() for x in all_labels}
    counted = _count_people([t for t in tokens if t not in label_tokens])
    action, direction, action_speed = _action(clauses)

    figures = max(counted, len(all_labels))
    if framing == "two_shot":
        figures = max(figures, 2)
    elif framing == "ots":
        figures = max(figures, 2)
    if size is None:
        size = {
            "two_shot": "medium_wide",
            "ots": "medium_close_up",
            "insert": "close_up",
            "pov": "full",
        }.get(framing, "full" if figures else "wide")
    if (
        figures == 0
        and framing not in ("insert", "pov")
        and size
        in ("medium_wide", "full", "medium", "medium_close_up", "close_up", "extreme_close_up")
    ):
        figures = 1  # a close shot is a shot of someone
    if framing == "pov":
        handheld = handheld or not static and not moves and action in ("walk", "run")
    dressing = read_dressing(
        raw, tuple(all_labels), scene_heading, figures, interior if found.get("place") else None
    )
    if dressing.interior is not None:
        interior = dressing.interior

    return ShotSpec(
        shot_size=size,
        framing=framing,
        angle=angle,
        dutch_deg=dutch,
        focal_mm=focal_mm,
        moves=tuple(moves),
        handheld=handheld,
        static=static,
        time_of_day=time_of_day,
        interior=interior,
        weather=weather,
        figures=figures,
        action=action if figures else "stand",
        direction=direction if figures else None,
        action_speed=action_speed,
        labels=tuple(all_labels),
        looks=looks,
        terms=tuple(terms),
        setting=dressing.setting,
        location=dressing.location,
        cast=dressing.cast,
        props=dressing.props,
    )
