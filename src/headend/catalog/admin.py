from django import forms
from django.contrib import admin
from django.forms.models import BaseInlineFormSet

from headend.catalog.models import (
    Price,
    PriceTier,
    Product,
    ProductRelation,
    ProductVersion,
    Promotion,
    Skill,
    TemplateDependency,
    TemplateTask,
    WorkOrderTemplate,
)
from headend.catalog.services import check_tiers, missing_template_actions
from headend.core.admin import AuditAdmin, AuditOnlyAdmin
from headend.core.errors import ValidationError


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


class PriceTierFormSet(BaseInlineFormSet):
    """The same tier checks as `version_create`: no overlap, no gap, per term."""

    def clean(self) -> None:
        super().clean()
        by_term: dict[int, list[tuple[object, object, object]]] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("term_months") is None:
                continue
            by_term.setdefault(data["term_months"], []).append(
                (data.get("min_quantity"), data.get("max_quantity"), data.get("mrc_amount"))
            )
        try:
            check_tiers(tiers=by_term, priced_terms=set(by_term))
        except ValidationError as exc:
            raise forms.ValidationError(f"{exc.field}: {exc.message}") from exc


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    formset = PriceTierFormSet
    extra = 0


class ProductRelationInline(admin.TabularInline):
    model = ProductRelation
    fk_name = "product"
    extra = 0
    autocomplete_fields = ["target"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "customer_type", "delivery"]
    list_filter = ["kind", "customer_type", "delivery"]
    search_fields = ["name", "code"]
    filter_horizontal = ["addon_of"]
    inlines = [ProductRelationInline]


class ProductVersionForm(forms.ModelForm):
    """Publishing here obeys `version_publish`'s rule: a template for every action a quote can ask."""

    def clean(self) -> dict:
        data = super().clean() or {}
        product = data.get("product")
        if data.get("status") == ProductVersion.Status.PUBLISHED and product is not None:
            missing = missing_template_actions(product=product)
            if missing:
                raise forms.ValidationError(
                    f"Define the work-order templates for {', '.join(missing)} before publishing {product}."
                )
        return data


@admin.register(ProductVersion)
class ProductVersionAdmin(AuditAdmin):
    form = ProductVersionForm
    list_display = ["product", "version", "status", "effective_from", "download_mbps", "upload_mbps"]
    list_filter = ["status", "product"]
    inlines = [PriceInline, PriceTierInline]
    fieldsets = [
        (None, {"fields": ["product", "version", "status", "effective_from", "published_at", "notes"]}),
        ("Characteristics", {"fields": ["download_mbps", "upload_mbps", "technology", "static_ips"]}),
        (
            "Pricing rules",
            {
                "fields": [
                    "floor_mrc_amount",
                    ("etf_kind", "etf_percent", "etf_amount", "etf_cap_amount", "etf_cap_months"),
                    ("etf_on_downgrade", "etf_on_replace"),
                    "move_fee_amount",
                    "installation_waivable",
                ]
            },
        ),
        # What a unit costs the provider, and the availability promised with its credit table
        # (ProductVersion.clean checks the table: catalog/sla_terms.py).
        (
            "Cost and availability",
            {"fields": ["monthly_cost_amount", "availability_target", "availability_credits"]},
        ),
        (None, {"fields": ["created_at"]}),
    ]


@admin.register(Promotion)
class PromotionAdmin(AuditAdmin):
    list_display = ["name", "code", "product", "version", "valid_from", "valid_to", "offer_label"]
    list_filter = ["product", "waives_installation"]
    search_fields = ["name", "code"]
    date_hierarchy = "valid_from"


class TemplateTaskInline(admin.TabularInline):
    model = TemplateTask
    extra = 0
    fk_name = "template"


@admin.register(WorkOrderTemplate)
class WorkOrderTemplateAdmin(AuditAdmin):
    list_display = ["name", "product", "action"]
    inlines = [TemplateTaskInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        """A template a sellable product needs stays: quotes rely on it being there at acceptance."""
        if obj is not None and obj.product.versions.filter(status=ProductVersion.Status.PUBLISHED).exists():
            return False
        return super().has_delete_permission(request, obj)


# Edited on their version's or template's page; each has its own audit page here.
@admin.register(Price)
class PriceAdmin(AuditOnlyAdmin):
    list_display = ["version", "term_months", "mrc_amount", "nrc_amount", "currency"]
    list_select_related = ["version__product"]


@admin.register(PriceTier)
class PriceTierAdmin(AuditOnlyAdmin):
    list_display = ["version", "term_months", "min_quantity", "max_quantity", "mrc_amount", "currency"]
    list_select_related = ["version__product"]


@admin.register(TemplateTask)
class TemplateTaskAdmin(AuditOnlyAdmin):
    list_display = ["__str__", "template", "kind", "code_action", "turns_up"]
    list_filter = ["kind"]
    list_select_related = ["template"]


@admin.register(TemplateDependency)
class TemplateDependencyAdmin(AuditOnlyAdmin):
    list_display = ["__str__", "task", "predecessor", "lag_minutes"]
    list_select_related = ["task", "predecessor"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
