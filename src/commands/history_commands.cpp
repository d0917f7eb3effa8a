#include "commands/history_commands.h"

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>

#include "interchange/history_export.h"
#include "interchange/interchange.h"
#include "model/selector.h"
#include "store/backfill.h"
#include "store/durable_store.h"

namespace perfwatch {
namespace {

int Fail(const std::string& what) {
  std::cerr << "perfwatch: " << what << "\n";
  return 1;
}

class BackfillSink final : public HistorySink {
 public:
  explicit BackfillSink(Backfill& backfill) : backfill_(backfill) {}
  Status BeginSeries(const SeriesKey& key, const MetricMeta* meta) override {
    key_ = key;
    has_meta_ = meta != nullptr;
    if (meta) meta_ = *meta;
    return Status::Ok();
  }
  Status AddSample(Sample sample) override {
    return backfill_.Add(key_, has_meta_ ? &meta_ : nullptr, sample);
  }

 private:
  Backfill& backfill_;
  SeriesKey key_;
  MetricMeta meta_;
  bool has_meta_ = false;
};

TimestampMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int RunImport(const Config& config, const ImportCommand& command) {
  Result<HistoryFormat> format = ParseHistoryFormat(command.format);
  if (!format.ok()) return Fail(format.status().message());
  std::ifstream file;
  const bool from_stdin = command.file == "-";
  if (!from_stdin) {
    file.open(command.file, std::ios::binary);
    if (!file) return Fail("cannot read " + command.file + ": " + std::strerror(errno));
    NullSink check;
    ReadStats stats;
    if (Status st = ReadHistory(*format, file, check, {}, &stats); !st.ok()) {
      return Fail(command.file + ": " + st.message() + " (nothing was imported)");
    }
    file.clear();
    file.seekg(0);
  }
  Result<std::unique_ptr<Backfill>> backfill = Backfill::Open(
      config.storage.data_dir, BlockLayout{.window_ms = config.storage.block_duration_ms});
  if (!backfill.ok()) return Fail(backfill.status().message());
  BackfillSink sink(**backfill);
  std::istream& in = from_stdin ? std::cin : file;
  ReadStats stats;
  Status st = ReadHistory(*format, in, sink, {}, &stats);
  if (st.ok()) st = (*backfill)->Finish();
  const BackfillStats& done = (*backfill)->stats();
  if (!st.ok()) {
    return Fail(command.file + ": " + st.message() + " (" + std::to_string(done.samples) +
                " samples before it were imported)");
  }
  std::cout << "imported " << done.samples << " samples of " << done.series << " series into "
            << config.storage.data_dir << " (" << done.blocks << " blocks written)\n";
  if (stats.unknown_keys > 0) {
    std::cout << "skipped " << stats.unknown_keys << " values of unknown keys:";
    for (const std::string& k : stats.unknown_key_names) std::cout << " " << k;
    std::cout << "\n";
  }
  return 0;
}

int RunExport(const Config& config, const ExportCommand& command) {
  Result<HistoryFormat> format = ParseHistoryFormat(command.format);
  if (!format.ok()) return Fail(format.status().message());
  Result<SeriesSelector> selector = SeriesSelector::Parse(command.selector);
  if (!selector.ok()) return Fail("--metric: " + selector.status().message());
  TimestampMs to = command.to_ms != ExportCommand::kUnset ? command.to_ms : NowMs();
  TimestampMs from = command.from_ms != ExportCommand::kUnset
                         ? command.from_ms
                         : to - static_cast<int64_t>(command.hours * 3'600'000);
  if (from > to) return Fail("--from is after --to");

  SeriesRegistry registry(config.storage.max_series);
  DurableStoreOptions options;
  options.data_dir = config.storage.data_dir;
  options.interval_ms = config.collect.interval_ms;
  // The export reads one window (at most an hour) of one series per query
  // and halves the window when a query is refused, so this bounds memory.
  options.head.max_points_per_query = size_t{1} << 20;
  Result<std::unique_ptr<DurableStore>> store = DurableStore::Open(registry, options);
  if (!store.ok()) {
    return Fail(store.status().message() +
                " — while perfwatch serves a directory, export through it: "
                "curl 'http://HOST:PORT/api/v1/export?metric=...&format=csv'");
  }
  std::ofstream file;
  if (command.output != "-") {
    file.open(command.output, std::ios::binary);
    if (!file) return Fail("cannot write " + command.output + ": " + std::strerror(errno));
  }
  std::ostream& out = command.output == "-" ? std::cout : file;
  HistoryExport history(registry, **store, selector->Select(registry), ExportRange{from, to},
                        *format);
  std::string piece;
  for (bool more = true; more;) {
    Result<bool> next = history.Next(&piece);
    if (!next.ok()) return Fail(next.status().message());
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    more = *next;
  }
  out.flush();
  std::cerr << "exported " << history.samples() << " samples\n";
  return out ? 0 : Fail("write failed: " + std::string(std::strerror(errno)));
}

}  // namespace perfwatch
