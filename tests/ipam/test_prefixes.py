import pytest

from headend.ipam.prefixes import BadPrefix, layout, parse_prefix


@pytest.mark.parametrize(
    ("text", "network"),
    [
        ("100.64.0.0/22", "100.64.0.0/22"),
        (" 2001:DB8:100::/40 ", "2001:db8:100::/40"),
        ("203.0.113.7/32", "203.0.113.7/32"),
    ],
)
def test_parse_prefix_accepts_networks_and_normalises_them(text, network):
    assert str(parse_prefix(text)) == network


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("100.64.0.1/22", "100.64.0.1/22 has host bits set: the network is 100.64.0.0/22."),
        ("2001:db8::1/64", "2001:db8::1/64 has host bits set: the network is 2001:db8::/64."),
        ("100.64.0.0", "100.64.0.0 has no prefix length: write it as a network, such as 100.64.0.0/24."),
        ("100.64.0.0/33", "100.64.0.0/33 is not an IPv4 or IPv6 network"),
        ("eastport", "eastport has no prefix length"),
        ("300.1.2.0/24", "300.1.2.0/24 is not an IPv4 or IPv6 network"),
        ("", "Give the pool's prefix in CIDR notation"),
    ],
)
def test_parse_prefix_refuses_what_is_not_a_network(text, message):
    with pytest.raises(BadPrefix) as error:
        parse_prefix(text)

    assert str(error.value).startswith(message)


def test_ipv4_singles_leave_out_network_and_broadcast():
    pool = layout(prefix="100.64.0.0/24", allocation_length=32)

    assert (pool.first, pool.last, pool.capacity) == (1, 254, 254)
    assert (pool.unit(1), pool.unit(254)) == ("100.64.0.1", "100.64.0.254")


@pytest.mark.parametrize(("prefix", "capacity"), [("100.64.0.0/30", 2), ("100.64.0.0/31", 2), ("100.64.0.9/32", 1)])
def test_point_to_point_and_host_prefixes_hand_out_every_address(prefix, capacity):
    assert layout(prefix=prefix, allocation_length=32).capacity == capacity


def test_a_gateway_is_not_counted():
    pool = layout(prefix="100.64.0.0/24", allocation_length=32, gateway="100.64.0.1")

    assert (pool.gateway_index, pool.capacity, pool.allocatable(1), pool.allocatable(2)) == (1, 253, False, True)


def test_ipv4_blocks_keep_every_block():
    pool = layout(prefix="203.0.113.0/24", allocation_length=29)

    assert (pool.first, pool.last, pool.capacity) == (0, 31, 32)
    assert (pool.unit(0), pool.unit(1), pool.unit(31)) == ("203.0.113.0/29", "203.0.113.8/29", "203.0.113.248/29")


def test_ipv6_delegated_prefixes():
    pool = layout(prefix="2001:db8::/32", allocation_length=56)

    assert pool.capacity == 2**24
    assert (pool.unit(1), pool.unit(2**24 - 1)) == ("2001:db8:0:100::/56", "2001:db8:ffff:ff00::/56")
    assert pool.index_of("2001:db8:0:1ff::1") == 1


@pytest.mark.parametrize(
    ("prefix", "length", "gateway", "message"),
    [
        ("100.64.0.0/24", 16, "", "allocation_length: Each allocation must be /24 to /32 inside 100.64.0.0/24."),
        ("2001:db8::/32", 129, "", "allocation_length: Each allocation must be /32 to /128 inside 2001:db8::/32."),
        ("2001::/16", 64, "", "allocation_length: 2001::/16 in /64 units is 2^48 allocations"),
        ("100.64.0.0/24", 32, "100.65.0.1", "gateway: 100.65.0.1 is not inside 100.64.0.0/24."),
        ("100.64.0.0/24", 32, "2001:db8::1", "gateway: 2001:db8::1 is not inside 100.64.0.0/24."),
        ("100.64.0.0/24", 32, "gw", "gateway: 'gw' does not appear to be an IPv4 or IPv6 address"),
        ("100.64.0.1/24", 32, "", "prefix: 100.64.0.1/24 has host bits set"),
    ],
)
def test_layout_names_the_field_at_fault(prefix, length, gateway, message):
    with pytest.raises(BadPrefix) as error:
        layout(prefix=prefix, allocation_length=length, gateway=gateway)

    assert str(error.value).startswith(message)
