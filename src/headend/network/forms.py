from django import forms

from headend.core import user_files
from headend.core.errors import ValidationError
from headend.core.forms import CheckedFileField, DecimalNumberField, WholeNumberField
from headend.core.numbers import MAX_INT
from headend.network import topology_selectors
from headend.network.models import TECHNOLOGY_CHOICES, CoverageImport, Element


class CoverageUploadForm(forms.Form):
    kind = forms.ChoiceField(label="File", choices=CoverageImport.Kind.choices)
    # Larger files: `manage.py import_coverage`, which shows progress as it goes.
    file = forms.FileField(
        label="CSV file",
        help_text=(
            f"Up to {user_files.COVERAGE_IMPORT.max_bytes // user_files.MB} MB here; "
            "larger files with manage.py import_coverage."
        ),
    )
    provider_id = WholeNumberField(
        label="Only provider ID",
        required=False,
        minimum=1,
        maximum=MAX_INT,
        help_text="FCC files list every provider in the area: give yours to import only your rows.",
    )

    def clean_file(self):
        """CSV text within the size limit, whatever the browser said (core/user_files.py)."""
        upload = self.cleaned_data["file"]
        try:
            user_files.check_upload(upload, kind=user_files.COVERAGE_IMPORT, field="file")
        except ValidationError as exc:
            server = " Import it with 'manage.py import_coverage fcc PATH' (or 'addresses PATH') on the server."
            raise forms.ValidationError(
                exc.message + (server if exc.code == "too_large" else ""), code=exc.code
            ) from exc
        return upload


class CoverageAreaForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="What staff will recognise: 'Machias Phase 2 build'.")
    technology = forms.ChoiceField(choices=TECHNOLOGY_CHOICES)
    max_down_mbps = DecimalNumberField(label="Max download (Mbps)", minimum=0, max_digits=9, decimal_places=3)
    max_up_mbps = DecimalNumberField(label="Max upload (Mbps)", minimum=0, max_digits=9, decimal_places=3)
    cells = forms.CharField(
        label="H3 cells",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "882b1c6a91fffff 882b1c6ad7fffff"}),
        help_text="Separated by spaces, commas or lines; other resolutions become their res-8 cells.",
    )
    polygon = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "44.715, -67.461\n44.715, -67.440\n44.700, -67.440"}),
        help_text="One 'latitude, longitude' per line, or a GeoJSON Polygon. Or give cells, not both.",
    )


# --- Topology -----------------------------------------------------------------------------------


class ElementForm(forms.Form):
    """An element as staff add or edit it; its parent by name (the topology may be large)."""

    name = forms.CharField(
        max_length=100, help_text="What monitoring calls it (the alert's element label), e.g. olt-1/pon-3."
    )
    kind = forms.ChoiceField(choices=Element.Kind.choices)
    parent = forms.CharField(
        label="Parent", required=False, max_length=100, help_text="The element above it, by name; empty for a root."
    )
    description = forms.CharField(required=False, max_length=200)

    def clean_parent(self) -> Element | None:
        name = self.cleaned_data["parent"].strip()
        if not name:
            return None
        element = topology_selectors.element_by_name(name=name)
        if element is None:
            raise forms.ValidationError(f"No element named {name!r} in the topology.", code="unknown")
        return element


class TopologyImportForm(forms.Form):
    file = CheckedFileField(
        kind=user_files.COVERAGE_IMPORT,
        label="CSV file",
        help_text="Columns name, kind, parent (by name; empty for a root), and optionally description.",
    )
