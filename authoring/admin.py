"""The quiz admin, extended with question import: authoring owns getting content in, so
it adds the "Import questions" page to the quiz admin that `quizzes` registers."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from course.uploads import shown_problems, upload_text
from quizzes.admin import QuizAdmin
from quizzes.models import Quiz

from . import importers


class QuestionImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("A GIFT or Aiken text file in UTF-8, at most 1 MB."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[(importers.GIFT, _("GIFT (Moodle)")), (importers.AIKEN, _("Aiken"))],
        initial=importers.GIFT,
    )
    skip_unsupported = forms.BooleanField(
        label=_("Skip unsupported questions"),
        required=False,
        help_text=_("Import the rest and list the skipped ones, instead of importing nothing."),
    )

    def clean_file(self) -> str:
        return upload_text(self.cleaned_data["file"])


class AuthoringQuizAdmin(QuizAdmin):
    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_questions_view)
        custom = [path("<path:object_id>/import/", view, name="quizzes_quiz_import")]
        return custom + super().get_urls()

    def import_questions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Upload a GIFT or Aiken file into one of the instructor's quizzes, all or nothing."""
        if not request.user.has_perm("quizzes.add_question"):
            raise PermissionDenied
        quiz = self.get_object(request, unquote(object_id))  # scoped to the user's courses
        if quiz is None:
            raise Http404(_("No such quiz."))
        posted = request.method == "POST"
        form = QuestionImportForm(request.POST, request.FILES) if posted else QuestionImportForm()
        if posted and form.is_valid():
            try:
                report = importers.questions_import(
                    quiz=quiz, text=form.cleaned_data["file"], fmt=form.cleaned_data["format"],
                    skip_unsupported=form.cleaned_data["skip_unsupported"],
                )
            except importers.ImportFailed as exc:
                form.add_error(None, shown_problems(exc.problems))
            else:
                self._import_messages(request, report)
                return redirect("admin:quizzes_quiz_change", quiz.pk)
        context = {
            **self.admin_site.each_context(request), "opts": self.opts, "original": quiz,
            "title": _("Import questions into “%(quiz)s”") % {"quiz": quiz.title},
            "form": form, "has_view_permission": self.has_view_permission(request, quiz),
        }
        return TemplateResponse(request, "admin/quizzes/quiz/import_questions.html", context)

    def _import_messages(self, request: HttpRequest, report: importers.ImportReport) -> None:
        n = report.imported
        self.message_user(request, ngettext("Imported %(n)s question.",
                                            "Imported %(n)s questions.", n) % {"n": n})
        for problem in report.skipped:
            self.message_user(request, _("Skipped: %(problem)s") % {"problem": problem},
                              messages.WARNING)
        for note in report.notes:
            self.message_user(request, str(note), messages.INFO)


admin.site.unregister(Quiz)
admin.site.register(Quiz, AuthoringQuizAdmin)
