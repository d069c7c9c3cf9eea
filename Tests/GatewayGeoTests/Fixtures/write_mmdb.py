#!/usr/bin/env python3
"""Writes small MaxMind DB files (https://maxmind.github.io/MaxMind-DB/) for the geo tests.

No pip packages: the format is simple enough to write here. Usage: write_mmdb.py DIR
writes DIR/city.mmdb (GeoLite2-City shape), DIR/city-v2.mmdb (the same built a day later with
127.0.0.0/8 moved to Paris, a database update for reload tests), DIR/asn.mmdb (GeoLite2-ASN shape) and
DIR/country-ipv4.mmdb (GeoLite2-Country shape, an IPv4-only tree). Like databases built with
mmdb-writer, ::ffff:0:0/96 is not aliased to the IPv4 subtree: the reader must map it.
"""
import ipaddress
import struct
import sys


def city(iso, continent, name=None):
    record = {
        "continent": {"code": continent, "names": {"en": continent}},
        "country": {"iso_code": iso, "names": {"en": iso}},
    }
    if name is not None:
        record["city"] = {"names": {"en": name, "de": name + "-de"}}
    return record


def asn(number, organization=None):
    record = {"autonomous_system_number": ("uint32", number)}
    if organization is not None:
        record["autonomous_system_organization"] = organization
    return record


CITY = [
    ("81.2.69.0/24", city("GB", "EU", "London")),
    ("203.0.113.0/24", city("AU", "OC")),
    ("127.0.0.0/8", city("DE", "EU", "Berlin")),
    ("2001:db8::/32", city("CH", "EU", "Zürich")),
]
CITY_V2 = [(cidr, city("FR", "EU", "Paris") if cidr == "127.0.0.0/8" else record) for cidr, record in CITY]
ASN = [
    ("81.2.69.0/24", asn(20712, "Andrews & Arnold Ltd")),
    ("203.0.113.0/24", asn(64498)),
    ("127.0.0.0/8", asn(64496, "Loopback Testing AS")),
    ("2001:db8::/32", asn(64497, "Example Transit")),
]
COUNTRY_V4 = [("81.2.69.0/24", {"country": {"iso_code": "GB"}, "continent": {"code": "EU"}})]


# MARK: Data section encoding

def control(type_number, size):
    """The control byte (and extended type byte and size bytes) for a value."""
    extended = type_number > 7
    first = (0 if extended else type_number) << 5
    if size < 29:
        head, tail = size, b""
    elif size < 285:
        head, tail = 29, bytes([size - 29])
    elif size < 65821:
        head, tail = 30, struct.pack(">H", size - 285)
    else:
        head, tail = 31, struct.pack(">I", size - 65821)[1:]
    return bytes([first | head]) + (bytes([type_number - 7]) if extended else b"") + tail


def unsigned(value):
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def encode(value):
    if isinstance(value, tuple):  # ("uint16" | "uint32" | "uint64", n): an explicit width
        kind, number = value
        payload = unsigned(number)
        return control({"uint16": 5, "uint32": 6, "uint64": 9}[kind], len(payload)) + payload
    if isinstance(value, str):
        payload = value.encode("utf-8")
        return control(2, len(payload)) + payload
    if isinstance(value, int):
        return encode(("uint32", value))
    if isinstance(value, list):
        return control(11, len(value)) + b"".join(encode(item) for item in value)
    if isinstance(value, dict):
        return control(7, len(value)) + b"".join(encode(k) + encode(v) for k, v in value.items())
    raise TypeError(value)


# MARK: Search tree

def write(path, entries, ip_version, database_type, build_epoch=1_700_000_000):
    record_size = 24
    root = [None, None]
    data = b""
    for cidr, record in entries:
        network = ipaddress.ip_network(cidr)
        bits, length = int(network.network_address), network.prefixlen
        if network.version == 4 and ip_version == 6:  # IPv4 lives at ::/96
            length += 96
        width = 32 if ip_version == 4 else 128
        offset = len(data)
        data += encode(record)
        node = root
        for depth in range(length):
            bit = (bits >> (width - 1 - depth)) & 1
            if depth == length - 1:
                node[bit] = ("data", offset)
            else:
                if node[bit] is None:
                    node[bit] = [None, None]
                node = node[bit]

    # Number the nodes breadth first; the root is node 0.
    nodes, queue = [], [root]
    while queue:
        node = queue.pop(0)
        nodes.append(node)
        queue.extend(child for child in node if isinstance(child, list))
    number = {id(node): index for index, node in enumerate(nodes)}
    node_count = len(nodes)

    def value(child):
        if child is None:
            return node_count  # no data
        if isinstance(child, tuple):
            return node_count + 16 + child[1]
        return number[id(child)]

    tree = b"".join(value(n[0]).to_bytes(3, "big") + value(n[1]).to_bytes(3, "big") for n in nodes)
    metadata = {
        "node_count": ("uint32", node_count),
        "record_size": ("uint16", record_size),
        "ip_version": ("uint16", ip_version),
        "database_type": database_type,
        "languages": ["en"],
        "binary_format_major_version": ("uint16", 2),
        "binary_format_minor_version": ("uint16", 0),
        "build_epoch": ("uint64", build_epoch),
        "description": {"en": "gateway test fixture"},
    }
    with open(path, "wb") as out:
        out.write(tree + b"\x00" * 16 + data + b"\xab\xcd\xefMaxMind.com" + encode(metadata))


def main():
    directory = sys.argv[1]
    write(directory + "/city.mmdb", CITY, 6, "GeoLite2-City")
    write(directory + "/city-v2.mmdb", CITY_V2, 6, "GeoLite2-City", build_epoch=1_700_086_400)
    write(directory + "/asn.mmdb", ASN, 6, "GeoLite2-ASN")
    write(directory + "/country-ipv4.mmdb", COUNTRY_V4, 4, "GeoLite2-Country")


if __name__ == "__main__":
    main()
