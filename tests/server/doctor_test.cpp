// sqlguard doctor: grants wider than the policy needs are reported.
#include <gtest/gtest.h>

#include "server/cli/doctor_command.h"

namespace sqlguard::server {
namespace {

policy::PolicyConfig read_only_policy() {
  policy::PolicyConfig p;
  policy::PolicyRule read;
  read.id = "read";
  read.action = policy::Action::kAllow;
  read.kinds = {"select", "show"};
  p.rules.push_back(read);
  policy::PolicyRule upd;
  upd.id = "updates";
  upd.action = policy::Action::kApprove;
  upd.kinds = {"update"};
  p.rules.push_back(upd);
  return p;
}

size_t warnings(const std::vector<DoctorFinding>& f) {
  return static_cast<size_t>(
      std::count_if(f.begin(), f.end(), [](const auto& x) { return x.severity == "warning"; }));
}

TEST(Doctor, GrantsThatFitThePolicyAreQuiet) {
  const auto f = review_grants({"GRANT USAGE ON *.* TO `agent`@`localhost` IDENTIFIED BY PASSWORD '*ABC'",
                                "GRANT SELECT ON `shop`.* TO `agent`@`localhost`",
                                "GRANT UPDATE ON `shop`.`orders` TO `agent`@`localhost`"},
                               read_only_policy());
  EXPECT_EQ(warnings(f), 0u);
}

TEST(Doctor, FlagsAllFileSuperGrantOptionAndUnusedWrites) {
  const auto f = review_grants({"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
                                "GRANT FILE, PROCESS ON *.* TO `agent`@`%`",
                                "GRANT SELECT, INSERT, DELETE, DROP ON `shop`.* TO `agent`@`%`"},
                               read_only_policy());
  std::string all;
  for (const auto& x : f) all += x.message + "\n";
  EXPECT_NE(all.find("ALL PRIVILEGES"), std::string::npos) << all;
  EXPECT_NE(all.find("WITH GRANT OPTION"), std::string::npos) << all;
  EXPECT_NE(all.find("FILE on *.*"), std::string::npos) << all;
  EXPECT_NE(all.find("PROCESS on *.*"), std::string::npos) << all;
  EXPECT_NE(all.find("INSERT on `shop`.*"), std::string::npos) << all;
  EXPECT_NE(all.find("DELETE on `shop`.*"), std::string::npos) << all;
  EXPECT_NE(all.find("DROP on `shop`.*"), std::string::npos) << all;
  EXPECT_EQ(all.find("SELECT on"), std::string::npos) << "SELECT is used by the policy";
}

TEST(Doctor, ColumnGrantsAreSplitCorrectly) {
  const auto f = review_grants({"GRANT SELECT (id, name), UPDATE (status) ON `shop`.`orders` TO `a`@`%`"},
                               read_only_policy());
  EXPECT_EQ(warnings(f), 0u);
}

}  // namespace
}  // namespace sqlguard::server
