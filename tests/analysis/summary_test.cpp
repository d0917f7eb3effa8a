#include "analysis/summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "synthetic_host.h"

namespace perfwatch {
namespace {

constexpr TimestampMs kStart = SyntheticHost::kStart;

const SummaryRow* Row(const PeriodSummary& summary, std::string_view title) {
  for (const SummaryRow& r : summary.rows) {
    if (r.title == title) return &r;
  }
  return nullptr;
}

TEST(Quantile, InterpolatesBetweenRanksAsPromQl) {
  std::vector<double> v = {4, 1, 3, 2};
  EXPECT_DOUBLE_EQ(Quantile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(Quantile(v, 1), 4);
  EXPECT_DOUBLE_EQ(Quantile(v, 0), 1);
  std::vector<double> none;
  EXPECT_TRUE(std::isnan(Quantile(none, 0.95)));
}

TEST(Summarize, ShortPeriodReadsRawSamples) {
  SyntheticHost host;
  const TimestampMs end = kStart + 599'000;
  host.Run(kStart, end, 1000, [](TimestampMs t) {
    HostState s;
    s.cpu_percent = ((t - kStart) / 1000) % 100;  // 0..99, six times
    s.app_response_ms = 250;
    return s;
  });
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, kStart, end);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->resolution_ms, 0);
  const SummaryRow* cpu = Row(*summary, "CPU total");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->points, 600u);
  EXPECT_DOUBLE_EQ(cpu->avg, 49.5);
  EXPECT_NEAR(cpu->p95, 94.05, 1e-9);
  EXPECT_DOUBLE_EQ(cpu->max, 99);
  EXPECT_EQ(cpu->unit, "%");
  const SummaryRow* rx = Row(*summary, "Network rx eth0");
  ASSERT_NE(rx, nullptr);
  EXPECT_EQ(rx->unit, "B/s");
  EXPECT_NEAR(rx->avg, 20'000, 1e-6);
  EXPECT_NEAR(rx->max, 20'000, 1e-6);
  ASSERT_NE(Row(*summary, "Disk used /"), nullptr);
  ASSERT_NE(Row(*summary, "Disk busy sda"), nullptr);
  ASSERT_NE(Row(*summary, "Load (1 min)"), nullptr);
  const SummaryRow* response = Row(*summary, "Response time avg (api)");
  ASSERT_NE(response, nullptr);
  EXPECT_DOUBLE_EQ(response->avg, 250);
  EXPECT_EQ(response->labels.Get("app"), "api");
}

TEST(Summarize, WithoutApplicationMetricsHasNoApplicationRows) {
  SyntheticHost host;
  host.Run(kStart, kStart + 60'000, 1000, [](TimestampMs) { return HostState{}; });
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, kStart, kStart + 60'000);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(Row(*summary, "Response time avg (api)"), nullptr);
  EXPECT_NE(Row(*summary, "Memory used"), nullptr);
}

TEST(Summarize, DayReadsMinuteBucketsWithExactMaximum) {
  SyntheticHost host;
  const TimestampMs end = kStart + 24 * 3600 * 1000;
  const TimestampMs spike = kStart + 12 * 3600 * 1000;
  host.Run(kStart, end, 10'000, [&](TimestampMs t) {
    HostState s;
    s.cpu_percent = t == spike ? 100 : 5;
    return s;
  });
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, kStart, end);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->resolution_ms, 60'000);
  const SummaryRow* cpu = Row(*summary, "CPU total");
  ASSERT_NE(cpu, nullptr);
  // kStart is not on a minute: a partial bucket at each end.
  EXPECT_EQ(cpu->points, 1441u);
  EXPECT_DOUBLE_EQ(cpu->max, 100);  // the spike survives bucketing
  EXPECT_DOUBLE_EQ(cpu->p95, 5);    // but not in the p95 of averages
  // The mean of bucket averages: the spike's bucket (six samples) over all.
  EXPECT_NEAR(cpu->avg, 5 + 95.0 / 6 / 1441, 1e-9);
  const SummaryRow* rx = Row(*summary, "Network rx eth0");
  ASSERT_NE(rx, nullptr);
  EXPECT_NEAR(rx->avg, 20'000, 1e-6);
}

TEST(Summarize, FallsBackToBucketsAtTheStorePointLimit) {
  MemStoreOptions small = SyntheticHost::BigStore();
  small.max_points_per_query = 100;
  SyntheticHost host(small);
  const TimestampMs end = kStart + 599'000;
  host.Run(kStart, end, 1000, [](TimestampMs) { return HostState{}; });
  SummaryOptions options;
  options.max_points = 50;
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, kStart, end, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->resolution_ms, 15'000);
  ASSERT_NE(Row(*summary, "CPU total"), nullptr);
  EXPECT_DOUBLE_EQ(Row(*summary, "CPU total")->avg, 5);
}

TEST(Summarize, RefusesAnEmptyPeriod) {
  SyntheticHost host;
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, kStart, kStart);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace perfwatch
