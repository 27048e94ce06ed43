"""Template side of distru_qbo.words."""

from django import template

from distru_qbo.words import counted as counted_words

register = template.Library()


@register.filter
def counted(n: int, nouns: str) -> str:
    """{{ n|counted:"push,pushes" }} is "1 push" or "2 pushes"; {{ n|counted:"item" }} adds an s."""
    singular, _, plural = nouns.partition(",")
    return counted_words(n, singular, plural)
