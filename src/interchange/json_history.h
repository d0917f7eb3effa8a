#pragma once
// JSON history: perfwatch's own shape (what /api/v1/metrics/history
// answers: {"series":[{"metric","labels","points":[[ms,value],…]}]}, a bare
// array of such series, or JSON Lines of one series per line) and the seed
// tool's performance-history snapshots. Read with nlohmann's SAX parser,
// so only the object at hand is ever in memory. See README.md.

#include <memory>

#include "interchange/interchange.h"
#include "interchange/read_context.h"
#include "interchange/text_input.h"

namespace perfwatch {

Status ReadJson(TextInput& in, HistorySink& sink, ReadContext& context);

std::unique_ptr<HistoryWriter> MakeJsonWriter(ChunkOutput out, const WriteOptions& options);

}  // namespace perfwatch
