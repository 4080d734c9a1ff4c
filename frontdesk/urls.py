from django.urls import path

from frontdesk import book_appointment, book_course, views

app_name = "frontdesk"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/calendar/", views.calendar, name="calendar"),
    path("<slug:slug>/appointments/new/", book_appointment.book, name="book"),
    path("<slug:slug>/appointments/<int:pk>/check-in/", views.check_in, name="check_in"),
    path("<slug:slug>/appointments/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("<slug:slug>/appointments/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<slug:slug>/courses/new/", book_course.book, name="book_course"),
    path("<slug:slug>/courses/<int:pk>/", book_course.course, name="course"),
]
