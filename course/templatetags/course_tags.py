from django import template
from django.utils.safestring import SafeString, mark_safe

from course.rendering import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render Markdown to sanitised HTML (safe to mark: nh3 has cleaned it)."""
    return mark_safe(render_markdown(text or "").html)
