#include "policy/glob.h"

#include <gtest/gtest.h>

namespace sqlguard::policy {
namespace {

TEST(GlobTest, Literals) {
  EXPECT_TRUE(glob_match("shop.orders", "shop.orders"));
  EXPECT_FALSE(glob_match("shop.orders", "shop.order"));
  EXPECT_FALSE(glob_match("shop.order", "shop.orders"));
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_FALSE(glob_match("", "a"));
}

TEST(GlobTest, Star) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_TRUE(glob_match("shop.*", "shop.orders"));
  EXPECT_FALSE(glob_match("shop.*", "shopx.orders"));
  EXPECT_TRUE(glob_match("*@example.com", "alice@example.com"));
  EXPECT_FALSE(glob_match("*@example.com", "alice@example.com.evil"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(glob_match("a*b*c", "abc"));
  EXPECT_FALSE(glob_match("a*b*c", "acb"));
  EXPECT_TRUE(glob_match("**a", "bba"));
}

TEST(GlobTest, Question) {
  EXPECT_TRUE(glob_match("?sn", "ssn"));
  EXPECT_FALSE(glob_match("?sn", "sn"));
  EXPECT_TRUE(glob_match("s?n*", "ssn_last4"));
}

TEST(GlobTest, Case) {
  EXPECT_TRUE(glob_match("SHOP.*", "shop.Orders"));
  EXPECT_FALSE(glob_match("SHOP.*", "shop.Orders", false));
  EXPECT_TRUE(glob_match("shop.*", "shop.Orders", false));
}

TEST(GlobTest, Pathological) {
  std::string text(5000, 'a');
  EXPECT_FALSE(glob_match("*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace sqlguard::policy
