"""The JSON API, version 1, with its OpenAPI document at /api/v1/openapi.json."""

from ninja import NinjaAPI

from api import errors
from api.appointments import router as appointments_router
from api.plans import router as plans_router
from api.screenings import router as screenings_router
from api.tokens import router as tokens_router

api = NinjaAPI(
    title="Mesoclinic API",
    version="1",
    description=(
        "The practice system for mesotherapy clinics. Screening verdicts and plan "
        "previews support a clinician's judgement; they never replace it."
    ),
    urls_namespace="api-v1",
)
# The view argument names that carry a request body; error locations drop them.
errors.install(api, arg_names={"payload"})
api.add_router("/screenings", screenings_router, tags=["screening"])
api.add_router("/plans", plans_router, tags=["plans"])
api.add_router("/tokens", tokens_router, tags=["tokens"])
api.add_router("", appointments_router)
