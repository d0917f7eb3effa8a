#pragma once
// CSV history (RFC 4180): the header `metric,labels,timestamp_ms,value`,
// then one sample per row; labels in the Prometheus `{a="x"}` syntax in one
// quoted field. See README.md.

#include <memory>

#include "interchange/interchange.h"
#include "interchange/read_context.h"
#include "interchange/text_input.h"

namespace perfwatch {

inline constexpr std::string_view kCsvHeader = "metric,labels,timestamp_ms,value";

Status ReadCsv(TextInput& in, HistorySink& sink, ReadContext& context);

std::unique_ptr<HistoryWriter> MakeCsvWriter(ChunkOutput out, const WriteOptions& options);

}  // namespace perfwatch
