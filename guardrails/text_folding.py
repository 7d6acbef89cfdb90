"""Text as a check must read it, not as it is spelled: compatibility forms folded (NFKC makes
fullwidth `ｒｍ －ｒｆ` plain `rm -rf`), invisible characters removed (zero-width spaces and
joiners, bidi controls, tag characters, variation selectors, fillers), look-alike Cyrillic and
Greek letters read as the Latin ones they imitate, and case and spacing ignored. Every check
matches on folded text; text shown to a reader only loses its invisible characters."""

from __future__ import annotations

import re
import unicodedata

# Default-ignorable and format characters (Unicode category Cf and the fillers and selectors
# that render as nothing): a reader cannot see them, so a check must not either.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5"
    "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]")
# C0 and C1 controls other than tab, newline and carriage return, and the Unicode line and
# paragraph separators: shown as a space.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
# Letters that look like Latin ones (lower case; folding lowers first).
_LOOKALIKES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "һ": "h", "ɑ": "a", "ı": "i", "ȷ": "j", "α": "a", "β": "b", "γ": "y", "ε": "e", "ι": "i", "κ": "k",
    "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
})
_SPACE = re.compile(r"\s+")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
# Tricks that split a word for a matcher but not for a shell or a database: `r''m`, `r\m`,
# `DROP/**/DATABASE`, `rm${IFS}-rf`.
_INLINE_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_EMPTY_QUOTES = re.compile(r"(?<=\w)(?:''|\"\"|\\)(?=\w)")
_IFS = re.compile(r"\$\{?ifs\}?")


def strip_invisible(text: str) -> str:
    """The text without characters that render as nothing; controls become spaces."""
    return _CONTROL.sub(" ", _INVISIBLE.sub("", text))


def fold(text: str) -> str:
    """Text for matching: NFKC, no invisible characters, look-alikes as Latin, lower case, one
    space between words."""
    if text.isascii():  # nothing to fold but case, controls and spacing
        return _SPACE.sub(" ", _CONTROL.sub(" ", text).lower()).strip()
    plain = unicodedata.normalize("NFKC", strip_invisible(text))
    return _SPACE.sub(" ", strip_invisible(plain).lower().translate(_LOOKALIKES)).strip()


def fold_command(text: str) -> str:
    """`fold`, then the word-splitting tricks of shells and SQL undone: a command as it would run."""
    folded = _IFS.sub(" ", _EMPTY_QUOTES.sub("", fold(text)))
    return _SPACE.sub(" ", _INLINE_COMMENT.sub(" ", folded)).strip()


def is_plain(text: str) -> bool:
    """True if the text reads the same folded: no invisible, look-alike or compatibility
    characters that could make a reader and a check disagree (case aside)."""
    return (text.isascii() and text.isprintable()) or fold(text) == _SPACE.sub(" ", text.lower()).strip()


def name_words(name: str) -> list[str]:
    """The words of an identifier, lower case: `DB_POOL_MAX_SIZE`, `dbPoolMaxSize` and
    `db.pool-max.size` are all db, pool, max, size."""
    return [w.lower() for w in _NAME_WORDS.findall(name)]
