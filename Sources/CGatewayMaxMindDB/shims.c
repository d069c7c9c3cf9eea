#include "CGatewayMaxMindDB.h"
#include <string.h>

static const char *const country_path[] = {"country", "iso_code", NULL};
static const char *const continent_path[] = {"continent", "code", NULL};
static const char *const city_path[] = {"city", "names", "en", NULL};
static const char *const as_number_path[] = {"autonomous_system_number", NULL};
static const char *const as_organization_path[] = {"autonomous_system_organization", NULL};

/// The value at `path`: MMDB_SUCCESS with has_data false when the record lacks it.
static int value_at(MMDB_entry_s *entry, const char *const *path, MMDB_entry_data_s *data) {
    memset(data, 0, sizeof *data);
    int status = MMDB_aget_value(entry, data, path);
    if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
        data->has_data = false;
        return MMDB_SUCCESS;
    }
    return status;
}

static int string_at(MMDB_entry_s *entry, const char *const *path, gw_mmdb_string *out) {
    MMDB_entry_data_s data;
    int status = value_at(entry, path, &data);
    if (status == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
        out->bytes = data.utf8_string;
        out->length = data.data_size;
    }
    return status;
}

int gw_mmdb_geo_fields_read(MMDB_entry_s *entry, gw_mmdb_geo_fields *out) {
    memset(out, 0, sizeof *out);
    int status;
    if ((status = string_at(entry, country_path, &out->country_iso_code)) != MMDB_SUCCESS) return status;
    if ((status = string_at(entry, continent_path, &out->continent_code)) != MMDB_SUCCESS) return status;
    if ((status = string_at(entry, city_path, &out->city_name)) != MMDB_SUCCESS) return status;
    if ((status = string_at(entry, as_organization_path, &out->as_organization)) != MMDB_SUCCESS) return status;
    MMDB_entry_data_s data;
    if ((status = value_at(entry, as_number_path, &data)) != MMDB_SUCCESS) return status;
    if (data.has_data && data.type == MMDB_DATA_TYPE_UINT32) {
        out->as_number = data.uint32;
        out->has_as_number = true;
    }
    return MMDB_SUCCESS;
}
