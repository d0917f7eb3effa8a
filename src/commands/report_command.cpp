#include "commands/report_command.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "alert/alert_db.h"
#include "analysis/analysis.h"
#include "analysis/report.h"
#include "analysis/summary.h"
#include "commands/monitoring.h"
#include "net/http_client.h"
#include "query/store_source.h"
#include "store/durable_store.h"
#include "tune/tuning_db.h"

namespace perfwatch {
namespace {

int Fail(const std::string& message) {
  std::cerr << "perfwatch report: " << message << "\n";
  return 1;
}

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ServedUrl(const Config& config) {
  std::string host = config.server.host == "0.0.0.0" ? "127.0.0.1" : config.server.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(config.server.port);
}

Result<std::string> Fetch(const std::string& base, const ReportCommand& command) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/api/v1/report?hours=" + std::to_string(command.hours) + "&format=" + command.format;
  Result<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return Status::InvalidArgument("--url: " + parsed.status().message());
  Result<HttpReply> reply = HttpGet(*parsed, {}, std::chrono::seconds(60));
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    return Status::Unavailable(url + " answered " + std::to_string(reply->status) + ": " +
                               reply->body);
  }
  return std::move(reply->body);
}

// The tuning decisions of the period from the audit in perfwatch.db.
// Whether the loop runs is the serving perfwatch's to say (its flags may
// differ from this command's), so the mode stays unknown.
Status AddTuning(const Config& config, TimestampMs from, ReportData& report) {
  TuningDbOptions options;
  options.path = AlertDb::PathIn(config.storage.data_dir);
  Result<std::unique_ptr<TuningDb>> db = TuningDb::Open(options);
  if (!db.ok()) return db.status();
  Result<std::vector<TuningRecord>> records = (*db)->Audit(ReportTuningFilter(from));
  if (!records.ok()) return records.status();
  Result<std::vector<Tunable>> tunables = (*db)->LoadTunables();
  if (!tunables.ok()) return tunables.status();
  FillReportTuning(*records, *tunables, ReportTuningMode::kUnknown, report);
  return Status::Ok();
}

Result<std::string> FromDataDir(const Config& config, const ReportCommand& command) {
  SeriesRegistry registry(config.storage.max_series);
  DurableStoreOptions options;
  options.data_dir = config.storage.data_dir;
  options.interval_ms = config.collect.interval_ms;
  Result<std::unique_ptr<DurableStore>> store = DurableStore::Open(registry, options);
  if (!store.ok()) return store.status();
  TimestampMs to = NowMs();
  TimestampMs from = to - static_cast<int64_t>(command.hours * 3'600'000);
  StoreSource source(registry, **store);
  AnalysisOptions analysis_options;
  Result<AnalysisReport> analysis = Analyze(source, to, analysis_options);
  if (!analysis.ok()) return analysis.status();
  Result<PeriodSummary> summary = Summarize(**store, registry, from, to);
  if (!summary.ok()) return summary.status();
  Result<std::unique_ptr<AlertDb>> db = AlertDb::Open(AlertDb::PathIn(config.storage.data_dir));
  if (!db.ok()) return db.status();
  Result<std::vector<AlertHistoryEntry>> history = (*db)->History(from, 100'000);
  if (!history.ok()) return history.status();
  Result<std::vector<Alert>> current = (*db)->LoadAlerts();
  if (!current.ok()) return current.status();
  ReportData report;
  report.host = ReportHostName();
  report.analysis = std::move(*analysis);
  report.summary = std::move(*summary);
  report.alerts = ReportAlertsFrom(*history, *current, from);
  if (Status st = AddTuning(config, from, report); !st.ok()) return st;
  return RenderReport(report, command.format);
}

}  // namespace

int RunReport(const Config& config, const ReportCommand& command) {
  Result<std::string> report = Status::Internal("no source");
  if (!command.url.empty()) {
    report = Fetch(command.url, command);
  } else {
    report = FromDataDir(config, command);
    // The serving perfwatch holds the directory: ask it instead.
    if (!report.ok() &&
        report.status().message().find("in use by another process") != std::string::npos) {
      Result<std::string> served = Fetch(ServedUrl(config), command);
      if (served.ok()) report = std::move(served);
    }
  }
  if (!report.ok()) return Fail(report.status().message());
  if (command.output == "-") {
    std::cout << *report;
    std::cout.flush();
    return std::cout ? 0 : Fail("cannot write to standard output");
  }
  std::ofstream out(command.output, std::ios::binary);
  out << *report;
  out.flush();
  if (!out) return Fail("cannot write " + command.output + ": " + std::strerror(errno));
  std::cerr << "wrote " << command.output << "\n";
  return 0;
}

}  // namespace perfwatch
