"""Masking people's names in free text, for the services that keep text out of personal data's reach
(intake masks the complainant's own name, reporting the names of staff). Pure: no I/O."""
import re
import unicodedata

PLACEHOLDER = "[name]"


class NameMask:
    """Replaces given people's names in free text by `[name]`: the whole name and each part of it of
    at least MIN_PART letters, whatever the case or accents, as whole words only.

    It finds only the names it is given, as they are spelt: a nickname, a misspelling or the name
    of anyone not on the list passes through."""

    MIN_PART = 3

    def __init__(self, names):
        parts = set()
        for name in names:
            words = _fold(name).split()
            if words:
                parts.add(tuple(words))
                parts.update((part,) for part in re.split(r"[\s\-'’]+", " ".join(words)) if len(part) >= self.MIN_PART)
        # Longest first, so that a full name is replaced whole before its parts.
        alternatives = "|".join(r"\s+".join(map(re.escape, words))
                                for words in sorted(parts, key=lambda words: len(" ".join(words)), reverse=True))
        self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if parts else None

    def mask(self, text: str) -> str:
        if self._pattern is None:
            return text
        pieces, last = [], 0
        for match in self._pattern.finditer(_fold(text)):
            pieces += [text[last:match.start()], PLACEHOLDER]
            last = match.end()
        return "".join(pieces) + text[last:]

    def __bool__(self) -> bool:
        return self._pattern is not None


def _fold(text: str) -> str:
    """Lower case without accents, one character for one (É -> e), so that positions in the folded
    text are positions in the text."""
    return "".join(_fold_char(char) for char in text)


def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFD", char)[0]
    folded = base.casefold()
    return folded if len(folded) == 1 else base.lower()[:1] or char
