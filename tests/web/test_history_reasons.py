"""A person's reason can be longer than the history's column: it is kept
whole where it belongs and fitted in the history, never a database error."""

from clinical.courses import stop
from tests.clinical_factories import make_course
from tests.conftest import People


def test_a_long_reason_is_kept_whole_and_fitted_in_the_history(people: People) -> None:
    course = make_course(people.patient, people.practitioner)
    reason = "The patient moved to another city and will continue treatment there; " * 5
    stop(course, reason, people.practitioner)
    course.refresh_from_db()
    assert course.status == "stopped" and course.stop_reason == reason.strip()
    latest = course.history.latest()
    assert len(latest.history_change_reason) == 100
    assert latest.history_change_reason.startswith("Course stopped: The patient moved")
    assert latest.history_change_reason.endswith("…")
