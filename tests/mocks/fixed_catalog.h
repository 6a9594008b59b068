// A catalog from data, for tests: tables, views and sequences keyed by "schema.table", with a
// switch that makes every lookup fail (database unreachable) and a lookup counter.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "policy/catalog.h"

namespace sqlguard::test_support {

class FixedCatalog final : public policy::Catalog {
 public:
  std::map<std::string, policy::CatalogTable> objects;  ///< "schema.table" → entry
  bool fail = false;                                    ///< every lookup fails
  mutable int lookups = 0;

  common::Result<policy::CatalogEntry> table(std::string_view schema, std::string_view table) const override {
    ++lookups;
    if (fail) return common::fail(common::ErrorCode::kUnavailable, "connection refused");
    auto it = objects.find(std::string(schema) + "." + std::string(table));
    if (it == objects.end()) return policy::CatalogEntry{};
    return std::make_shared<const policy::CatalogTable>(it->second);
  }

  /// A base table with visible columns `columns`.
  void add_table(const std::string& name, const std::vector<std::string>& columns) {
    policy::CatalogTable t;
    for (const auto& c : columns) t.columns.push_back(policy::CatalogColumn{c, false, std::nullopt});
    objects[name] = std::move(t);
  }

  /// A view whose VIEW_DEFINITION is `definition` ("" = hidden from sqlguard's account).
  void add_view(const std::string& name, const std::string& definition,
                const std::vector<std::string>& columns) {
    policy::CatalogTable t;
    t.type = policy::CatalogTable::Type::kView;
    t.view_definition = definition;
    for (const auto& c : columns) t.columns.push_back(policy::CatalogColumn{c, false, std::nullopt});
    objects[name] = std::move(t);
  }
};

}  // namespace sqlguard::test_support
