from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "headend.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning"

    def ready(self) -> None:
        # Registers the code actions: RADIUS, REST calls and the ACS.
        from headend.provisioning import (  # noqa: F401
            acs,
            panels,
            radius,
            rest,
            search,  # services by circuit id or RADIUS username in the staff search
        )
