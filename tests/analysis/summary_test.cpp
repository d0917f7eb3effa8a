#include "analysis/summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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

TEST(Summarize, RowsKeepTheirValuesThinnedForACharts) {
  SyntheticHost host;
  const TimestampMs end = kStart + 599'000;
  host.Run(kStart, end, 1000, [](TimestampMs t) {
    HostState s;
    s.cpu_percent = t == kStart + 321'000 ? 99 : 5;
    s.app_response_ms = 250;
    return s;
  });
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, kStart, end);
  ASSERT_TRUE(summary.ok());
  const SummaryRow* cpu = Row(*summary, "CPU total");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->key, "cpu");
  EXPECT_EQ(cpu->app, "");
  EXPECT_LE(cpu->chart.size(), 300u);
  EXPECT_GE(cpu->chart.size(), 150u);
  const bool spike_kept = std::any_of(cpu->chart.begin(), cpu->chart.end(), [](const Sample& s) {
    return s.t_ms == kStart + 321'000 && s.value == 99;
  });
  EXPECT_TRUE(spike_kept);
  const SummaryRow* response = Row(*summary, "Response time avg (api)");
  ASSERT_NE(response, nullptr);
  EXPECT_EQ(response->key, "response_time_avg_ms");
  EXPECT_EQ(response->app, "api");
  ASSERT_FALSE(response->chart.empty());
  EXPECT_DOUBLE_EQ(response->chart.front().value, 250);  // in the row's unit, ms
  const SummaryRow* pressure = Row(*summary, "Pressure io");
  ASSERT_NE(pressure, nullptr);
  EXPECT_EQ(pressure->unit, "%");
  EXPECT_NEAR(pressure->avg, 0.2, 1e-9);
  // "some" over 60 s only: neither "full" nor the 10 s window has a row.
  EXPECT_EQ(std::count_if(summary->rows.begin(), summary->rows.end(),
                          [](const SummaryRow& r) { return r.key == "pressure"; }),
            3);
  std::vector<ApplicationFigures> apps = ApplicationsOf(*summary);
  ASSERT_EQ(apps.size(), 1u);
  EXPECT_EQ(apps[0].app, "api");
  EXPECT_EQ(apps[0].rows.size(), 4u);
}

TEST(DownsampleMinMax, KeepsEverySpikeAndDipWithinTheLimit) {
  std::vector<Sample> points;
  for (int i = 0; i < 1000; ++i) points.push_back({i * 1000, 50.0 + (i % 7)});
  points[123].value = -5;
  points[537].value = 400;
  points[800].value = NAN;
  std::vector<Sample> thin = DownsampleMinMax(points, 300);
  EXPECT_LE(thin.size(), 300u);
  EXPECT_GE(thin.size(), 280u);
  EXPECT_TRUE(std::is_sorted(thin.begin(), thin.end(),
                             [](const Sample& a, const Sample& b) { return a.t_ms < b.t_ms; }));
  auto has = [&](Sample s) { return std::find(thin.begin(), thin.end(), s) != thin.end(); };
  EXPECT_TRUE(has({123'000, -5}));
  EXPECT_TRUE(has({537'000, 400}));
  for (const Sample& s : thin) EXPECT_FALSE(std::isnan(s.value));
  std::vector<Sample> few(points.begin(), points.begin() + 10);
  EXPECT_EQ(DownsampleMinMax(few, 300), few);
}

// Appends one tick of a component timer's series for `app`/`component`
// with an extra `status` label, as StatsD ingest stores them.
void AppendComponent(SyntheticHost& host, TimestampMs t, std::string status, double count,
                     double sum_ms, double p95_ms, double max_ms) {
  Tick tick(host.registry, t);
  const Labels labels{{"app", "shop"}, {"component", "Data Loading"}, {"status", status}};
  const Labels q{
      {"app", "shop"}, {"component", "Data Loading"}, {"quantile", "0.95"}, {"status", status}};
  ASSERT_TRUE(tick.Append("component_duration_milliseconds_count", labels, count).ok());
  ASSERT_TRUE(tick.Append("component_duration_milliseconds_sum", labels, sum_ms).ok());
  ASSERT_TRUE(tick.Append("component_duration_milliseconds", q, p95_ms).ok());
  ASSERT_TRUE(tick.Append("component_duration_milliseconds_max", labels, max_ms).ok());
  const Labels other{{"app", "shop"}, {"component", "Rendering"}};
  ASSERT_TRUE(tick.Append("component_duration_milliseconds_count", other, count).ok());
  ASSERT_TRUE(tick.Append("component_duration_milliseconds_sum", other, count * 10).ok());
  ASSERT_TRUE(host.store.Commit(tick).ok());
}

TEST(Summarize, ComponentsCountFromTheirIncreaseInThePeriod) {
  SyntheticHost host;
  const TimestampMs from = kStart + 60'000, to = kStart + 660'000;
  // Before the period: 100 observations of 20 ms already counted.
  AppendComponent(host, kStart, "ok", 100, 2000, 20, 20);
  for (int i = 1; i <= 60; ++i) {
    // 10 more per 10 s at 30 ms; the process restarts (counts from 0)
    // half-way through; the 30th tick saw a 90 ms outlier.
    const double count = i <= 30 ? 100 + 10 * i : 10 * (i - 30);
    AppendComponent(host, from + (i - 1) * 10'000, "ok", count, count * 30 - (i <= 30 ? 1000 : 0),
                    i == 30 ? 90 : 30, i == 30 ? 90 : 30);
  }
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, from, to);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->components.size(), 2u);
  const ComponentSummary& loading = summary->components[0];
  EXPECT_EQ(loading.app, "shop");
  EXPECT_EQ(loading.name, "Data Loading");
  EXPECT_DOUBLE_EQ(loading.count, 600);
  EXPECT_DOUBLE_EQ(loading.total_ms, 18'000);
  EXPECT_DOUBLE_EQ(loading.mean_ms, 30);
  EXPECT_DOUBLE_EQ(loading.p95_ms, 30);  // one outlier in 60 stored p95s
  EXPECT_DOUBLE_EQ(loading.max_ms, 90);
  const ComponentSummary& rendering = summary->components[1];
  EXPECT_EQ(rendering.name, "Rendering");
  EXPECT_DOUBLE_EQ(rendering.total_ms, 6'000);
  EXPECT_TRUE(std::isnan(rendering.p95_ms));
  EXPECT_NEAR(loading.share_percent, 75, 1e-9);
  EXPECT_NEAR(rendering.share_percent, 25, 1e-9);
}

TEST(Summarize, AComponentCreatedInThePeriodCountsFromZero) {
  SyntheticHost host;
  const TimestampMs from = kStart;
  AppendComponent(host, from + 5'000, "ok", 4, 120, 30, 30);
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, from, from + 60'000);
  ASSERT_TRUE(summary.ok());
  ASSERT_FALSE(summary->components.empty());
  EXPECT_DOUBLE_EQ(summary->components[0].count, 4);
  EXPECT_DOUBLE_EQ(summary->components[0].mean_ms, 30);
}

TEST(Summarize, RefusesAnEmptyPeriod) {
  SyntheticHost host;
  Result<PeriodSummary> summary = Summarize(host.store, host.registry, kStart, kStart);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace perfwatch
