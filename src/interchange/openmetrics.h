#pragma once
// OpenMetrics text 1.0 history, as `promtool tsdb create-blocks-from
// openmetrics` reads it: every sample carries a timestamp in seconds, and
// the input ends with "# EOF". See README.md for what is accepted.

#include <memory>

#include "interchange/interchange.h"
#include "interchange/read_context.h"
#include "interchange/text_input.h"

namespace perfwatch {

Status ReadOpenMetrics(TextInput& in, HistorySink& sink, ReadContext& context);

std::unique_ptr<HistoryWriter> MakeOpenMetricsWriter(ChunkOutput out, const WriteOptions& options);

}  // namespace perfwatch
