"""Markdown to safe HTML, with the section anchors a lesson's headings define.

Rendering never fails on a bad link. A link to a static file that does not exist (where
production's manifest storage would raise) or to a section the text does not have is
shown as its text, an image as its alt text, and logged as a warning. Saving and loading
content refuse such links (`Rendered.broken_links`), so the warning means content that
bypassed validation, or a deployment that lacks a file.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

import markdown
import nh3
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousOperation
from django.templatetags.static import static
from markdown.treeprocessors import Treeprocessor

logger = logging.getLogger(__name__)

# [Makran](glossary:makran) points at the course glossary's entry.
GLOSSARY_SCHEME = "glossary:"
GLOSSARY_SLUG = re.compile(r"[a-z0-9-]+")
# ![alt](static:course/img/map.svg) points at a file shipped in the static folder, so
# lessons never hot-link a remote image (the Content-Security-Policy would block it too).
STATIC_SCHEME = "static:"
STATIC_PATH = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*")
SECTION_TAGS = {"h2", "h3", "h4", "h5", "h6"}

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
class BrokenLink:
    """A link as written in the Markdown (`static:…` or `#…`) that leads nowhere."""

    MISSING_STATIC_FILE = "missing_static_file"
    MISSING_SECTION = "missing_section"

    code: str
    target: str

    def describe(self) -> str:
        if self.code == self.MISSING_STATIC_FILE:
            return f"link '{self.target}' names no file in the static folders"
        return f"link '{self.target}' names no section heading of this text"


@dataclass(frozen=True)
class Rendered:
    html: str
    sections: tuple[Section, ...]
    glossary_slugs: tuple[str, ...]
    broken_links: tuple[BrokenLink, ...] = ()

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


def static_file_exists(path: str) -> bool:
    """Whether `path` is a file the static finders collect (relative, no `..`)."""
    if not STATIC_PATH.fullmatch(path):
        return False
    try:
        return bool(finders.find(path))
    except SuspiciousOperation:
        return False


def _static_url(path: str) -> str | None:
    if not static_file_exists(path):
        return None
    try:
        return static(path)
    except ValueError:  # in the source tree, but not in the manifest collectstatic wrote
        return None


class _LinkResolver(Treeprocessor):
    """Points `glossary:` and `static:` links at their URLs and checks `#section` links.

    Runs after the table of contents has given the headings their ids.
    """

    def __init__(self, md: markdown.Markdown, glossary_url: str) -> None:
        super().__init__(md)
        self.glossary_url = glossary_url
        self.glossary_slugs: list[str] = []
        self.broken: list[BrokenLink] = []

    def run(self, root: ET.Element) -> None:
        elements = list(root.iter())
        anchors = {el.get("id") for el in elements if el.tag in SECTION_TAGS}
        for element in elements:
            attribute = {"a": "href", "img": "src"}.get(element.tag)
            target = element.get(attribute, "") if attribute else ""
            if attribute is None or not target:
                continue
            slug = target.removeprefix(GLOSSARY_SCHEME)
            if element.tag == "a" and slug != target and GLOSSARY_SLUG.fullmatch(slug):
                self.glossary_slugs.append(slug)
                element.set(attribute, f"{self.glossary_url}#{slug}")
            elif target.startswith(STATIC_SCHEME):
                url = _static_url(target.removeprefix(STATIC_SCHEME))
                if url is None:
                    self._show_as_text(element, BrokenLink(BrokenLink.MISSING_STATIC_FILE, target))
                else:
                    element.set(attribute, url)
            elif element.tag == "a" and target.startswith("#") and target[1:] not in anchors:
                self._show_as_text(element, BrokenLink(BrokenLink.MISSING_SECTION, target))

    def _show_as_text(self, element: ET.Element, link: BrokenLink) -> None:
        logger.warning("Markdown link %r leads nowhere (%s): shown as text", link.target, link.code)
        self.broken.append(link)
        if element.tag == "img":
            element.text = element.get("alt", "")
        element.tag = "span"
        element.attrib.clear()


@lru_cache(maxsize=512)
def render_markdown(text: str, glossary_url: str = "") -> Rendered:
    """Render Markdown and sanitise it.

    Headings keep their `{#anchor}` ids (or get one from their text), so questions can
    link to a section. `[term](glossary:slug)` links point at `glossary_url#slug`,
    `![alt](static:path)` at the static file. Raw HTML in the source is stripped by the
    sanitiser, whatever it contains.
    """
    md = markdown.Markdown(
        extensions=["extra", "attr_list", "toc", "sane_lists"],
        extension_configs={"toc": {"toc_depth": "2-3"}},
        output_format="html",
    )
    links = _LinkResolver(md, glossary_url)
    # After the table of contents (priority 5) has set the heading ids, before unescaping (0).
    md.treeprocessors.register(links, "course_links", 1)
    html = md.convert(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    sections = tuple(_flatten(getattr(md, "toc_tokens", [])))
    return Rendered(
        clean, sections, tuple(dict.fromkeys(links.glossary_slugs)), tuple(links.broken)
    )
