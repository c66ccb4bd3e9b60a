"""Import questions from GIFT and Aiken files (PRODUCT.md §2 "Imports").

Parsing is pure: `parse_gift` and `parse_aiken` turn text into parsed questions and
problems with line numbers, without touching the database, and every parsed question
has passed `scoring.question_problems`, the check the admin applies. `questions_import`
writes them in one transaction, or raises `ImportFailed` and writes nothing.

GIFT, as Moodle writes it:

* Questions are separated by blank lines. Lines starting with `//` are comments.
  `$CATEGORY:` lines are ignored and reported as notes: questions go into the chosen quiz.
* `::Title::` names a question; its slug becomes the question's key (else "imported-N").
* `{=right ~wrong ~wrong}` is a single-answer question; `#text` after a choice is its
  feedback; `####text` at the end of the block is general feedback, stored as the
  question's explanation.
* `~%50%a ~%50%b ~%-100%c` weights choices in percent (−100..100). A block without `=`
  and with more than one positive credit is multiple-answer; any other block is
  single-answer, as in Moodle, where `~%50%` gives a wrong choice partial credit. So
  `{=a =b ~c}` is refused: a single-answer question here has exactly one right choice.
  Credits of a multiple-answer question are all stored, 0 for an unweighted choice (as
  in Moodle; our default would be −100 %/|C|); those of a single-answer question only
  where a weight was written.
* `{T}`, `{TRUE}`, `{F}`, `{FALSE}` make a true/false question with choices "True" and
  "False"; `{T#wrong-fb#right-fb}` gives the feedback for the wrong and the right choice.
* Escapes `\\= \\~ \\# \\{ \\} \\: \\\\` stand for the character itself, `\\n` for a new line.
* A format tag at the start of a text (`[markdown]`, `[html]`, `[plain]`, `[moodle]`)
  says how to read it; an untagged text takes the question text's format.
  Question text and general feedback are stored as Markdown: `[markdown]`, `[moodle]` and
  untagged text as written; `[plain]` with Markdown's special characters escaped, so
  it shows as written; `[html]` with every tag removed (and the content of `script` and
  `style`), entities decoded and line breaks kept, then escaped as `[plain]`. Choice
  texts and choice feedback are shown as plain text, so only `[html]` changes them.
* Not imported, reported with their line: short answer (`{=a =b}`), numerical
  (`{#...}`), matching (`{=a -> b}`), essay (`{}`), missing word and cloze (text after
  the answer block) and descriptions (no answer block).

Aiken: a question line (or several), options `A.` or `A)` one per line, then
`ANSWER: B`. Single answer only.

Limits (quizzes/limits.py): a file holds at most `QUIZ_MAX_QUESTIONS_PER_IMPORT` questions,
counted before parsing so that an oversized file costs no parse, and the quiz at most
`QUIZ_MAX_QUESTIONS` afterwards; either refusal imports nothing.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import nh3
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from course.rendering import render_markdown
from course.uploads import LineProblem, ProblemsFound
from quizzes import limits, scoring
from quizzes.models import Choice, Question, QuestionKind, Quiz

GIFT = "gift"
AIKEN = "aiken"
FORMATS = (GIFT, AIKEN)

CHOICE_TEXT_MAX = Choice._meta.get_field("text").max_length or 500
KEY_MAX = (Question._meta.get_field("key").max_length or 100) - 10
CREDIT_QUANTUM = Decimal("0.00001")


@dataclass(frozen=True)
class Problem(LineProblem):
    """A LineProblem that may be an item of a question type we do not import."""

    #: `skip_unsupported` skips such an item instead of refusing the file.
    unsupported: bool = False


@dataclass(frozen=True)
class ParsedChoice:
    text: str
    is_correct: bool
    credit: Decimal | None
    feedback: str
    line: int


@dataclass(frozen=True)
class ParsedQuestion:
    line: int
    title: str
    kind: str
    text: str
    explanation: str
    choices: tuple[ParsedChoice, ...]


@dataclass(frozen=True)
class ParseResult:
    questions: tuple[ParsedQuestion, ...]
    #: Malformed items and unsupported ones, in line order.
    problems: tuple[Problem, ...] = ()
    #: Information only, such as ignored categories.
    notes: tuple[Problem, ...] = ()

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if not p.unsupported)

    @property
    def unsupported(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.unsupported)


class ImportFailed(ProblemsFound):
    """The file cannot be imported; nothing was written. `problems` say why, by line."""


@dataclass(frozen=True)
class ImportReport:
    quiz: Quiz
    questions: tuple[Question, ...]
    skipped: tuple[Problem, ...] = ()
    notes: tuple[Problem, ...] = ()

    @property
    def imported(self) -> int:
        return len(self.questions)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- text formats

_FORMAT_TAG = re.compile(r"\s*\[(markdown|html|plain|moodle)\]")
_HTML_LINE_BREAK = re.compile(r"<\s*br\s*/?\s*>|</\s*li\s*>", re.IGNORECASE)
_HTML_BLOCK_END = re.compile(r"</\s*(?:p|div|h[1-6]|tr|ul|ol|blockquote)\s*>", re.IGNORECASE)
_MD_INLINE = re.compile(r"([\\`*_\[\]])")
_MD_LINE_START = re.compile(r"^([ \t]*)([#>+-])", re.MULTILINE)
_MD_NUMBERED = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)


def _take_format(text: str, default: str) -> tuple[str, str]:
    match = _FORMAT_TAG.match(text)
    if match:
        return match.group(1), text[match.end() :]
    return default, text


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags removed, entities decoded, breaks kept."""
    markup = _HTML_LINE_BREAK.sub("\n", markup)
    markup = _HTML_BLOCK_END.sub("\n\n", markup)
    # nh3 with no allowed tag keeps only text, and drops script and style contents.
    text = html.unescape(nh3.clean(markup, tags=set()))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def escape_markdown(text: str) -> str:
    """Text that Markdown shows as written: inline markers, line-start markers and `<`."""
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(r"\1\\\2", text)
    text = _MD_NUMBERED.sub(r"\1\\\2", text)
    return text.replace("<", "&lt;")


def _as_markdown(text: str, default: str) -> str:
    fmt, text = _take_format(text, default)
    if fmt == "html":
        return escape_markdown(html_to_text(text))
    if fmt == "plain":
        return escape_markdown(text.strip())
    return text.strip()


def _as_plain(text: str, default: str) -> str:
    fmt, text = _take_format(text, default)
    if fmt == "html":
        return " ".join(html_to_text(text).split())
    return text.strip()


# --------------------------------------------------------------------------- GIFT

_ESCAPABLE = "~=#{}:\\"
_WEIGHT = re.compile(r"\s*%([^%\n]*)%")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


@dataclass(frozen=True)
class _Span:
    """Unescaped text that remembers, per character, whether it was escaped and its line."""

    text: str
    escaped: tuple[bool, ...]
    lines: tuple[int, ...]
    first_line: int

    def find(self, token: str, start: int = 0) -> int:
        """Index of the first unescaped `token` at or after `start`, or -1."""
        index = self.text.find(token, start)
        while index != -1 and any(self.escaped[index : index + len(token)]):
            index = self.text.find(token, index + 1)
        return index

    def find_any(self, tokens: str, start: int = 0) -> int:
        found = [i for i in (self.find(t, start) for t in tokens) if i != -1]
        return min(found) if found else -1

    def startswith(self, token: str) -> bool:
        return self.find(token) == 0

    def line_at(self, index: int) -> int:
        if not self.lines:
            return self.first_line
        return self.lines[max(0, min(index, len(self.lines) - 1))]

    def cut(self, start: int, end: int | None = None) -> _Span:
        stop = len(self.text) if end is None else end
        return _Span(
            self.text[start:stop],
            self.escaped[start:stop],
            self.lines[start:stop],
            self.line_at(start),
        )

    def strip(self) -> _Span:
        start = len(self.text) - len(self.text.lstrip())
        end = len(self.text.rstrip())
        if start >= end:
            return _Span("", (), (), self.line_at(start))
        return self.cut(start, end)


def _decode_escapes(block: Sequence[tuple[int, str]]) -> _Span:
    chars: list[str] = []
    escaped: list[bool] = []
    lines: list[int] = []
    for position, (number, line) in enumerate(block):
        if position:
            chars.append("\n")
            escaped.append(False)
            lines.append(block[position - 1][0])
        index = 0
        while index < len(line):
            char = line[index]
            following = line[index + 1] if index + 1 < len(line) else ""
            if char == "\\" and following and (following in _ESCAPABLE or following == "n"):
                chars.append("\n" if following == "n" else following)
                escaped.append(True)
                index += 2
            else:
                chars.append(char)
                escaped.append(False)
                index += 1
            lines.append(number)
    return _Span("".join(chars), tuple(escaped), tuple(lines), block[0][0])


def _gift_blocks(
    text: str, notes: list[Problem]
) -> list[list[tuple[int, str]]]:
    """Blank-line separated blocks of (line number, line), without comments and categories."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if current:
                blocks.append(current)
                current = []
        elif stripped.startswith("//"):
            continue
        elif stripped.startswith("$CATEGORY:"):
            category = stripped[len("$CATEGORY:") :].strip()
            notes.append(Problem(number, _(
                "category “%(category)s” ignored: questions go into the chosen quiz."
            ) % {"category": category}))
        else:
            current.append((number, line))
    if current:
        blocks.append(current)
    return blocks


def parse_gift(text: str) -> ParseResult:
    """Parse a GIFT file into questions and problems with line numbers (see module doc)."""
    text = _normalise_newlines(text)
    if problem := _empty_or_binary(text):
        return ParseResult((), (problem,))
    notes: list[Problem] = []
    questions: list[ParsedQuestion] = []
    problems: list[Problem] = []
    blocks = _gift_blocks(text, notes)
    if not blocks:
        return ParseResult((), (Problem(1, _("the file contains no question.")),), tuple(notes))
    for block in blocks:
        question, found = _gift_question(_decode_escapes(block))
        problems.extend(found)
        if question is not None and not found:
            questions.append(question)
    return ParseResult(tuple(questions), tuple(sorted(problems, key=lambda p: p.line)),
                       tuple(notes))


def _empty_or_binary(text: str) -> Problem | None:
    if not text.strip():
        return Problem(1, _("the file is empty."))
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return Problem(line, _("the file contains a NUL character: is it a text file?"))
    return None


def _unsupported(line: int, what: str) -> list[Problem]:
    return [Problem(line, _("%(what)s questions are not supported.") % {"what": what},
                    unsupported=True)]


def _gift_question(span: _Span) -> tuple[ParsedQuestion | None, list[Problem]]:
    span = span.strip()
    line = span.first_line
    title = ""
    if span.startswith("::"):
        end = span.find("::", 2)
        if end == -1:
            return None, [Problem(line, _("the title is not closed with “::”."))]
        title = span.cut(2, end).text.strip()
        span = span.cut(end + 2).strip()
    opening = span.find("{")
    closing = span.find("}")
    if closing != -1 and (opening == -1 or closing < opening):
        return None, [Problem(span.line_at(closing), _(
            "“}” without an opening “{” (write \\} for a literal brace)."
        ))]
    if opening == -1:
        return None, _unsupported(line, _("Description (no answer block)"))
    closing = span.find("}", opening + 1)
    nested = span.find("{", opening + 1)
    if closing == -1:
        return None, [Problem(span.line_at(opening), _(
            "the answer block opened here is not closed with “}”."
        ))]
    if nested != -1 and nested < closing:
        return None, [Problem(span.line_at(nested), _(
            "“{” inside an answer block (write \\{ for a literal brace)."
        ))]
    stem = span.cut(0, opening).strip()
    block = span.cut(opening + 1, closing)
    if span.cut(closing + 1).strip().text:
        return None, _unsupported(line, _("Missing-word (cloze)"))
    fmt, stem_text = _take_format(stem.text, "markdown")
    explanation = ""
    general = block.find("####")
    if general != -1:
        explanation = _as_markdown(block.cut(general + 4).text, fmt)
        block = block.cut(0, general)
    answers = block.strip()
    if not answers.text:
        return None, _unsupported(line, _("Essay"))
    if answers.startswith("#"):
        return None, _unsupported(line, _("Numerical"))
    has_wrong = answers.find("~") != -1
    if not has_wrong and answers.find("=") != -1 and answers.find("->") != -1:
        return None, _unsupported(line, _("Matching"))
    text = _as_markdown(stem_text, fmt)
    if not text:
        return None, [Problem(line, _("the question has no text before its answer block."))]
    if has_wrong:
        kind, choices, problems = _gift_choices(answers, fmt, line)
    else:
        head = answers.find("#")
        word = (answers.text if head == -1 else answers.cut(0, head).text).strip().upper()
        if word in _TRUE_FALSE:
            kind, choices, problems = QuestionKind.TRUE_FALSE, _true_false(
                answers, _TRUE_FALSE[word], fmt), []
        elif answers.startswith("="):
            return None, _unsupported(line, _("Short-answer"))
        else:
            return None, [Problem(answers.first_line, _(
                "the answers must start with “=” (right) or “~” (wrong), or be T or F."
            ))]
    if problems:
        return None, problems
    question = ParsedQuestion(line, title, kind, text, explanation, tuple(choices))
    return question, _validate(question)


def _gift_choices(
    answers: _Span, fmt: str, question_line: int
) -> tuple[str, list[ParsedChoice], list[Problem]]:
    problems: list[Problem] = []
    starts = []
    index = answers.find_any("=~")
    if answers.cut(0, index).strip().text:
        problems.append(Problem(answers.first_line, _(
            "text before the first answer: each answer starts with “=” or “~”."
        )))
    while index != -1:
        starts.append(index)
        index = answers.find_any("=~", index + 1)
    raw: list[tuple[str, Decimal | None, str, str, int]] = []
    for position, start in enumerate(starts):
        end = starts[position + 1] if position + 1 < len(starts) else len(answers.text)
        marker = answers.text[start]
        item = answers.cut(start + 1, end)
        line = answers.line_at(start)
        credit = None
        weight = _WEIGHT.match(item.text)
        if weight:
            credit = _credit(weight.group(1), line, problems)
            item = item.cut(weight.end())
        hash_at = item.find("#")
        text_span = item if hash_at == -1 else item.cut(0, hash_at)
        feedback = "" if hash_at == -1 else _as_plain(item.cut(hash_at + 1).text, fmt)
        text = _as_plain(text_span.text, fmt)
        if not text:
            problems.append(Problem(line, _("a choice has no text.")))
        elif len(text) > CHOICE_TEXT_MAX:
            problems.append(Problem(line, _(
                "a choice is longer than %(max)s characters."
            ) % {"max": CHOICE_TEXT_MAX}))
        raw.append((marker, credit, text, feedback, line))
    if problems:
        return QuestionKind.SINGLE, [], problems

    def value(marker: str, credit: Decimal | None) -> Decimal:
        if credit is not None:
            return credit
        return scoring.HUNDRED if marker == "=" else scoring.ZERO

    positive = [r for r in raw if value(r[0], r[1]) > 0]
    if not positive:
        return QuestionKind.SINGLE, [], [Problem(question_line, _(
            "the question has no right answer: mark one with “=” or a positive %n% weight."
        ))]
    if len(positive) > 1 and not any(r[0] == "=" for r in raw):
        # Every credit explicit: Moodle gives an unweighted choice 0 %, where our default
        # for a wrong choice of a multiple-answer question would be −100 %/|C|.
        choices = [
            ParsedChoice(text, value(marker, credit) > 0, value(marker, credit), feedback, line)
            for marker, credit, text, feedback, line in raw
        ]
        return QuestionKind.MULTIPLE, choices, []
    choices = [
        ParsedChoice(text, value(marker, credit) == scoring.HUNDRED, credit, feedback, line)
        for marker, credit, text, feedback, line in raw
    ]
    return QuestionKind.SINGLE, choices, []


def _credit(raw: str, line: int, problems: list[Problem]) -> Decimal | None:
    try:
        credit = Decimal(raw.strip())
    except InvalidOperation:
        credit = None
    if credit is None or not credit.is_finite() or not -100 <= credit <= 100:
        problems.append(Problem(line, _(
            "the weight “%%%(raw)s%%” is not a percentage between -100 and 100."
        ) % {"raw": raw}))
        return None
    # Stored to Choice.credit's 5 decimals, so the check below sees what is stored.
    return credit.quantize(CREDIT_QUANTUM)


def _true_false(answers: _Span, right: bool, fmt: str) -> list[ParsedChoice]:
    line = answers.first_line
    first = answers.find("#")
    wrong_feedback = right_feedback = ""
    if first != -1:
        rest = answers.cut(first + 1)
        second = rest.find("#")
        wrong_feedback = _as_plain(rest.text if second == -1 else rest.cut(0, second).text, fmt)
        if second != -1:
            right_feedback = _as_plain(rest.cut(second + 1).text, fmt)
    return [
        ParsedChoice("True", right, None, right_feedback if right else wrong_feedback, line),
        ParsedChoice("False", not right, None, wrong_feedback if right else right_feedback, line),
    ]


def _validate(question: ParsedQuestion) -> list[Problem]:
    """The admin's own check, so an import never stores a question the admin would refuse."""
    specs = [
        scoring.ChoiceSpec(index, choice.is_correct, choice.credit)
        for index, choice in enumerate(question.choices)
    ]
    problems = [
        Problem(question.line, _("the question cannot be answered right: %(problem)s.")
                % {"problem": problem})
        for problem in scoring.question_problems(question.kind, specs)
    ]
    for text in (question.text, question.explanation):
        problems += [
            Problem(question.line, _("the link “%(target)s” leads nowhere: no such static "
                                     "file or section.") % {"target": link.target})
            for link in render_markdown(text).broken_links
        ]
    return problems


# --------------------------------------------------------------------------- Aiken

_AIKEN_OPTION = re.compile(r"([A-Z])[.)](?:\s+(.*))?$")
_AIKEN_ANSWER = re.compile(r"ANSWER:\s*(.*)$")


@dataclass
class _AikenDraft:
    line: int
    text: list[str]
    options: dict[str, tuple[int, str]] = field(default_factory=dict)
    broken: bool = False


def parse_aiken(text: str) -> ParseResult:
    """Parse an Aiken file: question line(s), options `A.`/`A)`, then `ANSWER: X`."""
    text = _normalise_newlines(text)
    if problem := _empty_or_binary(text):
        return ParseResult((), (problem,))
    questions: list[ParsedQuestion] = []
    problems: list[Problem] = []
    draft: _AikenDraft | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        answer = _AIKEN_ANSWER.match(line)
        option = _AIKEN_OPTION.match(line)
        if draft is None:
            if answer or option:
                problems.append(Problem(number, _(
                    "expected a question, found an option or ANSWER line."
                )))
            else:
                draft = _AikenDraft(number, [line])
            continue
        if answer:
            problems.extend(_aiken_finish(draft, answer.group(1).strip(), number, questions))
            draft = None
        elif option:
            letter, option_text = option.group(1), (option.group(2) or "").strip()
            if not option_text:
                problems.append(Problem(number, _("option %(letter)s has no text.")
                                        % {"letter": letter}))
            elif letter in draft.options:
                problems.append(Problem(number, _("option %(letter)s appears twice.")
                                        % {"letter": letter}))
            elif len(option_text) > CHOICE_TEXT_MAX:
                problems.append(Problem(number, _(
                    "a choice is longer than %(max)s characters."
                ) % {"max": CHOICE_TEXT_MAX}))
            else:
                draft.options[letter] = (number, option_text)
                continue
            draft.broken = True
        elif draft.options:
            problems.append(Problem(draft.line, _(
                "the question has no “ANSWER:” line (expected before line %(next)s)."
            ) % {"next": number}))
            draft = _AikenDraft(number, [line])
        else:
            draft.text.append(line)
    if draft is not None:
        problems.append(Problem(draft.line, _("the question has no “ANSWER:” line.")))
    if problems:
        questions = []
    return ParseResult(tuple(questions), tuple(sorted(problems, key=lambda p: p.line)))


def _aiken_finish(
    draft: _AikenDraft, letter: str, line: int, questions: list[ParsedQuestion]
) -> list[Problem]:
    if not draft.options:
        return [Problem(line, _("“ANSWER:” before any option."))]
    letter = letter.upper()
    if letter not in draft.options:
        return [Problem(line, _(
            "ANSWER names “%(letter)s”, which is not one of the options (%(options)s)."
        ) % {"letter": letter, "options": ", ".join(sorted(draft.options))})]
    if draft.broken:
        return []  # its faulty option lines are reported already
    choices = tuple(
        ParsedChoice(option_text, key == letter, None, "", option_line)
        for key, (option_line, option_text) in draft.options.items()
    )
    question = ParsedQuestion(
        draft.line, "", QuestionKind.SINGLE, "\n".join(draft.text), "", choices
    )
    problems = _validate(question)
    if not problems:
        questions.append(question)
    return problems


_AIKEN_ANSWER_LINE = re.compile(r"^[ \t]*ANSWER:", re.MULTILINE)


def count_questions(text: str, fmt: str) -> int:
    """How many questions a file holds, read without parsing them: GIFT's blank-line
    separated items (unsupported ones included), Aiken's ANSWER lines.
    """
    text = _normalise_newlines(text)
    if fmt == GIFT:
        return len(_gift_blocks(text, []))
    if fmt == AIKEN:
        return len(_AIKEN_ANSWER_LINE.findall(text))
    raise ValueError(f"Unknown import format {fmt!r}; expected one of {FORMATS}.")


def parse(text: str, fmt: str) -> ParseResult:
    if fmt == GIFT:
        return parse_gift(text)
    if fmt == AIKEN:
        return parse_aiken(text)
    raise ValueError(f"Unknown import format {fmt!r}; expected one of {FORMATS}.")


# --------------------------------------------------------------------------- writing


def _keys(questions: Iterable[ParsedQuestion], taken: set[str]) -> list[str]:
    """Keys unique within the quiz: the title's slug, else the first free "imported-N"."""
    counter = itertools.count(1)
    keys = []
    for question in questions:
        base = slugify(question.title)[:KEY_MAX].strip("-")
        if base:
            key, suffix = base, 2
            while key in taken:
                key, suffix = f"{base}-{suffix}", suffix + 1
        else:
            key = next(k for k in (f"imported-{n}" for n in counter) if k not in taken)
        taken.add(key)
        keys.append(key)
    return keys


@transaction.atomic
def questions_import(
    *, quiz: Quiz, text: str, fmt: str, skip_unsupported: bool = False
) -> ImportReport:
    """Add the questions of a GIFT or Aiken file to `quiz`, all or nothing.

    Either every importable question of the file is stored, after the quiz's existing
    questions and with keys unique within the quiz, or nothing is: any malformed item,
    any unsupported one (unless `skip_unsupported`, which skips and lists them) or a file
    with nothing to import raises ImportFailed listing every problem by line. Each stored
    question passes `scoring.question_problems`, the check the admin applies. A file over
    `limits.max_questions_per_import()` is refused before it is parsed, and an import that
    would take the quiz past `limits.max_questions()` is refused with the quiz row locked,
    so that two concurrent imports cannot pass the limit together.
    """
    if problem := limits.import_size_problem(count_questions(text, fmt)):
        raise ImportFailed([Problem(0, problem)])
    result = parse(text, fmt)
    failures = list(result.errors if skip_unsupported else result.problems)
    if failures:
        raise ImportFailed(failures)
    if not result.questions:
        raise ImportFailed([Problem(1, _("nothing to import: every question was skipped."))])
    # Locks the quiz on PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers.
    Quiz.objects.select_for_update().only("pk").get(pk=quiz.pk)
    stored = list(quiz.questions.values_list("key", "order"))
    taken = {key for key, _order in stored}
    if problem := limits.quiz_room_problem(current=len(taken), adding=len(result.questions)):
        raise ImportFailed([Problem(0, problem)])
    first_order = max((order + 1 for _key, order in stored), default=0)
    questions = [
        Question(quiz=quiz, key=key, order=first_order + position, kind=parsed.kind,
                 text=parsed.text, explanation=parsed.explanation)
        for position, (parsed, key) in enumerate(
            zip(result.questions, _keys(result.questions, taken), strict=True)
        )
    ]
    try:
        Question.objects.bulk_create(questions)
        Choice.objects.bulk_create(
            Choice(question=question, order=order, text=choice.text,
                   is_correct=choice.is_correct, credit=choice.credit, feedback=choice.feedback)
            for question, parsed in zip(questions, result.questions, strict=True)
            for order, choice in enumerate(parsed.choices)
        )
    except IntegrityError as exc:
        # Only a concurrent import taking the same key gets here: nothing is kept.
        raise ImportFailed([Problem(1, _(
            "the quiz changed during the import; nothing was imported, try again."
        ))]) from exc
    return ImportReport(quiz, tuple(questions), result.unsupported, result.notes)
