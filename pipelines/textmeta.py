"""Article metadata a page writes as text instead of markup: bylines ("By Jane Smith, Business
Editor", "By A and B", "Jane Smith | Staff Writer"), date lines ("Tuesday, April 2, 2019",
"Date: 2024-03-05 14:22", "2. April 2019", "02/04/2019"), the utility links legacy pages print
around a story ("Printer-friendly version | E-mail this story | Back to Business"), and the date a
URL carries (``/2019/04/02/``, ``/2019/0402_3.htm``, ``/20240305/123.html``, ``2019-04-02`` in a
slug).

:mod:`pipelines.extract` reads these only where JSON-LD, meta tags and ``<time>`` say nothing, and
takes such lines out of the main text wherever they stand at its top or bottom: they are not
article text, even on a page whose JSON-LD already gave the author and date.

Words are known in English, German, French, Spanish, Italian, Portuguese and Dutch. A line is read
as metadata only when it is short and *all* of it is accounted for (a date, a time, labels such as
"Published", weekday names, a byline of capitalised names, a role); anything else is article text.

Dates are ISO 8601 like :func:`pipelines.metadata.normalize_date`: a date alone stays a date, a
time the page gave without a zone stays without one. Numeric dates: a year written first is
Y-M-D; otherwise a number over 12 is the day; a dotted date (``2.4.2019``) is day first; an
ambiguous ``02/04/2019`` is month first only on an English page of a month-first locale (``en``
without a region, ``en-US``, ``en-PH``, or no declared language and English text) and day first
everywhere else, as most of the world writes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import unquote, urlsplit

from lxml import etree


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _phrases(phrases: str) -> frozenset[str]:
    return frozenset(" ".join(p.split()) for p in phrases.split("|"))


_MONTH_NAMES = {
    # English, German, French, Spanish, Italian, Portuguese, Dutch; then Scandinavian, Polish,
    # Czech, Romanian and Hungarian names (nominative and, where dates use it, genitive)
    1: "january jan janvier janv enero ene gennaio gen janeiro januar jänner jän januari "
    "styczeń stycznia ledna leden ianuarie január",
    2: "february feb februar feber février fevrier févr fevr febrero febbraio fevereiro fev "
    "februari luty lutego února únor februarie február",
    3: "march mar märz maerz mär mrz mars marzo março marco maart mrt marzec marca března "
    "březen martie március",
    4: "april apr avril avr abril abr aprile kwiecień kwietnia dubna duben aprilie április",
    5: "may mai mayo maggio mag maio mei maj maja května květen május",
    6: "june jun juni juin junio giugno giu junho czerwiec czerwca června červen iunie június",
    7: "july jul juli juillet juil julio luglio lug julho lipiec lipca července červenec iulie "
    "július",
    8: "august aug août aout agosto ago augustus augusti sierpień sierpnia srpna srpen augusztus",
    9: "september sep sept septembre septiembre setiembre settembre set setembro wrzesień "
    "września září septembrie szeptember",
    10: "october oct oktober okt octobre octubre ottobre ott outubro out październik "
    "października října říjen octombrie október",
    11: "november nov novembre noviembre novembro listopad listopada listopadu noiembrie",
    12: "december dec dezember dez décembre decembre déc diciembre dic dicembre dezembro grudzień "
    "grudnia prosince prosinec decembrie",
}
_MONTHS = {name: n for n, names in _MONTH_NAMES.items() for name in names.split()}
_FULL_MONTHS = frozenset(name for name in _MONTHS if len(name) > 4)

_WEEKDAYS = _wordset(
    """monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri
    sat sun montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag lundi mardi
    mercredi jeudi vendredi samedi dimanche lunes martes miércoles miercoles jueves viernes sábado
    sabado domingo lunedì lunedi martedì martedi mercoledì mercoledi giovedì giovedi venerdì
    venerdi sabato domenica segunda terça terca quarta quinta sexta feira maandag dinsdag woensdag
    donderdag vrijdag zaterdag zondag"""
)
# Words that may stand around a date in a date line ("Published on", "Veröffentlicht am",
# "Publié le", "Publicado el", "Pubblicato il", "Gepubliceerd op"), time zone names included:
# a zone name is read only as UTC/GMT or a numeric offset, never guessed from its letters.
_DATE_WORDS = _wordset(
    """published publication posted created date dated first originally issued on at of the
    am um den vom veröffentlicht erschienen erstellt datum stand uhr le la à publié publie publiée
    el del de fecha publicado publicada il alle ore pubblicato pubblicata data em às as
    op om gepubliceerd geplaatst publicerad publicerat publiceret publisert opublikowano
    publikováno publicat pe dnia kl h hrs read min mins minute minutes lesezeit lesen lecture
    lectura lettura leitura leestijd est edt cst cdt mst mdt pst pdt et pt ct cet cest bst gmt
    utc mez mesz ist aest aedt z"""
)
_MODIFIED_WORDS = _wordset(
    """updated update last modified changed revised aktualisiert geändert zuletzt mis jour modifié
    modifie actualisé actualise actualizado actualizada atualizado atualizada aggiornato
    aggiornata aggiornamento bijgewerkt gewijzigd laatst"""
)

# Roles and bylines of agencies, in the languages above (lowercase, whole words).
_ROLE_WORDS = _wordset(
    """writer writers reporter reporters correspondent correspondents editor editors columnist
    contributor contributors contributing staff journalist journalists author producer
    photographer bureau desk chief senior special freelance wire wires press agency news
    associated reuters afp ap dpa ansa efe apa sda anp belga lusa epa kna bloomberg times post
    herald journal tribune gazette daily redakteur redakteurin korrespondent korrespondentin
    autor autorin redaktion journalistin reporterin journaliste correspondant correspondante
    rédacteur rédactrice rédaction envoyé envoyée spécial spéciale presse corresponsal periodista
    redactor redactora redacción enviado enviada prensa agencia corrispondente giornalista
    redattore redattrice redazione inviato inviata agenzia correspondente jornalista repórter
    redator redatora redação agência verslaggever redacteur redactie"""
)
# Capitalised words that start sentences and labels, not names ("By Tuesday, ...", "By Published").
_NOT_NAMES = (
    frozenset(w for w in _WEEKDAYS if len(w) > 3)
    | _MODIFIED_WORDS
    | _wordset("published posted date datum fecha data publié publicado pubblicato gepubliceerd")
)
# Words of a label where a page prints its author, not of a name ("Autor", "Follow", "Sponsored").
_AUTHOR_LABELS = _wordset(
    "by von par por door di autor autorin autoren author authors auteur autore autores follow "
    "folgen suivre seguir profil profile sponsored gesponsert gesponserte anzeige werbung "
    "advertisement erstellt admin administrator"
)
# Particles and suffixes a personal name may hold in lowercase or after its first word.
_NAME_PARTICLES = _wordset(
    "van von de der den da di du del della des la le al el bin ibn ten ter dos das do y"
)
# A user name: 3 to 30 letters, digits, dots, dashes or underscores, starting with a letter.
_HANDLE = re.compile(r"[^\W\d_][\w.\-]{2,29}")
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
# Connectors a role or place may hold in lowercase ("Editor of the Gazette", "Chef der Redaktion").
_ROLE_CONNECTORS = _wordset(
    "of for and the at in on to de du des der die für und et y e di del della da do dos van"
)

_UTILITY_PHRASES = _phrases(
    """print|print this|print this article|print this story|print this page|printer-friendly
    version|printer friendly version|printer-friendly|printer friendly|printable version|print
    version|e-mail this story|e-mail this article|e-mail this page|e-mail this|email this story|
    email this article|email this page|email this|e-mail|email|e-mail to a friend|email to a
    friend|send to a friend|send this story|send this article|share|share this|share this
    article|share this story|share this page|tweet|facebook|twitter|linkedin|whatsapp|pinterest|
    reddit|comments|comment|leave a comment|post a comment|add a comment|view comments|read
    comments|save|save article|bookmark|reprints|reprint|permalink|back to top|top of page|return
    to top|top|drucken|druckversion|druckansicht|artikel drucken|versenden|artikel versenden|per
    e-mail versenden|teilen|artikel teilen|kommentare|kommentieren|merken|nach oben|seitenanfang|
    zum seitenanfang|imprimer|version imprimable|imprimer l'article|envoyer|envoyer à un ami|
    envoyer par e-mail|partager|commentaires|commenter|réagir|haut de page|retour en haut|
    imprimir|versión imprimible|versión para imprimir|enviar|enviar por e-mail|enviar por correo|
    compartir|comentarios|comentar|volver arriba|ir arriba|stampa|versione stampabile|invia|
    invia per e-mail|condividi|commenti|commenta|torna su|torna in alto|compartilhar|partilhar|
    comentários|versão para impressão|voltar ao topo|topo|afdrukken|printen|printversie|delen|
    mailen|e-mailen|reacties|reageer|naar boven"""
)
# "Back to Business", "Zurück zur Übersicht", "Retour à l'accueil": a link back to a section.
_BACK_TO = re.compile(
    r"^(?:back to|return to|zurück zu[mr]?|zurück|retour (?:à|au|aux|vers)|volver a[l]?|regresar "
    r"a[l]?|torna a(?:l|lla|i|gli)?|voltar (?:a|ao|à|para)|terug naar)\b\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
# "12 comments", "1,693 views", "Share this post", "Share on Facebook"
_COUNTED = re.compile(
    r"^\d[\d,.]*\s*k?\s+(?:comments?|kommentare?|commentaires?|comentarios?|commenti|comentários|"
    r"reacties|shares?|views?|likes?|aufrufe|vues|visitas|visualizzazioni|visualizações)$",
    re.IGNORECASE,
)
_SHARE = re.compile(
    r"^(?:share|teilen|partager|compartir|condividi|compartilhar|partilhar|delen)"
    r"(?: (?:this|the|diesen|cet|este|esta|questo|deze))?"
    r"(?: (?:article|story|post|page|artikel|beitrag|seite|artículo|articolo|artigo))?"
    r"(?: (?:on|via|auf|sur|en|su|no|op) [\w.]+)?$",
    re.IGNORECASE,
)
# A label alone on its line, its value on the next ("Written by" / "Jane Smith", "Published:").
_LONE_LABEL = re.compile(
    r"^(?:(?P<author>(?:(?:written|posted|published|reported|story)\s+)?(?:by|von|par|por|door)"
    r"\s*:?|(?:authors?|autor(?:in)?|auteurs?|autore)\s*:)|(?:last )?updated(?: on)?\s*:?|"
    r"(?:published|posted(?: on)?|date|datum|fecha|data|veröffentlicht(?: am)?|publié le|"
    r"publicado|pubblicato|gepubliceerd(?: op)?|aktualisiert(?: am)?|mis à jour le|"
    r"actualizado|aggiornato|bijgewerkt(?: op)?)\s*:)$",
    re.IGNORECASE,
)
_UTILITY_SPLIT = re.compile(r"\s*(?:[|·•¦]|\s/\s|\s{2,})\s*")

_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th|er|e|º|°|\.)?"
_MONTH_FIRST = re.compile(
    rf"(?<![^\W\d_])(?P<month>{_MONTH_RE})\.?\s+(?P<day>[0-3]?\d){_ORDINAL},?\s+(?P<year>\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_DAY_FIRST = re.compile(
    rf"(?<![\w.])(?P<day>[0-3]?\d){_ORDINAL}\s*(?:de\s+|of\s+)?(?P<month>{_MONTH_RE})(?![^\W\d_])"
    rf"\.?,?\s*(?:de\s+|del\s+)?(?P<year>\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_YEAR_FIRST = re.compile(
    r"(?<![\d.:/-])(?P<year>(?:19|20)\d\d)(?P<sep>[./-])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)(?!\d)"
)
_YEAR_LAST = re.compile(
    r"(?<![\d.:/-])(?P<a>[0-3]?\d)(?P<sep>[./-])(?P<b>[01]?\d|[0-3]\d)(?P=sep)(?P<year>(?:19|20)\d\d)"
    r"(?![\d]|[./-]\d)"
)
_TIME = re.compile(
    r"(?:\bT)?(?<![\d:.])(?P<hour>[01]?\d|2[0-3])"
    r"(?:(?:[:h](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?|\.(?P<dot_minute>[0-5]\d)(?=\s*uhr))"
    r"(?:\s*(?P<ampm>[ap])\.?\s?m\b\.?)?|\s*(?P<ampm_only>[ap])\.?\s?m\b\.?)"
    r"(?:\s*(?:uhr|hrs?|h)\b)?"
    r"(?:\s*(?P<zone>(?:UTC|GMT)\s?[+-]\d{1,2}(?::?\d{2})?|[+-]\d{2}:?\d{2}(?!\d)|Z\b|UTC\b|GMT\b))?",
    re.IGNORECASE,
)
# "8 min read", "Lesezeit: 3 Min.": the reading time a date line often carries.
_MINUTES = r"~?\d+(?:\s*[-–]\s*\d+)?\s*(?:min(?:ute)?s?|minuten)\b\.?"
_READING_TIME = re.compile(
    rf"(?:reading time|read time|lesezeit|lesedauer|temps de lecture|tiempo de lectura|"
    rf"tempo di lettura|tempo de leitura|leestijd)\s*:?\s*{_MINUTES}|"
    rf"{_MINUTES}\s*(?:read|reading|lesen|lesezeit|de lecture|de lectura|di lettura|de leitura|"
    rf"leestijd)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?")
_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"[^\W\d_]{4,}[.!?]$")

# "by" in the languages bylines are written in ("By A", "Von A", "Par A", "Por A", "Door A", "Di A")
BY_WORDS = ("by", "von", "par", "por", "door", "di")
# What an author element may print before the name: "Autor:", and "by", "von", "Posted by".
_LABEL_LEADS = _wordset(
    "autor autorin autoren author authors auteur auteurs autore autori interview text texte "
    "redaktion words reporter"
)
_BY_LEADS = frozenset(BY_WORDS) | _wordset("posted written geschrieben verfasst")
_BY = re.compile(
    r"^(?:(?:ein|eine|an|a|un|una|uno)\s+(?:artikel|beitrag|gastbeitrag|kommentar|article|"
    r"articolo|artículo|story|post|interview)\s+)?"
    r"(?:(?:written|posted|submitted|contributed|reported|reporting|story|words|text|texte|texto|"
    r"testo|tekst|erstellt|"
    r"geschrieben|verfasst|veröffentlicht|gepostet|escrito|écrit|scritto|publicado|publié|"
    r"pubblicato)\s+)?"
    r"(?:" + "|".join(BY_WORDS) + r")\s*:?\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
# "ByDaryl Austin": "By" and the name in two elements with no space between them.
# "ChecklistsJust": two words of two elements run together, not a name ("McDonald", "MacArthur").
_GLUED = re.compile(r"(?-i:[a-z]{3}[A-Z])")
_BY_GLUED = re.compile(r"^By(?P<rest>[A-Z][^\W\d_]*(?:\.[A-Z][^\W\d_]*)*\.?\s.+)$")
_AUTHOR_LABEL = re.compile(
    r"^(?:authors?|autor(?:in|en|es|a)?|auteurs?|autore|autori|autores|text|texte|texto|testo|"
    r"tekst|redactie|redaktion|redacción|rédaction|redazione)\s*:\s*(?P<rest>.+)$",
    re.IGNORECASE,
)
_ROLE_SPLIT = re.compile(r"\s+(?:\||[-–—/·•])\s+|\s*[|·•]\s*")
_CONJUNCTION = re.compile(r"\s*(?:&|\band\b|\bund\b|\bet\b|\by\b|\be\b|\ben\b)\s+", re.IGNORECASE)
# "A (with B and C)", "A, avec B": co-authors joined by "with" are authors like the first.
_WITH = re.compile(
    r"\s*\(\s*(?:with|avec|mit|con|com|met)\s+(?P<inner>[A-ZÀ-ÖØ-Þ][^()]*?)\s*\)"
    r"|,?\s+(?:with|avec|mit|con|com|met)\s+(?=[A-ZÀ-ÖØ-Þ])"
)
_BRACKETED_ROLE = re.compile(r"^(?P<head>[^()]+?)\s*\((?P<role>[^()]+)\)$")
_PLACE = re.compile(r"\s+(?:in|aus|à|em|uit|from|reporting from)\s+(?=[^\W\d_])")
# A byline is short: a line longer than this is a sentence that happens to start with "By".
_BYLINE_MAX_WORDS = 12
_BYLINE_MAX_CHARS = 120
_LINE_MAX_CHARS = 200
_NAME_MAX_TOKENS = 5
# Text read to tell an undeclared English page (month-first numeric dates) from others.
_GUESS_CHARS = 3000

_URL_DATES = (
    # /2019/04/02/, 2019-04-02 or 2019_04_02 in a slug
    re.compile(
        r"(?<!\d)(?P<year>(?:19|20)\d\d)[/_.-](?P<month>[01]?\d)[/_.-](?P<day>[0-3]?\d)(?!\d)"
    ),
    # /2023/october/03/
    re.compile(
        rf"(?<!\d)(?P<year>(?:19|20)\d\d)/(?P<month_name>{_MONTH_RE})/(?P<day>[0-3]?\d)(?!\d)", re.I
    ),
    # /2019/0402_3.htm
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)/(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)"),
    # /20240305/123.html, story-20240305.html
    re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?P<month>[01]\d)(?P<day>[0-3]\d)(?!\d)"),
)

# Elements that start a new line of text as a reader sees the page.
_BLOCK_TAGS = _wordset(
    """address article aside blockquote br center dd div dl dt fieldset figcaption figure footer
    form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td th thead tfoot tr
    ul"""
)
_HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "select", "textarea", "svg"})
# After the headline, bylines and date lines come before the story: read this many lines, and stop
# at the first long paragraph.
_HEADLINE_LINES = 6
_STORY_WORDS = 40
# A title shorter than this is not trusted to find the headline line by its start.
_HEADLINE_PREFIX_CHARS = 10
_HEADLINE_PART_CHARS = 20
# Where in the main text such lines are taken out: this many lines at its top and at its bottom.
HEAD_LINES = 4
TAIL_LINES = 3


@dataclass(frozen=True)
class TextMeta:
    """What text lines said: authors, publication and update dates (ISO 8601), or nothing."""

    authors: tuple[str, ...] = ()
    published: str | None = None
    modified: str | None = None

    def __or__(self, other: TextMeta) -> TextMeta:
        """Each field from ``self``, or from ``other`` where ``self`` has none."""
        return TextMeta(
            self.authors or other.authors,
            self.published or other.published,
            self.modified or other.modified,
        )


# dates -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    day: date


def _valid(year: int, month: int, day: int) -> date | None:
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_first(lang: str | None, text: str) -> bool:
    if lang:
        parts = re.split(r"[-_]", lang.strip().lower())
        if parts[0] != "en":
            return False
        return len(parts) == 1 or parts[1] in {"us", "ph"}
    return _looks_english(text)


_ENGLISH = _wordset("the and of to in is was for that with on said by from at it")


def _looks_english(text: str) -> bool:
    words = re.findall(r"[a-z]+", text.lower())
    return len(words) >= 20 and sum(w in _ENGLISH for w in words) >= 0.12 * len(words)


def _dates(text: str, month_first: bool, known: date | None = None) -> list[_Found]:
    found: list[_Found] = []
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        for m in pattern.finditer(text):
            day = _valid(int(m["year"]), _MONTHS[m["month"].lower()], int(m["day"]))
            if day:
                found.append(_Found(m.start(), m.end(), day))
    for m in _YEAR_FIRST.finditer(text):
        day = _valid(int(m["year"]), int(m["month"]), int(m["day"]))
        if day:
            found.append(_Found(m.start(), m.end(), day))
    for m in _YEAR_LAST.finditer(text):
        a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
        if a > 12 or m["sep"] == ".":
            day_first = True
        elif b > 12:
            day_first = False
        elif known is not None and known in {_valid(year, a, b), _valid(year, b, a)}:
            day_first = known == _valid(year, b, a)
        else:
            day_first = not month_first
        day = _valid(year, b if day_first else a, a if day_first else b)
        if day:
            found.append(_Found(m.start(), m.end(), day))
    found.sort(key=lambda f: (f.start, -f.end))
    kept: list[_Found] = []
    for f in found:
        if not kept or f.start >= kept[-1].end:
            kept.append(f)
    return kept


def _zone(raw: str | None) -> str:
    if not raw:
        return ""
    raw = raw.upper().replace(" ", "")
    if raw in {"Z", "UTC", "GMT"}:
        return "+00:00"
    m = re.fullmatch(r"(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?", raw)
    if not m or int(m[2]) > 14:
        return ""
    return f"{m[1]}{int(m[2]):02d}:{m[3] or '00'}"


def _with_time(day: date, m: re.Match | None) -> str:
    if m is None:
        return day.isoformat()
    hour = int(m["hour"])
    minute = int(m["minute"] or m["dot_minute"] or 0)
    ampm = (m["ampm"] or m["ampm_only"] or "").lower()
    if ampm:
        if hour > 12 or hour == 0:
            return day.isoformat()
        hour = hour % 12 + (12 if ampm == "p" else 0)
    moment = datetime(day.year, day.month, day.day, hour, minute, int(m["second"] or 0))
    return moment.isoformat() + _zone(m["zone"])


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + "|" + " " * (end - start - 1) + text[end:]
    return text


def _dated(
    text: str, lang: str | None, known: str | None = None
) -> tuple[list[tuple[str, bool]], str]:
    """The dates of a short text as (ISO, is-an-update) in order, and the text with them masked."""
    found = _dates(text, _month_first(lang, text), date.fromisoformat(known) if known else None)
    if not found:
        return [], text
    masked = _mask(text, [(f.start, f.end) for f in found])
    times = [t for t in _TIME.finditer(masked) if t.group(0).strip()]
    out = []
    previous_end = 0
    for n, f in enumerate(found):
        next_start = found[n + 1].start if n + 1 < len(found) else len(masked)
        after = [t for t in times if f.end <= t.start() < next_start]
        before = [t for t in times if previous_end <= t.start() and t.end() <= f.start]
        moment = (after or before or [None])[0]
        label = set(_WORD.findall(masked[previous_end : f.start].lower()))
        out.append((_with_time(f.day, moment), bool(label & _MODIFIED_WORDS)))
        previous_end = f.end
    masked = _mask(masked, [(t.start(), t.end()) for t in times])
    return out, masked


def parse_date(text: str, lang: str | None = None, known: str | None = None) -> str | None:
    """The first date written in ``text`` (with its time, if one stands beside it), ISO 8601.

    ``lang`` (the page's language) and ``known`` (a date the page is known to carry, e.g. its
    URL's) decide an ambiguous numeric date such as ``03/10/2023``."""
    dates, _ = _dated(text, lang, known)
    return dates[0][0] if dates else None


def url_date(url: str) -> str | None:
    """The date a URL's path carries (``/2019/04/02/``, ``/2019/0402_3.htm``, ``/20240305/1.html``,
    ``2019-04-02`` in a slug), as an ISO date; None when it carries none."""
    path = unquote(urlsplit(url).path)
    for pattern in _URL_DATES:
        for m in pattern.finditer(path):
            month = (
                _MONTHS[m["month_name"].lower()] if "month_name" in m.re.groupindex else m["month"]
            )
            day = _valid(int(m["year"]), int(month), int(m["day"]))
            if day:
                return day.isoformat()
    return None


# bylines -----------------------------------------------------------------------------------
def _name(text: str) -> str | None:
    tokens = text.strip(" ,;:").split()
    if not tokens or len(tokens) > _NAME_MAX_TOKENS:
        return None
    # "The Associated Press"
    rest = tokens[1:] if tokens[0].lower() == "the" and len(tokens) > 1 else tokens
    for n, token in enumerate(rest):
        bare = token.strip(".'’").lower()
        if not bare:
            return None
        if n and (token.lower() in _NAME_PARTICLES or token.lower() in _NAME_SUFFIXES):
            continue
        if not token[0].isupper() or not re.fullmatch(r"[^\W\d_]+(?:['’.-][^\W\d_]*)*\.?", token):
            return None
        if bare in _NOT_NAMES or _GLUED.search(token):
            return None
    if tokens[-1].lower() in _NAME_PARTICLES:
        return None
    if len(rest) == 1 and rest[0].lower().strip(".") in _FULL_MONTHS:
        return None
    # "JANE SMITH" as bylines print it: the name is "Jane Smith".
    if all(t.isupper() and len(t) > 2 for t in tokens if t[0].isalpha()) and len(tokens) > 1:
        return " ".join(t.title() for t in tokens)
    return " ".join(tokens)


def _names(text: str) -> list[str] | None:
    parts = [p for p in _CONJUNCTION.split(text) if p.strip()]
    names = [_name(p) for p in parts]
    if not names or any(n is None for n in names):
        return None
    return [n for n in names if n]


def name_list(text: str) -> list[str]:
    """The names of ``text`` when it is nothing but names ("Jane Doe", "Jane Doe and John Roe",
    "Jane Doe Chefredakteurin"); [] otherwise, and for a label ("By", "Autor", "Follow"). For
    text the markup already says is an author: elsewhere a short line without "By" is not taken
    for a name (see :func:`parse_byline`)."""
    text = _co_authors(_SPACE.sub(" ", text).strip(" ,;:|·•-–—"))
    if not text or len(text) > _BYLINE_MAX_CHARS:
        return []
    if "," in text:
        # "A, B and C"; not "Doe, Jane" (one name, inverted) nor "Jane Doe, Reuters"
        parts = text.split(",")
        found = [[] if _is_role(part, strict=True) else name_list(part) for part in parts]
        if all(names and all(len(n.split()) > 1 for n in names) for names in found):
            return list(dict.fromkeys(name for names in found for name in names))
        return []
    words = text.split()
    while len(words) > 2 and _is_role_word(words[-1]):
        words.pop()  # "Jane Doe Chefredakteur": a role printed after the name
    labels = [n for n, w in enumerate(words) if w.lower().strip(".:") in _AUTHOR_LABELS]
    if labels and (labels[0] == 0 or any(words[n].lower() not in _NAME_PARTICLES for n in labels)):
        return []  # "Autor Redaktion", "Sponsored content"; not the "von" of "Ursula von der Leyen"
    return list(dict.fromkeys(_names(" ".join(words)) or []))


def unlabelled(text: str, *, by: bool = True) -> str:
    """``text`` without the label words an element marked as the author prints before the name
    ("Author Jane Doe", and with ``by`` "Posted by: marc"); ``text`` whole when nothing else is
    left. Without ``by`` for names: :func:`parse_byline` has judged "By ..." already ("By The
    Currency editors" names no one)."""
    leads = _LABEL_LEADS | _BY_LEADS if by else _LABEL_LEADS
    words = _SPACE.sub(" ", text).strip(" |·•-–—").split()
    while len(words) > 1 and words[0].lower().strip(":") in leads:
        words.pop(0)
    return " ".join(words)


def handle(text: str) -> str | None:
    """The user name a blog prints as its author ("gizzmo", "by marc", "Autor: gnaddrig",
    "KleineGrüneMonster"): one word of letters, digits, dots, dashes or underscores after any
    "by" or "Author:" label, which is not itself a label, a role or a number. For text the markup
    says is the author, where :func:`name_list`, which wants capitalised names, found none."""
    words = [w for w in unlabelled(text).split() if w not in "|·•-–—"]
    if len(words) != 1:
        return None
    word = words[0].strip(".,;:")
    if (
        not _HANDLE.fullmatch(word)
        or word.isdigit()
        or word.lower() in _AUTHOR_LABELS
        or _is_role_word(word)
    ):
        return None
    return word


def _co_authors(text: str) -> str:
    return _WITH.sub(lambda m: f" and {m['inner']}" if m["inner"] else " and ", text)


def _is_role_word(word: str) -> bool:
    word = word.lower().strip(".,;:()")
    return word in _ROLE_WORDS or word.endswith(("redakteur", "redakteurin", "editor", "reporter"))


def _is_role(text: str, *, strict: bool) -> bool:
    """A role, an agency or a place after a name ("Business Editor", "Reuters", "in Brussels")."""
    text = text.strip(" ,;:()[]")
    if not text:
        return True
    words = [w for w in text.split() if "@" not in w]
    if not words or len(words) > 8 or _SENTENCE_END.search(text):
        return False
    lowered = {w.strip(".,;:()").lower() for w in words}
    if lowered & _ROLE_WORDS:
        return True
    if strict:
        return False
    return all(w[0].isupper() or w.lower() in _ROLE_CONNECTORS or not w[0].isalpha() for w in words)


def _caps_name_then_role(head: str, roles: list[str]) -> tuple[str, list[str]]:
    # "By JANE SMITH Associated Press": a name in capitals runs straight into the agency or role.
    words = head.split()
    caps = n = 0
    while n < len(words):
        if words[n].isupper() and len(words[n].strip(".,")) > 1:
            caps = n = n + 1
        elif _CONJUNCTION.fullmatch(f" {words[n]} ") and caps:
            n += 1  # "JOHN DOE and ANN LEE": the run goes on after "and"
        else:
            break
    rest = " ".join(words[caps:])
    if caps >= 2 and rest and _is_role(rest, strict=True):
        return " ".join(words[:caps]), [rest, *roles]
    return head, roles


def parse_byline(line: str) -> list[str]:
    """Author names of a byline ("By A, Role", "By A and B", "A | Role", "Author: A"); [] when the
    line is not one. Conservative: names must be capitalised, the line short."""
    line = _co_authors(_SPACE.sub(" ", line).strip(" |·•-–—"))
    if len(line) > _BYLINE_MAX_CHARS or len(line.split()) > _BYLINE_MAX_WORDS:
        return []
    labelled = _BY.match(line) or _AUTHOR_LABEL.match(line) or _BY_GLUED.match(line)
    rest = labelled["rest"] if labelled else line
    # "By Jane Doe (Staff Writer)": a role in brackets after a labelled name
    bracketed = _BRACKETED_ROLE.match(rest) if labelled else None
    if bracketed:
        rest = bracketed["head"]
    head, *roles = _ROLE_SPLIT.split(rest, maxsplit=1)
    if bracketed:
        roles.append(bracketed["role"])
    place = _PLACE.split(head, maxsplit=1)
    if len(place) > 1:
        head, roles = place[0], [place[1], *roles]
    head, roles = _caps_name_then_role(head, roles)
    parts = [p.strip() for p in head.split(",")]
    # "By A, B and C": the names run up to the last comma part holding a conjunction; what follows
    # is a role ("By A, Business Editor").
    last = max((n for n, p in enumerate(parts) if _CONJUNCTION.search(p)), default=0)
    names: list[str] = []
    for part in parts[: last + 1]:
        found = _names(part)
        if not found:
            return []
        names.extend(found)
    roles = [", ".join(parts[last + 1 :]), *roles]
    if not all(_is_role(r, strict=not labelled) for r in roles):
        return []
    if not labelled and (len(roles) == 1 or len(names[0].split()) < 2):
        # Without "By", only "Name | Role" or "Name - Role": a name alone is any short line, and
        # "Name, role" is how captions and quotes name people.
        return []
    return list(dict.fromkeys(names))


# lines -------------------------------------------------------------------------------------
def is_utility_line(line: str) -> bool:
    """A line of links to tools around the story: print, e-mail, share, comments, back to a
    section, top of page ("Printer-friendly version | E-mail this story | Back to Business")."""
    line = _SPACE.sub(" ", line).strip(" |·•¦[]")
    if not line or len(line) > _BYLINE_MAX_CHARS:
        return False
    phrases = [p.strip(" :-–—»«›‹>+").lower() for p in _UTILITY_SPLIT.split(line)]
    phrases = [p for p in phrases if p]
    if not phrases:
        return False
    for phrase in phrases:
        if phrase in _UTILITY_PHRASES or _COUNTED.match(phrase) or _SHARE.match(phrase):
            continue
        back = _BACK_TO.match(phrase)
        if back and len(back["rest"].split()) <= 4:
            continue
        return False
    return True


def classify_line(line: str, lang: str | None = None, known: str | None = None) -> TextMeta | None:
    """What a short line of text says, when it is a byline, a date line, both, or a utility line;
    None when it is (or may be) article text."""
    line = _SPACE.sub(" ", line).strip(" |")
    if not line or len(line) > _LINE_MAX_CHARS:
        return None
    if is_utility_line(line) or _LONE_LABEL.match(line):
        return TextMeta()
    dates, masked = _dated(line, lang, known)
    masked, reading = _READING_TIME.subn("|", masked)
    if not dates and not reading:
        authors = parse_byline(line)
        return TextMeta(tuple(authors)) if authors else None
    published = next((iso for iso, update in dates if not update), None)
    modified = next((iso for iso, update in dates if update), None)
    segments = []
    for segment in re.split(r"\s*[|·•]\s*|\s+[-–—]\s+", masked):
        words = segment.split()
        # labels and weekday names around a date, on either side of it
        while words and _is_date_word(words[0]):
            words.pop(0)
        while words and _is_date_word(words[-1]):
            words.pop()
        text = " ".join(words).strip(" ,;:-–—[]")
        if text.count("(") != text.count(")"):  # a bracket the date stood in ("(12.03.2021)")
            text = text.strip(" ()")
        if text:
            segments.append(text)
    if not segments:
        return TextMeta((), published, modified)
    authors = parse_byline(" | ".join(segments))
    if not authors:
        return None
    return TextMeta(tuple(authors), published, modified)


def _is_date_word(word: str) -> bool:
    bare = word.strip(" ,;:()[]").lower().rstrip(".")
    return not bare or bare in _DATE_WORDS or bare in _MODIFIED_WORDS or bare in _WEEKDAYS


class _LineReader:
    """Reads lines in reading order: a label alone on its line ("Written by", "Last updated on:")
    says what the next line is."""

    def __init__(self, lang: str | None, known: str | None) -> None:
        self._lang, self._known = lang, known
        self._label: str | None = None

    def read(self, line: str) -> TextMeta | None:
        label, self._label = self._label, None
        lone = _LONE_LABEL.match(_SPACE.sub(" ", line).strip(" |"))
        if lone:
            updated = set(_WORD.findall(line.lower())) & _MODIFIED_WORDS
            self._label = "author" if lone["author"] else "modified" if updated else "date"
            return TextMeta()
        if label == "author" and (authors := parse_byline(f"By {line}")):
            return TextMeta(tuple(authors))
        said = self.read_alone(line)
        if label == "modified" and said is not None and said.published and not said.modified:
            return TextMeta(said.authors, None, said.published)
        return said

    def read_alone(self, line: str) -> TextMeta | None:
        return classify_line(line, self._lang, self._known)


def strip_text_metadata(
    body: str,
    lang: str | None = None,
    known: str | None = None,
    *,
    head: int = HEAD_LINES,
    tail: int = TAIL_LINES,
) -> tuple[str, TextMeta, TextMeta]:
    """The main text without the bylines, date lines and utility lines at its top and bottom, and
    what the lines above and below the story said (a line at the bottom is weaker evidence: it
    may belong to what follows the story).

    Only the first ``head`` and last ``tail`` lines of text are looked at (lines taken out do not
    count): a line further inside is never removed. ``lang`` and ``known`` are as for
    :func:`parse_date`.
    """
    paragraphs = body.split("\n\n")
    filled = [n for n, p in enumerate(paragraphs) if p.strip()]
    lang = lang or _guess_lang(body)
    said: dict[int, TextMeta | None] = {}

    def scan(order: list[int], limit: int) -> TextMeta:
        found, kept = TextMeta(), 0
        for n in order:
            if kept >= limit:
                break
            if n not in said:
                line = paragraphs[n].strip()
                said[n] = None if "\n" in line else read(line)
            if said[n] is None:
                kept += 1
            else:
                found = found | said[n]
        return found

    read = _LineReader(lang, known).read
    above = scan(filled, head)
    read = _LineReader(lang, known).read_alone  # bottom up: no label precedes its value
    below = scan(filled[::-1], tail)
    dropped = {n for n, meta in said.items() if meta is not None}
    if dropped:
        body = "\n\n".join(p for n, p in enumerate(paragraphs) if n not in dropped)
    return body, above, below


def _guess_lang(text: str) -> str | None:
    return "en" if _looks_english(text[:_GUESS_CHARS]) else None


# the page around the headline ---------------------------------------------------------------
def page_lines(root: etree._Element) -> list[str]:
    """The page's visible text as a reader sees it: one string per block or ``<br>`` line."""
    return list(iter_page_lines(root))


def iter_page_lines(root: etree._Element) -> Iterator[str]:
    """:func:`page_lines` one by one, read from the page as they are asked for."""
    body = root.find("body")
    if body is None:
        body = root
    buffer: list[str] = []
    # (element, None) to open it, (element, its lower-case tag) to close it
    stack: list[tuple[etree._Element, str | None]] = [(body, None)]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        el, closing = pop()
        if closing is None:
            tag = el.tag
            tag = tag.lower() if tag.__class__ is str else None  # None: a comment
            if tag is not None and tag not in _HIDDEN_TAGS:
                if tag in _BLOCK_TAGS and (line := _take_line(buffer)):
                    yield line
                if el.text:
                    buffer.append(el.text)
                push((el, tag))
                if len(el):
                    extend([(child, None) for child in reversed(el)])
                continue
        elif closing in _BLOCK_TAGS and (line := _take_line(buffer)):
            yield line
        if el is not body and el.tail:
            buffer.append(el.tail)
    if line := _take_line(buffer):
        yield line


def _take_line(buffer: list[str]) -> str:
    """The text gathered in ``buffer``, one space between words (emptied)."""
    if not buffer:
        return ""
    line = " ".join("".join(buffer).split())
    buffer.clear()
    return line


def headline_metadata(
    root: etree._Element, title: str | None, lang: str | None = None, known: str | None = None
) -> TextMeta:
    """Byline and date from the short lines just under the page's headline (its ``<h1>`` or a line
    reading ``title``), where legacy pages print them. The page's lines are read only as far as
    the answer needs (a headline is near the top)."""
    headlines = [title or ""]
    headlines += [h.text_content() for h in root.iter("h1")]
    wanted = {_SPACE.sub(" ", h).strip().casefold() for h in headlines}
    wanted.discard("")
    if not wanted:
        return TextMeta()
    unread = iter_page_lines(root)
    lines: list[str] = []

    def read_to(count: int, chars: int = 0) -> None:
        """Read lines until ``count`` are read and they hold ``chars`` characters, or none are left."""
        held = sum(len(line) + 1 for line in lines) - 1 if chars else 0  # the lines joined
        while len(lines) < count or held < chars:
            line = next(unread, None)
            if line is None:
                return
            lines.append(line)
            held += len(line) + 1

    if not lang:
        read_to(0, _GUESS_CHARS)  # the guess reads the text's first characters only
        lang = _guess_lang(" ".join(lines))
    found = TextMeta()
    n = 0
    while True:
        read_to(n + 1 + _HEADLINE_LINES)
        if n >= len(lines):
            return found
        if _is_headline(lines[n].casefold(), wanted):
            reader = _LineReader(lang, known)
            for following in lines[n + 1 : n + 1 + _HEADLINE_LINES]:
                if len(following.split()) >= _STORY_WORDS:
                    break
                said = reader.read(following)
                if said is not None:
                    found = found | said
            if found.authors or found.published:
                return found
        n += 1


def _is_headline(line: str, headlines: set[str]) -> bool:
    # <title> adds the site name around the headline or shortens it; the printed line is the
    # headline when it is the title, begins with it, or is a good part of it.
    if line in headlines:
        return True
    if len(line) > _LINE_MAX_CHARS:
        return False
    return any(
        (len(h) >= _HEADLINE_PREFIX_CHARS and line.startswith(h))
        or (len(line) >= _HEADLINE_PART_CHARS and line in h)
        for h in headlines
    )
