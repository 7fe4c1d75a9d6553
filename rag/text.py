"""Lexical helpers shared by BM25, sentence scoring and the eval harness."""

from __future__ import annotations

import re
import string
from functools import lru_cache

import simplemma
import Stemmer

_STEMMER = Stemmer.Stemmer("english")

# Function words carry no evidence; question words are dropped so "who"/"how many" don't have to match.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through to
    too under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves also according said says many much""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessives folded ("ISIS’s" -> "isis")."""
    out = []
    for w in _WORD.findall(text.lower()):
        w = w.replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        out.append(w)
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Lemma first, so irregular forms meet ("took" -> "take"), then the stem ("killing" -> "kill")."""
    return _STEMMER.stemWord(simplemma.lemmatize(word, lang="en").lower())


def content_terms(text: str) -> list[str]:
    """Stemmed, stopword-free terms: the vocabulary of lexical overlap."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]


# Word characters joined by dots, hyphens, slashes or colons with no space: identifiers, codes, versions
# ("ID.SC", "M-19-17", "etcd 3.4.3", "SP 800-207", "ISO/IEC"). Their parts alone are common ("id", "3");
# the whole is rare, and a question quoting it asks for the paragraph that states it.
_COMPOUND = re.compile(r"[^\W_]+(?:[./:-][^\W_]+)+")


def compounds(text: str) -> list[str]:
    """The joined identifiers a text states, lowercased, their outer punctuation dropped. Hyphenated words
    ("al-Rasafa", "well-known") are ordinary words, matched by their parts: a code holds a digit, a dot, a
    slash or a colon."""
    found = (m.group(0) for m in _COMPOUND.finditer(text))
    return [c.lower() for c in found if any(ch.isdigit() or ch in "./:" for ch in c)]


# Words joined by underscores: a subscript typed in a question ("G_transaction") or an identifier ("max_tokens").
# A PDF prints a subscript without one ("Gtransaction"), so the parts run together are a term as well.
_UNDERSCORED = re.compile(r"[^\W_]+(?:_[^\W_]+)+")


def search_terms(text: str) -> list[str]:
    """The vocabulary of BM25: content terms plus each joined identifier whole, so that "ID.SC" matches the
    paragraph stating ID.SC above one merely saying "ID" and "SC" apart."""
    run_together = [stem(m.group(0).replace("_", "").lower()) for m in _UNDERSCORED.finditer(text)]
    return content_terms(text) + compounds(text) + run_together


# --- names ---------------------------------------------------------------------------------------

CAPITALIZED_WORD = re.compile(r"(?<![\w'’])[A-Z][^\W_]*(?:['’][^\W_]+)*")
_OPENS_SENTENCE = tuple(".!?:;\"“‘'•*-–—")


def names_in(text: str) -> set[str]:
    """Capitalized words that do not open a sentence, list item or quote ("Lisbon", "EIP"), as content terms:
    the names a text states."""
    found = []
    for m in CAPITALIZED_WORD.finditer(text):
        before = text[: m.start()].rstrip()
        if before and not before.endswith(_OPENS_SENTENCE) and len(m.group(0)) > 1:
            found.append(m.group(0))
    return set(content_terms(" ".join(found)))


# --- numbers -------------------------------------------------------------------------------------

_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
NUMBER_WORDS: dict[str, int] = {w: i for i, w in enumerate(_UNITS)}
NUMBER_WORDS.update({w: 20 + 10 * i for i, w in enumerate(_TENS)})
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}

_NUMBER_PHRASE = re.compile(
    r"\b(?:%s)(?:[\s-]+(?:%s|and))*\b"
    % ("|".join(list(NUMBER_WORDS) + list(_SCALES)), "|".join(list(NUMBER_WORDS) + list(_SCALES))),
    re.IGNORECASE,
)


def _phrase_value(phrase: str) -> int | None:
    total, current = 0, 0
    tokens = [t for t in re.split(r"[\s-]+", phrase.lower()) if t and t != "and"]
    if not tokens:
        return None
    for tok in tokens:
        if tok in NUMBER_WORDS:
            current += NUMBER_WORDS[tok]
        elif tok in _SCALES:
            current = max(current, 1) * _SCALES[tok]
            if _SCALES[tok] >= 1000:
                total += current
                current = 0
    return total + current


def number_words_to_digits(text: str) -> str:
    """'twenty-two soldiers' -> '22 soldiers'. Leaves everything else as it is."""

    def repl(m: re.Match) -> str:
        phrase = m.group(0)
        # A trailing "and" belongs to the sentence, not the number.
        trail = ""
        stripped = re.sub(r"[\s-]+and$", "", phrase, flags=re.IGNORECASE)
        if stripped != phrase:
            trail = phrase[len(stripped) :]
        value = _phrase_value(stripped)
        return (str(value) if value is not None else stripped) + trail

    return _NUMBER_PHRASE.sub(repl, text)


_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> set[str]:
    """Numbers a text states, as digit strings, from digits and number words alike."""
    found = set()
    for m in _DIGITS.finditer(number_words_to_digits(text)):
        found.add(m.group(0).replace(",", ""))
    return found


# --- SQuAD answer normalization -------------------------------------------------------------------

_PUNCT = set(string.punctuation) | set("“”‘’–—…•")
# What the PDF reader puts before superscript digits glued to a word or number (rag/readers/pdf.py): "2020^1" is
# the year and footnote 1, not 20201. It ends a word like a hyphen.
SUPERSCRIPT_MARK = "^"
_WORD_JOINERS = set("-–—/") | {SUPERSCRIPT_MARK}
# The mark with the note numbers it calls: "^12", "^13,14", "^3–5".
NOTE_MARK = re.compile(re.escape(SUPERSCRIPT_MARK) + r"[\d,−–-]*\d")
# A sentence ends at its stop, closing quotes and brackets, and the note it calls ("design.^12 CaP and ...").
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’')\]]*(?:" + NOTE_MARK.pattern + r")?(?=\s+)")


def normalize_answer(text: str) -> str:
    """SQuAD normalization, with number words and digits treated alike."""
    text = number_words_to_digits(text.lower())
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    # Joining punctuation splits words ("al-Quds" -> "al quds"); the rest is dropped ("U.S." -> "us").
    text = "".join(" " if ch in _WORD_JOINERS else "" if ch in _PUNCT else ch for ch in text)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


# --- sentences ------------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st gen col lt maj capt sgt gov sen rep rev vs etc inc ltd co corp jan feb "
    "mar apr jun jul aug sep sept oct nov dec al approx est dept univ".split()
)
_NUMBERING_ABBREVIATIONS = frozenset("no nos fig vol art p pp".split())  # abbreviations only before a number


# A list item's marker at the start of a line ("- ", "• ", "3. ", "2) "); a table row's cell separator.
LIST_ITEM = re.compile(r"^(?:[•*+–-]|\d+[.)])\s")
TABLE_CELL = re.compile(r"\s\|\s")


def line_units(text: str) -> list[tuple[int, int]]:
    """``text`` cut where a line break ends a sentence whatever comes before it: at a blank line, before a list
    item, and around a table row (a hard-wrapped sentence's other line breaks are not ends); each unit's
    whitespace trimmed, empty ones left out."""
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, at + len(line)))
        at += len(line) + 1
    cuts, start = [], 0
    for (s0, e0), (s1, e1) in zip(lines, lines[1:]):
        before, after = text[s0:e0], text[s1:e1]
        if (
            not before.strip()
            or not after.strip()
            or LIST_ITEM.match(after.lstrip())
            or TABLE_CELL.search(before)
            or TABLE_CELL.search(after)
        ):
            cuts.append((start, e0))
            start = s1
    cuts.append((start, len(text)))
    units = []
    for s, e in cuts:
        piece = text[s:e]
        s, e = s + len(piece) - len(piece.lstrip()), s + len(piece.rstrip())
        if e > s:
            units.append((s, e))
    return units


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split prose into sentences; returns (start, end) spans into ``text`` with whitespace trimmed. A list
    item or a table row on its own line is a sentence of its own."""
    if "\n" not in text:
        return _prose_sentences(text)
    spans = []
    for start, end in line_units(text):
        spans += [(start + s, start + e) for s, e in _prose_sentences(text[start:end])]
    return spans


def _prose_sentences(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        rest = text[end:].lstrip()
        if not rest:
            continue
        nxt = rest[0]
        if not (nxt.isupper() or nxt.isdigit() or nxt in "\"“‘'(["):
            continue
        if m.group(0)[0] == ".":
            before = re.search(r"([^\W_]+)\.?$", text[start : m.start() + 1])
            token = before.group(1) if before else ""
            if token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
                continue
            if token.lower() in _NUMBERING_ABBREVIATIONS and nxt.isdigit():
                continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed
