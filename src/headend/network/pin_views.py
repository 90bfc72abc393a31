"""Pin a location on a map of the provider's own coverage (Leaflet, vendored; no tiles from the
internet unless HEADEND_MAP_TILE_URL names a tile server). Without JavaScript the page is a form
of two number fields; with it, a click on the map fills them."""

from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from headend.core.errors import DomainError
from headend.core.forms import add_domain_error
from headend.core.permissions import may, require, staff_required
from headend.crm import placing
from headend.crm import selectors as crm_selectors
from headend.network import map_selectors


class PinForm(forms.Form):
    # Text, checked by the use case: "Not a number." is its message, on the field.
    latitude = forms.CharField(max_length=20, required=False, widget=forms.NumberInput(attrs={"step": "any"}))
    longitude = forms.CharField(max_length=20, required=False, widget=forms.NumberInput(attrs={"step": "any"}))


def _tile_origin(template: str) -> str:
    """The origin a tile URL template loads images from, for the page's img-src ({s} subdomains: *)."""
    parts = urlsplit(template.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else ""


@staff_required
def location_pin_view(request: HttpRequest, location_id: int) -> HttpResponse:
    """The map with the site's pin; POST "pin" saves the pin's coordinates, POST "locate" looks
    the address up again. Either refused leaves the location as it was, with the reason."""
    location = crm_selectors.location_get_for(user=request.user, location_id=location_id)
    region = map_selectors.service_region()
    form = PinForm(initial={"latitude": location.latitude, "longitude": location.longitude})
    locate_error = ""
    if request.method == "POST":
        require(request.user, "account.edit")
        if request.POST.get("action") == "locate":
            try:
                placing.location_locate(location=location, located_by=request.user)
            except DomainError as exc:
                locate_error = exc.message
            else:
                messages.success(request, "Placed from the address.")
                return redirect(location)
        else:
            form = PinForm(request.POST)
            if form.is_valid():
                try:
                    placing.location_pin(location=location, pinned_by=request.user, region=region, **form.cleaned_data)
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(request, "Pin saved.")
                    return redirect(location)
    centre = map_selectors.map_centre(location=location, region=region)
    context = {
        "location": location,
        "form": form,
        "locate_error": locate_error,
        "placement": placing.location_placement(location=location),
        "region": region,
        "centre": centre,
        "tile_url": settings.HEADEND_MAP_TILE_URL,
        "tile_attribution": settings.HEADEND_MAP_TILE_ATTRIBUTION,
        "can_pin": may(request.user, "account.edit"),
    }
    response = render(request, "network/location_pin.html", context, status=400 if form.errors or locate_error else 200)
    origin = _tile_origin(settings.HEADEND_MAP_TILE_URL)
    if origin:
        response._csp_update = {"img-src": [origin]}  # type: ignore[attr-defined]  # django-csp reads it
    return response


@staff_required
def location_coverage_view(request: HttpRequest, location_id: int) -> JsonResponse:
    """The provider's coverage around the site, as GeoJSON, for the pin map."""
    location = crm_selectors.location_get_for(user=request.user, location_id=location_id)
    centre = map_selectors.map_centre(location=location, region=map_selectors.service_region())
    return JsonResponse(map_selectors.coverage_geojson(near=centre), content_type="application/geo+json")
