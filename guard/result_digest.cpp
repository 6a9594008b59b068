#include "guard/result_digest.h"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

namespace sqlguard::guard {

std::string sha256_base64(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  std::string out(4 * ((len + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), md, static_cast<int>(len));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string result_digest(const policy::ResultSet& rs) {
  nlohmann::json doc;
  auto& cols = doc["columns"] = nlohmann::json::array();
  for (const auto& c : rs.columns) cols.push_back(c.name);
  auto& rows = doc["rows"] = nlohmann::json::array();
  for (const auto& r : rs.rows) {
    nlohmann::json row = nlohmann::json::array();
    for (const auto& cell : r) row.push_back(cell ? nlohmann::json(*cell) : nlohmann::json());
    rows.push_back(std::move(row));
  }
  return sha256_base64(doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace sqlguard::guard
