"""Markdown to safe HTML, with the section anchors a lesson's headings define."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import markdown
import nh3
from django.templatetags.static import static

GLOSSARY_LINK = re.compile(r"\]\(glossary:([a-z0-9-]+)\)")
# ![alt](static:course/img/map.svg) points at a file shipped in the static folder, so
# lessons never hot-link a remote image (the Content-Security-Policy would block it too).
STATIC_LINK = re.compile(r"\]\(static:([A-Za-z0-9_./-]+)\)")

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "dl", "dt", "em",
    "figcaption", "figure", "h2", "img", "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre",
    "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "h5": {"id"}, "h6": {"id"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    level: int


@dataclass(frozen=True)
class Rendered:
    html: str
    sections: tuple[Section, ...]
    glossary_slugs: tuple[str, ...]

    def anchors(self) -> set[str]:
        return {section.anchor for section in self.sections}


def _flatten(tokens: list[dict[str, object]]) -> list[Section]:
    sections: list[Section] = []
    for token in tokens:
        sections.append(Section(str(token["id"]), str(token["name"]), int(str(token["level"]))))
        children = token.get("children")
        if isinstance(children, list):
            sections.extend(_flatten(children))
    return sections


@lru_cache(maxsize=512)
def render_markdown(text: str, glossary_url: str = "") -> Rendered:
    """Render Markdown and sanitise it.

    Headings keep their `{#anchor}` ids (or get one from their text), so questions can
    link to a section. `[term](glossary:slug)` links point at `glossary_url#slug`.
    Raw HTML in the source is stripped by the sanitiser, whatever it contains.
    """
    slugs = tuple(dict.fromkeys(GLOSSARY_LINK.findall(text)))
    source = GLOSSARY_LINK.sub(lambda m: f"]({glossary_url}#{m.group(1)})", text)
    source = STATIC_LINK.sub(lambda m: f"]({static(m.group(1))})", source)
    md = markdown.Markdown(
        extensions=["extra", "attr_list", "toc", "sane_lists"],
        extension_configs={"toc": {"toc_depth": "2-3"}},
        output_format="html",
    )
    html = md.convert(source)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    sections = tuple(_flatten(getattr(md, "toc_tokens", [])))
    return Rendered(clean, sections, slugs)
