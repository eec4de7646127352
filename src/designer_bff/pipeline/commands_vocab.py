"""The command parser's vocabulary: phrase tables, number words and patterns (data for `commands.py`)."""

from __future__ import annotations

import re


def words(text: str) -> list[str]:
    return text.split()


def phrases(text: str) -> list[str]:
    return [p.strip() for p in text.split("|") if p.strip()]


def mapping(text: str) -> dict[str, str]:
    """'a|b = x; c = y' → {'a': 'x', 'b': 'x', 'c': 'y'}: compact vocabulary tables."""
    table: dict[str, str] = {}
    for row in text.split(";"):
        if "=" in row:
            left, value = row.split("=")
            table.update(dict.fromkeys(phrases(left), value.strip()))
    return table


# Taxonomy category → spec path. The order is the claim priority between equally long, equally canonical
# phrases: "flowing" is drape (fluid) before silhouette, "tailored" silhouette before aesthetic, "resort"
# an occasion before a season, "sheer" opacity before texture.
CATEGORY_PATHS: dict[str, str] = mapping(
    "garment_type = garment.type; pattern = color.pattern.type; fabric_type = fabric.type; drape = "
    "fabric.drape; silhouette = garment.silhouette; fit = garment.fit; neckline = garment.neckline; "
    "sleeve_length = garment.sleeve.length; sleeve_type = garment.sleeve.type; length = "
    "garment.length; waist = garment.waist; closure = garment.closures; pockets = garment.pockets; hem "
    "= garment.hem; embellishment = construction.embellishments; hardware = construction.hardware; "
    "opacity = fabric.opacity; texture = fabric.texture; fabric_weight = fabric.weight; finish = "
    "fabric.finish; stretch = fabric.stretch; pattern_scale = color.pattern.scale; seams = "
    "construction.seams; stitching = construction.stitching; lining = construction.lining; aesthetic = "
    "style.aesthetic; occasion = style.occasion; formality = style.formality; season = style.season; "
    "mood = style.mood; shot = photography.shot; lighting_type = photography.lighting_type; "
    "lighting_direction = photography.lighting_direction; camera_angle = photography.camera_angle; "
    "camera_height = photography.camera_height; background = photography.background; pose = "
    "photography.pose"
)
MULTI_PATHS = frozenset({"garment.closures", "construction.embellishments", "construction.hardware"})
PHOTO_PATHS = frozenset(p for p in CATEGORY_PATHS.values() if p.startswith("photography."))
# Naming only these keeps a command exploratory ("100 bold outfits, golden hour"): they say how to show or
# qualify a design, not what it is.
NOT_SPECIFIC = frozenset({"style.mood", *PHOTO_PATHS})
# A multi-word phrase also states these categories' values it contains: "evening gown" → occasion evening,
# "ball gown" → garment gown, "crop top" → length crop.
EXPANDING = ("garment_type", "occasion", "length")
BIFURCATED = frozenset({"pants", "jeans", "shorts"})  # "a pair of jeans" is one garment

# Command vocabulary that is not a garment attribute. Generic nouns are claimed before the taxonomy: in a
# command "outfits" means complete looks of any type, not the taxonomy's synonym outfit → set.
GENERIC = words(
    "piece outfit look design item style option idea garment clothes clothing apparel image picture "
    "photo render rendering variation version variant concept sketch thing creation ensemble fits"
)
EXPLORE = phrases(
    "surprise me|surprise|surprising|anything goes|anything|any|whatever|explore|exploratory|exploration|"
    "mix|mix of|mixed|mixture|variety|random|randomly|assorted|all sorts|all kinds|wild card|wildcard|"
    "go wild|free rein|freestyle|your choice|you choose|up to you|open brief"
)
OVERNIGHT = phrases(
    "overnight|over night|tonight|nightly|every night|each night|while i sleep|while i'm asleep|"
    "while i am asleep|while i'm sleeping|while i am sleeping|by morning|by tomorrow morning|"
    "in the night"
)
# Counts a designer says in words. "A pair of" is resolved against the garment (-2): one pair of jeans is one
# garment. Vague amounts (-1) are understood but leave the count to the caller's default.
QUANTITY = mapping(
    "a couple of|a couple|couple of = 2; a few|few = 3; a handful of|handful of = 5; half a dozen|"
    "half dozen = 6; a single|single|just one = 1; a pair of|pair of = -2; several|some|many|multiple|"
    "lots of|a lot of|loads of|a bunch of|bunch of|dozens of|dozens|hundreds of|hundreds|thousands of|"
    "tons of|plenty of = -1"
)
CONTAINER = phrases(
    "a batch of|batch of|batches of|a set of|set of|sets of|a collection of|collection of|a series of|"
    "series of|a range of|range of|a group of|a selection of|a capsule of|a line of|a lineup of|"
    "pairs of"
)
# Tone and intensity words qualify the look without being an attribute. "Elegant", "chic", "refined" cut
# across aesthetics (elegant minimalism, elegant evening): mapping them to one aesthetic would overrule the
# designer's real style and narrow the sampling, so they stay modifiers for the prompt. ("Bold" is the
# taxonomy's mood and lands in the modifiers that way.)
MODIFIERS = mapping(
    "subtle|vibrant|muted|dramatic|understated|striking|statement|saturated|neon|monochrome|elegant|"
    "chic|sophisticated|refined|polished|sleek|modern|contemporary|luxurious|delicate|elevated|pastel|"
    "earthy|rich = "
)
MODIFIERS = {phrase: phrase for phrase in MODIFIERS} | mapping(
    "pastels = pastel; monochromatic = monochrome; bright colours|bright colors = vibrant; earth tones "
    "= earthy; jewel tones = jewel tones"
)
VARIETY = mapping(
    "varied|diverse|different|distinct|unique|all different|lots of variety = varied; similar|"
    "more of the same|consistent|cohesive|like these|like the last ones|same vibe|same feel = similar"
)
# Taxonomy phrases that mislead in a command: bare "natural" fabrics is not a natural waist, "detail" not a
# close-up shot, a "full" skirt not long sleeves, "flared" trousers not bell sleeves.
IGNORED_ANY = frozenset(
    words(
        "none natural high low medium full flat detail waist chest elevated edge profile movement "
        "matching hidden slight moderate fine partial"
    )
)
IGNORED = frozenset(
    {("background", p) for p in ("white", "grey", "gray", "plain white", "beach", "street")}
    | {("sleeve_type", p) for p in ("standard", "regular", "flared", "flare", "gathered", "balloon")}
    | {("seams", "standard"), ("pose", "relaxed"), ("formality", "relaxed"), ("pockets", "side")}
)
# Phrases a command needs that the taxonomy lacks (category:value); candidates for taxonomy.json.
EXTRA = mapping(
    "natural light|natural lighting|soft natural light = lighting_type:natural-daylight; studio "
    "lighting|soft light|soft lighting = lighting_type:studio-softbox; dramatic lighting|dramatic "
    "light = lighting_type:dramatic; white background = background:white-seamless; grey "
    "background|gray background = background:grey-seamless; street background = background:urban; side "
    "pockets = pockets:in-seam; natural waist = waist:natural; high waist|high rise = waist:high; low "
    "waist = waist:low; medium weight = fabric_weight:medium; flared sleeve = sleeve_type:bell; "
    "gathered sleeve = sleeve_type:bishop; balloon sleeve = sleeve_type:puff; full skirt = "
    "silhouette:a-line; stretch = stretch:medium"
)
# Bare words whose taxonomy readings compete: a designer's "short dress" is a length, "vintage" a mood.
PREFER = mapping(
    "short|long = length; vintage = mood; princess = silhouette; plain = pattern; ruffled = embellishment"
)
HUES = frozenset(words("green blue red pink yellow purple brown grey orange"))
SHADES = words("light dark pale deep bright dusty soft muted vivid rich pastel")

STOPWORDS = frozenset(
    words(
        "a an the in with and or of for me make create generate design draw render produce build do "
        "give show get want need would like love could can you please i we us our my some to into from "
        "on at by as be is are it them that this these those new batch run queue schedule start kick "
        "off up all each every also just only then now today quick quickly let lets let's hey hi ok "
        "okay so too very really style styled inspired vibe vibes feel aesthetic mood lighting shot "
        "made about around approximately roughly maybe other sleeve sleeves sleeved neck necks "
        "neckline necklines hem hems waisted collection capsule range line series group x times total "
        "colour colours color colors colourway colourways colorway colorways tone tones shade shades "
        "fabric fabrics material materials pattern patterns cut cuts fit look looking wear worn "
        "wearing more little bit slightly quite super something i'm i'd what how which your have has "
        "had will shall should may might there here their his her its than but not no yes thanks thank "
        "e.g etc via per using use based featuring feature features include including options "
        "silhouette am pm season seasons"
    )
)
# Stopwords that may sit between an article and its noun ("a bohemian style dress") without ending the phrase.
SKIPPABLE = frozenset(words("style styled inspired looking new very really little more super slightly quite"))
UNIT_AFTER = frozenset(
    words(
        "am pm o'clock oclock percent pct cm mm inch inches hour hours hrs minute minutes mins seconds "
        "days weeks week dollars usd euros eur gbp pounds px pixels dpi degrees times"
    )
)
UNIT_BEFORE = frozenset(words("size sizes at by until till before after under uk us eu budget"))
UNITS = {w: i for i, w in enumerate(words("zero one two three four five six seven eight nine"))}
TEENS = {
    w: i + 10 for i, w in enumerate(words("ten eleven twelve thirteen fourteen fifteen sixteen seventeen"))
}
TEENS |= {"eighteen": 18, "nineteen": 19}
TENS = {w: i * 10 + 20 for i, w in enumerate(words("twenty thirty forty fifty sixty seventy eighty ninety"))}
SCALES = {"hundred": 100, "thousand": 1000, "dozen": 12}
NUMBERISH = frozenset({*UNITS, *TEENS, *TENS, *SCALES})
DECADES = {f"{w}ties": f"19{i + 2}0s" for i, w in enumerate(words("twen thir for fif six seven eigh nine"))}
RUN = re.compile(r"[\w&/'.]+(?:-[\w&/'.]+)*")
ERA = re.compile(r"(?:19|20)?[0-9]0s")
THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}\b)")
DIGITS = re.compile(r"[0-9]{1,12}")  # ASCII only ("²".isdigit() is true); longer is not a count anyone means
MAX_WORDS = 5
