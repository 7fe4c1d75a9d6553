"""The gated sentence answerer (the default until the trained reader meets the seed operating point): the
evidence sentence that answers the question, cited, with the reader's short answer inside it.

Each sentence of the top paragraphs is scored on features that say whether it *answers* rather than
merely mentions: semantic similarity to the question, how much of the question's (IDF-weighted) vocabulary
it and its paragraph cover, and whether it holds something of the kind asked for (a number for "how many",
a date for "when", a name for "who") that the question does not already contain. The same score decides
abstention: below ``min_support`` the system says the reports don't say.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import numpy as np

from rag.answer import ABSTAIN_MESSAGE
from rag.answer.citations import cite
from rag.answer.extractive import ExtractiveResult
from rag.answer.injection import looks_like_injection
from rag.paragraphs import paragraph_sentences
from rag.reader.read import Reader
from rag.retrieve import DocumentTitle
from rag.text import content_terms, number_words_to_digits, numbers_in, stem, words
from rag.types import Paragraph, ScoredParagraph, ShortSpan

# --- what kind of answer a question wants ------------------------------------------------------------

NUMBER, YEAR, DAY, DATE, PERSON, PLACE, NAME = "number", "year", "day", "date", "person", "place", "name"

_PERSON_NOUNS = (
    r"(person|people|man|woman|officer|general|commander|leader|soldiers?|official|expert|researcher|fellow|"
    r"director|ambassador|spokes(?:man|person|woman)|journalist|reporter|president|minister|head|chief|analyst|"
    r"author|writer|professor|emir|individual|predecessor|successor|deputy|founder|victims?|mayor|governor|"
    r"envoy|chairman|chairwoman|secretary|negotiator|judge|pilot|driver|editor|correspondent|king|prince)"
)
_PLACE_NOUNS = (
    r"(city|town|village|province|governorate|region|country|area|base|field|oil ?field|desert|border|district|"
    r"location|site|camp|prison|road|highway|river|mountain|countryside|neighbou?rhood|place)"
)
_NAMED_NOUNS = (
    r"(group|organi[sz]ation|unit|division|brigade|forces?|agency|newspaper|outlet|monitor|university|institute|"
    r"cent(?:er|re)|militia|faction|branch|coalition|company|party|network|channel|publication|state|nationality)"
)

# Checked in order: the first pattern that matches names the kind.
_TYPE_PATTERNS = [
    (YEAR, r"\b(what|which) (year|decade)\b"),
    (DAY, r"\b(what|which) (date|day)\b|\bexact date\b"),
    (
        PERSON,
        rf"\bname (of|for) (the |a |an |its |their |his |her )?(\w+ ){{0,2}}{_PERSON_NOUNS}\b"
        rf"|\bwho (is|was|are|were) [^?]*?\b{_PERSON_NOUNS}\b"
        r"|\bwho (is|was) (the|its|their) \w+ (of|at|for)\b"
        r"|\bwho (commands?|commanded|leads?|led|heads?|headed|directs?|directed|runs?|ran|founded|chairs?)\b"
        rf"|\b(what|which) (\w+ )?{_PERSON_NOUNS}\b|\bnames? of\b.*\b{_PERSON_NOUNS}\b",
    ),
    (
        NUMBER,
        r"\bhow (many|much|large|big|long|far|often|old)\b|\b(what|which) (\w+ )?number\b|\bwhat (number|percentage|share|proportion|size|"
        r"toll|amount|total)\b|\b(the )?number of\b|\bdeath toll\b",
    ),
    (DATE, r"\bwhen\b|\b(what|which) (month|time|period|season)\b|\bsince when\b"),
    (PLACE, rf"\bwhere\b|\b(what|which|in what|in which) (\w+ )?{_PLACE_NOUNS}\b"),
    (NAME, rf"\bwho\b|\bwhom\b|\bwhose\b|\b(what|which) (\w+ )?{_NAMED_NOUNS}\b|\bname of\b|\bnamed\b|\bcalled\b"),
]

_MONTHS = frozenset("january february march april may june july august september october november december".split())
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
_VAGUE_QUANTITIES = frozenset(
    "dozens hundreds thousands millions scores several half double dozen tens twice triple".split()
)
_YEAR = re.compile(r"\b(1[89]|20)\d\d(s)?\b")
_DAY_OF_MONTH = re.compile(
    r"\b(%s)\.? \d{1,2}\b|\b\d{1,2}(st|nd|rd|th)? (of )?(%s)\b" % ("|".join(_MONTHS), "|".join(_MONTHS)), re.I
)
_NAME_PARTICLES = frozenset("al bin ibn abu abd de van von der la le el".split())
# Capitalized spans: a run of capitalized words, possibly joined by name particles ("Abu Hafs al-Hashemi").
_CAP_SPAN = re.compile(
    r"(?:[A-Z][\w’'.-]*[A-Za-z]|(?:al|bin|ibn|de|van|von)-?[A-Z][\w’'-]*)(?:\s+(?:(?:al|bin|ibn|de|van|von|el)[- ])?[A-Z][\w’'-]*[A-Za-z])*"
)
_ORG_WORDS = frozenset(
    """forces force division brigade army state observatory rights center centre council institute university
    ministry coalition command press images agency group guard party government republic union nations company
    branch intelligence democratic international reconciliation network news desert river mountain field base
    province governorate highway road camp prison city county region east west north south central""".split()
)
_SPEECH = re.compile(r"\b(said|says|told|added|noted|explained|argued|wrote|believes|speculates|according to)\b")
_PERSON_ROLES = frozenset(
    """leader commander director head chief deputy researcher expert fellow ambassador spokesman spokesperson
    official analyst journalist reporter president minister professor founder emir general officer colonel
    author writer editor correspondent member""".split()
)
_TITLES = frozenset("mr mrs ms dr professor prof president general gen colonel ambassador sheikh".split())


def expected_type(question: str) -> str | None:
    q = question.lower()
    for kind, pattern in _TYPE_PATTERNS:
        if re.search(pattern, q):
            return kind
    return None


def _is_demonym(word: str) -> bool:
    return bool(re.search(r"(ian|ese|ish|i|an)$", word.lower()))


def _new_spans(sentence: str, question: str) -> list[tuple[int, int, str]]:
    """Capitalized spans of the sentence that the question does not already contain."""
    q_words = set(words(question))
    spans = []
    for m in _CAP_SPAN.finditer(sentence):
        start, text = m.start(), m.group(0)
        if start == 0:  # a sentence's first word is capitalized anyway: keep only what follows it
            rest = re.match(r"\S+\s+(?=[A-Z])", text)
            if not rest:
                continue
            start, text = rest.end(), text[rest.end() :]
        new_words = [w for w in words(text) if w not in q_words and w not in _NAME_PARTICLES]
        if not new_words or all(w in _MONTHS or w in _WEEKDAYS for w in new_words):
            continue
        if len(new_words) == 1 and _is_demonym(new_words[0]):  # "the Iraqi Abu Hafs": nothing new but "Iraqi"
            continue
        spans.append((start, start + len(text), text))
    return spans


def _is_person_span(sentence: str, start: int, end: int, text: str) -> bool:
    tokens = [w for w in words(text) if w not in _NAME_PARTICLES]
    if not tokens or any(w in _ORG_WORDS or w in _MONTHS or w in _WEEKDAYS for w in tokens):
        return False
    if len(tokens) == 1 and _is_demonym(tokens[0]):
        return False
    # News introduces people by what they say or what they are: "Landis said", "Mr. Ford",
    # "Gregory Waters, a researcher", "its leader Abu Bakr al-Baghdadi". Places and units get neither.
    before = words(sentence[max(0, start - 40) : start])
    if before and (before[-1] in _TITLES or before[-1] in _PERSON_ROLES):
        return True
    around = sentence[max(0, start - 25) : min(len(sentence), end + 25)].lower()
    if _SPEECH.search(around):
        return True
    after = words(sentence[end : end + 60])
    return bool(sentence[end : end + 2].startswith(",")) and any(w in _PERSON_ROLES for w in after[:5])


_OFFICES = (
    "mayor governor director head chief commander leader president minister ambassador spokesman spokesperson "
    "deputy founder king prince chairman chairwoman secretary envoy emir general editor"
).split()
_OFFICE = re.compile(
    r"\b(?:who (?:is|was|are|were)|name of|which|what)\b[^?]*?\b(%s|heads?|commands?|leads?|led|directs?|founded)\b"
    % "|".join(_OFFICES)
)


def office_stated(question: str, sentence: str) -> bool:
    """ "Who is the mayor of X?" is answered only by a sentence that names a mayor: the office asked about
    (or its verb: "heads", "commands") must be in the sentence ("director" ~ "directs", "leader" ~ "leadership")."""
    m = _OFFICE.search(question.lower())
    if not m:
        return True
    office = stem(m.group(1))
    sentence_stems = {stem(w) for w in words(sentence)}
    return any(w.startswith(office) or (len(w) >= 5 and office.startswith(w)) for w in sentence_stems)


def has_new_answer_of_type(kind: str | None, sentence: str, question: str) -> bool:
    """Does the sentence hold an answer of the asked-for kind that the question does not already state?"""
    if kind is None:
        return True
    q_words = set(words(question))
    s_words = words(sentence)
    if kind == NUMBER:
        if numbers_in(sentence) - numbers_in(question):
            return True
        return any(w in _VAGUE_QUANTITIES and w not in q_words for w in s_words)
    q_years = {m.group(0) for m in _YEAR.finditer(question)}
    new_year = any(m.group(0) not in q_years for m in _YEAR.finditer(sentence))
    if kind == YEAR:
        return new_year
    new_day = any(m.group(0).lower() not in question.lower() for m in _DAY_OF_MONTH.finditer(sentence)) or any(
        w in _WEEKDAYS and w not in q_words for w in s_words
    )
    if kind == DAY:
        return new_day
    if kind == DATE:
        return new_day or new_year or any(w in _MONTHS and w not in q_words for w in s_words)
    spans = _new_spans(sentence, question)
    if kind == PERSON:
        return office_stated(question, sentence) and any(_is_person_span(sentence, s, e, t) for s, e, t in spans)
    # PLACE and NAME: any new named thing that is not merely a nationality adjective.
    return any(not (len(words(t)) == 1 and _is_demonym(t)) for _, _, t in spans)


def question_specifics_supported(question: str, paragraph_text: str, title_numbers: set[str] = frozenset()) -> bool:
    """Numbers, years, months and weekdays the question states must be in the evidence paragraph,
    or the paragraph is about another time or count than the one asked about; numbers that name the
    paragraph's document (``title_numbers``: "NIST SP 800-207") excepted."""
    calendar = _MONTHS | _WEEKDAYS
    asked = {w for w in words(question) if w in calendar}
    # "a two-word phrase", "a four-man cell": a number inside a compound describes, it is not a count asked about.
    counted = numbers_in(re.sub(r"\b[\w]+-(word|man|member|page|point|part|step|way)\b", " ", question))
    return counted - title_numbers <= numbers_in(paragraph_text) and asked <= set(words(paragraph_text))


def times_agree(question: str, sentence: str) -> bool:
    """When the question names months or years and the sentence names some too, one must be the question's:
    "in March" is not answered by a sentence about February."""

    def times(text: str) -> set[str]:
        return {w for w in words(text) if w in _MONTHS} | {m.group(0) for m in _YEAR.finditer(text)}

    asked, stated = times(question), times(sentence)
    return not asked or not stated or bool(asked & stated)


def _initials(text: str) -> set[str]:
    """Initials of capitalized runs ("Syrian Observatory for Human Rights" -> "SOHR"), to meet acronyms."""
    out = set()
    for m in re.finditer(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|for|and|the|de|al)\s+)*[A-Z][\w’'-]*)+", text):
        caps = [w for w in m.group(0).split() if w[0].isupper()]
        if caps[0] in ("The", "A", "An"):
            caps = caps[1:]
        out.add("".join(w[0] for w in caps))
    return out


_ATTRIBUTION_BEFORE = re.compile(r"\b(according to|per|by|cited by|told)( the)?\s*$", re.I)
_ATTRIBUTION_AFTER = re.compile(
    r"^(['’]s)?\s+(report|reports|reported|article|story|sources?|says?|said|claims?)\b", re.I
)


def question_entities(question: str) -> list[tuple[str, bool]]:
    """Names, places and months the question is about (capitalized spans past its first word), each with
    whether it only attributes the question to a source ("according to Al Mayadeen", "the BI report")."""
    spans = []
    for m in _CAP_SPAN.finditer(question):
        start, text = m.start(), m.group(0)
        if start == 0:
            rest = re.match(r"\S+\s+(?=[A-Z])", text)
            if not rest:
                continue
            start, text = rest.end(), text[rest.end() :]
        before, after = question[max(0, start - 20) : start], question[start + len(text) :]
        attribution = bool(
            (_ATTRIBUTION_BEFORE.search(before) and re.match(r"^\s*(,|\?|$)", after)) or _ATTRIBUTION_AFTER.match(after)
        )
        spans.append((text, attribution))
    return spans


def _word_present(token: str, present: set[str]) -> bool:
    """Exact, or a country meeting its adjective ("russia" ~ "russian", "iraq" ~ "iraqi")."""
    if token in present:
        return True
    return len(token) >= 4 and any(w.startswith(token) and len(w) - len(token) <= 2 for w in present)


def entity_support(entity: str, paragraph_text: str, document_words: set[str]) -> tuple[bool, bool]:
    """Is a named thing from the question in the paragraph, and in its document?

    In the paragraph when every word of it is there, or when the document has every word and the paragraph
    one ("Aron Lund" introduced earlier, "Lund said" here); an acronym also matches a capitalized run with
    its initials ("SOHR" ~ "Syrian Observatory for Human Rights", "ISIS" ~ "Islamic State").
    """
    tokens = [w for w in words(entity) if w not in _NAME_PARTICLES]
    if not tokens:
        return True, True
    para_words = set(words(paragraph_text))
    in_para = [_word_present(t, para_words) for t in tokens]
    in_doc = all(p or _word_present(t, document_words) for t, p in zip(tokens, in_para))
    if all(in_para) or (in_doc and any(in_para)):
        return True, True
    if re.fullmatch(r"[A-Z]{2,7}", entity) and any(
        len(i) >= 2 and entity.startswith(i) for i in _initials(paragraph_text)
    ):
        return True, True
    return False, in_doc


_QUALIFIERS = frozenset("deputy vice assistant acting former ex co interim associate".split())


def qualifiers_agree(question: str, sentence: str) -> bool:
    """A role asked about is the role stated: "head" is not "deputy head", "director" not "deputy director"."""
    q_words, s_words = words(question), words(sentence)
    for mine, theirs in ((s_words, q_words), (q_words, s_words)):
        their_stems = {stem(w) for w in theirs}
        for qualifier, role in zip(mine, mine[1:]):
            if qualifier in _QUALIFIERS and stem(role) in their_stems and qualifier not in theirs:
                return False
    return True


_FOCUS = re.compile(
    r"\bhow (?:many|much) ((?:[\w’'-]+ ){0,3}?[\w’'-]+?)\b(?= (?:were|was|are|is|did|do|does|have|has|had|in|of|on|by|at|for|during|since|across|remain)\b|\?|$)",
    re.I,
)


def number_near_focus(question: str, sentence: str, window: int = 3) -> bool:
    """For "how many X ...": a number the question lacks sits within a few words of X in the sentence."""
    m = _FOCUS.search(question)
    if not m:
        return True
    focus = set(content_terms(m.group(1)))
    if not focus:
        return True
    q_numbers = numbers_in(question)
    toks = words(number_words_to_digits(sentence))
    stems = [content_terms(t)[0] if content_terms(t) else "" for t in toks]
    for i, tok in enumerate(toks):
        is_number = tok.replace(",", "").replace(".", "").isdigit() and tok not in q_numbers
        if is_number or tok in _VAGUE_QUANTITIES:
            if any(stems[j] in focus for j in range(max(0, i - window), min(len(toks), i + window + 1))):
                return True
    return False


# --- scoring -----------------------------------------------------------------------------------------


@dataclass
class Candidate:
    evidence: ScoredParagraph
    rank: int  # of the paragraph among the evidence, from 1
    start: int  # sentence span inside the paragraph text
    end: int
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.evidence.paragraph.text[self.start : self.end]


# Gates: a sentence failing one cannot be the answer, whatever its score. Each says the sentence states
# something of the asked-for kind, about the asked-for count, time and names.
GATES = ("type", "question_specifics", "entities", "number_focus", "qualifiers", "times")

# Logistic model of "this sentence answers the question": P = sigmoid(BIAS + sum(w * feature)).
# Fitted by `python evals/calibrate.py` on the dev set and the SQuAD subset, never on the seed test set.
WEIGHTS = {
    "cosine": 4.094,
    "lex_sentence": 3.266,
    "lex_paragraph": -0.114,
    "missing_idf": 0.615,
    "prior": 4.903,
}
BIAS = -6.855


def _coverage(question_terms: dict[str, float], terms: set[str]) -> float:
    total = sum(question_terms.values())
    if not total:
        return 0.0
    return sum(w for t, w in question_terms.items() if t in terms) / total


def _missing_idf(question_terms: dict[str, float], terms: set[str]) -> float:
    """The weight of the rarest question term the evidence lacks, relative to the rarest question term."""
    top = max(question_terms.values(), default=0.0)
    missing = [w for t, w in question_terms.items() if t not in terms]
    return max(missing) / top if missing and top else 0.0


def support(features: dict[str, float]) -> float:
    """Probability that the sentence answers the question; zero when it fails a gate."""
    if any(features[g] < 1.0 for g in GATES):
        return 0.0
    z = BIAS + sum(WEIGHTS[k] * features[k] for k in WEIGHTS)
    return 1.0 / (1.0 + math.exp(-z))


class CorpusStats(Protocol):
    def idf(self, term: str) -> float: ...

    def document_words(self, source: str) -> set[str]: ...

    def document_topics(self, source: str) -> set[str]: ...

    def title(self, source: str) -> DocumentTitle: ...


# Words that frame a question rather than say what it is about.
_QUESTION_FRAME = frozenset(
    "name names called number date year years kind type exact exactly roughly approximately happen happened "
    "report reports reported according".split()
)


SentenceVectors = Callable[[Sequence[Paragraph]], list[np.ndarray]]


class SentenceScorer:
    """Features of every sentence of the evidence (``paragraph_sentences`` order), for ranking and abstention."""

    def __init__(self, embed_query: Callable[[str], np.ndarray], sentence_vectors: SentenceVectors, stats: CorpusStats):
        self._embed_query = embed_query
        self._sentence_vectors = sentence_vectors
        self._stats = stats

    def features(self, question: str, evidence: Sequence[ScoredParagraph]) -> list[Candidate]:
        cands: list[Candidate] = []
        for rank, ev in enumerate(evidence, start=1):
            for key in paragraph_sentences(ev.paragraph):
                cands.append(Candidate(ev, rank, key.start, key.end))
        if not cands:
            return []
        sentence_vectors = np.vstack(self._sentence_vectors([ev.paragraph for ev in evidence]))
        cosines = sentence_vectors @ self._embed_query(question)
        q_terms = {
            t: self._stats.idf(t)
            for t in set(content_terms(" ".join(w for w in words(question) if w not in _QUESTION_FRAME)))
        }
        kind = expected_type(question)
        entities = question_entities(question)
        names = [(e, [w for w in words(e) if w not in _NAME_PARTICLES], attribution) for e, attribution in entities]
        per_paragraph: dict[str, dict[str, float]] = {}
        for cand, cos in zip(cands, cosines):
            p = cand.evidence.paragraph
            if p.id not in per_paragraph:
                context = f"{p.section or ''} {p.text}"
                terms = set(content_terms(context))
                title = self._stats.title(p.source)
                doc_words = self._stats.document_words(p.source) | title.words
                topics = self._stats.document_topics(p.source)
                # A source the question is attributed to ("according to Al Mayadeen"), the document's subject
                # ("ISIS" in a report on ISIS), or the document itself ("in NIST SP 800-207", "the Yellow
                # Paper's") need only be in the document or its name, not in the paragraph.
                loose = [
                    attribution or all(w in topics for w in tokens) or all(w in title.words for w in tokens)
                    for _, tokens, attribution in names
                ]
                support_of = [entity_support(e, context, doc_words) for e, _, _ in names]
                per_paragraph[p.id] = {
                    "lex_paragraph": _coverage(q_terms, terms),
                    "missing_idf": _missing_idf(q_terms, terms),
                    "question_specifics": float(question_specifics_supported(question, context, title.numbers)),
                    "entities": float(all(para or (doc and lax) for (para, doc), lax in zip(support_of, loose))),
                }
            cand.features = {
                "cosine": float(cos),
                "lex_sentence": _coverage(q_terms, set(content_terms(cand.text))),
                **per_paragraph[p.id],
                "type": float(has_new_answer_of_type(kind, cand.text, question)),
                "number_focus": float(kind != NUMBER or number_near_focus(question, cand.text)),
                "qualifiers": float(qualifiers_agree(question, cand.text)),
                "times": float(times_agree(question, cand.text)),
                "prior": 1.0 / cand.rank,
            }
        return cands

    def candidates(self, question: str, evidence: Sequence[ScoredParagraph]) -> list[Candidate]:
        """Sentences of the evidence, most supportive first, each with its support probability.
        A sentence that addresses a language model ("ignore previous instructions...") is never an answer."""
        cands = self.features(question, evidence)
        for cand in cands:
            cand.score = 0.0 if looks_like_injection(cand.text) else support(cand.features)
        cands.sort(key=lambda c: -c.score)
        return cands


class GatedAnswerer:
    """Answers with the best-supported evidence sentence, verbatim, cited; abstains below min_support. The
    trained reader finds the short answer inside that sentence."""

    def __init__(self, scorer: SentenceScorer, min_support: float, reader: Reader):
        self._scorer = scorer
        self.threshold = min_support
        self._reader = reader

    def answer(self, question: str, evidence: Sequence[ScoredParagraph]) -> ExtractiveResult:
        candidates = self._scorer.candidates(question, evidence)
        if not candidates or candidates[0].score < self.threshold:
            best_score = candidates[0].score if candidates else 0.0
            return ExtractiveResult(ABSTAIN_MESSAGE, [], True, best_score, answerer="gated")
        best = candidates[0]
        text = best.evidence.paragraph.text
        [reading] = self._reader.read(question, [text])
        short = None
        if best.start <= reading.start < reading.end <= best.end:
            short = ShortSpan(1, reading.start, reading.end)
        return ExtractiveResult(
            f"{best.text} [1]",
            [cite(1, best.evidence, best.text)],
            False,
            best.score,
            short_answer=text[short.start : short.end] if short else None,
            short_span=short,
            answerer="gated",
        )
