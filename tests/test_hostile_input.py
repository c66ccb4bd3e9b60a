"""Hostile input at every form and endpoint: no 5xx, and no table changes.

PRODUCT.md §5 "Bad input". Every URL of the URLconf, every admin page of every registered
model and the admin's own routes get requests built by hypothesis from hostile values:
over-long text, NUL bytes, lone surrogates and invalid UTF-8 (raw, in paths, query
strings and bodies), huge and negative numbers, other learners' ids, unknown, missing and
repeated fields, absurd path segments, forged or stale CSRF tokens, hostile uploads.

Every payload is invalid by construction: a required field is blank, an answer is not a
choice of its question, the password is never right, the CSRF token is forged, the object
belongs to someone else, or the learner has already done what the request asks. So no
response may be a 5xx, and every table except sessions, login-lockout records and the
cache must hash the same before and after. Time stands still during the run, so the one
write a GET makes by design (when a learner last opened a lesson) writes what is there.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import quote, quote_from_bytes

import pytest
import time_machine
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection, transaction
from django.http import StreamingHttpResponse
from django.test import Client, RequestFactory
from django.test.client import encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from course.models import Cohort, Course, GlossaryTerm, LessonProgress, LessonSource, TimelineEvent
from quizzes.models import Attempt, Quiz, QuizOverride
from quizzes.regrade import attempt_regrade
from quizzes.services import attempt_start, attempt_submit
from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    LessonFactory,
    UserFactory,
    make_question,
    make_quiz,
)

pytestmark = pytest.mark.django_db

FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
MIN_REQUESTS = 1_000
EXAMPLES = 4  # hypothesis examples per target; about 600 targets

# --- hostile values -----------------------------------------------------------------------

NUL = "\x00"
SPECIAL = [
    "", " ", "\t\n", NUL, f"a{NUL}b", NUL * 3, "x" * 10_000, "u" * 256, "é" * 300,
    "\ud800", "a\udfffb",  # lone surrogates: sent as invalid UTF-8
    "9" * 40, "-1", "0", "-9223372036854775809", "9223372036854775808", "1e308", "NaN",
    "inf", "-0", "1.5", "１２", "٣", "+10", " 10", "0x1F", "true", "None", "null",
    "../../etc/passwd", "%00", "%FF", "<script>alert(1)</script>", '=HYPERLINK("x")',
    "' OR 1=1 --", "\u202egnp.exe", "🙂" * 200, "a" * 255 + "@example.com",
]
TEXT = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=12),
    # Long text by repetition: hypothesis draws each character, which is slow at length.
    st.tuples(st.text(min_size=1, max_size=3), st.integers(90, 400)).map(lambda t: t[0] * t[1]),
    st.integers(min_value=-(2**80), max_value=2**80).map(str),
)
BAD_UTF8 = ["%FF", "%ED%A0%80", "%C0%80", "%F4%90%80%80", "%E2%82", "%", "%zz", "%%00"]
PATH_SEGMENTS = [
    "%00", "%FF", "%ED%A0%80", "9" * 40, "-1", "+10", "%2010", "0", "..", "%2e%2e",
    "x" * 300, "%C0%AF", "abc", "1.5", "%20", "%0A", "%EF%BC%91", "1%00", "%2F", ";", "*",
]


def encode(value: str) -> str:
    """Percent-encoded UTF-8; lone surrogates become invalid UTF-8 bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


#: A value as it appears in a query string or form body, already percent-encoded.
VALUE = st.one_of(
    TEXT.map(encode),
    st.sampled_from(BAD_UTF8),
    st.binary(max_size=24).map(lambda b: quote_from_bytes(b, safe="")),
)
UNKNOWN_KEYS = st.one_of(
    st.sampled_from(["id", "pk", "user", "user_id", "is_superuser", "is_staff", "score",
                     "percentage", "state", "csrfmiddlewaretoken", "", "%00", "%FF", "q"]),
    TEXT.map(encode),
)
HEADERS = st.fixed_dictionaries({}, optional={
    "HTTP_X_FORWARDED_FOR": st.sampled_from(["1.2.3.4", "", "x" * 500, "::1, 10.0.0.1",
                                             "999.999.999.999", "1.2.3.4\r\nX: y"]),
    "HTTP_X_FORWARDED_PROTO": st.sampled_from(["https", "ftp", "", "x" * 300]),
    "HTTP_ACCEPT": st.sampled_from(["application/json", "*/*", "text/html;q=\x7f"]),
    "HTTP_ACCEPT_LANGUAGE": st.sampled_from(["xx", "en;q=abc", "ÿ" * 300, "*"]),
    "HTTP_REFERER": st.sampled_from(["https://evil.example/", "\xff", "x" * 2000]),
    "HTTP_HOST": st.sampled_from(["testserver", "evil.example", "testserver:99999", "\xff"]),
})


@dataclass
class Request:
    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_type: str = "application/x-www-form-urlencoded"
    headers: dict[str, str] = field(default_factory=dict)
    forged_csrf: tuple[str | None, str] | None = None  # (cookie, token)

    def describe(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        body = self.body[:300]
        return f"{self.method} {self.path[:200]}?{query[:300]} body={body!r} {self.headers}"


@st.composite
def form_pairs(
    draw: st.DrawFn,
    fields: dict[str, list[str]],
    poison: dict[str, st.SearchStrategy[str]] | None = None,
    mutate: bool = True,
) -> list[tuple[str, str]]:
    """The form as a browser would send it (`fields`: plausible values), with a few fields
    left out, made hostile or repeated, unknown fields added, and then the poison: one of
    `poison`'s fields set to a value that makes the request invalid.
    """
    data = {name: [encode(v) for v in values] for name, values in fields.items()}
    for name in draw(st.lists(st.sampled_from(sorted(fields)), max_size=5, unique=True)
                     if fields and mutate else st.just([])):
        how = draw(st.sampled_from(["omit", "hostile", "hostile", "repeat"]))
        count = {"omit": 0, "hostile": 1, "repeat": draw(st.integers(2, 3))}[how]
        data[name] = [draw(VALUE) for _ in range(count)]
    pairs = [(encode(name), value) for name, values in data.items() for value in values]
    if mutate:
        pairs += draw(st.lists(st.tuples(UNKNOWN_KEYS, VALUE), max_size=2))
    if poison:
        name = draw(st.sampled_from(sorted(poison)))
        pairs = [pair for pair in pairs if pair[0] != encode(name)]
        pairs.append((encode(name), encode(draw(poison[name]))))
    return pairs


def raw_query(draw: st.DrawFn, keys: list[str]) -> list[tuple[str, str]]:
    # Each parameter the page reads, with even odds: hypothesis would favour the first.
    chosen = [key for key in keys if draw(st.booleans())]
    return [(encode(k), draw(VALUE)) for k in chosen] + draw(
        st.lists(st.tuples(UNKNOWN_KEYS, VALUE), max_size=2)
    )


def hostile_path(draw: st.DrawFn, paths: list[str]) -> str:
    """One of the given paths, or one with a segment replaced by an absurd one."""
    path = draw(st.sampled_from(paths))
    if draw(st.booleans()):
        return path
    parts = path.split("/")
    inner = [i for i, part in enumerate(parts) if part][1:] or [len(parts) - 1]
    index = draw(st.sampled_from(inner))
    parts[index] = draw(st.one_of(st.sampled_from(PATH_SEGMENTS), TEXT.map(encode)))
    return "/".join(parts)


def compose(
    draw: st.DrawFn, method: str, paths: list[str], keys: list[str],
    fields: dict[str, list[str]], poison: dict[str, Any] | None, forge: str | None,
) -> Request:
    """A request where one part is hostile (path, query, body or headers), so that the
    others do not hide it (an unknown query parameter redirects before the body is read),
    or all of them are. A forged CSRF cookie and token when `forge` is the real cookie.
    """
    parts = ["path", "query", "query", "headers", "all"] + ["body"] * 4 * (method == "POST")
    focus = draw(st.sampled_from(parts))
    hostile = {focus} if focus != "all" else {"path", "query", "body", "headers"}
    body = b""
    if method == "POST":
        pairs = draw(form_pairs(fields, poison, mutate="body" in hostile))
        body = "&".join(f"{k}={v}" for k, v in pairs).encode()
    return Request(
        method,
        hostile_path(draw, paths) if "path" in hostile else draw(st.sampled_from(paths)),
        query=raw_query(draw, keys) if "query" in hostile else [],
        body=body,
        headers=draw(HEADERS) if "headers" in hostile else {},
        forged_csrf=forged(draw, forge) if forge else None,
    )


# --- the world the requests are aimed at ----------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    paths: dict[str, list[str]]
    objects: dict[type, Any]
    choice_ids: set[str]  # of every question of the owner's open attempt
    questions: list[str]  # their form field names
    valid: dict[str, set[str]]  # field name: its choices
    answers: dict[str, str]  # field name: a valid answer


def build_world() -> World:
    course = CourseFactory.create(slug="course-a")
    other = CourseFactory.create(slug="course-b")
    draft_course = CourseFactory.create(slug="course-c", is_published=False)
    lesson = LessonFactory.create(course=course, slug="lesson-a1", order=1)
    gated = LessonFactory.create(course=course, slug="lesson-a2", order=2, requires_previous=True)
    LessonFactory.create(course=course, slug="lesson-a3", order=3, is_published=False)
    quiz = make_quiz(course, lesson=lesson, slug="quiz-a", attempts_allowed=2)
    make_question(quiz, kind="multiple", correct=(0, 1))
    make_quiz(course, slug="quiz-draft", is_published=False)
    other_quiz = make_quiz(other, slug="quiz-b")
    users = {
        "owner": UserFactory.create(username="owner-learner"),
        "classmate": UserFactory.create(username="classmate"),
        "outsider": UserFactory.create(username="outsider"),
        "instructor": UserFactory.create(username="teacher-a", is_staff=True),
        "other_instructor": UserFactory.create(username="teacher-b", is_staff=True),
        "superuser": UserFactory.create(username="root", is_staff=True, is_superuser=True),
    }
    instructors = Group.objects.get(name="Instructors")
    for role in ("instructor", "other_instructor"):
        users[role].groups.add(instructors)
    course.instructors.add(users["instructor"])
    draft_course.instructors.add(users["instructor"])
    other.instructors.add(users["other_instructor"])
    cohort = Cohort.objects.create(course=course, name="Evening")
    EnrolmentFactory.create(user=users["owner"], course=course, cohort=cohort)
    EnrolmentFactory.create(user=users["classmate"], course=course)
    EnrolmentFactory.create(user=users["outsider"], course=other)
    # The owner has completed both lessons and the classmate opened the first, at FROZEN:
    # marking complete or opening them again writes what is already there.
    for done in (lesson, gated):
        LessonProgress.objects.create(user=users["owner"], lesson=done,
                                      last_viewed_at=FROZEN, completed_at=FROZEN)
    LessonProgress.objects.create(user=users["classmate"], lesson=lesson, last_viewed_at=FROZEN)
    LessonSource.objects.create(lesson=lesson, title="Report", publisher="Dawn",
                                url="https://example.com/r", published="2024-01-17")
    GlossaryTerm.objects.create(course=course, slug="balochistan", term="Balochistan",
                                definition="A province.")
    TimelineEvent.objects.create(course=course, date="2024-01-16", title="Strike", text="…")

    def finished(user: User, on: Any) -> Attempt:
        attempt = attempt_start(user=user, quiz=on)
        attempt_submit(attempt=attempt, slots=list(attempt.slots.all()), answers={})
        return attempt

    # Every learner has used up their attempts or has one open: starting again changes nothing.
    owner_done = finished(users["owner"], quiz)
    owner_open = attempt_start(user=users["owner"], quiz=quiz)
    classmate_done = finished(users["classmate"], quiz)
    finished(users["classmate"], quiz)
    outsider_done = finished(users["outsider"], other_quiz)
    QuizOverride.objects.create(quiz=quiz, user=users["owner"], extra_attempts=0,
                                created_by=users["instructor"])
    attempt_regrade(quiz=quiz, actor=users["superuser"], actor_label="root")

    def route(name: str, **kwargs: Any) -> str:
        return reverse(name, kwargs=kwargs)

    a, b, c = course.slug, other.slug, draft_course.slug
    attempts = [owner_open.pk, owner_done.pk, classmate_done.pk, outsider_done.pk]
    uid = urlsafe_base64_encode(force_bytes(users["owner"].pk))
    paths = {
        "none": ["/"],
        "course_slug": [route("course:detail", slug=s) for s in (a, b, c)],
        "reset": [route("password_reset_confirm", uidb64=uid, token="set-password"),
                  route("password_reset_confirm", uidb64=uid, token="c0ffee-deadbeef")],
        # The owner's account is active already: no link of theirs confirms a sign-up.
        "signup_link": [route("signup_confirm", uidb64=uid, token="c0ffee-deadbeef"),
                        route("signup_confirm", uidb64="OTk5OTk5OTk5OTk5OTk5OTk5OTk5",
                              token="x")],
        "quiz": [route("quizzes:detail", course_slug=a, slug=s)
                 for s in ("quiz-a", "quiz-draft")] + [
                 route("quizzes:detail", course_slug=b, slug="quiz-b")],
        "lesson": [route("course:lesson_detail", course_slug=a, slug=s)
                   for s in ("lesson-a1", "lesson-a2", "lesson-a3")],
        "attempt": [route("quizzes:take", pk=pk) for pk in attempts],
        "course": [route("gradebook:gradebook", course_slug=s) for s in (a, b, c)],
        "export": [route("gradebook:gradebook_export", course_slug=s, kind=k, fmt=f)
                   for s in (a, b) for k in ("grades", "responses", "scores")
                   for f in ("csv", "xlsx", "ods", "pdf")],
        "learner": [route("gradebook:learner_detail", course_slug=a, user_id=users[r].pk)
                    for r in ("owner", "outsider", "instructor")],
        "teacher_attempt": [route("gradebook:attempt_detail", course_slug=a, pk=pk)
                            for pk in attempts],
    }
    slots = list(owner_open.slots.all())
    valid = {f"q{s.question_id}": {str(c["id"]) for c in s.snapshot["choices"]} for s in slots}
    choice_ids = set().union(*valid.values())
    objects = {
        model: model._default_manager.order_by("pk").first()
        for model in admin.site._registry
    }
    return World(users, paths, objects, choice_ids, sorted(valid), valid,
                 {q: min(ids) for q, ids in valid.items()})


# --- targets: what to send where, as whom ---------------------------------------------------

Draw = Callable[[st.DrawFn], Request]


@dataclass
class Target:
    label: str
    role: str  # a key of World.users, or "anonymous"
    draw: Draw


def forged(draw: st.DrawFn, real_cookie: str) -> tuple[str | None, str]:
    cookie = draw(st.sampled_from([None, real_cookie, "x" * 64, "", "%00"]))
    token = draw(TEXT.filter(lambda t: t not in (cookie, real_cookie) and "\x00" not in t))
    return cookie, token


PUBLIC_ROUTES: dict[str, tuple[str, str]] = {
    # name: (paths key, what is sent: GETs only, "post:<view>" with no form, "forged" CSRF
    # only, or "form:<form>")
    "signup": ("none", "form:signup"),
    "signup_done": ("none", "get"),
    "signup_confirm": ("signup_link", "form:set_password"),
    "login": ("none", "form:login"),
    "logout": ("none", "forged"),
    "password_change": ("none", "form:password_change"),
    "password_change_done": ("none", "get"),
    "password_reset": ("none", "form:password_reset"),
    "password_reset_done": ("none", "get"),
    "password_reset_confirm": ("reset", "form:set_password"),
    "password_reset_complete": ("none", "get"),
    "quizzes:dashboard": ("none", "get"),
    "quizzes:detail": ("quiz", "get"),
    "quizzes:start": ("quiz", "post:start"),
    "quizzes:start_confirm": ("quiz", "get"),
    "quizzes:take": ("attempt", "get"),
    "quizzes:save": ("attempt", "form:answers"),
    "quizzes:submit": ("attempt", "form:answers"),
    "quizzes:result": ("attempt", "get"),
    "quizzes:summary": ("attempt", "get"),
    "gradebook:gradebook": ("course", "get"),
    "gradebook:gradebook_export": ("export", "get"),
    "gradebook:analysis": ("quiz", "get"),
    "gradebook:preview": ("quiz", "form:answers"),
    "gradebook:learner_detail": ("learner", "get"),
    "gradebook:attempt_detail": ("teacher_attempt", "get"),
    "course:catalogue": ("none", "get"),
    "course:detail": ("course_slug", "get"),
    "course:enrol": ("course_slug", "post:enrol"),
    "course:glossary": ("course_slug", "get"),
    "course:timeline": ("course_slug", "get"),
    "course:lesson_detail": ("lesson", "get"),
    "course:lesson_complete": ("lesson", "post:complete"),
}
ROLES = ["anonymous", "owner", "classmate", "outsider", "instructor", "superuser"]
QUERY_KEYS = ["q", "cohort", "sort", "page", "next", "format", "p", "o", "lang"]
USERNAMES = st.one_of(
    TEXT.filter(lambda u: u.strip() == "" or len(u) > 150 or NUL in u),
    st.sampled_from(["owner-learner", "root", "u" * 256, "a b", "a/b", "é" * 151]),
)
STRONG = "a-Long-new-passw0rd"
BLANK = st.sampled_from(["", "   ", "\t"])


def url_names(patterns: list[Any], namespace: str = "") -> list[str]:
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue
            names += url_names(pattern.url_patterns, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def public_paths(world: World, name: str, key: str) -> list[str]:
    """The route's paths: those prepared for its kind of object, with its suffix added."""
    if key == "none":
        return [reverse(name)]
    if key in ("reset", "signup_link"):
        return world.paths[key]
    base = world.paths[key]
    suffix = {"quizzes:start": "start/", "quizzes:start_confirm": "start/confirm/",
              "quizzes:summary": "summary/", "gradebook:preview": "preview/",
              "gradebook:analysis": "analysis/", "quizzes:save": "save/",
              "quizzes:submit": "submit/", "quizzes:result": "result/",
              "course:enrol": "enrol/", "course:glossary": "glossary/",
              "course:timeline": "timeline/", "course:lesson_complete": "complete/"}
    return [p + suffix.get(name, "") for p in base]


def not_a_choice(world: World, field_name: str) -> st.SearchStrategy[str]:
    valid = world.valid[field_name]
    others = st.sampled_from(sorted(world.choice_ids - valid))
    return st.one_of(others, TEXT).filter(lambda value: value not in valid)


def public_target(world: World, name: str, role: str, real_cookie: str) -> list[Target]:
    key, kind = PUBLIC_ROUTES[name]
    paths = public_paths(world, name, key)
    poison: dict[str, st.SearchStrategy[str]] | None = None
    fields: dict[str, list[str]] = {}
    if kind == "form:signup":
        fields = {"username": ["new-learner"], "email": ["new@example.com"],
                  "first_name": ["New"], "last_name": ["Learner"],
                  "password1": [STRONG], "password2": [STRONG]}
        poison = {"username": USERNAMES}
    elif kind == "form:login":
        # Never the factories' password: every log-in fails.
        fields = {"username": ["owner-learner"], "password": ["not-the-password"],
                  "next": ["/dashboard/"]}
    elif kind == "form:password_change":
        fields = {"old_password": ["not-the-password"], "new_password1": [STRONG],
                  "new_password2": [STRONG]}
    elif kind == "form:password_reset":
        fields = {"email": ["owner-learner@example.com"]}
    elif kind == "form:set_password":
        fields = {"new_password1": [STRONG], "new_password2": [STRONG]}
    elif kind == "form:answers":
        fields = {**{q: [world.answers[q]] for q in world.questions},
                  "present": [q[1:] for q in world.questions], "action": ["save"]}
        # An answer that is no choice of its question (another question's choice, or none
        # at all): the form is refused, whatever else is sent.
        poison = {q: not_a_choice(world, q) for q in world.questions}
    writes_if_valid = kind in ("post:start", "post:enrol", "post:complete", "forged")

    def draw_request(draw: st.DrawFn, method: str, forge: bool) -> Request:
        return compose(draw, method, paths, QUERY_KEYS, fields, poison,
                       real_cookie if forge else None)

    targets = [Target(f"{name} GET", role, lambda d: draw_request(d, "GET", False))]
    if kind != "get":
        # Starting, enrolling, completing and logging out are valid for some roles on some
        # paths; the plain client sends them only where they change nothing.
        safe_plain = not writes_if_valid or (role, kind) in {
            ("owner", "post:start"), ("owner", "post:enrol"), ("owner", "post:complete"),
            ("classmate", "post:enrol"), ("anonymous", "post:start"),
            ("anonymous", "post:enrol"), ("anonymous", "post:complete"),
            ("outsider", "post:complete"), ("instructor", "post:complete"),
            ("superuser", "post:complete"), ("instructor", "post:start"),
            ("superuser", "post:start"),
        }
        if safe_plain:
            plain_paths = paths
            if kind == "post:enrol":  # course-a, where they are enrolled, or the draft course-c
                plain_paths = [p for p in paths if "/course-b/" not in p]
            targets.append(Target(f"{name} POST", role, lambda d: compose(
                d, "POST", plain_paths, QUERY_KEYS, fields, poison, None)))
        targets.append(Target(f"{name} POST forged CSRF", role,
                              lambda d: draw_request(d, "POST", True)))
    return targets


# --- admin ----------------------------------------------------------------------------------

SAFE_ACTIONS = {"delete_selected", "regrade_dry_run"}  # without "post": a confirmation page
BAD_IDS = st.one_of(st.sampled_from(["9" * 40, "-1", "0", "abc", "", "1.5", "9" * 19,
                                     "99999999", "%00", "1 OR 1=1"]), TEXT)
ADMIN_SITE_ROUTES = {"index", "login", "logout", "password_change", "password_change_done",
                     "autocomplete", "jsi18n", "view_on_site", "app_list"}
MODEL_ROUTES = {"changelist", "add", "history", "delete", "change"}
#: Admin routes beyond the five every model has, each sent hostile requests below.
CUSTOM_ADMIN_ROUTES = {"course_course_enrol_learners", "quizzes_quiz_import",
                       "auth_user_password_change"}


def admin_request(user: User, path: str = "/admin/") -> Any:
    request = RequestFactory().get(path)
    request.user = user
    return request


def plausible(form: forms.BaseForm) -> dict[str, list[str]]:
    """The form's fields as a browser would post them back unchanged."""
    data: dict[str, list[str]] = {}
    for bound in form:
        value, key, widget = bound.value(), bound.html_name, bound.field.widget
        if isinstance(widget, forms.MultiWidget):
            for index, part in enumerate(widget.decompress(value) or []):
                data[f"{key}_{index}"] = ["" if part is None else str(part)]
        elif isinstance(value, list | tuple):
            data[key] = [str(v) for v in value]
        elif isinstance(value, bool):
            data[key] = ["on"] if value else []
        else:
            data[key] = ["" if value is None else str(value)]
    return data


def form_fields(
    model_admin: Any, user: User, obj: Any
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """The role's admin form (inlines included) as the browser would post it back, and a
    poison for it: a blank required field, or {} when the form has none (then only a
    forged CSRF token is sent).
    """
    request = admin_request(user)
    form_class = model_admin.get_form(request, obj)
    fields = plausible(form_class(instance=obj))
    for name, value in (("_save", "Save"), ("_continue", ""), ("_addanother", ""),
                        ("_saveasnew", ""), ("_popup", ""), ("_to_field", "")):
        fields[name] = [value] if value else []
    for formset_class, _inline in model_admin.get_formsets_with_inlines(request, obj):
        formset = formset_class(instance=obj or model_admin.model(),
                                prefix=formset_class.get_default_prefix())
        fields.update(plausible(formset.management_form))
        for form in formset.forms:
            fields.update(plausible(form))
    # A split date and time is posted as name_0 and name_1: blanking `name` is no poison.
    required = {
        name: BLANK for name, f in form_class.base_fields.items()
        if f.required and not f.disabled and "password" not in name
        and not isinstance(f.widget, forms.MultiWidget)
    }
    return fields, required


def admin_targets(world: World, real_cookie: str) -> list[Target]:
    su, teacher = world.users["superuser"], world.users["instructor"]
    targets: list[Target] = []

    def add(label: str, role: str, method: str, paths: list[str], keys: list[str],
            fields: dict[str, list[str]] | None = None, poison: dict[str, Any] | None = None,
            forge: bool = False) -> None:
        def draw_request(draw: st.DrawFn) -> Request:
            return compose(draw, method, paths, keys, fields or {}, poison,
                           real_cookie if forge else None)
        targets.append(Target(label, role, draw_request))

    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = world.objects[model]
        changelist = reverse(f"{info}_changelist")
        cl = model_admin.get_changelist_instance(admin_request(su, changelist))
        filter_keys = [k for spec in cl.filter_specs for k in spec.expected_parameters() if k]
        keys = ["q", "o", "p", "e", "all", "_to_field", "_popup", "_changelist_filters",
                *filter_keys]
        label = model._meta.label
        for role in ("superuser", "instructor", "owner"):
            add(f"{label} changelist", role, "GET", [changelist], keys)
        actions = sorted(model_admin.get_actions(admin_request(su, changelist)))
        action_fields = {"action": actions[:1], "index": ["0"], "select_across": ["0"],
                         "_selected_action": [str(obj.pk)] if obj else []}
        safe = [a for a in actions if a in SAFE_ACTIONS]
        if safe:
            # Without "post", deleting shows a confirmation page; a dry run changes nothing.
            add(f"{label} action", "superuser", "POST", [changelist], keys,
                {**action_fields, "action": safe[:1]}, {"_selected_action": BAD_IDS})
        add(f"{label} action forged", "superuser", "POST", [changelist], keys,
            action_fields, forge=True)
        add_path = reverse(f"{info}_add")
        change_paths = [reverse(f"{info}_change", args=[obj.pk])] if obj else []
        for role, user in (("superuser", su), ("instructor", teacher)):
            add(f"{label} add GET", role, "GET", [add_path], [*keys, "quiz", "user", "course"])
            fields, required = form_fields(model_admin, user, None)
            add(f"{label} add POST", role, "POST", [add_path], keys, fields, required,
                forge=not required)
            if obj is None:
                continue
            add(f"{label} change GET", role, "GET", change_paths, keys)
            fields, required = form_fields(model_admin, user, obj)
            add(f"{label} change POST", role, "POST", change_paths, keys, fields, required,
                forge=not required)
        if obj is None:
            continue
        for route in ("delete", "history"):
            add(f"{label} {route} GET", "superuser", "GET",
                [reverse(f"{info}_{route}", args=[obj.pk])], keys)
        add(f"{label} delete POST forged", "superuser", "POST",
            [reverse(f"{info}_delete", args=[obj.pk])], [], {"post": ["yes"]},
            forge=True)
    user_pk = world.users["owner"].pk
    password = reverse("admin:auth_user_password_change", args=[user_pk])
    add("user password GET", "superuser", "GET", [password], QUERY_KEYS)
    add("user password POST", "superuser", "POST", [password], [],
        {"password1": [STRONG], "password2": [STRONG + "x"], "usable_password": ["true"]},
        {"password2": BLANK})
    site = [
        ("index", [reverse("admin:index")]),
        ("app_list", [reverse("admin:app_list", args=[app]) for app in
                      ("course", "quizzes", "auth", "axes")]),
        ("password_change_done", [reverse("admin:password_change_done")]),
        ("jsi18n", [reverse("admin:jsi18n")]),
        ("logout", [reverse("admin:logout")]),
    ]
    for name, paths in site:
        for role in ("anonymous", "owner", "instructor", "superuser"):
            add(f"admin {name} GET", role, "GET", paths, QUERY_KEYS)
    add("admin logout POST forged", "instructor", "POST", [reverse("admin:logout")], [],
        {}, forge=True)
    for role in ("anonymous", "owner"):
        add("admin login POST", role, "POST", [reverse("admin:login")], ["next"],
            {"username": ["root"], "password": ["not-the-password"], "next": ["/admin/"]})
    for role in ("instructor", "superuser"):
        add("admin password_change POST", role, "POST", [reverse("admin:password_change")],
            [], {"old_password": ["not-the-password"], "new_password1": [STRONG],
                 "new_password2": [STRONG]})
        add("admin autocomplete GET", role, "GET", [reverse("admin:autocomplete")],
            ["app_label", "model_name", "field_name", "term", "page"])
    content_types = [ContentType.objects.get_for_model(m).pk for m in admin.site._registry]
    objects = [o.pk for o in world.objects.values() if o is not None]
    view_on_site = [f"/admin/r/{ct}/{pk}/" for ct in content_types[:6] for pk in objects[:4]]
    for role in ("anonymous", "owner", "instructor", "superuser"):
        add("admin view_on_site", role, "GET", view_on_site, [])
        add("admin unknown route", role, "GET", ["/admin/course/nothing/1/change/",
                                                  "/admin/nothing/", "/admin/x/y/z/w/"], [])
    return targets


class Upload(io.BytesIO):
    """A file for encode_multipart under any name, even one Django's own files refuse."""

    def __init__(self, name: str, content: bytes) -> None:
        super().__init__(content)
        self.name = name


def upload_targets(world: World, real_cookie: str) -> list[Target]:
    """The admin's CSV enrolment and question import: multipart bodies with hostile bytes."""
    course = Course.objects.get(slug="course-a")
    other = Course.objects.get(slug="course-b")
    enrol = reverse("admin:course_course_enrol_learners", args=[course.pk])
    quiz = Quiz.objects.get(slug="quiz-a")
    questions = reverse("admin:quizzes_quiz_import", args=[quiz.pk])
    names = st.sampled_from(["a.csv", "../../x.csv", "a\x00b.gift", "x" * 300 + ".txt", "",
                             "ü.aiken", "con", ".htaccess"])
    raw = st.one_of(st.binary(max_size=300), TEXT.map(lambda t: t.encode("utf-8",
                                                                         "surrogatepass")))

    @st.composite
    def csv_upload(draw: st.DrawFn) -> dict[str, Any]:
        header = draw(st.sampled_from([b"username,email,cohort", b"username", b"email",
                                       b"\xef\xbb\xbfusername,cohort", b""]))
        rows = draw(st.lists(st.one_of(st.sampled_from([b"owner-learner,,Evening",
                                                        b"outsider,", b"root", b'"a,b', b","]),
                                       raw), max_size=6))
        # A line naming nobody: the file is refused as a whole, whatever the rest holds.
        content = b"\n".join([header, *rows, b"nobody-has-this-name,,Evening"])
        if draw(st.booleans()):
            content = draw(raw) + content
        return {"file": Upload(draw(names), content)}

    @st.composite
    def question_upload(draw: st.DrawFn) -> dict[str, Any]:
        text = draw(raw)
        # A single-answer question with two right answers (refused in GIFT) and a question
        # without an ANSWER line (refused in Aiken): nothing is imported, whatever else.
        content = text + b"\n\n::bad:: Two right? {=a =b ~c}\n\nNo answer?\nA. a\nB. b\n"
        return {
            "file": Upload(draw(names), content),
            "format": draw(st.one_of(st.sampled_from(["gift", "aiken"]), TEXT)),
            "skip_unsupported": draw(st.sampled_from(["on", "", "1", "false"])),
        }

    def page(path: str) -> Draw:
        return lambda draw: compose(draw, "GET", [path], ["q"], {}, None, None)

    def uploads(paths: list[str], files: st.SearchStrategy[dict[str, Any]], forge: bool
                ) -> Draw:
        def draw_request(draw: st.DrawFn) -> Request:
            data = draw(files)
            for key, value in draw(st.lists(st.tuples(TEXT, TEXT), max_size=2)):
                # A part's name sits in a header line: no NUL and no lone surrogate there.
                name = key.replace(NUL, "").encode("utf-8", "replace").decode()
                data.setdefault(name, value.encode("utf-8", "surrogatepass"))
            body = encode_multipart("BoUnDaRy", data)
            content_type = draw(st.sampled_from([
                "multipart/form-data; boundary=BoUnDaRy", "multipart/form-data; boundary=x",
                "multipart/form-data", "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=BoUnDaRy; charset=utf-7",
            ]))
            return Request("POST", hostile_path(draw, paths), body=body,
                           content_type=content_type, headers=draw(HEADERS),
                           forged_csrf=forged(draw, real_cookie) if forge else None)
        return draw_request

    enrol_other = reverse("admin:course_course_enrol_learners", args=[other.pk])
    targets = []
    for role in ("superuser", "instructor"):
        targets += [
            Target("enrolment CSV upload", role,
                   uploads([enrol, enrol_other], csv_upload(), False)),
            Target("question import upload", role, uploads([questions], question_upload(),
                                                           False)),
        ]
        for path in (enrol, questions):
            targets.append(Target(f"{path} GET", role, page(path)))
    targets.append(Target("enrolment CSV upload forged", "instructor",
                          uploads([enrol], csv_upload(), True)))
    return targets


# --- sending and checking -------------------------------------------------------------------


def table_digest() -> dict[str, str]:
    """A hash of every row of every table something might wrongly change."""
    unwatched = {"django_session"} | {
        cache["LOCATION"] for cache in settings.CACHES.values()
        if cache["BACKEND"].endswith("DatabaseCache")
    }
    digests = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table in unwatched or table.startswith("axes_"):
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows = sorted(repr(row) for row in cursor.fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


class Sender:
    def __init__(self, world: World) -> None:
        self.plain: dict[str, Client] = {}
        self.forging: dict[str, Client] = {}
        for role in [*ROLES, "other_instructor"]:
            self.plain[role] = Client(raise_request_exception=False)
            self.forging[role] = Client(enforce_csrf_checks=True, raise_request_exception=False)
            if role != "anonymous":
                self.plain[role].force_login(world.users[role])
                self.forging[role].force_login(world.users[role])
        self.forging["anonymous"].get(reverse("login"))
        self.real_cookie = self.forging["anonymous"].cookies[settings.CSRF_COOKIE_NAME].value
        self.sent = 0
        self.failures: list[str] = []
        self.last_exception = ""
        self.address = 0

    def record_exception(self, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        self.last_exception = f"{type(exc).__name__}: {str(exc)[:300]}"

    def send(self, role: str, request: Request, address: int) -> None:
        client = (self.forging if request.forged_csrf else self.plain)[role]
        if request.forged_csrf:
            cookie, token = request.forged_csrf
            client.cookies.pop(settings.CSRF_COOKIE_NAME, None)
            if cookie is not None:
                client.cookies[settings.CSRF_COOKIE_NAME] = cookie
            request.headers = {**request.headers, "HTTP_X_CSRFTOKEN": token}
        query = "&".join(f"{k}={v}" for k, v in request.query)
        path = f"{request.path}?{query}" if query else request.path
        self.last_exception = ""
        self.sent += 1
        octets = (address >> 16 & 255, address >> 8 & 255, address & 255)
        environ: dict[str, Any] = {"REMOTE_ADDR": "10.{}.{}.{}".format(*octets),
                                   **request.headers}
        status, trouble = 0, ""
        # A database error inside a view leaves PostgreSQL's transaction unusable; the
        # savepoint rolls back to before the request (the test runs in one transaction).
        with contextlib.suppress(DatabaseError), transaction.atomic():
            response = client.generic(request.method, path, request.body,
                                      content_type=request.content_type, **environ)
            status = response.status_code
            if response.streaming:
                # The test client's response type does not say it may stream; `.streaming`
                # says this one is a StreamingHttpResponse, iterated as a WSGI server does.
                streamed = cast(StreamingHttpResponse, response)
                try:
                    for _chunk in streamed:
                        pass
                except Exception as exc:
                    status, trouble = 500, f"while streaming: {exc!r}"
        if status >= 500 or status == 0:
            self.failures.append(
                f"{status} {self.last_exception or trouble}\n    as {role}: {request.describe()}"
            )


def run_target(sender: Sender, target: Target, examples: int) -> None:
    @hsettings(max_examples=examples, derandomize=True, deadline=None, database=None,
               phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(st.data(), st.sampled_from(["own", "shared"]))
    def explore(data: st.DataObject, address: str) -> None:
        request = data.draw(st.composite(lambda draw: target.draw(draw))())
        sender.address += 1
        # A fresh address each time exercises the forms behind the throttles; a shared one
        # reaches the throttles themselves.
        sender.send(target.role, request, sender.address if address == "own" else 7)

    explore()


def all_targets(world: World, real_cookie: str) -> Iterator[Target]:
    for name in PUBLIC_ROUTES:
        for role in ROLES:
            yield from public_target(world, name, role, real_cookie)
    yield from admin_targets(world, real_cookie)
    yield from upload_targets(world, real_cookie)


BIG = [
    # Past DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS and the file count.
    ("anonymous", "POST", "/accounts/login/", b"username=" + b"x" * 3_000_000),
    ("anonymous", "POST", "/accounts/signup/", "&".join(f"f{i}=1" for i in range(2100)).encode()),
    ("superuser", "POST", "/admin/quizzes/quiz/?q=" + "x" * 20_000, b"action=" + b"%FF" * 9000),
]


# --- the tests ------------------------------------------------------------------------------


def test_every_url_and_admin_route_has_a_hostile_rule():
    assert sorted(url_names(get_resolver().url_patterns)) == sorted(PUBLIC_ROUTES)
    site_names = {p.name for p in admin.site.get_urls() if isinstance(p, URLPattern) and p.name}
    assert site_names == ADMIN_SITE_ROUTES
    for model, model_admin in admin.site._registry.items():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        custom = {p.name for p in model_admin.get_urls() if p.name} - {
            prefix + route for route in MODEL_ROUTES
        }
        assert custom <= CUSTOM_ADMIN_ROUTES, f"no hostile rule for {custom}"


def test_hostile_requests_get_no_5xx_and_change_no_row():
    with time_machine.travel(FROZEN, tick=False):
        world = build_world()
        sender = Sender(world)
        got_request_exception.connect(sender.record_exception)
        before = table_digest()
        try:
            for target in all_targets(world, sender.real_cookie):
                run_target(sender, target, EXAMPLES)
            for role, method, path, body in BIG:
                sender.send(role, Request(method, path, body=body), 0)
        finally:
            got_request_exception.disconnect(sender.record_exception)
        after = table_digest()
    assert sender.sent >= MIN_REQUESTS
    assert not sender.failures, f"{len(sender.failures)} of {sender.sent} requests were 5xx:\n" + (
        "\n".join(sender.failures[:200])
    )
    changed = sorted(table for table in before if before[table] != after.get(table))
    assert not changed, f"hostile requests changed rows in {changed}"
    print(f"{sender.sent} hostile requests: no 5xx, no changed row")
