#include "guard/result_digest.h"

#include "common/bytes.h"

#include <nlohmann/json.hpp>

namespace sqlguard::guard {

std::string result_digest(const common::ResultSet& rs) {
  nlohmann::json doc;
  auto& cols = doc["columns"] = nlohmann::json::array();
  for (const auto& c : rs.columns) cols.push_back(c.name);
  auto& rows = doc["rows"] = nlohmann::json::array();
  for (const auto& r : rs.rows) {
    nlohmann::json row = nlohmann::json::array();
    for (const auto& cell : r) row.push_back(cell ? nlohmann::json(*cell) : nlohmann::json());
    rows.push_back(std::move(row));
  }
  return common::sha256_base64(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace sqlguard::guard
