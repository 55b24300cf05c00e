"""The demo site's stories: specs from ``data/stories.toml``, bodies written by a seeded generator.

Each spec carries the hand-written facts of one story (lede, people, places, figures); the rest of
the body is assembled from sentence pools with a random generator seeded by the story's slug, so the
same package always serves the same words. Sentence skeletons recur across stories but are filled
with each story's own names and numbers, and no two stories share a hand-written passage, so distinct
stories stay far apart under word-shingle similarity (tests/test_demo_site.py measures it).

The content-farm fixture (``data/content-farm-article.html``) is one more story: it is served
verbatim and its paragraphs come from its ``.expected.json``.
"""

from __future__ import annotations

import json
import random
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from importlib import resources

SEED = "harbour-courier"
COURIER_TZ = timezone(timedelta(hours=1))  # Europe/London in April 2025 (BST)
FIXTURE_HTML = "content-farm-article.html"
FIXTURE_JSON = "content-farm-article.expected.json"
FIXTURE_SLUG = "blinken-china-trip"

# Stories with a special role on the site (see data/stories.toml).
SPECIALS = frozenset(
    {"", "legacy", "broken-charset", "malformed", "redirect", "feed-only", "sitemap-only"}
)

_NUMBER_WORDS = ("three", "four", "five", "six", "eight", "ten", "twelve")

_FIRST_NAMES = (
    "Rosa", "Mehmet", "Claire", "Jonas", "Adaeze", "Tomasz", "Felicity", "Ravi", "Gunnar", "Yara",
    "Bernard", "Mei", "Lucia", "Hamish", "Nkechi", "Stefan",
)  # fmt: skip
_LAST_NAMES = (
    "Albrecht", "Nwosu", "Hallam", "Castellano", "Whitlock", "Farrant", "Kaur", "Okoro",
    "Lindqvist", "Penhale", "Tarrant", "Ferreira", "Mallory", "Iqbal", "Sandoval", "Brierley",
)  # fmt: skip
_ANALYST_ROLES = (
    "an economist at Westbrook University",
    "a senior fellow at the Meridian Policy Institute",
    "a lecturer in public policy at the University of Harrowgate",
    "head of research at the consultancy Calloway Partners",
    "a former adviser to the finance ministry",
    "an analyst at the brokerage Finlay Grant",
    "director of the Centre for Coastal Economies",
    "a researcher at the Northern Institute for Governance",
)

_CONTEXT = (
    (
        "The announcement came at the end of a week in which {org} had faced repeated questions "
        "about {topic}."
    ),
    (
        "Officials in {place} had been preparing for the decision for several days, according to two "
        "people briefed on the discussions."
    ),
    (
        "It is the latest twist in a saga that has dominated local headlines since the start of the "
        "year."
    ),
    "{Org} had previously insisted that no decision would be taken before the summer.",
    (
        "The timing caught many by surprise, coming only days after {p2l} had publicly predicted "
        "further delays."
    ),
    (
        "By {day} evening, the news had prompted a flurry of statements from local representatives "
        "and business groups."
    ),
    (
        "For {group}, the practical consequences are likely to be felt within weeks rather than "
        "months."
    ),
    "People close to {p1l} said the final details had been agreed only in the early hours.",
)
_FIGURES = (
    "According to figures published by {org}, the cost of {topic} now stands at about {fig}.",
    (
        "Around {num},000 {group} are thought to be directly affected, according to estimates cited "
        "in a briefing paper seen by {outlet}."
    ),
    (
        "Official data show a rise of {pct} per cent over the past twelve months, the steepest "
        "increase since the current series began."
    ),
    (
        "The sum involved, {fig}, is equivalent to roughly {pct} per cent of the area’s annual "
        "spending on public services."
    ),
    (
        "A survey carried out for {outlet} in {month} found that {pct2} per cent of respondents backed "
        "the proposals, with a sizeable minority undecided."
    ),
    "Analysts estimate that the knock-on effects could reach as many as {num3} local businesses.",
    (
        "Internal documents put the likely shortfall at {fig} over three years, though officials say "
        "that figure is a worst case."
    ),
    (
        "Since {year}, the number of complaints logged about {topic} has risen almost every year, "
        "reaching {num3} last year."
    ),
    (
        "Of the {num3} submissions received during the consultation, more than half raised concerns "
        "about cost."
    ),
)
_LEAD_FIRST = (
    (
        "“We have always said that {topic} would only succeed if {group} were brought along with it, "
        "and that remains our position,” said {p1}, {p1r}."
    ),
    (
        "“Nobody pretends this is straightforward,” {p1}, {p1r}, told reporters in {place}. “But "
        "standing still is not an option for {group}.”"
    ),
    (
        "{p1}, {p1r}, said the decision had been taken “with our eyes open” and that the full "
        "reasoning would be published within {weeks} weeks."
    ),
    (
        "“This is not the end of the conversation about {topic}; it is the start of a more honest "
        "one,” said {p1}, {p1r}."
    ),
    (
        "{p1}, {p1r}, told {outlet} that the outcome was “better than many expected and less than "
        "some hoped”."
    ),
)
_LEAD_MORE = (
    (
        "Speaking on {day}, {p1l} described the outcome as “a fair result in difficult "
        "circumstances” and thanked {group} for their patience."
    ),
    (
        "“I understand the frustration,” {p1l} said. “People have waited a long time for a clear "
        "answer, and they deserve one.”"
    ),
    (
        "In a statement, {org} said it “remains fully committed” to {topic} and would “continue to "
        "engage constructively with everyone involved”."
    ),
    (
        "“The numbers speak for themselves,” said {p1l}, pointing to an increase of {pct} per cent on "
        "the previous year."
    ),
    (
        "“We are exactly where we said we would be in the autumn,” {p1l} insisted, rejecting "
        "suggestions that the timetable had slipped."
    ),
    (
        "Asked whether more could have been done sooner, {p1l} paused before replying: “Probably. "
        "But we are where we are, and the job now is to get it right.”"
    ),
)
_CRITIC_FIRST = (
    (
        "Not everyone was persuaded. {p2}, {p2r}, said the plan “asks the most of the people who can "
        "least afford it”."
    ),
    (
        "“This has been presented as a done deal, and it isn’t,” said {p2}, {p2r}. “There are serious "
        "questions that nobody has answered.”"
    ),
    (
        "{p2}, {p2r}, called for an independent review, arguing that {group} had been given “weeks, "
        "not months” to respond."
    ),
    (
        "Critics, among them {p2}, {p2r}, have warned that the costs could rise sharply if the "
        "schedule slips."
    ),
    (
        "{p2}, {p2r}, said the detail mattered more than the headline: “Until we see the small "
        "print, I am reserving judgment.”"
    ),
)
_CRITIC_MORE = (
    (
        "{p2l}, who has followed the issue closely for years, called the announcement “welcome but "
        "long overdue”."
    ),
    (
        "“We will be watching very closely,” said {p2l}. “If the promises made this week are not "
        "kept, people will want to know why.”"
    ),
    (
        "{p2l} said those most affected had been “kept in the dark” for much of the process and would "
        "meet on {nextday} to decide how to respond."
    ),
    "“Nobody asked us,” {p2l} said. “We found out from the radio like everybody else.”",
    "Asked about the timetable, {p2l} laughed. “I have heard that one before.”",
)
_BACKGROUND = (
    (
        "The question has been argued over in {place} since at least {year}, when an earlier proposal "
        "was abandoned after a public consultation."
    ),
    (
        "The issue first drew wide attention {yearsago} years ago, when a report commissioned by {org} "
        "identified shortcomings that have yet to be fully addressed."
    ),
    (
        "Previous attempts to settle the matter stalled amid disputes over funding and over who would "
        "carry the blame if targets were missed."
    ),
    (
        "{Org} has faced mounting pressure over the past year, with campaigners staging regular "
        "protests and local representatives demanding more openness."
    ),
    (
        "The latest development follows months of negotiation, much of it conducted behind closed "
        "doors."
    ),
    (
        "Observers note a long local history of ambitious announcements followed by slow delivery, a "
        "pattern that has left many {group} sceptical."
    ),
    (
        "An earlier review, published in {year}, recommended a phased approach, though few of its "
        "recommendations were ever put into practice."
    ),
    "Much of the groundwork was laid under {p1l}’s predecessor, who left the post two years ago.",
    (
        "The arguments have changed little over the years: supporters point to the long-term "
        "benefits, while opponents dwell on the cost and the disruption."
    ),
)
_ANALYST = (
    (
        "{an}, {ar}, said the move was “significant but not transformative”. “It buys time,” {al} "
        "said. “Whether that time is used well is another matter.”"
    ),
    (
        "“What people want above all is predictability,” said {an}, {ar}. “This week offered a "
        "little more of it than before.”"
    ),
    (
        "{an}, {ar}, cautioned against reading too much into a single announcement, noting that "
        "similar pledges had been made and quietly dropped in the past."
    ),
    (
        "According to {an}, {ar}, the real test will come over the next {weeks} months, as the "
        "details are worked out."
    ),
    (
        "{an}, {ar}, said the episode showed how “small institutions carry very large risks” when "
        "scrutiny is thin."
    ),
    (
        "“The direction is right, the pace is not,” said {an}, {ar}, who has studied similar schemes "
        "elsewhere."
    ),
)
_OUTLOOK = (
    "{Org} is expected to set out a detailed timetable before the end of {nextmonth}.",
    (
        "A further round of talks has been scheduled for {nextday}, and officials said they hoped to "
        "reach a final agreement within weeks."
    ),
    (
        "The proposals will now go before a committee, which has the power to amend them or send them "
        "back for further work."
    ),
    (
        "It remains unclear how the plan will be paid for in the longer term, and officials declined "
        "to say whether more money would be sought."
    ),
    (
        "For now, {group} in {place} say they will wait to see whether this week’s words are matched "
        "by action."
    ),
    (
        "Any changes are unlikely to take effect before the autumn, according to people familiar "
        "with the discussions."
    ),
    (
        "The next milestone is a progress report due in {nextmonth}, which both sides have said they "
        "will treat as a test of good faith."
    ),
)
_CLOSING = (
    "{p1l}’s office did not respond to a request for further comment on {day}.",
    "{Org} said it would give a further update in due course.",
    "Anyone affected has been advised to check the latest guidance published by {org}.",
    "{Outlet} has asked {org} for a copy of the full report.",
)
_CLOSING_COURIER = ("Additional reporting by {reporter2}.",)


@dataclass(frozen=True)
class Story:
    """One article of the demo site, as its page presents it."""

    slug: str
    section: str
    template: str  # "A": the Courier's own layout; "B": the content-farm layout
    edition: int
    special: str
    old_slug: str
    headline: str
    dek: str
    tags: tuple[str, ...]
    author: str  # "" on template B pages, which carry no byline
    author_role: str
    published: datetime  # aware for template A, naive for template B (the page gives no zone)
    modified: datetime | None
    paragraphs: tuple[str, ...]
    place: str
    fixture: bool = False

    @property
    def path(self) -> str:
        return self._path(self.slug)

    @property
    def old_path(self) -> str:
        return self._path(self.old_slug) if self.old_slug else ""

    def _path(self, slug: str) -> str:
        d = self.published
        if self.template == "A":
            return f"/{self.section}/{d:%Y/%m/%d}/{slug}/"
        return f"/{self.section}/{d:%Y-%m-%d}/{slug}.html"

    @property
    def listed(self) -> bool:
        """Linked from its section (and home, tags, related lists); False = feed or sitemap only."""
        return self.special not in ("feed-only", "sitemap-only")

    @property
    def in_feeds(self) -> bool:
        return self.special != "sitemap-only"

    @property
    def in_sitemaps(self) -> bool:
        return self.special != "feed-only"

    @property
    def utc_published(self) -> datetime:
        """Published time as aware UTC; naive template-B times are taken as UTC."""
        return _as_utc(self.published)

    @property
    def utc_modified(self) -> datetime:
        return _as_utc(self.modified or self.published)


def _as_utc(d: datetime) -> datetime:
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def tag_slug(tag: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")


def data_file(name: str) -> bytes:
    """A file of the package's data directory."""
    return resources.files(__package__).joinpath("data").joinpath(name).read_bytes()


def fixture_html() -> bytes:
    """The content-farm fixture page, served byte for byte."""
    return data_file(FIXTURE_HTML)


def load_stories(edition: int = 1) -> list[Story]:
    """Every story of an edition (edition 2 = edition 1 plus the later stories), newest first."""
    spec = tomllib.loads(data_file("stories.toml").decode("utf-8"))
    authors = spec["authors"]
    stories = [_build(s, authors) for s in spec["story"] if s.get("edition", 1) <= edition]
    stories.append(_fixture_story())
    stories.sort(key=lambda s: (s.utc_published, s.slug), reverse=True)
    return stories


def load_corpus(
    edition: int = 1,
    *,
    outlet: str,
    reporters: Sequence[str],
    signed: bool,
    shift: timedelta = timedelta(0),
) -> list[Story]:
    """Every story spec of an edition, written afresh for another demo site, in spec order.

    The other demo templates re-dress the Courier's stories as their own: the body names the
    publication as ``outlet`` ("told {outlet}"), may close with "Additional reporting by" one of
    ``reporters`` if ``signed`` (unsigned content-farm copy also loses its typographic quotes),
    and is written for the spec's date moved by ``shift``, so its weekdays stay true. Stories come
    back unsigned (the site assigns its own bylines), naive (the spec's local time), without the
    Courier's special roles and without the fixture. The same arguments give the same words.
    """
    spec = tomllib.loads(data_file("stories.toml").decode("utf-8"))
    stories = []
    for s in spec["story"]:
        if s.get("edition", 1) > edition:
            continue
        rng = random.Random(f"{SEED}:{s['slug']}")
        published = datetime.fromisoformat(s["date"]) + shift
        paragraphs = _write_body(s, rng, published, reporters, outlet, signed=signed)
        headline, dek = s["headline"], s["dek"]
        if not signed:
            paragraphs = [_plain_quotes(p) for p in paragraphs]
            headline, dek = _plain_quotes(headline), _plain_quotes(dek)
        stories.append(
            Story(
                slug=s["slug"],
                section=s["section"],
                template=s["template"],
                edition=s.get("edition", 1),
                special="",
                old_slug="",
                headline=headline,
                dek=dek,
                tags=tuple(s["tags"]),
                author="",
                author_role="",
                published=published,
                modified=None,
                paragraphs=tuple(paragraphs),
                place=s["place"],
            )
        )
    return stories


def _fixture_story() -> Story:
    expected = json.loads(data_file(FIXTURE_JSON))
    return Story(
        slug=FIXTURE_SLUG,
        section="reviews",
        template="B",
        edition=1,
        special="",
        old_slug="",
        headline=expected["title"],
        dek="",
        tags=tuple(expected["tags"]),
        author="",
        author_role="",
        published=datetime.fromisoformat(expected["published"]),
        modified=None,
        paragraphs=tuple(expected["body_paragraphs"]),
        place="Washington",
        fixture=True,
    )


def _build(s: dict, authors: dict) -> Story:
    special = s.get("special", "")
    if special not in SPECIALS:
        raise ValueError(f"stories.toml: {s['slug']}: unknown special {special!r}")
    rng = random.Random(f"{SEED}:{s['slug']}")
    template = s["template"]
    published = datetime.fromisoformat(s["date"])
    author = authors[s["author"]] if template == "A" else {"name": "", "role": ""}
    if template == "A":
        published = published.replace(tzinfo=COURIER_TZ)
        # Most Courier stories were touched up after publication; some never were.
        minutes = rng.choice((0, 0, 12, 25, 40, 75, 110, 190))
        modified = published + timedelta(minutes=minutes)
    else:
        modified = None
    courier = template == "A"
    reporters = sorted(a["name"] for a in authors.values() if a["name"] != author["name"])
    outlet = "the Courier" if courier else "a local newspaper"
    paragraphs = _write_body(s, rng, published, reporters, outlet, signed=courier)
    headline, dek = s["headline"], s["dek"]
    if template == "B":
        # The content farm strips typographic quotes, as the fixture page shows.
        paragraphs = [_plain_quotes(p) for p in paragraphs]
        headline, dek = _plain_quotes(headline), _plain_quotes(dek)
    return Story(
        slug=s["slug"],
        section=s["section"],
        template=template,
        edition=s.get("edition", 1),
        special=special,
        old_slug=s.get("old_slug", ""),
        headline=headline,
        dek=dek,
        tags=tuple(s["tags"]),
        author=author["name"],
        author_role=author["role"],
        published=published,
        modified=modified,
        paragraphs=tuple(paragraphs),
        place=s["place"],
    )


def _plain_quotes(text: str) -> str:
    return text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _write_body(
    s: dict,
    rng: random.Random,
    published: datetime,
    reporters: Sequence[str],
    outlet: str,
    *,
    signed: bool,
) -> list[str]:
    nextday = published + timedelta(days=rng.randint(3, 6))
    nextmonth = (published.replace(day=1) + timedelta(days=32)).strftime("%B")
    month = (published.replace(day=1) - timedelta(days=1)).strftime("%B")
    analyst_last = rng.choice(_LAST_NAMES)
    slots = {
        "place": s["place"],
        "org": s["org"],
        "Org": _cap(s["org"]),
        "topic": s["topic"],
        "group": s["group"],
        "p1": s["p1"][0],
        "p1r": s["p1"][1],
        "p1l": s["p1"][0].split()[-1],
        "p2": s["p2"][0],
        "p2r": s["p2"][1],
        "p2l": s["p2"][0].split()[-1],
        "fig": s["fig"],
        "day": published.strftime("%A"),
        "nextday": nextday.strftime("%A"),
        "nextmonth": nextmonth,
        "month": month,
        "year": rng.randint(2008, 2019),
        "yearsago": rng.choice(_NUMBER_WORDS),
        "weeks": rng.choice(_NUMBER_WORDS),
        "pct": rng.randint(4, 38),
        "pct2": rng.randint(41, 68),
        "num": rng.randint(3, 60),
        "num3": rng.randint(120, 900),
        "an": f"{rng.choice(_FIRST_NAMES)} {analyst_last}",
        "ar": rng.choice(_ANALYST_ROLES),
        "al": analyst_last,
        "outlet": outlet,
        "Outlet": _cap(outlet),
        "reporter2": rng.choice(reporters),
    }
    pools: dict[tuple[str, ...], list[str]] = {}

    def draw(pool: tuple[str, ...]) -> str:
        # Without replacement within one story: no sentence is said twice on a page.
        if pool not in pools:
            pools[pool] = rng.sample(pool, len(pool))
        return pools[pool].pop().format_map(slots)

    def maybe(p: float) -> bool:
        return rng.random() < p

    def para(*sentences: str) -> str:
        return " ".join(x for x in sentences if x)

    facts = list(s["facts"])
    body = [s["lede"]]
    body.append(para(facts.pop(0), draw(_CONTEXT) if maybe(0.4) else ""))
    body.append(para(draw(_LEAD_FIRST), draw(_LEAD_MORE) if maybe(0.35) else ""))
    body.append(para(draw(_FIGURES), draw(_FIGURES) if maybe(0.5) else ""))
    middle = [
        para(draw(_BACKGROUND), draw(_BACKGROUND) if maybe(0.5) else ""),
        draw(_CRITIC_FIRST),
    ]
    if maybe(0.75):
        middle.append(draw(_ANALYST))
    if maybe(0.5):
        middle.append(para(draw(_CONTEXT), draw(_FIGURES)))
    if maybe(0.5):
        middle.append(draw(_CRITIC_MORE))
    if maybe(0.4):
        middle.append(draw(_LEAD_MORE))
    # The critic is introduced by full name before any later mention by surname.
    head, rest = middle[:2], middle[2:]
    rng.shuffle(rest)
    body += facts[:1] + head + rest + facts[1:]
    body.append(draw(_OUTLOOK))
    if maybe(0.6):
        body.append(draw(_CLOSING_COURIER if signed and maybe(0.5) else _CLOSING))
    return body
