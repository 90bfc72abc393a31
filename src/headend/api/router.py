"""The public REST API: TM Forum Open API v4 shapes under /tmf-api/."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="Headend TM Forum Open API",
    version="4.0.0",
    urls_namespace="tmf",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
