"""What a purpose must say: why the operation exists, so that anyone can judge whether
it is still needed.

The article's warning (昔からあるOpsだし, "it's an old operation, so…") is the one excuse
every team has for keeping work nobody can justify. A purpose that says only that, in
English or Japanese, is refused with the reason; a very short one gets a hint. Both the
form and anything that saves through it (the import) ask here.
"""

import re
import unicodedata

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Saying "it has always been done" in either language (compared casefolded, NFKC).
TRADITION = re.compile(
    "|".join(
        [
            r"(?:we(?:'ve| have)? )?always (?:been )?(?:done|did|had|run|doing)"
            r"(?: it| this| that)?",
            r"(?:it(?:'s| is| has)|has) (?:always )?been (?:there|around|done)(?: forever)?",
            r"(?:that'?s|this is|it'?s) (?:just )?how (?:we|it) "
            r"(?:do|does|did|(?:have )?always done)(?: it| things)?",
            r"(?:for |because of )?historical reasons?",
            r"\bhistorically\b",
            r"\blegacy\b",
            r"\btradition(?:al|ally)?\b",
            r"since (?:forever|ever|the beginning|always)",
            r"\bas (?:usual|always)\b",
            r"昔から(?:ある|あった|やっている|やってる|の|続いている|続いてる)?",
            r"(?:以前|前|従来|ずっと前)から(?:ある|あった|やっている|やってる|の)?",
            r"ずっと(?:やっている|やってる|続けている|続けてる|ある)",
            r"いつも(?:やっている|やってる)",
            r"慣例|慣習|伝統|恒例|惰性",
        ]
    )
)
# What may stand beside the excuse without making it a purpose.
FILLER = re.compile(
    r"\b(?:because|since|it|its|it's|this|that|the|a|an|we|us|our|is|was|has|have|been|"
    r"just|so|and|ops|op|operation|one|old|an old|thing|things|done|do|here)\b"
    r"|ops|業務|運用|作業|これ|この|それ|その|だし|です|でした|ので|なので|だから|から|ため|"
    r"だ|し|の|は|が|を|に|で|も|と|もの|こと|ある|ます|いる"
)
# Below this many letters a purpose rarely says who needs the result.
SHORT = 20


def _letters(text):
    return re.sub(r"[\W_]+", "", text)


def is_only_tradition(text):
    """True when the purpose says no more than "it has always been done"."""
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    if not TRADITION.search(normal):
        return False
    rest = FILLER.sub(" ", TRADITION.sub(" ", normal))
    return len(_letters(rest)) < 6


def hint(text):
    """A nudge for a purpose that is there but very short; None when it reads fine."""
    if text and len(_letters(unicodedata.normalize("NFKC", text))) < SHORT:
        return _(
            "A short purpose rarely says enough: who needs the result, and what would go "
            "wrong without it?"
        )
    return None


TRADITION_MESSAGE = _(
    "“We have always done it” is not a purpose. Say who needs the result and what would "
    "go wrong without it; if nobody can, the operation may be one to retire."
)


def problem(text, before=None):
    """Why a purpose cannot be saved, or None: the one check the form, the API and the
    import make. A purpose kept as it was (``before``) is not refused again: it was
    saved before this rule, and its review and the retire rule deal with it."""
    text = (text or "").strip()
    if not text:
        return gettext("Write why this operation exists; white space alone is not a purpose.")
    if text != (before or "").strip() and is_only_tradition(text):
        return str(TRADITION_MESSAGE)
    return None
