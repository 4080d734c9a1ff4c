"""The JSON API, version 1, with its OpenAPI document at /api/v1/openapi.json."""

from ninja import NinjaAPI

from api import errors
from api.aftercare import router as aftercare_router
from api.appointments import router as appointments_router
from api.charts import router as charts_router
from api.me import router as me_router
from api.messages import router as messages_router
from api.patients import router as patients_router
from api.photos import router as photos_router
from api.plans import router as plans_router
from api.recalls import router as recalls_router
from api.safety import router as safety_router
from api.screenings import router as screenings_router
from api.stock import router as stock_router
from api.tokens import router as tokens_router
from api.treatment import router as treatment_router

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
# The clinical record: each router names its full paths (/patients/{patient_id}/...).
api.add_router("", patients_router, tags=["patients"])
api.add_router("", treatment_router, tags=["courses and consent"])
api.add_router("", charts_router, tags=["charts"])
api.add_router("", photos_router, tags=["photos and scores"])
api.add_router("", me_router, tags=["patient portal"])
# After the session: aftercare, messages, safety, stock and recalls.
api.add_router("", aftercare_router, tags=["aftercare"])
api.add_router("", messages_router, tags=["messages"])
api.add_router("", safety_router, tags=["adverse events"])
api.add_router("", stock_router, tags=["stock and devices"])
api.add_router("", recalls_router, tags=["recalls and reports"])
