// Integration tests: a private MariaDB (mariadb_fixture.h) shared by all tests in this binary.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
