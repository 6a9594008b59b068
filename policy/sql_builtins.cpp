#include "policy/sql_builtins.h"

#include <algorithm>
#include <array>
#include <cstddef>

namespace sqlguard::policy {

namespace {

// Sorted lower-case tables (generated; keep sorted: lookups are binary searches).
constexpr std::array<std::string_view, 279> kReserved{{
    "accessible", "add", "all", "alter", "analyze", "and", "as", "asc", "asensitive", "before",
    "between", "bigint", "binary", "blob", "both", "by", "call", "cascade", "case", "change",
    "char", "character", "check", "collate", "column", "condition", "constraint", "continue",
    "convert", "create", "cross", "cube", "cume_dist", "current_date", "current_role",
    "current_time", "current_timestamp", "current_user", "cursor", "database", "databases",
    "day_hour", "day_microsecond", "day_minute", "day_second", "dec", "decimal", "declare",
    "default", "delayed", "delete", "delete_domain_id", "dense_rank", "desc", "describe",
    "deterministic", "distinct", "distinctrow", "div", "do_domain_ids", "double", "drop", "dual",
    "each", "else", "elseif", "empty", "enclosed", "escaped", "except", "exists", "exit",
    "explain", "false", "fetch", "first_value", "float", "float4", "float8", "for", "force",
    "foreign", "from", "fulltext", "function", "general", "generated", "get", "grant", "group",
    "grouping", "groups", "having", "high_priority", "hour_microsecond", "hour_minute",
    "hour_second", "if", "ignore", "ignore_domain_ids", "ignore_server_ids", "in", "index",
    "infile", "inner", "inout", "insensitive", "insert", "int", "int1", "int2", "int3", "int4",
    "int8", "integer", "intersect", "interval", "into", "io_after_gtids", "io_before_gtids", "is",
    "iterate", "join", "json_table", "key", "keys", "kill", "lag", "last_value", "lateral",
    "lead", "leading", "leave", "left", "like", "limit", "linear", "lines", "load", "localtime",
    "localtimestamp", "lock", "long", "longblob", "longtext", "loop", "low_priority",
    "master_bind", "master_heartbeat_period", "master_ssl_verify_server_cert", "match",
    "maxvalue", "mediumblob", "mediumint", "mediumtext", "middleint", "minute_microsecond",
    "minute_second", "mod", "modifies", "natural", "no_write_to_binlog", "not", "nth_value",
    "ntile", "null", "numeric", "of", "offset", "on", "optimize", "optimizer_costs", "option",
    "optionally", "or", "order", "out", "outer", "outfile", "over", "page_checksum",
    "parse_vcol_expr", "partition", "percent_rank", "position", "precision", "primary",
    "procedure", "purge", "range", "rank", "read", "read_write", "reads", "real", "recursive",
    "ref_system_id", "references", "regexp", "release", "rename", "repeat", "replace", "require",
    "resignal", "restrict", "return", "returning", "revoke", "right", "rlike", "row",
    "row_number", "rows", "schema", "schemas", "second_microsecond", "select", "sensitive",
    "separator", "set", "show", "signal", "slow", "smallint", "spatial", "specific", "sql",
    "sql_big_result", "sql_calc_found_rows", "sql_small_result", "sqlexception", "sqlstate",
    "sqlwarning", "ssl", "starting", "stats_auto_recalc", "stats_persistent",
    "stats_sample_pages", "stored", "straight_join", "system", "table", "terminated", "then",
    "tinyblob", "tinyint", "tinytext", "to", "trailing", "trigger", "true", "undo", "union",
    "unique", "unlock", "unsigned", "update", "usage", "use", "using", "utc_date", "utc_time",
    "utc_timestamp", "values", "varbinary", "varchar", "varcharacter", "varying", "virtual",
    "when", "where", "while", "window", "with", "write", "xor", "year_month", "zerofill",
}};

constexpr std::array<std::string_view, 514> kFunctions{{
    "abs", "acos", "add_months", "adddate", "addtime", "aes_decrypt", "aes_encrypt", "any_value",
    "area", "asbinary", "ascii", "asin", "astext", "aswkb", "aswkt", "asymmetric_decrypt",
    "asymmetric_derive", "asymmetric_encrypt", "asymmetric_sign", "asymmetric_verify", "atan",
    "atan2", "avg", "benchmark", "bin", "bin_to_uuid", "binlog_gtid_pos", "bit_and", "bit_count",
    "bit_length", "bit_or", "bit_xor", "boundary", "buffer", "can_access_column",
    "can_access_database", "can_access_table", "can_access_user", "can_access_view", "cast",
    "cbrt", "ceil", "ceiling", "centroid", "char", "char_length", "character_length", "charset",
    "chr", "coalesce", "coercibility", "collation", "column_add", "column_check", "column_create",
    "column_delete", "column_exists", "column_get", "column_json", "column_list", "compress",
    "concat", "concat_ws", "connection_id", "contains", "conv", "convert", "convert_tz",
    "convexhull", "cos", "cot", "count", "crc32", "crc32c", "create_asymmetric_priv_key",
    "create_asymmetric_pub_key", "create_dh_parameters", "create_digest", "crosses", "cume_dist",
    "curdate", "current_date", "current_role", "current_time", "current_timestamp",
    "current_user", "curtime", "database", "date", "date_add", "date_format", "date_sub",
    "datediff", "day", "dayname", "dayofmonth", "dayofweek", "dayofyear", "decode",
    "decode_histogram", "decode_oracle", "default", "degrees", "dense_rank", "des_decrypt",
    "des_encrypt", "dimension", "disjoint", "distance", "div", "elt", "encode", "encrypt",
    "endpoint", "envelope", "equals", "exp", "export_set", "exteriorring", "extract",
    "extractvalue", "field", "find_in_set", "first_value", "floor", "format", "format_bytes",
    "format_pico_time", "found_rows", "from_base64", "from_days", "from_unixtime",
    "geomcollection", "geometrycollection", "geometryn", "geometrytype", "geomfromtext",
    "geomfromwkb", "get_format", "get_lock", "glength", "greatest", "group_concat", "grouping",
    "gtid_subset", "gtid_subtract", "hex", "hour", "icu_version", "if", "ifnull", "in",
    "inet6_aton", "inet6_ntoa", "inet_aton", "inet_ntoa", "insert", "instr", "instrb",
    "interiorringn", "intersects", "interval", "is_free_lock", "is_ipv4", "is_ipv4_compat",
    "is_ipv4_mapped", "is_ipv6", "is_used_lock", "is_uuid", "isclosed", "isempty", "isnull",
    "isring", "issimple", "json_array", "json_array_append", "json_array_insert",
    "json_array_intersect", "json_arrayagg", "json_compact", "json_contains",
    "json_contains_path", "json_depth", "json_detailed", "json_equals", "json_exists",
    "json_extract", "json_insert", "json_keys", "json_length", "json_loose", "json_merge",
    "json_merge_patch", "json_merge_preserve", "json_normalize", "json_object",
    "json_object_filter_keys", "json_object_to_array", "json_objectagg", "json_overlaps",
    "json_pretty", "json_query", "json_quote", "json_remove", "json_replace", "json_schema_valid",
    "json_schema_validation_report", "json_search", "json_set", "json_storage_free",
    "json_storage_size", "json_table", "json_type", "json_unquote", "json_valid", "json_value",
    "kdf", "lag", "last_day", "last_insert_id", "last_value", "lastval", "lcase", "lead", "least",
    "left", "length", "lengthb", "linefromtext", "linefromwkb", "linestring", "ln", "load_file",
    "localtime", "localtimestamp", "locate", "log", "log10", "log2", "lower", "lpad", "ltrim",
    "make_set", "makedate", "maketime", "master_gtid_wait", "master_pos_wait", "match", "max",
    "mbrcontains", "mbrcoveredby", "mbrcovers", "mbrdisjoint", "mbrequal", "mbrequals",
    "mbrintersects", "mbroverlaps", "mbrtouches", "mbrwithin", "md5", "median", "microsecond",
    "mid", "min", "minute", "mlinefromtext", "mlinefromwkb", "mod", "month", "monthname",
    "mpointfromtext", "mpointfromwkb", "mpolyfromtext", "mpolyfromwkb", "multilinestring",
    "multipoint", "multipolygon", "name_const", "natural_sort_key", "nextval", "now", "nth_value",
    "ntile", "nullif", "numgeometries", "numinteriorrings", "numpoints", "nvl", "nvl2", "oct",
    "octet_length", "old_password", "oracle_sql_compat", "ord", "overlaps", "percent_rank",
    "percentile_cont", "percentile_disc", "period_add", "period_diff", "pi", "point",
    "pointfromtext", "pointfromwkb", "pointn", "polyfromtext", "polyfromwkb", "polygon",
    "position", "pow", "power", "ps_current_thread_id", "ps_thread_id", "quarter", "quote",
    "radians", "rand", "random_bytes", "rank", "regexp", "regexp_instr", "regexp_like",
    "regexp_replace", "regexp_substr", "release_all_locks", "release_lock", "repeat", "replace",
    "reverse", "right", "roles_graphml", "round", "row_count", "row_number", "rpad", "rtrim",
    "schema", "sec_to_time", "second", "session_user", "setval", "sformat", "sha", "sha1", "sha2",
    "sign", "sin", "sleep", "soundex", "source_pos_wait", "space", "sqrt", "srid", "st_area",
    "st_asbinary", "st_asgeojson", "st_astext", "st_aswkb", "st_aswkt", "st_buffer",
    "st_buffer_strategy", "st_centroid", "st_collect", "st_contains", "st_convexhull",
    "st_crosses", "st_difference", "st_dimension", "st_disjoint", "st_distance",
    "st_distance_sphere", "st_endpoint", "st_envelope", "st_equals", "st_exteriorring",
    "st_frechetdistance", "st_geohash", "st_geomcollfromtext", "st_geomcollfromtxt",
    "st_geomcollfromwkb", "st_geometrycollectionfromtext", "st_geometrycollectionfromwkb",
    "st_geometryfromtext", "st_geometryfromwkb", "st_geometryn", "st_geometrytype",
    "st_geomfromgeojson", "st_geomfromtext", "st_geomfromwkb", "st_hausdorffdistance",
    "st_interiorringn", "st_intersection", "st_intersects", "st_isclosed", "st_isempty",
    "st_isring", "st_issimple", "st_isvalid", "st_latfromgeohash", "st_latitude", "st_length",
    "st_linefromtext", "st_linefromwkb", "st_lineinterpolatepoint", "st_lineinterpolatepoints",
    "st_linestringfromtext", "st_linestringfromwkb", "st_longfromgeohash", "st_longitude",
    "st_makeenvelope", "st_mlinefromtext", "st_mlinefromwkb", "st_mpointfromtext",
    "st_mpointfromwkb", "st_mpolyfromtext", "st_mpolyfromwkb", "st_multilinestringfromtext",
    "st_multilinestringfromwkb", "st_multipointfromtext", "st_multipointfromwkb",
    "st_multipolygonfromtext", "st_multipolygonfromwkb", "st_numgeometries", "st_numinteriorring",
    "st_numinteriorrings", "st_numpoints", "st_overlaps", "st_pointatdistance",
    "st_pointfromgeohash", "st_pointfromtext", "st_pointfromwkb", "st_pointn", "st_polyfromtext",
    "st_polyfromwkb", "st_polygonfromtext", "st_polygonfromwkb", "st_relate", "st_simplify",
    "st_srid", "st_startpoint", "st_swapxy", "st_symdifference", "st_touches", "st_transform",
    "st_union", "st_validate", "st_within", "st_x", "st_y", "startpoint", "statement_digest",
    "statement_digest_text", "std", "stddev", "stddev_pop", "stddev_samp", "str_to_date",
    "strcmp", "subdate", "substr", "substrb", "substring", "substring_index", "subtime", "sum",
    "sys_guid", "sysdate", "system_user", "tan", "time", "time_format", "time_to_sec", "timediff",
    "timestamp", "timestampadd", "timestampdiff", "to_base64", "to_char", "to_days", "to_seconds",
    "touches", "trim", "truncate", "ucase", "uncompress", "uncompressed_length", "unhex",
    "unix_timestamp", "updatexml", "upper", "user", "utc_date", "utc_time", "utc_timestamp",
    "uuid", "uuid_short", "uuid_to_bin", "validate_password_strength", "values", "var_pop",
    "var_samp", "variance", "version", "wait_for_executed_gtid_set",
    "wait_until_sql_thread_after_gtids", "week", "weekday", "weekofyear", "weight_string",
    "within", "x", "y", "year", "yearweek",
}};

constexpr std::array<std::string_view, 43> kIntroducers{{
    "_armscii8", "_ascii", "_big5", "_binary", "_cp1250", "_cp1251", "_cp1256", "_cp1257",
    "_cp850", "_cp852", "_cp866", "_cp932", "_dec8", "_eucjpms", "_euckr", "_filename",
    "_gb18030", "_gb2312", "_gbk", "_geostd8", "_greek", "_hebrew", "_hp8", "_keybcs2", "_koi8r",
    "_koi8u", "_latin1", "_latin2", "_latin5", "_latin7", "_macce", "_macroman", "_sjis", "_swe7",
    "_tis620", "_ucs2", "_ujis", "_utf16", "_utf16le", "_utf32", "_utf8", "_utf8mb3", "_utf8mb4",
}};

constexpr std::array<std::string_view, 13> kSleepLock{{
    "benchmark", "get_lock", "is_free_lock", "is_used_lock", "master_gtid_wait",
    "master_pos_wait", "release_all_locks", "release_lock", "sleep", "source_pos_wait",
    "wait_for_executed_gtid_set", "wait_until_sql_thread_after_gtids", "binlog_gtid_pos",
}};

// Lower-cases `word` into `buf`; false when it does not fit (no table entry is that long).
bool lower(std::string_view word, std::array<char, 64>& buf, std::string_view& out) {
  if (word.size() > buf.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    buf[i] = c;
  }
  out = std::string_view(buf.data(), word.size());
  return true;
}

// Open-addressing hash set over a static word table, built once (thread-safe static init).
// Lookups lower-case into a stack buffer and compare once or twice: no allocation.
class WordSet {
 public:
  template <std::size_t N>
  explicit WordSet(const std::array<std::string_view, N>& words) {
    for (const auto& w : words) {
      std::size_t h = hash(w) & kMask;
      while (!slots_[h].empty()) h = (h + 1) & kMask;
      slots_[h] = w;
    }
  }
  bool contains(std::string_view word) const {
    std::array<char, 64> buf{};
    std::string_view w;
    if (!lower(word, buf, w)) return false;
    std::size_t h = hash(w) & kMask;
    while (!slots_[h].empty()) {
      if (slots_[h] == w) return true;
      h = (h + 1) & kMask;
    }
    return false;
  }

 private:
  static constexpr std::size_t kSize = 4096;  // > 4x the largest table: short probe chains
  static constexpr std::size_t kMask = kSize - 1;
  static std::size_t hash(std::string_view w) {
    std::size_t h = 1469598103934665603ull;
    for (char c : w) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
  }
  std::array<std::string_view, kSize> slots_{};
};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& table, std::string_view word) {
  std::array<char, 64> buf{};
  std::string_view w;
  if (!lower(word, buf, w)) return false;
  return std::binary_search(table.begin(), table.end(), w);
}

const WordSet& reserved_set() {
  static const WordSet set(kReserved);
  return set;
}
const WordSet& function_set() {
  static const WordSet set(kFunctions);
  return set;
}

}  // namespace

bool is_reserved_word(std::string_view word) { return reserved_set().contains(word); }
bool is_builtin_function(std::string_view name) { return function_set().contains(name); }
bool is_charset_introducer(std::string_view word) { return contains(kIntroducers, word); }
bool is_sleep_or_lock_function(std::string_view name) {
  std::array<char, 64> buf{};
  std::string_view w;
  if (!lower(name, buf, w)) return false;
  return std::find(kSleepLock.begin(), kSleepLock.end(), w) != kSleepLock.end();
}
bool is_file_function(std::string_view name) {
  std::array<char, 64> buf{};
  std::string_view w;
  if (!lower(name, buf, w)) return false;
  return w == "load_file";
}

}  // namespace sqlguard::policy
