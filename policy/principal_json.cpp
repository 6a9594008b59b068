#include "policy/principal_json.h"

namespace sqlguard::policy {

nlohmann::json principal_to_json(const Principal& p) {
  return {{"subject", p.subject},
          {"issuer", p.issuer},
          {"groups", p.groups},
          {"auth", p.auth_method},
          {"client", {{"name", p.client_name}, {"version", p.client_version}}}};
}

Principal principal_from_json(const nlohmann::json& doc) {
  Principal p;
  p.subject = doc.at("subject").get<std::string>();
  p.issuer = doc.value("issuer", "");
  p.groups = doc.value("groups", std::vector<std::string>{});
  p.auth_method = doc.value("auth", "");
  if (doc.contains("client") && doc["client"].is_object()) {
    p.client_name = doc["client"].value("name", "");
    p.client_version = doc["client"].value("version", "");
  }
  return p;
}

}  // namespace sqlguard::policy
