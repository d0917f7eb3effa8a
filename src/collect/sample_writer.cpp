#include "collect/sample_writer.h"

#include <string>

namespace perfwatch {

void DescribeAll(Appender& out, std::span<const MetricDef> defs) {
  for (const MetricDef& d : defs) {
    out.Describe(MetricMeta{std::string(d.name), d.kind, std::string(d.help), std::string(d.unit)});
  }
}

Status SampleWriter::Finish(Status source) {
  if (!source.ok()) return source;
  if (rejected_ == 0) return Status::Ok();
  std::string msg = std::to_string(rejected_) + " samples rejected; first: ";
  msg += first_error_.ToString();
  // Keep the appender's code: a full registry stays ResourceExhausted.
  switch (first_error_.code()) {
    case Status::Code::kResourceExhausted:
      return Status::ResourceExhausted(std::move(msg));
    default:
      return Status::InvalidArgument(std::move(msg));
  }
}

}  // namespace perfwatch
