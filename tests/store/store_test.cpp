#include "store/store.h"

#include <gtest/gtest.h>

#include "model/duration.h"

namespace perfwatch {
namespace {

TEST(ParseAggregation, AcceptsTheFourNames) {
  EXPECT_EQ(*ParseAggregation("avg"), Aggregation::kAvg);
  EXPECT_EQ(*ParseAggregation("min"), Aggregation::kMin);
  EXPECT_EQ(*ParseAggregation("max"), Aggregation::kMax);
  EXPECT_EQ(*ParseAggregation("last"), Aggregation::kLast);
}

TEST(ParseAggregation, ErrorNamesTheBadValueAndTheAllowedOnes) {
  Result<Aggregation> agg = ParseAggregation("mean");
  ASSERT_FALSE(agg.ok());
  EXPECT_EQ(agg.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(agg.status().message(), "unknown aggregation \"mean\" (allowed: avg, min, max, last)");
  EXPECT_FALSE(ParseAggregation("AVG").ok());
  EXPECT_FALSE(ParseAggregation("").ok());
}

// The API parses step= with model/duration.h.
TEST(StoreDuration, ParsesPrometheusDurationsIntoMilliseconds) {
  EXPECT_EQ(*ParseDuration("15s"), 15'000);
  EXPECT_EQ(*ParseDuration("1h30m"), 5'400'000);
  EXPECT_EQ(*ParseDuration("500ms"), 500);
  EXPECT_EQ(*ParseDuration("30"), 30'000);
  Result<int64_t> bad = ParseDuration("5parsecs");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("5parsecs"), std::string::npos);
}

}  // namespace
}  // namespace perfwatch
