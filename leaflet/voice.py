"""A text in its reader's voice: "you" for a patient, "your child" for a caregiver.

Apart from the schema (`leaflet.model`, which checks the placeholders) so that tailoring
a checked file does not import pydantic.
"""

from __future__ import annotations

import re

#: Placeholders a text may use; `leaflet.tailor` fills them in the reader's voice.
VOICE_PLACEHOLDERS = frozenset({"you", "You", "your", "Your"})

#: `{{` and `}}` (a literal brace) or one `{...}` placeholder.
TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

_VOICES = {
    True: {"you": "your child", "You": "Your child", "your": "your child's", "Your": "Your child's"},
    False: {"you": "you", "You": "You", "your": "your", "Your": "Your"},
}


def speak(text: str, to_parent: bool, voice: dict[str, str] | None = None) -> str:
    """Text in one reader's voice.

    `{you}` `{your}` `{You}` `{Your}` become "your child", "your child's"... for a parent
    or caregiver and "you", "your" for everyone else; `{A|B}` becomes A for a parent or
    caregiver and B for everyone else ("If {you} {has|have} a rash"); `{{` and `}}` are
    literal braces.
    """
    voice = voice or _VOICES[to_parent]  # another language's voice: leaflet.i18n

    def fill(match: re.Match[str]) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if "|" in name:
            parent, others = name.split("|", 1)
            return parent if to_parent else others
        return voice[name]

    return TOKEN.sub(fill, text)
