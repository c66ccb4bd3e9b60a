"""The upload machinery both line-by-line importers share: size, UTF-8, problems by line."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from course.uploads import (
    MAX_UPLOAD_BYTES,
    PROBLEMS_SHOWN,
    LineProblem,
    NotUTF8,
    ProblemsFound,
    decode_text,
    shown_problems,
    upload_text,
)


def test_a_byte_order_mark_is_dropped_and_line_ends_are_kept():
    assert decode_text("\ufeffa,b\r\nc\n".encode()) == "a,b\r\nc\n"


def test_bad_utf8_names_the_line_of_the_first_bad_byte():
    with pytest.raises(NotUTF8) as caught:
        decode_text(b"one\ntwo\nthr\xe9e\nf\xffour\n")
    assert caught.value.line == 3
    assert str(caught.value) == (
        "Line 3: the file is not UTF-8 text; save it as UTF-8 and try again."
    )


def test_an_importer_may_give_its_own_advice_for_bad_utf8():
    with pytest.raises(NotUTF8, match=r"^Not UTF-8 at 2, use CSV UTF-8\.$"):
        decode_text(b"ok\n\xff\n", not_utf8="Not UTF-8 at %(line)s, use CSV UTF-8.")


def test_an_upload_of_exactly_the_limit_is_read():
    upload = SimpleUploadedFile("f.txt", b"a" * MAX_UPLOAD_BYTES)
    assert len(upload_text(upload)) == MAX_UPLOAD_BYTES


def test_an_upload_one_byte_over_the_limit_is_refused_as_too_large():
    upload = SimpleUploadedFile("f.txt", b"a" * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ValidationError) as caught:
        upload_text(upload)
    assert caught.value.code == "too_large"
    assert caught.value.messages == [
        "The file is larger than 1 MB; split it into smaller files."
    ]


def test_an_upload_that_is_not_utf8_is_a_form_error_naming_the_line():
    with pytest.raises(ValidationError) as caught:
        upload_text(SimpleUploadedFile("f.txt", b"fine\nna\xefve\n"))
    assert caught.value.code == "not_utf8"
    assert caught.value.messages == [
        "Line 2: the file is not UTF-8 text; save it as UTF-8 and try again."
    ]


def test_a_problem_names_its_line_and_a_whole_file_problem_reads_as_a_sentence():
    assert str(LineProblem(7, "unknown user.")) == "Line 7: unknown user."
    assert str(LineProblem(0, "the file is too long.")) == "The file is too long."


def test_problems_found_lists_every_problem_in_line_order():
    refused = ProblemsFound([LineProblem(9, "b."), LineProblem(2, "a."), LineProblem(0, "whole.")])
    assert [p.line for p in refused.problems] == [0, 2, 9]
    assert str(refused) == "Whole.\nLine 2: a.\nLine 9: b."


def test_a_short_list_of_problems_is_shown_whole():
    problems = [LineProblem(n, "bad.") for n in range(1, PROBLEMS_SHOWN + 1)]
    assert shown_problems(problems) == [f"Line {n}: bad." for n in range(1, PROBLEMS_SHOWN + 1)]


@pytest.mark.parametrize(("extra", "tail"), [(1, "…and 1 more problem."),
                                             (950, "…and 950 more problems.")])
def test_a_long_list_shows_the_first_problems_and_counts_the_rest(extra, tail):
    problems = [LineProblem(n, "bad.") for n in range(1, PROBLEMS_SHOWN + extra + 1)]
    shown = shown_problems(problems)
    assert shown[:-1] == [f"Line {n}: bad." for n in range(1, PROBLEMS_SHOWN + 1)]
    assert shown[-1] == tail
