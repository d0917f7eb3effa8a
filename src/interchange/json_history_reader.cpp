// Reads JSON history with nlohmann's SAX parser: events arrive one token at
// a time and only the object at hand is kept (its metric, labels and, for a
// seed snapshot, nine numbers). Each object is classified by the first key
// that tells: "points" makes it a series, "timestamp" or a mapped seed key
// a snapshot, "series"/"history" (at the top) a wrapper around a list.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "interchange/iso8601.h"
#include "interchange/json_history.h"
#include "interchange/prom_text.h"
#include "interchange/seed_history.h"

namespace perfwatch {
namespace {

using json = nlohmann::json;

enum class Role { kUndecided, kSeries, kSnapshot, kWrapper };

enum class Field {
  kNone,
  kMetric,
  kLabels,
  kType,
  kHelp,
  kUnit,
  kPoints,
  kSeriesList,
  kHistoryList,
  kTimestamp,
  kSeedValue,
  kOther,
};

// The object being read: a series, a snapshot or a wrapper.
struct Element {
  Role role = Role::kUndecided;
  Role required = Role::kUndecided;  // what the enclosing list holds
  bool root = false;
  uint64_t line = 0;
  Field field = Field::kNone;  // what the next value belongs to
  std::string key;             // the key of that value
  // Series.
  std::optional<std::string> metric;
  std::optional<Labels> labels;
  std::string type, help, unit;
  bool streaming = false;  // metric and labels came before "points"
  bool begun = false;      // BeginSeries called
  SeriesKey series_key;
  std::optional<MetricMeta> meta;
  std::vector<Sample> buffered;
  // Snapshot.
  const SeedMetricMapping* seed = nullptr;  // of the next value
  std::optional<TimestampMs> time;
  std::vector<std::pair<const SeedMetricMapping*, double>> values;
  std::vector<std::string> undecided_keys;  // keys seen before the role was known
  bool bad = false;                         // a skipped snapshot
};

enum class FrameKind { kElement, kElementList, kLabels, kPoints, kPoint, kSkip };

struct Frame {
  explicit Frame(FrameKind k, Role r = Role::kUndecided) : kind(k), required(r) {}
  FrameKind kind;
  Role required = Role::kUndecided;  // kElementList
  // kPoint
  int index = 0;
  bool bad = false;
  Sample sample;
};

class HistorySax {
 public:
  HistorySax(TextInput& in, HistorySink& sink, ReadContext& context)
      : in_(in), sink_(sink), context_(context) {
    for (const SeedMetricMapping& m : SeedMetricMappings()) {
      seed_keys_.push_back(SeedSeriesKey(m));
      seed_meta_.push_back(SeedMetricMeta(m));
    }
  }

  const Status& status() const { return status_; }

  // nlohmann SAX events.
  bool null() { return Scalar(Value{Value::kNull}); }
  bool boolean(bool) { return Scalar(Value{Value::kOtherScalar}); }
  bool number_integer(json::number_integer_t v) {
    return Scalar(Value{Value::kInteger, static_cast<double>(v), v});
  }
  bool number_unsigned(json::number_unsigned_t v) {
    Value value{Value::kInteger, static_cast<double>(v), static_cast<int64_t>(v)};
    if (v > static_cast<uint64_t>(INT64_MAX)) value.integer_fits = false;
    return Scalar(value);
  }
  bool number_float(json::number_float_t v, const json::string_t&) {
    return Scalar(Value{Value::kFloat, v});
  }
  bool string(json::string_t& s) { return Scalar(Value{Value::kString, 0, 0, true, &s}); }
  bool binary(json::binary_t&) { return Scalar(Value{Value::kOtherScalar}); }
  bool start_object(std::size_t) { return Start(true); }
  bool start_array(std::size_t) { return Start(false); }
  bool key(json::string_t& k);
  bool end_object() { return End(); }
  bool end_array() { return End(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex);

 private:
  struct Value {
    enum Kind { kNull, kOtherScalar, kInteger, kFloat, kString } kind;
    double number = 0;
    int64_t integer = 0;
    bool integer_fits = true;
    json::string_t* text = nullptr;
    bool IsNumber() const { return kind == kInteger || kind == kFloat; }
  };

  bool Fail(Status status) {
    status_ = std::move(status);
    return false;
  }
  bool Fatal(std::string_view why) {
    return Fail(ReadContext::Fatal(in_.last_line(), in_.last_column(), why));
  }
  // A bad point or snapshot: stops the read, or is counted and skipped.
  bool Bad(std::string_view why) {
    Status s = context_.BadRecord(in_.last_line(), in_.last_column(), why);
    return s.ok() || Fail(std::move(s));
  }
  bool Push(FrameKind kind) {
    frames_.push_back(Frame(kind));
    return true;
  }

  bool Scalar(const Value& v);
  bool Start(bool object);
  bool End();
  bool ElementValue(Element& e, const Value* v, std::optional<bool> start_object);
  bool ElementContainer(Element& e, Field field, bool object);
  // A bad snapshot: stops the read, or is skipped (e.bad) and counted once.
  bool BadSnapshot(Element& e, std::string_view why) {
    e.bad = true;
    return Bad(why);
  }
  bool PointValue(Frame& f, const Value* v);
  bool DecideRole(Element& e, Role role);
  void CountUnknownKey(const std::string& name);
  bool PrepareSeries(Element& e);
  bool Deliver(Element& e, Sample sample);
  bool FinishElement(Element& e);
  bool FinishSnapshot(Element& e);

  TextInput& in_;
  HistorySink& sink_;
  ReadContext& context_;
  Status status_;
  std::vector<Frame> frames_;
  std::vector<Element> elements_;  // a wrapper and the element inside it, at most
  std::string label_name_;
  std::vector<Label> label_buffer_;
  std::vector<SeriesKey> seed_keys_;  // per SeedMetricMappings() entry
  std::vector<MetricMeta> seed_meta_;
};

Field Classify(std::string_view k, const SeedMetricMapping** seed) {
  if (k == "metric") return Field::kMetric;
  if (k == "labels") return Field::kLabels;
  if (k == "type") return Field::kType;
  if (k == "help") return Field::kHelp;
  if (k == "unit") return Field::kUnit;
  if (k == "points") return Field::kPoints;
  if (k == "series") return Field::kSeriesList;
  if (k == "history") return Field::kHistoryList;
  if (k == kSeedTimestampKey) return Field::kTimestamp;
  *seed = FindSeedMetric(k);
  return *seed ? Field::kSeedValue : Field::kOther;
}

bool IsSeriesField(Field f) {
  return f == Field::kMetric || f == Field::kLabels || f == Field::kType || f == Field::kHelp ||
         f == Field::kUnit || f == Field::kPoints;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSeries:
      return "a series object (with \"points\")";
    case Role::kSnapshot:
      return "a snapshot object (with \"timestamp\")";
    default:
      return "an object";
  }
}

void HistorySax::CountUnknownKey(const std::string& name) {
  ReadStats& stats = context_.stats();
  ++stats.unknown_keys;
  auto& names = stats.unknown_key_names;
  if (names.size() < kMaxKeptUnknownKeys &&
      std::find(names.begin(), names.end(), name) == names.end()) {
    names.push_back(name);
  }
}

bool HistorySax::DecideRole(Element& e, Role role) {
  if (e.required != Role::kUndecided && role != e.required) {
    return Fatal("expected " + std::string(RoleName(e.required)) + " in this list");
  }
  e.role = role;
  if (role == Role::kSnapshot) {
    for (const std::string& k : e.undecided_keys) CountUnknownKey(k);
  }
  e.undecided_keys.clear();
  return true;
}

bool HistorySax::key(json::string_t& k) {
  if (frames_.empty()) return Fatal("unexpected key");
  Frame& f = frames_.back();
  if (f.kind == FrameKind::kLabels) {
    label_name_ = k;
    return true;
  }
  if (f.kind != FrameKind::kElement) return true;  // inside a skipped object
  Element& e = elements_.back();
  const SeedMetricMapping* seed = nullptr;
  Field field = Classify(k, &seed);
  if (e.role == Role::kUndecided) {
    Role implied = Role::kUndecided;
    if (field == Field::kPoints) implied = Role::kSeries;
    if ((field == Field::kSeriesList || field == Field::kHistoryList) && e.root) {
      implied = Role::kWrapper;
    }
    if (field == Field::kTimestamp || field == Field::kSeedValue) implied = Role::kSnapshot;
    if (implied != Role::kUndecided && !DecideRole(e, implied)) return false;
    if (e.role == Role::kUndecided) {
      // Counted as unknown keys if the object turns out to be a snapshot.
      if (e.undecided_keys.size() < kMaxKeptUnknownKeys) e.undecided_keys.push_back(k);
      if (field == Field::kSeriesList || field == Field::kHistoryList) field = Field::kOther;
    }
  }
  switch (e.role) {
    case Role::kSeries:
      if (!IsSeriesField(field)) field = Field::kOther;
      if (e.streaming && field != Field::kPoints && field != Field::kOther) {
        return Fatal("\"" + k + "\" must come before \"points\"");
      }
      break;
    case Role::kSnapshot:
      if (field != Field::kTimestamp && field != Field::kSeedValue) {
        CountUnknownKey(k);
        field = Field::kOther;
      }
      break;
    case Role::kWrapper:
      if (field != Field::kSeriesList && field != Field::kHistoryList) field = Field::kOther;
      break;
    case Role::kUndecided:
      break;
  }
  e.field = field;
  e.key = k;
  e.seed = seed;
  return true;
}

bool HistorySax::Scalar(const Value& v) {
  if (frames_.empty()) return Fatal("expected an object or an array at the top level");
  Frame& f = frames_.back();
  switch (f.kind) {
    case FrameKind::kElement:
      return ElementValue(elements_.back(), &v, std::nullopt);
    case FrameKind::kElementList:
      return Bad("expected " + std::string(RoleName(f.required)) + ", not a scalar");
    case FrameKind::kLabels:
      if (v.kind != Value::kString) {
        return Fatal("the value of label \"" + label_name_ + "\" must be a string");
      }
      label_buffer_.push_back({label_name_, *v.text});
      return true;
    case FrameKind::kPoints:
      return Bad("each point must be an array [ms, value]");
    case FrameKind::kPoint:
      return PointValue(f, &v);
    case FrameKind::kSkip:
      return true;
  }
  return true;
}

bool HistorySax::Start(bool object) {
  if (frames_.empty()) {
    if (!object) {
      frames_.push_back(Frame(FrameKind::kElementList));
      return true;
    }
    elements_.push_back(Element{});
    elements_.back().root = true;
    elements_.back().line = in_.last_line();
    return Push(FrameKind::kElement);
  }
  Frame& f = frames_.back();
  switch (f.kind) {
    case FrameKind::kElement:
      return ElementValue(elements_.back(), nullptr, object);
    case FrameKind::kElementList:
      if (!object) {
        if (!Bad("expected " + std::string(RoleName(f.required)) + ", not an array")) return false;
        return Push(FrameKind::kSkip);
      }
      {
        Role required = f.required;
        elements_.push_back(Element{});
        elements_.back().required = required;
        elements_.back().line = in_.last_line();
      }
      return Push(FrameKind::kElement);
    case FrameKind::kLabels:
      return Fatal("the value of label \"" + label_name_ + "\" must be a string");
    case FrameKind::kPoints:
      if (object) {
        if (!Bad("each point must be an array [ms, value]")) return false;
        return Push(FrameKind::kSkip);
      }
      return Push(FrameKind::kPoint);
    case FrameKind::kPoint:
      if (!f.bad) {
        f.bad = true;
        if (!Bad("a point holds numbers, not objects or arrays")) return false;
      }
      return Push(FrameKind::kSkip);
    case FrameKind::kSkip:
      return Push(FrameKind::kSkip);
  }
  return true;
}

bool HistorySax::End() {
  Frame f = frames_.back();
  frames_.pop_back();
  switch (f.kind) {
    case FrameKind::kElement: {
      bool ok = FinishElement(elements_.back());
      elements_.pop_back();
      return ok;
    }
    case FrameKind::kLabels: {
      Result<Labels> labels = Labels::Make(std::move(label_buffer_));
      label_buffer_.clear();
      if (!labels.ok()) return Fatal(labels.status().message());
      elements_.back().labels = std::move(labels).value();
      return true;
    }
    case FrameKind::kPoint:
      if (f.bad) return true;
      if (f.index != 2) return Bad("a point must be [ms, value]");
      return Deliver(elements_.back(), f.sample);
    case FrameKind::kElementList:
    case FrameKind::kPoints:
    case FrameKind::kSkip:
      return true;
  }
  return true;
}

// A value inside an element: a scalar (`v`) or the start of an object
// (`start_object` true) or array (false).
bool HistorySax::ElementValue(Element& e, const Value* v, std::optional<bool> start_object) {
  Field field = e.field;
  e.field = Field::kNone;
  if (start_object.has_value()) return ElementContainer(e, field, *start_object);
  bool is_string = v->kind == Value::kString;
  bool is_null = v->kind == Value::kNull;
  switch (field) {
    case Field::kMetric:
      if (!is_string) return Fatal("\"metric\" must be a string");
      e.metric = *v->text;
      return true;
    case Field::kType:
    case Field::kHelp:
    case Field::kUnit:
      if (is_null) return true;
      if (!is_string) return Fatal("\"" + e.key + "\" must be a string");
      (field == Field::kType ? e.type : field == Field::kHelp ? e.help : e.unit) = *v->text;
      return true;
    case Field::kLabels:
      if (!is_null) return Fatal("\"labels\" must be an object");
      e.labels = Labels();
      return true;
    case Field::kPoints:
      return is_null || Fatal("\"points\" must be an array");
    case Field::kSeriesList:
    case Field::kHistoryList:
      return Fatal("\"" + e.key + "\" must be an array");
    case Field::kTimestamp:
      if (e.bad) return true;
      if (is_string) {
        Result<TimestampMs> t =
            ParseIso8601(*v->text, context_.options().naive_time_offset_minutes);
        if (!t.ok()) return BadSnapshot(e, t.status().message());
        e.time = *t;
      } else if (v->IsNumber() && std::fabs(v->number) < 9.2e15) {
        e.time = std::llround(v->number * 1000.0);
      } else {
        return BadSnapshot(e, "\"timestamp\" must be ISO 8601 text or Unix seconds");
      }
      return true;
    case Field::kSeedValue:
      if (e.bad || is_null) return true;
      if (!v->IsNumber()) return BadSnapshot(e, "\"" + e.key + "\" must be a number");
      e.values.emplace_back(e.seed, v->number);
      return true;
    case Field::kNone:
    case Field::kOther:
      return true;
  }
  return true;
}

bool HistorySax::ElementContainer(Element& e, Field field, bool object) {
  switch (field) {
    case Field::kMetric:
    case Field::kType:
    case Field::kHelp:
    case Field::kUnit:
      return Fatal("\"" + e.key + "\" must be a string");
    case Field::kLabels:
      if (!object) return Fatal("\"labels\" must be an object");
      label_buffer_.clear();
      return Push(FrameKind::kLabels);
    case Field::kPoints:
      if (object) return Fatal("\"points\" must be an array");
      if (e.metric && e.labels && !e.streaming) {
        if (!PrepareSeries(e)) return false;
        e.streaming = true;
        // Points of an earlier "points" key, before "metric" and "labels"
        // (a duplicate key): they belong to the series as much as these.
        for (Sample s : e.buffered) {
          if (!Deliver(e, s)) return false;
        }
        e.buffered = {};
      }
      return Push(FrameKind::kPoints);
    case Field::kSeriesList:
    case Field::kHistoryList:
      if (object) return Fatal("\"" + e.key + "\" must be an array");
      frames_.push_back(Frame(FrameKind::kElementList,
                              field == Field::kSeriesList ? Role::kSeries : Role::kSnapshot));
      return true;
    case Field::kTimestamp:
    case Field::kSeedValue:
      if (!e.bad && !BadSnapshot(e, "\"" + e.key + "\" must be a scalar")) return false;
      return Push(FrameKind::kSkip);
    case Field::kNone:
    case Field::kOther:
      return Push(FrameKind::kSkip);
  }
  return Push(FrameKind::kSkip);
}

bool HistorySax::PointValue(Frame& f, const Value* v) {
  int index = f.index++;
  if (f.bad) return true;
  if (index == 0) {
    if (v->kind == Value::kInteger && v->integer_fits) {
      f.sample.t_ms = v->integer;
      return true;
    }
    f.bad = true;
    return Bad("a point's time must be whole milliseconds (an int64 integer)");
  }
  if (index == 1) {
    if (v->IsNumber()) {
      f.sample.value = v->number;
      return true;
    }
    if (v->kind == Value::kNull) {
      f.sample.value = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (v->kind == Value::kString && ParsePromFloat(*v->text, &f.sample.value)) return true;
    f.bad = true;
    return Bad("a point's value must be a number, null, \"NaN\", \"+Inf\" or \"-Inf\"");
  }
  f.bad = true;
  return Bad("a point must be [ms, value]");
}

// Checks the metric name and type and builds the key and metadata.
bool HistorySax::PrepareSeries(Element& e) {
  if (!e.metric) return Fatal("a series object without \"metric\"");
  if (!IsValidMetricName(*e.metric)) return Fatal("invalid metric name \"" + *e.metric + "\"");
  e.series_key.name = *e.metric;
  e.series_key.labels = e.labels.value_or(Labels());
  if (e.type == "counter" || e.type == "gauge") {
    e.meta = MetricMeta{*e.metric, e.type == "counter" ? MetricKind::kCounter : MetricKind::kGauge,
                        e.help, e.unit};
  } else if (!e.type.empty() && e.type != "untyped" && e.type != "unknown") {
    return Fatal("unknown metric type \"" + e.type + "\" (gauge, counter, untyped)");
  }
  return true;
}

bool HistorySax::Deliver(Element& e, Sample sample) {
  if (!e.streaming) {
    if (e.buffered.size() >= context_.options().max_buffered_points) {
      return Fatal("more than " + std::to_string(e.buffered.size()) +
                   " points before the series' \"metric\" and \"labels\"; put those first");
    }
    e.buffered.push_back(sample);
    return true;
  }
  if (!e.begun) {
    Status s = sink_.BeginSeries(e.series_key, e.meta ? &*e.meta : nullptr);
    if (!s.ok()) return Fail(ReadContext::FromSink(in_.last_line(), s));
    e.begun = true;
  }
  Status s = sink_.AddSample(sample);
  if (!s.ok()) return Fail(ReadContext::FromSink(in_.last_line(), s));
  ++context_.stats().samples;
  return true;
}

bool HistorySax::FinishElement(Element& e) {
  switch (e.role) {
    case Role::kSeries:
      if (e.streaming || e.buffered.empty()) return true;
      if (!PrepareSeries(e)) return false;
      e.streaming = true;
      for (Sample s : e.buffered) {
        if (!Deliver(e, s)) return false;
      }
      e.buffered = {};
      return true;
    case Role::kSnapshot:
      return FinishSnapshot(e);
    case Role::kWrapper:
      return true;
    case Role::kUndecided:
      if (e.metric) return true;  // a series without points
      return Bad(
          "an object that is neither a series (no \"points\") nor a snapshot (no "
          "\"timestamp\")");
  }
  return true;
}

bool HistorySax::FinishSnapshot(Element& e) {
  if (e.bad) return true;
  if (!e.time) {
    Status s = context_.BadRecord(e.line, 0, "a snapshot without \"timestamp\"");
    return s.ok() || Fail(std::move(s));
  }
  auto mappings = SeedMetricMappings();
  for (auto [mapping, value] : e.values) {
    size_t i = static_cast<size_t>(mapping - mappings.data());
    Status s = sink_.BeginSeries(seed_keys_[i], &seed_meta_[i]);
    if (s.ok()) s = sink_.AddSample({*e.time, value / mapping->divisor});
    if (!s.ok()) return Fail(ReadContext::FromSink(e.line, s));
    ++context_.stats().samples;
  }
  return true;
}

bool HistorySax::parse_error(std::size_t, const std::string&,
                             const nlohmann::detail::exception& ex) {
  // what() is "[json.exception.parse_error.101] parse error at line 1,
  // column 2: syntax error …"; keep the part after the position, whose
  // line would restart at 1 for every JSON Lines record.
  std::string_view what = ex.what();
  size_t column = what.find("column ");
  size_t colon = column == std::string_view::npos ? column : what.find(": ", column);
  if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  if (in_.failed()) return Fail(Status::IOError("reading the input failed"));
  return Fatal(what);
}

bool SkipWhitespace(TextInput& in) {
  for (;;) {
    int c = in.Peek();
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return c >= 0;
    in.Get();
  }
}

}  // namespace

Status ReadJson(TextInput& in, HistorySink& sink, ReadContext& context) {
  HistorySax sax(in, sink, context);
  size_t values = 0;
  // One JSON text, or several (JSON Lines): each is read by its own call.
  while (SkipWhitespace(in)) {
    bool ok = json::sax_parse(TextInputIterator(&in), TextInputIterator(), &sax,
                              json::input_format_t::json,
                              /*strict=*/false);
    context.stats().lines = in.last_line();
    if (!ok) return sax.status();
    ++values;
  }
  if (in.failed()) return Status::IOError("reading the input failed at " + Where(in.line()));
  if (values == 0) return ReadContext::Fatal(1, 0, "empty input; expected JSON");
  return Status::Ok();
}

}  // namespace perfwatch
