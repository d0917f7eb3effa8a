#include "interchange/interchange.h"

#include <istream>

#include "interchange/csv_history.h"
#include "interchange/json_history.h"
#include "interchange/openmetrics.h"
#include "interchange/read_context.h"
#include "interchange/text_input.h"

namespace perfwatch {

Result<HistoryFormat> ParseHistoryFormat(std::string_view name) {
  if (name == "openmetrics") return HistoryFormat::kOpenMetrics;
  if (name == "csv") return HistoryFormat::kCsv;
  if (name == "json") return HistoryFormat::kJson;
  return Status::InvalidArgument("unknown format \"" + std::string(name) +
                                 "\" (allowed: openmetrics, csv, json)");
}

std::string_view ToString(HistoryFormat format) {
  switch (format) {
    case HistoryFormat::kOpenMetrics:
      return "openmetrics";
    case HistoryFormat::kCsv:
      return "csv";
    case HistoryFormat::kJson:
      return "json";
  }
  return "json";
}

std::string_view ContentType(HistoryFormat format) {
  switch (format) {
    case HistoryFormat::kOpenMetrics:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case HistoryFormat::kCsv:
      return "text/csv; charset=utf-8; header=present";
    case HistoryFormat::kJson:
      return "application/json";
  }
  return "application/json";
}

Status ReadHistory(HistoryFormat format, std::istream& in, HistorySink& sink,
                   const ReadOptions& options, ReadStats* stats) {
  ReadStats local;
  ReadStats& out = stats ? *stats : local;
  out = ReadStats();
  if (!in) return Status::IOError("the input stream is not readable");
  TextInput input(in);
  ReadContext context(options, out);
  switch (format) {
    case HistoryFormat::kOpenMetrics:
      return ReadOpenMetrics(input, sink, context);
    case HistoryFormat::kCsv:
      return ReadCsv(input, sink, context);
    case HistoryFormat::kJson:
      return ReadJson(input, sink, context);
  }
  return Status::Internal("unknown history format");
}

std::unique_ptr<HistoryWriter> MakeHistoryWriter(HistoryFormat format, ChunkOutput out,
                                                 const WriteOptions& options) {
  switch (format) {
    case HistoryFormat::kOpenMetrics:
      return MakeOpenMetricsWriter(std::move(out), options);
    case HistoryFormat::kCsv:
      return MakeCsvWriter(std::move(out), options);
    case HistoryFormat::kJson:
      return MakeJsonWriter(std::move(out), options);
  }
  return nullptr;
}

}  // namespace perfwatch
