"""The work behind the demo's products: the task lists of each product's templates, for an
install and for every change a quote or the service page can ask (modify, move, suspend,
restore, disconnect)."""

from headend.catalog.services import TaskSpec

# The network steps every residential internet order takes, with no human touch: an address
# from the pool for the service's town, then the RADIUS subscriber (PPPoE) with the plan's rate.
NETWORK_STEPS = [
    TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
    TaskSpec(
        "Allocate the IPv4 address",
        kind="code",
        code_action="ipam.allocate",
        code_params={"family": "ipv4"},
        planned_minutes=1,
        depends_on=["Assign circuit ID"],
    ),
    TaskSpec(
        "Create the RADIUS subscriber",
        kind="code",
        code_action="radius.provision",
        code_params={"auth": "pppoe"},
        planned_minutes=1,
        depends_on=["Allocate the IPv4 address"],
    ),
]
# Fiber 300 is self-installed on a home already passed and connected: live as soon as ordered.
ZERO_TOUCH_INSTALL = [*NETWORK_STEPS]
RESIDENTIAL_INSTALL = [
    TaskSpec("Schedule installation with the customer", role="provisioning", planned_minutes=15),
    *NETWORK_STEPS,
    TaskSpec(
        "Install ONT and Wi-Fi router",
        role="provisioning",
        skill="install",
        planned_minutes=120,
        needs_appointment=True,
        depends_on=["Schedule installation with the customer"],
        checklist=["ONT light level between -8 and -25 dBm", "Router on the customer's Wi-Fi name"],
        undo="Collect the ONT and router",
    ),
    TaskSpec(
        "Activate and run speed test",
        role="provisioning",
        planned_minutes=20,
        turns_up=True,
        depends_on=["Install ONT and Wi-Fi router", "Create the RADIUS subscriber"],
    ),
]
BUSINESS_INSTALL = [
    TaskSpec("Site survey", role="provisioning", planned_minutes=240),
    TaskSpec(
        "Build fiber lateral",
        role="provisioning",
        skill="splicing",
        planned_minutes=2400,
        depends_on=["Site survey"],
        undo="Remove the fiber drop",
    ),
    TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
    TaskSpec(
        "Install CPE and hand-off",
        role="provisioning",
        skill="install",
        planned_minutes=240,
        needs_appointment=True,
        depends_on=[("Build fiber lateral", 480)],
        checklist=["Hand-off port patched and labelled", "Customer router sees the gateway"],
    ),
    TaskSpec(
        "Turn-up and acceptance test",
        role="provisioning",
        planned_minutes=120,
        turns_up=True,
        depends_on=["Install CPE and hand-off", "Assign circuit ID"],
    ),
    TaskSpec("Customer sign-off", kind="milestone", planned_minutes=0, depends_on=["Turn-up and acceptance test"]),
]
ADDON_INSTALL = [TaskSpec("Configure on the customer's service", role="provisioning", planned_minutes=30)]
STATIC_BLOCK_INSTALL = [
    TaskSpec(
        "Allocate the /29 block",
        kind="code",
        code_action="ipam.allocate",
        code_params={"pool": "Business static /29"},
        planned_minutes=1,
    ),
    TaskSpec(
        "Route the block on the base's RADIUS subscriber",
        kind="code",
        code_action="radius.routes",
        planned_minutes=1,
        depends_on=["Allocate the /29 block"],
    ),
    TaskSpec(
        "Route the block to the customer's router",
        role="provisioning",
        planned_minutes=30,
        depends_on=["Allocate the /29 block"],
    ),
]
VOICE_INSTALL = [
    TaskSpec("Port or assign the phone number", role="provisioning", skill="voice", planned_minutes=60),
    TaskSpec(
        "Configure voice adapter",
        role="provisioning",
        planned_minutes=30,
        depends_on=[("Port or assign the phone number", 960)],
    ),
]
SPEED_CHANGE = [TaskSpec("Change the speed profile", role="provisioning", planned_minutes=15, turns_up=True)]
RADIUS_SPEED_CHANGE = [
    TaskSpec("Change the RADIUS plan", kind="code", code_action="radius.provision", planned_minutes=1, turns_up=True)
]
RADIUS_SUSPEND = [
    TaskSpec("Move to the walled garden", kind="code", code_action="radius.suspend", planned_minutes=1, turns_up=True)
]
RADIUS_RESTORE = [
    TaskSpec("Restore the plan", kind="code", code_action="radius.restore", planned_minutes=1, turns_up=True)
]
RADIUS_DISCONNECT = [
    TaskSpec(
        "Remove the RADIUS subscriber", kind="code", code_action="radius.remove", planned_minutes=1, turns_up=True
    ),
    TaskSpec(
        "Release the IP addresses",
        kind="code",
        code_action="ipam.release",
        planned_minutes=1,
        depends_on=["Remove the RADIUS subscriber"],
    ),
    TaskSpec(
        "Collect the Wi-Fi router",
        role="provisioning",
        skill="install",
        planned_minutes=30,
        depends_on=["Remove the RADIUS subscriber"],
    ),
]
# A move: the new address is installed first, then the network follows the customer there
# (an address from the new town's pool, the RADIUS subscriber kept), then the old drop comes down.
RESIDENTIAL_MOVE = [
    TaskSpec("Schedule the installation at the new address", role="provisioning", planned_minutes=15),
    TaskSpec(
        "Install ONT and Wi-Fi router at the new address",
        role="provisioning",
        skill="install",
        planned_minutes=120,
        needs_appointment=True,
        depends_on=["Schedule the installation at the new address"],
        checklist=["ONT light level between -8 and -25 dBm", "Router on the customer's Wi-Fi name"],
    ),
    TaskSpec(
        "Release the old address",
        kind="code",
        code_action="ipam.release",
        code_params={"family": "ipv4"},
        planned_minutes=1,
        depends_on=["Install ONT and Wi-Fi router at the new address"],
    ),
    TaskSpec(
        "Allocate the IPv4 address at the new address",
        kind="code",
        code_action="ipam.allocate",
        code_params={"family": "ipv4"},
        planned_minutes=1,
        depends_on=["Release the old address"],
    ),
    TaskSpec(
        "Update the RADIUS subscriber",
        kind="code",
        code_action="radius.provision",
        code_params={"auth": "pppoe", "coa": "disconnect"},
        planned_minutes=1,
        depends_on=["Allocate the IPv4 address at the new address"],
        turns_up=True,
    ),
    TaskSpec(
        "Collect the ONT at the old address",
        role="provisioning",
        skill="install",
        planned_minutes=30,
        depends_on=["Update the RADIUS subscriber"],
    ),
]
BUSINESS_MOVE = [
    TaskSpec("Site survey at the new site", role="provisioning", planned_minutes=240),
    TaskSpec(
        "Build fiber lateral to the new site",
        role="provisioning",
        skill="splicing",
        planned_minutes=2400,
        depends_on=["Site survey at the new site"],
        undo="Remove the fiber drop",
    ),
    TaskSpec(
        "Install CPE and hand-off at the new site",
        role="provisioning",
        skill="install",
        planned_minutes=240,
        needs_appointment=True,
        depends_on=[("Build fiber lateral to the new site", 480)],
        checklist=["Hand-off port patched and labelled", "Customer router sees the gateway"],
    ),
    TaskSpec(
        "Cut over and acceptance test",
        role="provisioning",
        planned_minutes=120,
        turns_up=True,
        depends_on=["Install CPE and hand-off at the new site"],
    ),
    TaskSpec(
        "Shut the old hand-off port and recover the CPE",
        role="provisioning",
        skill="install",
        planned_minutes=60,
        depends_on=["Cut over and acceptance test"],
    ),
]
VOICE_CHANGE = [TaskSpec("Change the voice features", role="provisioning", skill="voice", planned_minutes=15)]
VOICE_MOVE = [
    TaskSpec("Update the 911 address", role="provisioning", skill="voice", planned_minutes=30),
    TaskSpec("Move the voice adapter", role="provisioning", planned_minutes=30, depends_on=["Update the 911 address"]),
]
VOICE_SUSPEND = [TaskSpec("Bar outgoing calls", role="provisioning", skill="voice", planned_minutes=10)]
VOICE_RESTORE = [TaskSpec("Lift the call barring", role="provisioning", skill="voice", planned_minutes=10)]
VOICE_DISCONNECT = [
    TaskSpec("Release or port out the number", role="provisioning", skill="voice", planned_minutes=30),
    TaskSpec(
        "Collect the voice adapter",
        role="provisioning",
        planned_minutes=30,
        depends_on=["Release or port out the number"],
    ),
]
# Add-ons ride on a base service: they change, move and go with it.
ADDON_CHANGE = [TaskSpec("Change the add-on on the customer's service", role="provisioning", planned_minutes=15)]
ADDON_MOVE = [TaskSpec("Set the add-on up at the new address", role="provisioning", planned_minutes=30)]
ADDON_DISCONNECT = [TaskSpec("Remove the add-on from the customer's service", role="provisioning", planned_minutes=15)]
STATIC_BLOCK_CHANGE = [
    TaskSpec("Release the old block", kind="code", code_action="ipam.release", planned_minutes=1),
    TaskSpec(
        "Allocate the new block",
        kind="code",
        code_action="ipam.allocate",
        code_params={"pool": "Business static /29"},
        planned_minutes=1,
        depends_on=["Release the old block"],
    ),
    TaskSpec(
        "Route the block on the base's RADIUS subscriber",
        kind="code",
        code_action="radius.routes",
        planned_minutes=1,
        depends_on=["Allocate the new block"],
    ),
    TaskSpec(
        "Route the block to the customer's router",
        role="provisioning",
        planned_minutes=30,
        depends_on=["Allocate the new block"],
    ),
]
STATIC_BLOCK_MOVE = [
    TaskSpec(
        "Route the block on the base's RADIUS subscriber", kind="code", code_action="radius.routes", planned_minutes=1
    ),
    TaskSpec("Route the block to the customer's router at the new address", role="provisioning", planned_minutes=30),
]
STATIC_BLOCK_DISCONNECT = [
    TaskSpec("Release the block", kind="code", code_action="ipam.release", planned_minutes=1),
    TaskSpec(
        "Withdraw the route from the base's RADIUS subscriber",
        kind="code",
        code_action="radius.routes",
        planned_minutes=1,
        depends_on=["Release the block"],
        turns_up=True,
    ),
]
PORT_SHUTDOWN = [TaskSpec("Shut the hand-off port", role="provisioning", planned_minutes=15, turns_up=True)]
PORT_ENABLE = [TaskSpec("Enable the hand-off port", role="provisioning", planned_minutes=15, turns_up=True)]
DISCONNECT = [
    TaskSpec("Remove the subscriber from the network", role="provisioning", planned_minutes=15, turns_up=True),
    TaskSpec(
        "Collect equipment",
        role="provisioning",
        skill="install",
        planned_minutes=60,
        depends_on=["Remove the subscriber from the network"],
    ),
]
# A wholesale partner's circuit (sold where our fiber does not reach): the partner builds and
# runs the access; we order it, map its VLAN at our interconnect and put our CPE on its hand-off.
# Changes are ordered from the partner, then followed at the interconnect.
WHOLESALE_INSTALL = [
    TaskSpec("Order the circuit from the partner", role="provisioning", planned_minutes=30),
    TaskSpec("Assign circuit ID", kind="code", code_action="inventory.assign_circuit_id", planned_minutes=1),
    TaskSpec(
        "Map the partner's VLAN at our interconnect",
        role="provisioning",
        planned_minutes=60,
        depends_on=["Order the circuit from the partner"],
    ),
    TaskSpec(
        "Install CPE on the partner's hand-off",
        role="provisioning",
        skill="install",
        planned_minutes=180,
        needs_appointment=True,
        depends_on=[("Order the circuit from the partner", 4800)],  # the partner's ten working days
        checklist=["Partner's hand-off labelled with our circuit ID", "Customer router sees the gateway"],
        undo="Collect the CPE",
    ),
    TaskSpec(
        "Turn-up and acceptance test",
        role="provisioning",
        planned_minutes=60,
        turns_up=True,
        depends_on=["Install CPE on the partner's hand-off", "Map the partner's VLAN at our interconnect"],
    ),
    TaskSpec("Customer sign-off", kind="milestone", planned_minutes=0, depends_on=["Turn-up and acceptance test"]),
]
WHOLESALE_CHANGE = [
    TaskSpec("Order the speed change from the partner", role="provisioning", planned_minutes=30),
    TaskSpec(
        "Change the speed profile at our interconnect",
        role="provisioning",
        planned_minutes=15,
        turns_up=True,
        depends_on=[("Order the speed change from the partner", 960)],
    ),
]
WHOLESALE_MOVE = [
    TaskSpec("Order the move from the partner", role="provisioning", planned_minutes=30),
    TaskSpec(
        "Install CPE on the partner's hand-off at the new site",
        role="provisioning",
        skill="install",
        planned_minutes=180,
        needs_appointment=True,
        depends_on=[("Order the move from the partner", 4800)],
    ),
    TaskSpec(
        "Cut over and acceptance test",
        role="provisioning",
        planned_minutes=60,
        turns_up=True,
        depends_on=["Install CPE on the partner's hand-off at the new site"],
    ),
    TaskSpec(
        "Recover the CPE at the old site",
        role="provisioning",
        skill="install",
        planned_minutes=60,
        depends_on=["Cut over and acceptance test"],
    ),
]
WHOLESALE_SUSPEND = [
    TaskSpec("Shut the customer's VLAN at our interconnect", role="provisioning", planned_minutes=15, turns_up=True)
]
WHOLESALE_RESTORE = [
    TaskSpec("Enable the customer's VLAN at our interconnect", role="provisioning", planned_minutes=15, turns_up=True)
]
WHOLESALE_DISCONNECT = [
    TaskSpec("Remove the customer's VLAN at our interconnect", role="provisioning", planned_minutes=15, turns_up=True),
    TaskSpec(
        "Disconnect the circuit with the partner",
        role="provisioning",
        planned_minutes=30,
        depends_on=["Remove the customer's VLAN at our interconnect"],
    ),
    TaskSpec(
        "Collect equipment",
        role="provisioning",
        skill="install",
        planned_minutes=60,
        depends_on=["Remove the customer's VLAN at our interconnect"],
    ),
]
