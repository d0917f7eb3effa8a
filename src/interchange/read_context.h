#pragma once
// ReadContext: what every reader shares while it reads one input: the
// options, the statistics it fills, and the rule for bad records (stop, or
// count and skip). Not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "interchange/interchange.h"

namespace perfwatch {

// "line 17" or "line 17, column 5" (column 0: none).
std::string Where(uint64_t line, uint64_t column = 0);

class ReadContext {
 public:
  // `*options` and `*stats` must outlive this ReadContext.
  ReadContext(const ReadOptions& options, ReadStats& stats) : options_(options), stats_(stats) {}

  const ReadOptions& options() const { return options_; }
  ReadStats& stats() { return stats_; }

  // A bad record: InvalidArgument "line N[, column C]: why", or, when the
  // options say to skip, counted in the stats and OK.
  Status BadRecord(uint64_t line, uint64_t column, std::string_view why);
  Status BadRecord(uint64_t line, std::string_view why) { return BadRecord(line, 0, why); }
  // An error that ends the read whatever the options say.
  static Status Fatal(uint64_t line, uint64_t column, std::string_view why);
  // The sink's `status` with the line of the record that caused it.
  static Status FromSink(uint64_t line, const Status& status);

 private:
  const ReadOptions& options_;
  ReadStats& stats_;
};

}  // namespace perfwatch
