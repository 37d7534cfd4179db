"""Word-level text helpers shared by the keyword index and sentence scoring."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+(?:[-'.][^\W_]+)*", re.UNICODE)

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also per via did does said says
    according article report reported""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased word tokens; keeps 'u.s.' and 'hot-rolled' whole, drops punctuation."""
    return [w.replace(".", "") for w in _WORD.findall(text.casefold())]


def terms(text: str) -> list[str]:
    """Stemmed content words: what BM25 and keyword overlap compare."""
    return _stemmer().stemWords([w for w in words(text) if w not in STOPWORDS])
