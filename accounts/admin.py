from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import User
from accounts.views import admin_login

admin.site.register(User, UserAdmin)
# One login for the whole site: the admin's own form would skip the second
# factor (accounts/views.py).
admin.site.login = admin_login  # type: ignore[method-assign]
