"""The public patient education site: what mesotherapy is, each treatment,
the questions patients ask, and the sources every answer comes from.

Pages speak for the public clinic (mesoclinic.site): its currency for
prices and its country for what may be offered.
"""

from collections import defaultdict

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from core.catalog.model import Catalog, Indication, Topic
from education import describe, treatment
from mesoclinic.catalog import get_catalog
from mesoclinic.site import public_clinic

SOURCE_KINDS = {
    "seed": _("Patient pages from clinics and a health magazine"),
    "literature": _("Clinical studies and reviews"),
    "label": _("Product labels"),
    "regulator": _("Regulators and public health agencies"),
    "low_authority": _("Other material (low authority)"),
}

# Questions whose page also shows the catalog's own facts on the subject.
TOPIC_EXTRAS = {
    "side_effects": "side_effects",
    "alternatives": "alternatives",
    "price": "prices",
    "aftercare": "aftercare",
    "sessions": "courses",
    "who_cannot": "screening",
}


def _topics(catalog: Catalog) -> list[Topic]:
    return sorted(catalog.topics.values(), key=lambda t: t.order)


def home(request: HttpRequest) -> HttpResponse:
    catalog = get_catalog()
    clinic = public_clinic()
    cards = [
        {
            "indication": i,
            "offered": treatment.is_offered(catalog, clinic.country, i),
            "evidence_label": treatment.EVIDENCE_LABELS[i.evidence.level],
        }
        for i in catalog.indications.values()
    ]
    return render(
        request,
        "education/home.html",
        {
            "clinic": clinic,
            "country_name": treatment.country_name(clinic.country),
            "cards": cards,
            "topics": _topics(catalog),
            "what_is_it": catalog.topics.get("what_is_it"),
        },
    )


def indication(request: HttpRequest, key: str) -> HttpResponse:
    catalog = get_catalog()
    found = catalog.indications.get(key)
    if found is None:
        raise Http404("No such treatment")
    clinic = public_clinic()
    page = treatment.treatment_page(catalog, found, clinic.country, clinic.currency)
    return render(
        request,
        "education/treatment.html",
        {"clinic": clinic, "page": page, "country_name": treatment.country_name(clinic.country)},
    )


def questions(request: HttpRequest) -> HttpResponse:
    catalog = get_catalog()
    return render(request, "education/questions.html", {"topics": _topics(catalog)})


def question(request: HttpRequest, key: str) -> HttpResponse:
    catalog = get_catalog()
    topic = catalog.topics.get(key)
    if topic is None:
        raise Http404("No such question")
    clinic = public_clinic()
    extra = TOPIC_EXTRAS.get(key, "")
    context: dict[str, object] = {
        "topic": topic,
        "topics": _topics(catalog),
        "extra": extra,
        "clinic": clinic,
    }
    if extra == "side_effects":
        context["effects"] = treatment.group_effects(catalog, catalog.side_effects.values())
    elif extra == "alternatives":
        context["alternatives"] = [
            (a, [catalog.indications[i] for i in a.indications])
            for a in catalog.alternatives.values()
        ]
    elif extra == "prices":
        context["price_rows"] = _price_rows(catalog, clinic.country, clinic.currency)
    elif extra == "aftercare":
        context["aftercare"] = [
            (r, describe.scope_parts(catalog, r.scope)) for r in catalog.aftercare.values()
        ]
    elif extra == "courses":
        context["courses"] = [
            (ind, treatment.courses(catalog, treatment.contexts(catalog, ind)))
            for ind in catalog.indications.values()
        ]
    return render(request, "education/question.html", context)


def _price_rows(
    catalog: Catalog, country: str, currency: str
) -> list[tuple[treatment.PriceView, list[Indication], bool]]:
    """Each guide price in ``currency`` once, with the offered treatments it
    applies to, and whether that is all of them."""
    offered = [i for i in catalog.indications.values() if treatment.is_offered(catalog, country, i)]
    views: dict[str, treatment.PriceView] = {}
    applies: dict[str, list[Indication]] = defaultdict(list)
    for ind in offered:
        for view in treatment.prices(catalog, treatment.contexts(catalog, ind), currency):
            views.setdefault(view.price.key, view)
            applies[view.price.key].append(ind)
    return [(v, applies[k], len(applies[k]) == len(offered)) for k, v in views.items()]


def sources(request: HttpRequest) -> HttpResponse:
    catalog = get_catalog()
    cited_by: dict[str, list[Topic]] = defaultdict(list)
    for topic in _topics(catalog):
        for key in dict.fromkeys(k for a in topic.answers for k in a.sources):
            cited_by[key].append(topic)
    groups = []
    for kind, label in SOURCE_KINDS.items():
        items = [(s, cited_by.get(s.key, [])) for s in catalog.sources.values() if s.kind == kind]
        if items:
            groups.append((kind, label, items))
    return render(request, "education/sources.html", {"groups": groups})
