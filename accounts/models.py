from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who logs in: a patient or a member of staff.

    What they may do comes from their StaffMember rows (one per clinic) or
    their Patient record; a user with neither sees only public pages.
    """

    email = models.EmailField("email address", blank=True)
    preferred_language = models.CharField(max_length=8, default="en")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
