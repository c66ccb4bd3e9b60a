from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UsernameField
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _


class SignupForm(forms.ModelForm[AbstractBaseUser]):
    """Who the learner is; the password is chosen from the link mailed to the address.

    The email is deliberately not checked against existing accounts here: the answer to
    "is this address registered?" goes only to the address's owner (course/accounts.py).
    Usernames stay unique and say so, as on most sites.
    """

    email = forms.EmailField(
        label=_("Email"), max_length=254,
        help_text=_("We send a link there to finish creating your account."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    class Meta:
        model = get_user_model()
        fields = ("username", "email", "first_name", "last_name")
        field_classes = {"username": UsernameField}

    def clean_email(self) -> Any:
        return get_user_model().objects.normalize_email(self.cleaned_data["email"].strip())
