#include "monitor/base/result.h"

#include <gtest/gtest.h>

namespace imawatch {
namespace {

TEST(Error, NamesLineAndColumnForTextInputs) {
  Error e = InvalidInput("unknown action 'mesure'", {.source = "p.policy", .line = 3, .column = 1});
  EXPECT_EQ(e.ToString(), "p.policy:3:1: unknown action 'mesure'");
}

TEST(Error, NamesByteOffsetAndEntryForBinaryInputs) {
  Error e = InvalidInput("truncated", {.source = "log", .byte_offset = 77, .entry_index = 2});
  EXPECT_EQ(e.ToString(), "log: byte offset 77 (entry 2): truncated");
}

TEST(Result, HoldsValueOrError) {
  Result<int> good = 4;
  Result<int> bad = IoError("nope");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 4);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind(), ErrorKind::kIo);
}

}  // namespace
}  // namespace imawatch
