from django.test import Client


def test_the_openapi_document_lists_the_endpoints() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Mesoclinic API"
    assert {"/api/v1/screenings", "/api/v1/plans/preview"} <= set(document["paths"])
    assert "post" in document["paths"]["/api/v1/screenings"]
    assert "post" in document["paths"]["/api/v1/plans/preview"]
