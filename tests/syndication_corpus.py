"""A news corpus for story-grouping tests: wire copies across sites, and look-alike stories.

- 15 distinct stories about one city (Riverton): the same mayor, council members, police chief,
  transit authority, river and neighbourhoods, the same quote style and stock background
  paragraphs ("Riverton, a city of about 310,000 ..."), but different events; two are follow-ups
  that reuse paragraphs of an earlier report verbatim. They must stay apart.
- 18 more stories on other beats, written from fact tables (easy negatives, and more copies).
- 15 stories are syndicated to 1 or 2 other sites (25 copies beyond the originals), each site with
  its own HTML template, date, headline and dateline style; each copy trims a paragraph, adds one
  (an editor's note, a local angle), or both.

``build_sites() -> {site: {path: html}}`` (serve each site with ``tests.local_site.LocalSite``;
``/`` is an index linking every article, article paths match ``/article/``),
``ground_truth() -> {(site, path): story_id}``, ``copies()`` (in crawl order: every original before
its copies) and ``extract_body(html)`` (trafilatura, standing in for ``pipelines.clean``).
"""

from __future__ import annotations

import html as htmlmod
import itertools
import random
from dataclasses import dataclass

import trafilatura

ORIGIN = "riverton-ledger"
SITES = ("riverton-ledger", "valley-wire", "metro-courier")

BG_CITY = (
    "Riverton, a city of about 310,000 people on the Calder River, has struggled to balance its "
    "books since the Marston steel works closed in 2019, taking nearly 4,000 jobs with it."
)
BG_MAYOR = (
    "Vasquez, a former public defender, was elected in 2021 on a promise to repair the city's "
    "finances and its aging roads, bridges and water mains."
)
BG_EASTBANK = (
    "Eastbank, a low-lying neighborhood of older row houses across the river from downtown, has "
    "long complained that City Hall treats it as an afterthought."
)

# (id, title, paragraphs). Shared cast and stock paragraphs on purpose: these are the hard negatives.
RIVERTON: list[tuple[str, str, list[str]]] = [
    (
        "rv-budget",
        "Riverton council passes $1.2 billion budget, cuts library hours",
        [
            (
                "The Riverton City Council on Tuesday approved a $1.2 billion budget for the coming "
                "fiscal year by a 7-2 vote, closing a $48 million gap largely by trimming library hours "
                "and delaying the hiring of 60 city workers."
            ),
            (
                "Mayor Elena Vasquez said in a statement that the plan was painful but necessary. "
                '"We made hard choices so that we would not have to make impossible ones next year," '
                "she said."
            ),
            (
                "Council President Darnell Okafor, who voted against the budget, said the library cuts "
                "would fall hardest on families without internet at home. Councilmember Priya Raman "
                "cast the other dissenting vote."
            ),
            (
                "Branch libraries will close on Mondays and Fridays starting in July. The budget also "
                "raises parking meter rates downtown by 50 cents an hour, which is expected to bring in "
                "about $3 million."
            ),
            BG_CITY,
            (
                "The budget takes effect on July 1. Union leaders said they would press the council to "
                "restore the delayed positions before the end of the year."
            ),
        ],
    ),
    (
        "rv-hiring-freeze",
        "Vasquez orders hiring freeze as Riverton revenue falls short",
        [
            (
                "Mayor Elena Vasquez on Thursday ordered an immediate freeze on hiring across most city "
                "departments after a mid-year report showed Riverton's tax revenue running $22 million "
                "below forecast."
            ),
            (
                "The shortfall comes mostly from sales tax, which has fallen for three straight "
                "quarters as shoppers drift to the new outlet mall in neighboring Fenwick County, the "
                "city's finance director, Carla Mendes, told reporters at City Hall."
            ),
            (
                '"Nobody likes a freeze, but the alternative is layoffs in the fall," Vasquez said. '
                "Police officers, firefighters and emergency dispatchers are exempt."
            ),
            BG_CITY,
            (
                "Council President Darnell Okafor said in a statement that the council had warned in "
                "the spring that the revenue estimates were too rosy, and called for an outside audit "
                "of the forecasting method."
            ),
        ],
    ),
    (
        "rv-transit-strike",
        "Riverton bus drivers walk off the job, halting most routes",
        [
            (
                "Bus drivers for the Riverton Transit Authority went on strike early Monday, halting "
                "service on 31 of the system's 38 routes and leaving tens of thousands of commuters "
                "scrambling for rides."
            ),
            (
                "Amalgamated Transit Union Local 1147, which represents about 900 drivers and "
                "mechanics, said talks broke down over mandatory overtime and the length of split "
                "shifts, not pay."
            ),
            (
                "Hal Whitcomb, the authority's general manager, said at a news conference that "
                "managers would keep seven routes to hospitals and the university running. "
                '"We want our drivers back at the table today, not next week," he said.'
            ),
            (
                "Mayor Elena Vasquez urged both sides to accept a mediator. Schools in Eastbank, where "
                "many students ride city buses, reported attendance down by a third."
            ),
            BG_EASTBANK,
            "The last strike at the authority, in 2008, lasted 11 days.",
        ],
    ),
    (
        "rv-fare-increase",
        "Transit authority proposes first Riverton fare increase in a decade",
        [
            (
                "The Riverton Transit Authority on Wednesday proposed raising the base bus fare from "
                "$1.75 to $2.25, the first increase in ten years, to cover rising fuel and insurance "
                "costs."
            ),
            (
                "General manager Hal Whitcomb told the authority's board that ridership has recovered "
                "to 85 percent of its pre-pandemic level but fare revenue has not kept pace because "
                "more riders use discounted passes."
            ),
            (
                '"We would rather raise the fare a little now than cut routes later," Whitcomb said. '
                "Monthly passes would rise from $60 to $72, while fares for seniors and students would "
                "stay the same."
            ),
            (
                "Councilmember Priya Raman said the increase would hurt Eastbank residents who rely on "
                "buses to reach jobs downtown, and asked the authority to phase it in over two years."
            ),
            "The board will hold public hearings next month before a vote in September.",
        ],
    ),
    (
        "rv-bridge",
        "Harbor Street bridge closed after inspectors find cracked beams",
        [
            (
                "Riverton closed the Harbor Street bridge to all traffic on Friday after state "
                "inspectors found cracks in two steel beams that support the span over the Calder "
                "River."
            ),
            (
                "The 1962 bridge carries about 24,000 vehicles a day between downtown and Eastbank. "
                "Detours will add 15 to 20 minutes to many commutes, the city's public works director, "
                "Luis Ferreira, said."
            ),
            (
                '"We will not reopen the bridge until engineers can tell me it is safe," Mayor Elena '
                "Vasquez said at a news conference at City Hall. Repairs could take months."
            ),
            BG_EASTBANK,
            (
                "Council President Darnell Okafor said the closure showed the cost of putting off "
                "maintenance, and called for a hearing on the city's bridge inspection schedule."
            ),
            BG_MAYOR,
        ],
    ),
    (
        "rv-schools",
        "Riverton Unified plans to close four elementary schools",
        [
            (
                "Riverton Unified School District will close four elementary schools next year as "
                "enrollment keeps falling, Superintendent Grace Liu announced on Tuesday."
            ),
            (
                "The district has lost about 5,000 students over the past decade. The four schools, "
                "two of them in Eastbank, are each less than half full, Liu said, and the closures "
                "would save about $9 million a year."
            ),
            (
                '"These are neighborhood anchors, and I do not take this lightly," Liu said at a board '
                'meeting that ran past midnight. Parents chanted "keep our schools" outside.'
            ),
            (
                "Mayor Elena Vasquez, who has no formal role in district decisions, said in a statement "
                "that she hoped the buildings could become community centers."
            ),
            BG_CITY,
            "The school board is expected to vote on the plan in March.",
        ],
    ),
    (
        "rv-police-chief",
        "Riverton police chief resigns amid overtime review",
        [
            (
                "Riverton Police Chief Tom Brandt resigned on Monday, two weeks after the city's "
                "inspector general began reviewing overtime payments to officers in his command staff."
            ),
            (
                "In a letter to Mayor Elena Vasquez, Brandt said he was stepping down to spare the "
                "department a distraction and denied any wrongdoing. He had led the 780-officer "
                "department since 2017."
            ),
            (
                "Vasquez named Deputy Chief Angela Morrow as acting chief. \"The department's work does "
                'not stop for anyone," the mayor said in a statement.'
            ),
            (
                "The review is examining about $1.4 million in overtime paid over three years to six "
                "senior officers, according to a person familiar with it who was not authorized to "
                "speak publicly."
            ),
            (
                "Council President Darnell Okafor said the council would hold a hearing on overtime "
                "controls next month."
            ),
        ],
    ),
    (
        "rv-flood",
        "Calder River floods Eastbank, hundreds evacuated",
        [
            (
                "The Calder River spilled over its banks in Riverton on Sunday after three days of "
                "heavy rain, flooding dozens of streets in Eastbank and forcing about 600 residents "
                "from their homes."
            ),
            (
                "Mayor Elena Vasquez declared a local emergency and opened two shelters at Riverton "
                "high schools. The river crested at 23.4 feet, more than six feet above flood stage, the "
                "National Weather Service said."
            ),
            (
                '"I have seen water in basements before, but never in the street up to the car '
                'doors," said Marisol Duarte, 58, who was rescued by boat from her row house.'
            ),
            BG_EASTBANK,
            (
                "Councilmember Priya Raman, who represents Eastbank, said the flood wall promised after "
                "the last flood in 2011 was never finished."
            ),
            "Forecasters expected the river to fall below flood stage by Tuesday.",
        ],
    ),
    (
        "rv-stadium",
        "Council rejects stadium subsidy for the Riverton Rivermen",
        [
            (
                "The Riverton City Council voted 6-3 on Tuesday against giving $150 million in public "
                "money toward a new stadium for the Riverton Rivermen, the city's minor league baseball "
                "team."
            ),
            (
                "The team's owner, developer Grant Holloway, has said he could move the team to Fenwick "
                "County without a new ballpark. Its lease at Calder Field runs through 2027."
            ),
            (
                "Mayor Elena Vasquez had backed the deal, saying it would revive the riverfront. "
                '"I think the council made a mistake, and I will keep talking with the team," she said '
                "in a statement."
            ),
            (
                'Council President Darnell Okafor led the opposition. "We are closing libraries on '
                'Mondays; we are not going to build a stadium on a credit card," he said.'
            ),
            BG_CITY,
        ],
    ),
    (
        "rv-rent",
        "Riverton passes rent stabilization ordinance",
        [
            (
                "The Riverton City Council on Tuesday passed an ordinance capping annual rent increases "
                "at 5 percent plus inflation for most apartments built before 2000."
            ),
            (
                "Councilmember Priya Raman, who sponsored the measure, said rents in Eastbank had risen "
                'by nearly 40 percent in four years. "People who have lived here for decades are being '
                'priced out of their own neighborhood," she said.'
            ),
            (
                "Landlord groups said the cap would discourage repairs and new construction, and "
                "threatened to challenge it in court."
            ),
            (
                "Mayor Elena Vasquez said she would sign the ordinance. It passed 5-4, with Council "
                "President Darnell Okafor voting in favor."
            ),
            BG_EASTBANK,
            "The cap takes effect in January and will be reviewed after three years.",
        ],
    ),
    (
        "rv-water",
        "Lead found in drinking water at three Eastbank schools",
        [
            (
                "Tests found lead above the federal action level in drinking fountains at three "
                "Eastbank elementary schools, Riverton Unified School District said on Wednesday."
            ),
            (
                "Superintendent Grace Liu said the fountains had been shut off and bottled water "
                "brought in. The highest sample, at Calder Street Elementary, showed 41 parts per "
                "billion, nearly three times the action level."
            ),
            (
                '"No parent should have to wonder whether the water at school is safe," Mayor Elena '
                "Vasquez said at a news conference at City Hall. The city will pay for blood tests for "
                "any child who wants one."
            ),
            (
                "The schools are served by some of the oldest water mains in the city, many of them "
                "laid before 1930, the water department said."
            ),
            BG_EASTBANK,
            BG_MAYOR,
        ],
    ),
    (
        "rv-curfew",
        "Judge blocks Riverton's youth curfew",
        [
            (
                "A Calder County judge on Friday blocked Riverton from enforcing a new curfew that bars "
                "anyone under 18 from public places after 10 p.m., ruling that it is probably "
                "unconstitutional."
            ),
            (
                "Judge Samuel Ortiz wrote that the city had not shown the curfew would reduce crime, "
                "and that it swept in teenagers going to work or coming home from school events."
            ),
            (
                "The city council passed the curfew in May at the urging of Police Chief Tom Brandt "
                "after a string of shootings downtown. Mayor Elena Vasquez said in a statement that the "
                "city would appeal."
            ),
            (
                '"This is a win for every kid in Riverton who has a night shift," said Nadia Farouk of '
                "the Calder Civil Liberties Union, which brought the case."
            ),
            BG_CITY,
        ],
    ),
    (
        "rv-mayor-race",
        "Okafor launches challenge to Mayor Vasquez",
        [
            (
                "Riverton City Council President Darnell Okafor said on Saturday that he will run for "
                "mayor next year, setting up a primary challenge to Mayor Elena Vasquez, a fellow "
                "Democrat."
            ),
            (
                "Speaking to about 300 supporters at a union hall in Eastbank, Okafor said the city had "
                '"drifted from crisis to crisis" and promised to restore library hours and finish the '
                "flood wall."
            ),
            (
                "Vasquez's campaign said in a statement that the mayor had inherited a broken budget "
                'and fixed it. "Darnell votes no and gives speeches; Elena fixes things," said her '
                "campaign manager, Rosa Whitfield."
            ),
            BG_MAYOR,
            (
                "Okafor, 44, a former high school teacher, has represented the city's third district "
                "since 2015 and has led the council since 2022."
            ),
        ],
    ),
]

# Follow-ups: new events in a running story that reuse paragraphs of the first report verbatim,
# as newsrooms do. They are different stories; they share the most with an earlier one.
_STRIKE = RIVERTON[2][2]
_FLOOD = RIVERTON[7][2]
RIVERTON += [
    (
        "rv-strike-day3",
        "Riverton bus strike enters third day with no talks scheduled",
        [
            (
                "The strike by Riverton bus drivers stretched into a third day on Wednesday with no new "
                "negotiations on the calendar, and the city's largest employers asked staff to work "
                "from home."
            ),
            _STRIKE[1],
            (
                "Hal Whitcomb, the authority's general manager, said the union had rejected an offer to "
                "cap split shifts at ten hours. The union's president, Ray Delgado, said the offer "
                '"changed the wording, not the workday."'
            ),
            (
                "Mayor Elena Vasquez said she had called both sides to City Hall for a meeting on "
                "Thursday morning. Riverton Unified said it would run extra school buses in Eastbank."
            ),
            BG_EASTBANK,
            _STRIKE[5],
        ],
    ),
    (
        "rv-flood-cleanup",
        "As Calder River recedes, Eastbank counts the cost",
        [
            (
                "Residents of Riverton's Eastbank neighborhood began hauling ruined furniture and "
                "drywall to the curb on Wednesday as the Calder River fell back below flood stage."
            ),
            (
                "City inspectors have marked 140 homes as unsafe to occupy until their electrical "
                "systems are checked, and the two shelters opened on Sunday still house about 200 "
                "people."
            ),
            _FLOOD[2],
            (
                "Mayor Elena Vasquez asked the governor to request a federal disaster declaration, which "
                "would open low-interest loans to homeowners. Early estimates put the damage at $60 "
                "million."
            ),
            BG_EASTBANK,
            _FLOOD[4],
        ],
    ),
]

# Other beats, written from fact tables: (id, topic, place, actor, role, thing, number, quote_noun).
OTHER_FACTS = [
    (
        "ot-comet",
        "astronomy",
        "Mauna Kea",
        "Iris Caldwell",
        "astronomer",
        "a new comet",
        14,
        "tail",
    ),
    (
        "ot-vaccine",
        "health",
        "Geneva",
        "Oluwaseun Adeyemi",
        "epidemiologist",
        "a malaria vaccine",
        72,
        "trial",
    ),
    (
        "ot-marathon",
        "sports",
        "Berlin",
        "Tesfaye Gebremariam",
        "runner",
        "the marathon record",
        2,
        "pace",
    ),
    (
        "ot-chips",
        "business",
        "Hsinchu",
        "Mei-Ling Chou",
        "chief executive",
        "a chip plant",
        20,
        "factory",
    ),
    (
        "ot-glacier",
        "climate",
        "Greenland",
        "Lars Henriksen",
        "glaciologist",
        "the Helheim glacier",
        30,
        "ice",
    ),
    (
        "ot-museum",
        "culture",
        "Lisbon",
        "Beatriz Moura",
        "curator",
        "a lost Vermeer copy",
        350,
        "painting",
    ),
    (
        "ot-drought",
        "agriculture",
        "Punjab",
        "Harpreet Sandhu",
        "farmer",
        "the wheat harvest",
        18,
        "rain",
    ),
    (
        "ot-rail",
        "transport",
        "Nairobi",
        "Wanjiru Kamau",
        "engineer",
        "a new rail line",
        480,
        "track",
    ),
    (
        "ot-quake",
        "disaster",
        "Anchorage",
        "Dale Petersen",
        "seismologist",
        "a magnitude 6.8 quake",
        6,
        "shaking",
    ),
    (
        "ot-election",
        "politics",
        "Wellington",
        "Aroha Ngata",
        "candidate",
        "the by-election",
        3,
        "vote",
    ),
    (
        "ot-whales",
        "science",
        "Monterey Bay",
        "Carmen Ibarra",
        "marine biologist",
        "a humpback calf",
        40,
        "song",
    ),
    (
        "ot-bank",
        "finance",
        "Frankfurt",
        "Klaus Richter",
        "economist",
        "the interest rate",
        25,
        "inflation",
    ),
    (
        "ot-chess",
        "games",
        "Chennai",
        "Arjun Iyer",
        "grandmaster",
        "the candidates tournament",
        14,
        "opening",
    ),
    (
        "ot-wildfire",
        "fire",
        "Alberta",
        "Shannon McLeod",
        "fire chief",
        "the Jasper wildfire",
        9000,
        "smoke",
    ),
    (
        "ot-robot",
        "technology",
        "Osaka",
        "Kenji Morimoto",
        "roboticist",
        "a care robot",
        300,
        "hand",
    ),
    ("ot-opera", "music", "Vienna", "Sofia Lindahl", "soprano", "a forgotten opera", 180, "score"),
    (
        "ot-fishing",
        "ocean",
        "Newfoundland",
        "Patrick Kearney",
        "fisherman",
        "the cod quota",
        12,
        "catch",
    ),
    (
        "ot-library",
        "education",
        "Timbuktu",
        "Abdoulaye Traore",
        "archivist",
        "old manuscripts",
        4000,
        "paper",
    ),
]

OPENERS = [
    "{actor}, a {role} in {place}, said on {day} that {thing} had changed the plans of the whole team.",
    "In {place}, {thing} drew crowds on {day}, and {actor}, a {role}, was among the first to arrive.",
    "Officials in {place} confirmed on {day} what {actor}, a {role}, had suspected for months about {thing}.",
]
MIDDLES = [
    "The figure of {number} surprised even people who have followed the {topic} beat for years.",
    "{actor} has spent {number} months preparing, often working through weekends with a small crew.",
    "Records kept since the 1950s show nothing quite like it, according to a {topic} review published last year.",
    "Local radio in {place} carried hours of coverage, and schools let pupils watch the news at lunch.",
    "Some experts urged caution, noting that early counts around {thing} are often revised.",
    "The work cost about {number} million, paid partly by a regional fund and partly by donors.",
    "A second team will check the findings independently before anything is made official.",
    "Neighbours described a mood of quiet pride, mixed with worry about what comes next.",
]
QUOTES = [
    '"You only get a {noun} like this once in a career," {last} said.',
    '"We did not expect the {noun} to behave this way, and we are still learning," {last} said.',
    '"Everyone asks me about the {noun}; I tell them to wait for the data," {last} said.',
]
CLOSERS = [
    "A full report on {thing} is due in {place} early next year.",
    "{last} plans to return to {place} in the spring to continue the work.",
    "The next public update on {thing} is expected within weeks.",
]


@dataclass(frozen=True)
class Copy:
    """One published copy of a story: where it is and what its cleaned body should be."""

    site: str
    path: str
    story_id: str
    title: str
    published: str
    paragraphs: tuple[str, ...]


def _other_story(facts: tuple, rng: random.Random) -> tuple[str, str, list[str]]:
    sid, topic, place, actor, role, thing, number, noun = facts
    last = actor.split()[-1]
    day = rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])
    fields = {
        "actor": actor, "role": role, "place": place, "thing": thing, "number": number, "topic": topic, "day": day,
        "last": last, "noun": noun,
    }  # fmt: skip
    paragraphs = [rng.choice(OPENERS).format(**fields)]
    middles = rng.sample(MIDDLES, 4)
    paragraphs.append(" ".join(m.format(**fields) for m in middles[:2]))
    paragraphs.append(rng.choice(QUOTES).format(**fields) + " " + middles[2].format(**fields))
    paragraphs.append(middles[3].format(**fields))
    paragraphs.append(rng.choice(CLOSERS).format(**fields))
    title = f"{thing[0].upper()}{thing[1:]} stirs {place}"
    return sid, title, paragraphs


def stories() -> list[tuple[str, str, list[str]]]:
    rng = random.Random(5)
    return RIVERTON + [_other_story(f, rng) for f in OTHER_FACTS]


# Which stories go out on the wire, and how each copy differs: (site, edit) pairs.
# edits: "trim" drops the last paragraph, "add" appends a site's own paragraph, "both" does both,
# "short" keeps the first two thirds (a wire service's short version).
SYNDICATION: dict[str, list[tuple[str, str]]] = {
    "rv-budget": [("valley-wire", "trim"), ("metro-courier", "add")],
    "rv-hiring-freeze": [("valley-wire", "add")],
    "rv-transit-strike": [("valley-wire", "both"), ("metro-courier", "trim")],
    "rv-fare-increase": [("metro-courier", "trim")],
    "rv-police-chief": [("valley-wire", "short")],
    "rv-strike-day3": [("metro-courier", "short")],
    "rv-bridge": [("valley-wire", "add"), ("metro-courier", "both")],
    "rv-flood": [("valley-wire", "trim"), ("metro-courier", "add")],
    "rv-water": [("metro-courier", "both")],
    "rv-mayor-race": [("valley-wire", "trim"), ("metro-courier", "trim")],
    "ot-comet": [("valley-wire", "add"), ("metro-courier", "trim")],
    "ot-vaccine": [("metro-courier", "both")],
    "ot-quake": [("valley-wire", "trim"), ("metro-courier", "add")],
    "ot-wildfire": [("valley-wire", "both"), ("metro-courier", "add")],
    "ot-rail": [("valley-wire", "trim")],
}

ADDED = {
    "valley-wire": "This story was distributed by the Valley Wire news service. Valley Wire staff "
    "writer Jonah Pratt contributed reporting.",
    "metro-courier": "Editor's note: an earlier version of this article misstated the day of the "
    "week on which the announcement was made. The Metro Courier regrets the error.",
}
DATELINE = {"riverton-ledger": "", "valley-wire": "RIVERTON (Valley Wire) — ", "metro-courier": ""}


def copies() -> list[Copy]:
    """Every copy, originals first (a crawl that meets the original first, as the test assumes)."""
    result: list[Copy] = []
    later: list[Copy] = []
    for n, (sid, title, paragraphs) in enumerate(stories()):
        day = 1 + n % 27
        result.append(
            Copy(
                ORIGIN, f"/article/{sid}.html", sid, title, f"2024-03-{day:02d}", tuple(paragraphs)
            )
        )
        for k, (site, edit) in enumerate(SYNDICATION.get(sid, [])):
            body = list(paragraphs)
            if sid.startswith("rv-") and DATELINE[site]:
                body[0] = DATELINE[site] + body[0]
            if edit in ("trim", "both"):
                body = body[:-1]
            if edit == "short":  # the wire's short version: the first two thirds
                body = body[: (len(body) * 2 + 2) // 3]
            if edit in ("add", "both"):
                body.append(ADDED[site])
            later.append(
                Copy(
                    site,
                    f"/article/{2024 + k}/{sid.split('-', 1)[1]}-wire.html",
                    sid,
                    f"{title} ({site.replace('-', ' ').title()})",
                    f"2024-03-{min(day + 1 + k, 28):02d}",
                    tuple(body),
                )
            )
    return result + later


def _esc(text: str) -> str:
    return htmlmod.escape(text, quote=True)


def _related(site_copies: list[Copy], current: Copy) -> list[Copy]:
    others = [c for c in site_copies if c.path != current.path]
    return others[:5]


def render(copy: Copy, site_copies: list[Copy]) -> str:
    """The page of ``copy`` in its site's template (three unlike templates, with boilerplate)."""
    related = _related(site_copies, copy)
    paras = copy.paragraphs
    if copy.site == "riverton-ledger":
        body = "\n".join(f"<p>{_esc(p)}</p>" for p in paras)
        links = "".join(f'<li><a href="{c.path}">{_esc(c.title)}</a></li>' for c in related)
        return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{_esc(copy.title)} | The Riverton Ledger</title>
<link rel="canonical" href="{copy.path}"></head><body>
<header><a href="/">The Riverton Ledger</a><nav><a href="/">Home</a> <a href="/">City</a>
<a href="/">Schools</a> <a href="/">Opinion</a></nav></header>
<main><article><h1>{_esc(copy.title)}</h1>
<p class="byline">By Ledger Staff · <time datetime="{copy.published}">{copy.published}</time></p>
<div class="story-body">{body}</div></article>
<aside><h2>More from City Hall</h2><ul>{links}</ul></aside></main>
<footer>© 2024 The Riverton Ledger. All rights reserved. Subscribe for $1 a week.</footer>
</body></html>"""
    if copy.site == "valley-wire":
        body = "\n".join(f'<p class="para">{_esc(p)}</p>' for p in paras)
        links = " ".join(f'<a class="rel" href="{c.path}">{_esc(c.title)}</a>' for c in related)
        return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{_esc(copy.title)}</title><meta property="og:title" content="{_esc(copy.title)}">
<meta property="article:published_time" content="{copy.published}T08:30:00-05:00"></head>
<body><div id="top"><span class="logo">VALLEY WIRE</span> <a href="/">Latest</a></div>
<div id="wrap"><div class="headline"><h1>{_esc(copy.title)}</h1>
<span class="date">{copy.published}</span></div>
<div class="content" itemprop="articleBody">{body}</div>
<div class="share">Share on Facebook · Share on X · Email this story</div>
<div class="trending"><h3>Trending now</h3>{links}</div></div>
<div id="foot">Valley Wire Service · Terms · Privacy</div></body></html>"""
    body = "\n".join(f"<p>{_esc(p)}</p>" for p in paras)
    links = "".join(
        f'<div class="card"><a href="{c.path}">{_esc(c.title)}</a></div>' for c in related
    )
    return f"""<!doctype html><html lang="en-US"><head><meta charset="utf-8">
<title>{_esc(copy.title)} - Metro Courier</title>
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{_esc(copy.title)}",
"datePublished": "{copy.published}T11:00:00Z"}}</script></head><body>
<div class="masthead">METRO COURIER <small>Independent news since 1911</small></div>
<div class="layout"><section class="main-col"><h1 class="title">{_esc(copy.title)}</h1>
<div class="meta">Published {copy.published} · 4 min read</div>
<section itemprop="articleBody" class="entry">{body}</section>
<div class="newsletter">Get the Morning Courier in your inbox. Sign up now.</div></section>
<section class="rail"><h4>Most read</h4>{links}</section></div>
<footer>Metro Courier Media Group</footer></body></html>"""


def build_sites() -> dict[str, dict[str, str]]:
    """``{site: {path: html}}``; ``/`` on each site links every article of that site."""
    all_copies = copies()
    sites: dict[str, dict[str, str]] = {}
    for site in SITES:
        site_copies = [c for c in all_copies if c.site == site]
        pages = {c.path: render(c, site_copies) for c in site_copies}
        links = "".join(f'<li><a href="{c.path}">{_esc(c.title)}</a></li>' for c in site_copies)
        pages["/"] = f"<!doctype html><html><body><h1>{site}</h1><ul>{links}</ul></body></html>"
        sites[site] = pages
    return sites


def ground_truth() -> dict[tuple[str, str], str]:
    """``{(site, path): story_id}`` for every article copy."""
    return {(c.site, c.path): c.story_id for c in copies()}


def extract_body(html: str) -> str:
    """The cleaned body as pipelines.clean will give it: paragraphs separated by blank lines."""
    text = trafilatura.extract(html, include_comments=False, include_tables=False) or ""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def pairwise_precision_recall(predicted: dict, truth: dict) -> tuple[float, float]:
    """Pairwise precision and recall of a grouping (``{copy: group}``) against ``truth``."""
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(truth), 2):
        same_true = truth[a] == truth[b]
        same_pred = predicted[a] == predicted[b]
        tp += same_true and same_pred
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)
