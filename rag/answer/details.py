"""The details a claim states that its paragraph must state too: numbers and names.

The claim checker reads meaning, and misses one changed detail when the rest of a claim matches its paragraph
("1,712 engineers" for 1,612). So a number or a name the claim states, that its paragraph (or, for a name, the
question) does not, rules the paragraph out before the checker reads it. Only details stated the same way can
be compared by rule, so the rule leaves alone what real models reword, and the checker judges it:

- numbers written in words ("two times a day" for "twice daily", "three reasons");
- a number rounded from the paragraph's ("about 1,600" for 1,612): fewer significant digits, within 5%;
- a number the paragraph says in other words ("over 50%" for more than half, "12" for noon, "300 years" for three
  centuries, "the 1400s" for the 15th century): those words count as that number;
- an abbreviation of a phrase of the paragraph ("MFA" for multi-factor authentication, "GB" for gigabytes,
  "kWh" for kilowatt-hour), or a capitalized phrase spelling out an abbreviation the paragraph uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text import CAPITALIZED_WORD, content_terms, names_in, number_words_to_digits, numbers_in

# "about 1,600" for 1,612: a rounded number within this share of the paragraph's.
ROUNDING_TOLERANCE = 0.05
_WRITTEN_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?")


# What a paragraph says in words that a claim may say in digits: "more than half" (over 50%), "noon" (12), "a
# dozen", "twice", "three centuries" (300 years), "the 15th century" (the 1400s). Plain English, any report.
_PARTS = {"half": 50, "halves": 50, "third": 100 / 3, "thirds": 100 / 3, "quarter": 25, "quarters": 25}
_PART = re.compile(r"\b(?:(\d+)[\s-]+)?(" + "|".join(_PARTS) + r")\b", re.IGNORECASE)
_NAMED = {"noon": 12, "midday": 12, "midnight": 12, "dozen": 12, "twice": 2, "thrice": 3, "double": 2, "triple": 3}
_NAMED_NUMBER = re.compile(r"\b(" + "|".join(_NAMED) + r")\b", re.IGNORECASE)
_SPAN_OF_YEARS = re.compile(r"\b(\d+)\s+(centuries|decades)\b", re.IGNORECASE)
_CENTURY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[\s-]+century\b", re.IGNORECASE)


def implied_numbers(text: str) -> set[str]:
    """The numbers a text states in words that numbers_in does not read as numbers, as digit strings."""
    digits = number_words_to_digits(text)
    found = {str(round(int(m.group(1) or 1) * _PARTS[m.group(2).lower()])) for m in _PART.finditer(digits)}
    found |= {str(_NAMED[m.group(1).lower()]) for m in _NAMED_NUMBER.finditer(text)}
    found |= {str(int(n) * (100 if unit.lower() == "centuries" else 10)) for n, unit in _SPAN_OF_YEARS.findall(digits)}
    found |= {str((int(n) - 1) * 100) for n in _CENTURY.findall(digits) if int(n) > 1}
    return found


def _significant(number: str) -> int:
    """Significant digits of a digit string: "1612" 4, "1600" 2, "0.05" 1, "2.50" 3."""
    if "." in number:
        return len(number.replace(".", "").lstrip("0"))
    return len(number.lstrip("0").rstrip("0"))


def written_numbers(text: str) -> set[str]:
    """The numbers a text writes in digits, commas dropped ("1,612" -> "1612")."""
    return {m.group(0).replace(",", "") for m in _WRITTEN_NUMBER.finditer(text)}


def _rounds_to(claimed: str, stated: set[str]) -> bool:
    try:
        value = float(claimed)
    except ValueError:
        return False
    for s in stated:
        try:
            exact = float(s)
        except ValueError:
            continue
        if exact and _significant(claimed) < _significant(s) and abs(value - exact) <= ROUNDING_TOLERANCE * abs(exact):
            return True
    return False


_WORD_PARTS = re.compile(r"[^\W\d_]+")


# Words an abbreviation may pass over ("DOE": Department of Energy; "HFrEF": heart failure with reduced ejection
# fraction).
_PASSED_OVER = ("of", "and", "for", "the", "on", "in", "to", "with")


def _abbreviates(token: str, words: list[str]) -> bool:
    """Whether ``token`` ("MFA", "GB", "kWh", "HFrEF") abbreviates consecutive words: each word gives its first
    letter and at most one more, in order ("kilo-watt hour", "giga-bytes"); a short function word between two
    of them may give none ("heart failure with reduced ejection fraction")."""
    letters = token.lower()

    def match(k: int, w: int, used: int) -> bool:
        # letters[k:] still to place; ``used`` letters of word w placed so far (0: not started).
        if k == len(letters):
            return used > 0
        if used == 0:
            if w >= len(words):
                return False
            if words[w][:1] == letters[k] and match(k + 1, w, 1):
                return True
            return k > 0 and words[w] in _PASSED_OVER and match(k, w + 1, 0)
        if used == 1:
            word = words[w]
            if any(word[j] == letters[k] and match(k + 1, w, 2) for j in range(1, len(word))):
                return True
        return match(k, w + 1, 0)

    return any(match(0, start, 0) for start in range(len(words)))


@dataclass(frozen=True)
class ParagraphDetails:
    numbers: set[str]  # as digit strings, from digits and number words alike
    terms: set[str]  # content terms of the paragraph and the question
    words: list[str]  # lowercased word parts in order ("multi-factor" -> "multi", "factor")
    abbreviations: set[str]  # lowercased all-capital tokens ("MFA")

    @classmethod
    def of(cls, text: str, asked: set[str]) -> "ParagraphDetails":
        """The paragraph's details; ``asked``: the question's content terms (a name it states is known)."""
        return cls(
            numbers_in(text) | implied_numbers(text),
            set(content_terms(text)) | asked,
            [w.lower() for w in _WORD_PARTS.findall(text)],
            {t.lower() for t in re.findall(r"\b[A-Z]{2,}s?\b", text)},
        )


def lacking(claim: str, paragraph: ParagraphDetails) -> set[str]:
    """The numbers (digit strings) and names (content terms) the claim states that the paragraph does not."""
    missing = {n for n in written_numbers(claim) if n not in paragraph.numbers and not _rounds_to(n, paragraph.numbers)}
    names = names_in(claim) - paragraph.terms
    if names:
        names -= _explained_names(claim, names, paragraph)
    return missing | names


def _looks_abbreviated(word: str) -> bool:
    """ "MFA", "SIEMs", "kWh", "Wh": capitals inside, or a short symbol."""
    return len(word) <= 6 and (sum(ch.isupper() for ch in word) >= 2 or len(word) <= 3)


_ORDINALS = ("first", "second", "third", "fourth")
# "Q2" is the second quarter, "H1" the first half.
_PERIODS = {f"Q{n}": (o, "quarter") for n, o in enumerate(_ORDINALS, 1)} | {
    f"H{n}": (o, "half") for n, o in enumerate(_ORDINALS[:2], 1)
}


def _names_a_period(word: str, words: list[str]) -> bool:
    """ "Q2" or "H1" where the paragraph says "second quarter" or "first half"."""
    said = _PERIODS.get(word)
    return said is not None and said in zip(words, words[1:])


# What may stand between the capitalized words an abbreviation spells out ("Research and Development": R&D or RD).
_SKIPPED = re.compile(r"(?:\s+|-|\s+(?:" + "|".join((*_PASSED_OVER, "&")) + r")\s+)")


def _explained_names(claim: str, names: set[str], paragraph: ParagraphDetails) -> set[str]:
    """The names that abbreviate a phrase of the paragraph, or spell out one of its abbreviations."""
    explained = set()
    found = [(m.group(0), m.start(), m.end()) for m in CAPITALIZED_WORD.finditer(claim)]
    for word, _, _ in found:
        terms = set(content_terms(word)) & names
        if not terms or not _looks_abbreviated(word):
            continue
        single = word.removesuffix("s")
        if (
            _abbreviates(single, paragraph.words)
            or single.lower() in paragraph.terms  # "MR2s" for the paragraph's "MR2"
            or _names_a_period(single, paragraph.words)  # "Q2" for "the second quarter"
        ):
            explained |= terms
    # "Multi-Factor Authentication" where the paragraph says "MFA": a run of capitalized words whose initials
    # (with their hyphenated parts') form one of the paragraph's abbreviations.
    run: list[str] = []
    last_end = 0
    for word, start, end in found + [("", len(claim) + 1, 0)]:
        if run and not _SKIPPED.fullmatch(claim[last_end:start]):
            initials = "".join(part[0] for w in run for part in _WORD_PARTS.findall(w)).lower()
            if len(initials) >= 2 and initials in paragraph.abbreviations:
                explained |= set(content_terms(" ".join(run))) & names
            run = []
        if word:
            run.append(word)
            last_end = end
    return explained
