"""The demo provider's network topology, and the live services bound to what they ride on.

One POP in Machias with two OLTs (four PON ports each) and tower 7, whose north sector
`ap-7-north` is the device of the Alertmanager samples (tests/data/alertmanager/:
device=ap-7-north, site=tower-7). Machias's homes and the clinic share `olt-1/pon-1`; the
credit union's Machias branch has `olt-1/pon-2`; Calais rides on `olt-2/pon-1`; Eastport, not
reached by the fiber yet, on the tower's north sector."""

from headend.inventory import services as inventory_services
from headend.inventory.models import Service, ServiceElement
from headend.network import topology
from headend.network.models import Element

TOPOLOGY_CSV = """name,kind,parent,description
pop-machias,pop,,Machias central office
olt-1,olt,pop-machias,Machias OLT
olt-1/pon-1,pon_port,olt-1,"Court St, Elm St, Center St"
olt-1/pon-2,pon_port,olt-1,Main St and the harbour
olt-1/pon-3,pon_port,olt-1,
olt-1/pon-4,pon_port,olt-1,
olt-2,olt,pop-machias,Calais OLT (fed from Machias)
olt-2/pon-1,pon_port,olt-2,Calais downtown
olt-2/pon-2,pon_port,olt-2,
olt-2/pon-3,pon_port,olt-2,
olt-2/pon-4,pon_port,olt-2,
tower-7,tower,pop-machias,Eastport hill tower
ap-7-north,sector,tower-7,Eastport (fixed wireless until the fiber reaches it)
ap-7-south,sector,tower-7,
"""

LIVE = (Service.Status.ACTIVE, Service.Status.SUSPENDED, Service.Status.PENDING_DISCONNECT)
CREDIT_UNION_MACHIAS = "2 Court St"  # its Machias branch has a port of its own


def _element_for(service: Service) -> str | None:
    """The element a demo service rides on, by where it is (addresses are kept in capitals)."""
    city, street = service.location.city.casefold(), service.location.line1.casefold()
    if city == "machias":
        return "olt-1/pon-2" if street == CREDIT_UNION_MACHIAS.casefold() else "olt-1/pon-1"
    return {"calais": "olt-2/pon-1", "eastport": "ap-7-north"}.get(city)


def topology_and_bindings() -> None:
    """The topology (imported from the CSV above, as a provider would) and every live service
    bound to its PON port or sector; running it again changes nothing."""
    topology.topology_import(file=TOPOLOGY_CSV.encode(), actor=None)
    elements = {element.name: element for element in Element.objects.all()}
    for service in Service.objects.filter(status__in=LIVE).select_related("location").order_by("pk"):
        name = _element_for(service)
        if name is not None:
            inventory_services.service_bind_element(
                service=service, element=elements[name], source=ServiceElement.Source.IMPORT
            )
