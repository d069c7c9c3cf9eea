#ifndef C_GATEWAY_MAXMINDDB_H
#define C_GATEWAY_MAXMINDDB_H

#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <maxminddb.h>

/// A string in the database: bytes inside the memory map, not NUL-terminated; NULL when absent.
typedef struct {
    const char *bytes;
    uint32_t length;
} gw_mmdb_string;

/// The fields the gateway reads from a GeoLite2-City, -Country or -ASN record.
typedef struct {
    gw_mmdb_string country_iso_code;
    gw_mmdb_string continent_code;
    gw_mmdb_string city_name;
    gw_mmdb_string as_organization;
    uint32_t as_number;
    bool has_as_number;
} gw_mmdb_geo_fields;

/// Reads the fields of `entry` into `out` with static paths (MMDB_get_value is variadic, and
/// path arrays built in Swift would allocate per lookup). A path the record lacks, or a value
/// of another type, leaves the field absent. Returns MMDB_SUCCESS or the first data error.
int gw_mmdb_geo_fields_read(MMDB_entry_s *entry, gw_mmdb_geo_fields *out);

#endif
