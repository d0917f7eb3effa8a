#pragma once
// Appender: the one interface every source of samples writes to. A source
// never knows who reads its samples (store, rules, WebSocket).

#include <string_view>

#include "model/labels.h"
#include "model/metric.h"
#include "model/status.h"

namespace perfwatch {

class Appender {
 public:
  virtual ~Appender() = default;

  // Declares a metric family's type, help and unit (first one wins).
  virtual void Describe(const MetricMeta& meta) = 0;

  // Adds one sample of series name{labels}, stamped with the batch's time.
  // Fails on an invalid name or a full registry; the caller counts the
  // failure and goes on with its other samples.
  virtual Status Append(std::string_view name, const Labels& labels, double value) = 0;
};

}  // namespace perfwatch
