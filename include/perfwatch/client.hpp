#pragma once
// perfwatch client: a C++ program's metrics sent to perfwatch as DogStatsD
// over UDP. Header-only, C++17 or later, standard library and POSIX sockets.
//
//   #include <perfwatch/client.hpp>
//
//   perfwatch::Client pw;  // PERFWATCH_STATSD / PERFWATCH_APP, else 127.0.0.1:8125
//   perfwatch::Counter& hits = pw.GetCounter("shop.cache.hits");
//   hits.Add(1);                               // a relaxed atomic, from any thread
//   pw.GetGauge("shop.cache.size").Set(1234);
//   {
//     auto t = pw.Time("Data Loading");       // component timer
//     LoadData();
//   }                                          // records the elapsed milliseconds
//   pw.Timing("api.request", 12.5, {{"status", "200"}});
//
// What perfwatch makes of it (docs/METRICS.md): the counter "shop.cache.hits"
// becomes shop_cache_hits_total, a gauge keeps its name (dots become
// underscores), the timer "api.request" the summary api_request_milliseconds,
// tags become labels and ClientOptions::app the label `app`. Time("X") records
// the timer "component.duration" tagged component:X, which perfwatch serves as
// component_duration_milliseconds{component="X"} and GET /api/v1/components.
//
// Guarantees: nothing throws (allocation failure is caught and counted in
// ClientStats) and no recording call waits for I/O. Counter, Gauge and
// Histogram calls are lock-free atomics or a lock held for a few stores. A
// background thread sends every flush_interval: counters as the delta since
// the previous send ("name:3|c|#tags"), gauges as their value, observations
// as multi-value lines ("name:1.5:2|ms|#tags"), packed into datagrams of at
// most max_packet_bytes and sent with non-blocking sendto. Send failures (no
// perfwatch listening, a full socket buffer, a host that does not resolve)
// are counted and the data dropped: a program runs the same with or without
// perfwatch.
//
// Names and tags are sanitized so no caller can break a datagram: metric
// names keep [A-Za-z0-9_.] and tag keys [A-Za-z0-9_] (other bytes become '_',
// a leading digit gets a '_' before it); tag values lose ':' '|' '@' '#' ','
// control bytes and invalid UTF-8 (each becomes '_'). Tags are sent sorted by
// key; a tag with an empty value is left out, as Prometheus treats an empty
// label as no label.
//
// Thread-safety: Client and every metric it returns are safe to use from any
// number of threads. A metric reference stays valid while its Client lives; a
// Timer must not outlive the Client that made it.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace perfwatch {

// Tags of a metric, as (key, value) pairs: {{"status", "200"}, {"route", "/cart"}}.
using Tags = std::vector<std::pair<std::string, std::string>>;

struct ClientOptions {
  // perfwatch's StatsD listener (perfwatch --statsd-listen). A numeric address
  // is used at once; a name is resolved on the background thread.
  std::string host = "127.0.0.1";
  uint16_t port = 8125;
  // Put before every metric name with a '.' ("shop" + "orders" sends
  // "shop.orders"); component timers keep their fixed name.
  std::string prefix;
  // Sent as the tag app:<app> on every metric that has no `app` tag of its
  // own; nothing when empty.
  std::string app;
  // Tags of every metric; a metric's own tag of the same key wins.
  Tags tags;
  // How often the background thread sends what was recorded.
  std::chrono::milliseconds flush_interval{1000};
  // Largest datagram payload. 1432 bytes fit a 1500-byte MTU with room for
  // IP and UDP headers (DogStatsD's default); loopback could take 8192.
  size_t max_packet_bytes = 1432;
  // Observations a histogram or timer keeps per flush interval (memory: two
  // buffers of this many doubles per metric). Beyond it a uniform sample of
  // this size is kept (reservoir sampling) and sent with the sample rate
  // "|@kept/seen", so perfwatch's counts stay right; the rest is dropped and
  // counted in ClientStats::observations_dropped.
  size_t max_observations = 1000;

  // Defaults overridden by PERFWATCH_STATSD ("host:port", "host" or
  // "[v6addr]:port") and PERFWATCH_APP when they are set.
  static ClientOptions FromEnvironment() noexcept;
};

// What a Client did so far; every field only grows.
struct ClientStats {
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  // sendto failed (ECONNREFUSED, EAGAIN, no route...) or no address yet.
  uint64_t send_errors = 0;
  uint64_t resolve_errors = 0;  // failed look-ups of ClientOptions::host
  // Observations beyond max_observations in one interval.
  uint64_t observations_dropped = 0;
  // NaN or infinite values and negative counter deltas: ignored.
  uint64_t invalid_values = 0;
  // Metric lines longer than max_packet_bytes on their own: not sent.
  uint64_t lines_dropped = 0;
  // Allocation failures: a Get* call returned an unregistered metric whose
  // values are never sent, or a flush was cut short.
  uint64_t allocation_failures = 0;
};

// How a Histogram goes on the wire: "ms" (perfwatch: summary name_milliseconds),
// "h" or "d" (summary name, no unit).
enum class HistogramType : uint8_t { kTimer, kHistogram, kDistribution };

class Client;
class Histogram;

namespace detail {

struct Counts {
  std::atomic<uint64_t> packets_sent{0};
  std::atomic<uint64_t> bytes_sent{0};
  std::atomic<uint64_t> send_errors{0};
  std::atomic<uint64_t> resolve_errors{0};
  std::atomic<uint64_t> observations_dropped{0};
  std::atomic<uint64_t> invalid_values{0};
  std::atomic<uint64_t> lines_dropped{0};
  std::atomic<uint64_t> allocation_failures{0};

  static void Bump(std::atomic<uint64_t>& n, uint64_t by = 1) noexcept {
    n.fetch_add(by, std::memory_order_relaxed);
  }
};

// What every metric knows about itself: its wire name and tags section,
// fixed at registration, read by the flushing thread only.
struct MetricWire {
  std::string name;  // sanitized, prefix included
  std::string tags;  // "|#k:v,k2:v2" or ""
  Counts* counts = nullptr;
};

// Shortest text that reads back as `v` (std::to_chars where the library has
// it for doubles). `buf` must hold 32 chars.
inline size_t FormatNumber(double v, char* buf) noexcept {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  std::to_chars_result r = std::to_chars(buf, buf + 32, v);
  return static_cast<size_t>(r.ptr - buf);
#else
  for (int precision = 15; precision <= 17; ++precision) {
    int n = std::snprintf(buf, 32, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v || precision == 17) return static_cast<size_t>(n);
  }
  return 0;
#endif
}

inline size_t FormatNumber(int64_t v, char* buf) noexcept {
  return static_cast<size_t>(std::to_chars(buf, buf + 32, v).ptr - buf);
}

inline bool IsAsciiAlnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Metric names keep [A-Za-z0-9_.]; tag keys [A-Za-z0-9_]. Prometheus names
// cannot start with a digit.
inline void AppendIdentifier(std::string& out, std::string_view in, bool keep_dots) {
  if (!in.empty() && in[0] >= '0' && in[0] <= '9') out += '_';
  for (char c : in) out += IsAsciiAlnum(c) || c == '_' || (keep_dots && c == '.') ? c : '_';
}

// Length of the valid UTF-8 sequence at s[0], or 0 when it is not one.
inline size_t Utf8SequenceLength(std::string_view s) noexcept {
  const auto b0 = static_cast<unsigned char>(s[0]);
  size_t n = b0 < 0x80                  ? 1
             : b0 >= 0xC2 && b0 <= 0xDF ? 2
             : b0 >= 0xE0 && b0 <= 0xEF ? 3
             : b0 >= 0xF0 && b0 <= 0xF4 ? 4
                                        : 0;
  if (n == 0 || n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0;
  }
  const auto b1 = static_cast<unsigned char>(n > 1 ? s[1] : 0);
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F)) return 0;  // overlong, surrogate
  if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F)) return 0;  // overlong, > U+10FFFF
  return n;
}

inline void AppendTagValue(std::string& out, std::string_view in) {
  while (!in.empty()) {
    const size_t n = Utf8SequenceLength(in);
    const char c = in[0];
    const bool breaks_wire = c == ':' || c == '|' || c == '@' || c == '#' || c == ',' ||
                             static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
    if (n == 0 || (n == 1 && breaks_wire)) {
      out += '_';
      in.remove_prefix(1);
    } else {
      out.append(in.data(), n);
      in.remove_prefix(n);
    }
  }
}

// "|#k:v,..." from the app tag, the client's tags, the metric's own and
// `last` (when its key is not empty), in rising priority; sorted by key, the
// last of a key wins.
inline std::string WireTags(std::string_view app, const Tags& common, const Tags& own,
                            std::pair<std::string_view, std::string_view> last) {
  std::vector<std::pair<std::string, std::string>> all;
  auto add = [&all](std::string_view key, std::string_view value) {
    std::pair<std::string, std::string> tag;
    AppendIdentifier(tag.first, key, false);
    AppendTagValue(tag.second, value);
    if (!tag.first.empty()) all.push_back(std::move(tag));
  };
  if (!app.empty()) add("app", app);
  for (const auto& [key, value] : common) add(key, value);
  for (const auto& [key, value] : own) add(key, value);
  if (!last.first.empty()) add(last.first, last.second);
  std::stable_sort(all.begin(), all.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (size_t i = 0; i < all.size(); ++i) {
    const bool overridden = i + 1 < all.size() && all[i + 1].first == all[i].first;
    if (overridden || all[i].second.empty()) continue;
    out += out.empty() ? "|#" : ",";
    out += all[i].first;
    out += ':';
    out += all[i].second;
  }
  return out;
}

// Resolves the destination and sends datagrams without blocking. Used by
// one thread at a time (the Client's flush lock).
class UdpSender {
 public:
  // `*host` must outlive the sender.
  UdpSender(const std::string* host, uint16_t port, Counts* counts) noexcept
      : host_(host), port_(port), counts_(counts) {
    Resolve(AI_NUMERICHOST, /*count_failure=*/false);
  }
  ~UdpSender() {
    if (fd_ >= 0) ::close(fd_);
  }
  UdpSender(const UdpSender&) = delete;
  UdpSender& operator=(const UdpSender&) = delete;

  // Looks the host up unless it is known; a failed name is tried again after
  // kRetry, and only by a caller that may wait (`may_retry`).
  void EnsureResolved(bool may_retry) noexcept {
    if (fd_ >= 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (attempted_ && (!may_retry || now - last_attempt_ < kRetry)) return;
    attempted_ = true;
    last_attempt_ = now;
    Resolve(0, /*count_failure=*/true);
  }

  void Send(std::string_view packet) noexcept {
    if (packet.empty()) return;
    if (fd_ < 0) return Counts::Bump(counts_->send_errors);
    ssize_t n;
    do {
      n = ::sendto(fd_, packet.data(), packet.size(), MSG_DONTWAIT | kNoSignal,
                   reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Counts::Bump(counts_->send_errors);
    Counts::Bump(counts_->packets_sent);
    Counts::Bump(counts_->bytes_sent, static_cast<uint64_t>(n));
  }

 private:
  static constexpr std::chrono::seconds kRetry{10};
#ifdef SOCK_CLOEXEC
  static constexpr int kCloseOnExec = SOCK_CLOEXEC;
#else
  static constexpr int kCloseOnExec = 0;
#endif
#ifdef MSG_NOSIGNAL
  static constexpr int kNoSignal = MSG_NOSIGNAL;
#else
  static constexpr int kNoSignal = 0;
#endif

  void Resolve(int flags, bool count_failure) noexcept {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = flags | AI_NUMERICSERV;
    char port[8];
    std::snprintf(port, sizeof(port), "%u", static_cast<unsigned>(port_));
    addrinfo* found = nullptr;
    if (::getaddrinfo(host_->c_str(), port, &hints, &found) != 0 || found == nullptr) {
      if (count_failure) Counts::Bump(counts_->resolve_errors);
      return;
    }
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      if (a->ai_addrlen > sizeof(addr_)) continue;
      fd_ = ::socket(a->ai_family, SOCK_DGRAM | kCloseOnExec, 0);
      std::memcpy(&addr_, a->ai_addr, a->ai_addrlen);
      addr_len_ = static_cast<socklen_t>(a->ai_addrlen);
    }
    ::freeaddrinfo(found);
    if (fd_ < 0 && count_failure) Counts::Bump(counts_->resolve_errors);
  }

  const std::string* host_;
  uint16_t port_;
  Counts* counts_;
  int fd_ = -1;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  bool attempted_ = false;
  std::chrono::steady_clock::time_point last_attempt_{};
};

// Packs metric lines into datagrams of at most `max_bytes`. Single-threaded.
class PacketWriter {
 public:
  PacketWriter(size_t max_bytes, UdpSender* sender, Counts* counts)
      : max_(max_bytes), sender_(sender), counts_(counts) {
    packet_.reserve(max_);
  }

  // Writes name ':' v0 ':' v1 ... tail for values 0..n-1, where
  // format(i, buf) writes value i into buf[32] and returns its length. The
  // values go on as many lines (and datagrams) as they need.
  template <typename Format>
  void Values(std::string_view name, size_t n, Format&& format, std::string_view tail) {
    char buf[32];
    size_t i = 0;
    while (i < n) {
      size_t len = format(i, buf);
      if (!Fits(name.size() + 1 + len + tail.size())) {
        Finish();
        if (!Fits(name.size() + 1 + len + tail.size())) {
          return Counts::Bump(counts_->lines_dropped);
        }
      }
      if (!packet_.empty()) packet_ += '\n';
      packet_.append(name).append(1, ':').append(buf, len);
      for (++i; i < n; ++i) {
        len = format(i, buf);
        if (packet_.size() + 1 + len + tail.size() > max_) break;
        packet_.append(1, ':').append(buf, len);
      }
      packet_.append(tail);
    }
  }

  // Lines that must arrive in one datagram, in order.
  void Together(std::string_view lines) {
    if (!Fits(lines.size())) Finish();
    if (!Fits(lines.size())) return Counts::Bump(counts_->lines_dropped);
    if (!packet_.empty()) packet_ += '\n';
    packet_.append(lines);
  }

  // Sends what is pending.
  void Finish() noexcept {
    sender_->Send(packet_);
    packet_.clear();
  }

 private:
  bool Fits(size_t line_bytes) const noexcept {
    return packet_.size() + (packet_.empty() ? 0 : 1) + line_bytes <= max_;
  }

  size_t max_;
  UdpSender* sender_;
  Counts* counts_;
  std::string packet_;
};

}  // namespace detail

// A monotonic count ("c"); perfwatch adds `_total` to its name. Sent as the
// delta since the previous flush, nothing when that is 0. Add is a relaxed
// atomic on the counter's own cache line. Thread-safe.
class alignas(64) Counter {
 public:
  // Adds `delta` (>= 0); a negative one is ignored and counted as invalid.
  template <typename Int, std::enable_if_t<std::is_integral_v<Int>, int> = 0>
  void Add(Int delta) noexcept {
    if constexpr (std::is_signed_v<Int>) {
      if (delta < 0) return Invalid();
    } else if constexpr (sizeof(Int) >= sizeof(int64_t)) {
      if (delta > static_cast<Int>(std::numeric_limits<int64_t>::max())) {
        return Add(static_cast<double>(delta));
      }
    }
    whole_.fetch_add(static_cast<int64_t>(delta), std::memory_order_relaxed);
  }
  // Adds `delta` (finite, >= 0); anything else is ignored and counted.
  void Add(double delta) noexcept {
    if (!(delta >= 0) || std::isinf(delta)) return Invalid();
    double now = fraction_.load(std::memory_order_relaxed);
    while (!fraction_.compare_exchange_weak(now, now + delta, std::memory_order_relaxed)) {
    }
  }
  void Increment() noexcept { whole_.fetch_add(1, std::memory_order_relaxed); }

  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

 private:
  friend class Client;
  explicit Counter(detail::MetricWire wire) noexcept : wire_(std::move(wire)) {}

  void Invalid() noexcept {
    if (wire_.counts != nullptr) detail::Counts::Bump(wire_.counts->invalid_values);
  }

  void Flush(detail::PacketWriter& out) {
    const int64_t whole = whole_.exchange(0, std::memory_order_relaxed);
    const double fraction = fraction_.exchange(0, std::memory_order_relaxed);
    if (whole == 0 && fraction == 0) return;
    out.Values(
        wire_.name, 1,
        [&](size_t, char* buf) {
          return fraction == 0 ? detail::FormatNumber(whole, buf)
                               : detail::FormatNumber(static_cast<double>(whole) + fraction, buf);
        },
        "|c" + wire_.tags);
  }

  // Integer adds stay exact in an int64; only fractional ones need the
  // compare-and-swap of the double.
  std::atomic<int64_t> whole_{0};
  std::atomic<double> fraction_{0};
  detail::MetricWire wire_;
};

// A level ("g"), sent every flush once set. Thread-safe.
class alignas(64) Gauge {
 public:
  // A NaN or infinite value is ignored and counted as invalid.
  void Set(double value) noexcept {
    if (!std::isfinite(value)) return Invalid();
    value_.store(value, std::memory_order_relaxed);
  }
  // Adds to the value (an unset gauge counts as 0).
  void Add(double delta) noexcept {
    if (!std::isfinite(delta)) return Invalid();
    double now = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(now, (std::isnan(now) ? 0 : now) + delta,
                                         std::memory_order_relaxed)) {
    }
  }

  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

 private:
  friend class Client;
  explicit Gauge(detail::MetricWire wire) noexcept : wire_(std::move(wire)) {}

  void Invalid() noexcept {
    if (wire_.counts != nullptr) detail::Counts::Bump(wire_.counts->invalid_values);
  }

  // A value with a sign is a delta in StatsD, so a negative level is sent
  // as "name:0" then "name:-5" in one datagram.
  void Flush(detail::PacketWriter& out) {
    const double value = value_.load(std::memory_order_relaxed);
    if (std::isnan(value)) return;
    char buf[32];
    const std::string_view text(buf, detail::FormatNumber(value, buf));
    const std::string tail = "|g" + wire_.tags;
    if (value >= 0) {
      return out.Values(
          wire_.name, 1, [&](size_t, char* b) { return text.copy(b, text.size()); }, tail);
    }
    out.Together(wire_.name + ":0" + tail + "\n" + wire_.name + ":" + std::string(text) + tail);
  }

  std::atomic<double> value_{std::numeric_limits<double>::quiet_NaN()};  // NaN: never set
  detail::MetricWire wire_;
};

// Measures from construction to Stop() or destruction and records the
// milliseconds (rounded to the microsecond) into a histogram. Movable; one
// thread at a time. Must not outlive the Client its histogram belongs to.
class Timer {
 public:
  Timer() noexcept = default;  // records nothing
  explicit Timer(Histogram& histogram) noexcept
      : histogram_(&histogram), start_(std::chrono::steady_clock::now()) {}
  Timer(Timer&& other) noexcept
      : histogram_(std::exchange(other.histogram_, nullptr)), start_(other.start_) {}
  Timer& operator=(Timer&& other) noexcept {
    if (this != &other) {
      Stop();
      histogram_ = std::exchange(other.histogram_, nullptr);
      start_ = other.start_;
    }
    return *this;
  }
  ~Timer() { Stop(); }

  // Records the elapsed milliseconds once and returns them; 0 when already
  // stopped or cancelled.
  double Stop() noexcept;
  // Records nothing.
  void Cancel() noexcept { histogram_ = nullptr; }
  double ElapsedMs() const noexcept {
    const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start_;
    return ms.count();
  }

 private:
  Histogram* histogram_ = nullptr;
  std::chrono::steady_clock::time_point start_{};
};

// Observations ("ms", "h" or "d") sent as they were recorded, on
// multi-value lines; perfwatch turns them into a summary with quantiles.
// Observe takes a lock held for a few stores and never allocates; at most
// ClientOptions::max_observations are kept per flush interval (see there).
// Thread-safe.
class alignas(64) Histogram {
 public:
  // A NaN or infinite value is ignored and counted as invalid.
  void Observe(double value) noexcept {
    if (!std::isfinite(value)) {
      if (wire_.counts != nullptr) detail::Counts::Bump(wire_.counts->invalid_values);
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ++seen_;
    if (size_ < capacity_) {
      values_[size_++] = value;
      return;
    }
    // Algorithm R: the i-th observation replaces a kept one with probability capacity/i.
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    const uint64_t slot = rng_ % seen_;
    if (slot < capacity_) values_[slot] = value;
  }
  // A Timer recording into this histogram (meant for kTimer: milliseconds).
  [[nodiscard]] Timer Time() noexcept { return Timer(*this); }

  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

 private:
  friend class Client;
  Histogram(detail::MetricWire wire, HistogramType type, size_t capacity)
      : wire_(std::move(wire)),
        type_(type == HistogramType::kTimer       ? "|ms"
              : type == HistogramType::kHistogram ? "|h"
                                                  : "|d"),
        capacity_(capacity),
        values_(capacity > 0 ? new double[capacity] : nullptr),
        spare_(capacity > 0 ? new double[capacity] : nullptr) {}

  void Flush(detail::PacketWriter& out) {
    size_t kept;
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      std::swap(values_, spare_);
      kept = std::exchange(size_, 0);
      seen = std::exchange(seen_, 0);
    }
    if (seen == 0) return;
    std::string tail(type_);
    if (seen > kept) {
      detail::Counts::Bump(wire_.counts->observations_dropped, seen - kept);
      if (kept == 0) return;
      char buf[32];
      tail.append("|@").append(
          buf, detail::FormatNumber(static_cast<double>(kept) / static_cast<double>(seen), buf));
    }
    tail += wire_.tags;
    const double* values = spare_.get();
    out.Values(
        wire_.name, kept,
        [values](size_t i, char* b) { return detail::FormatNumber(values[i], b); }, tail);
  }

  detail::MetricWire wire_;
  std::string_view type_;
  const size_t capacity_;
  std::mutex mutex_;
  // Protected by mutex_: values_ holds this interval's kept observations;
  // spare_ is the flushing thread's (swapped in under the lock).
  std::unique_ptr<double[]> values_;
  std::unique_ptr<double[]> spare_;
  size_t size_ = 0;
  uint64_t seen_ = 0;
  uint64_t rng_ = 0x9E3779B97F4A7C15ull;
};

inline double Timer::Stop() noexcept {
  if (histogram_ == nullptr) return 0;
  const double ms = std::round(ElapsedMs() * 1000) / 1000;
  std::exchange(histogram_, nullptr)->Observe(ms);
  return ms;
}

// Registers metrics and sends them to perfwatch from a background thread.
// Thread-safe; not copyable. The destructor stops the thread (waiting for a
// host-name look-up it may be in) and sends what is left.
class Client {
 public:
  explicit Client(ClientOptions options = ClientOptions::FromEnvironment()) noexcept
      : options_(std::move(options)),
        sender_(&options_.host, options_.port, &counts_),
        fallback_counter_(detail::MetricWire{}),
        fallback_gauge_(detail::MetricWire{}),
        fallback_histogram_(detail::MetricWire{}, HistogramType::kTimer, 0) {
    options_.max_packet_bytes = std::clamp<size_t>(options_.max_packet_bytes, 64, 65507);
    if (options_.flush_interval.count() <= 0) options_.flush_interval = std::chrono::seconds(1);
    try {
      flusher_ = std::thread([this] { Run(); });
    } catch (...) {
      detail::Counts::Bump(counts_.allocation_failures);  // no thread: Flush() still sends
    }
  }
  ~Client() {
    {
      std::lock_guard<std::mutex> lock(wake_mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    Flush();
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The metric of this name and tags, created on first use. A look-up takes
  // the registry lock (tens of nanoseconds, more the first time); keep the
  // reference where a metric is updated in a tight loop. On allocation
  // failure: a metric that is never sent.
  Counter& GetCounter(std::string_view name, const Tags& tags = {}) noexcept {
    return Find(counters_, fallback_counter_, {"|c", name, tags, false, {}});
  }
  Gauge& GetGauge(std::string_view name, const Tags& tags = {}) noexcept {
    return Find(gauges_, fallback_gauge_, {"|g", name, tags, false, {}});
  }
  Histogram& GetHistogram(std::string_view name, const Tags& tags = {},
                          HistogramType type = HistogramType::kTimer) noexcept {
    const char* kinds[] = {"|ms", "|h", "|d"};
    return Find(histograms_, fallback_histogram_,
                {kinds[static_cast<int>(type)], name, tags, false, {}}, type);
  }

  // Times a component of the program until the Timer is destroyed or
  // stopped: the timer "component.duration" (no prefix) tagged
  // component:<component>.
  [[nodiscard]] Timer Time(std::string_view component, const Tags& tags = {}) noexcept {
    return Timer(Find(histograms_, fallback_histogram_,
                      {"|ms", kComponentTimer, tags, true, component}, HistogramType::kTimer));
  }
  // Records one request-style duration in milliseconds into the timer `name`.
  void Timing(std::string_view name, double ms, const Tags& tags = {}) noexcept {
    GetHistogram(name, tags, HistogramType::kTimer).Observe(ms);
  }

  // Sends everything recorded so far, now, on the calling thread. Sends do
  // not block; the first Flush before the background thread has looked up a
  // host *name* may wait for that look-up (numeric addresses never do).
  void Flush() noexcept {
    std::lock_guard<std::mutex> lock(flush_mutex_);
    FlushLocked(/*may_retry=*/false);
  }

  ClientStats Stats() const noexcept {
    auto get = [](const std::atomic<uint64_t>& n) { return n.load(std::memory_order_relaxed); };
    ClientStats s;
    s.packets_sent = get(counts_.packets_sent);
    s.bytes_sent = get(counts_.bytes_sent);
    s.send_errors = get(counts_.send_errors);
    s.resolve_errors = get(counts_.resolve_errors);
    s.observations_dropped = get(counts_.observations_dropped);
    s.invalid_values = get(counts_.invalid_values);
    s.lines_dropped = get(counts_.lines_dropped);
    s.allocation_failures = get(counts_.allocation_failures);
    return s;
  }

  const ClientOptions& options() const noexcept { return options_; }

 private:
  static constexpr std::string_view kComponentTimer = "component.duration";

  template <typename Metric>
  struct Registry {
    // "|c" + wire name + wire tags: one metric per series perfwatch sees.
    std::unordered_map<std::string, Metric*> by_series;
    // Get* arguments as given (RawKey), so a repeated call skips sanitizing.
    std::unordered_map<std::string, Metric*> by_call;
    std::vector<std::unique_ptr<Metric>> all;  // in creation order
  };

  // The arguments of a Get* or Time call.
  struct Call {
    std::string_view type;  // "|c", "|g", "|ms", "|h", "|d"
    std::string_view name;
    const Tags& tags;
    // Time() only: the timer is kComponentTimer, without the prefix, tagged
    // component:<component>.
    bool is_component = false;
    std::string_view component;
  };

  // The call's arguments, each length-prefixed so no two calls share a key,
  // in a per-thread buffer that keeps its capacity from call to call.
  static const std::string& RawKey(const Call& call) {
    static thread_local std::string key;
    key.clear();
    auto put = [](std::string_view s) {
      const auto n = static_cast<uint32_t>(s.size());
      key.append(reinterpret_cast<const char*>(&n), sizeof(n)).append(s);
    };
    put(call.type);
    put(call.name);
    key += call.is_component ? 'C' : 'N';
    put(call.component);
    for (const auto& [k, v] : call.tags) put(k), put(v);
    return key;
  }

  template <typename Metric, typename... Extra>
  Metric& Find(Registry<Metric>& registry, Metric& fallback, const Call& call,
               Extra... extra) noexcept {
    try {
      const std::string& raw = RawKey(call);
      {
        std::lock_guard<std::mutex> lock(registry_mutex_);
        auto it = registry.by_call.find(raw);
        if (it != registry.by_call.end()) return *it->second;
      }
      return Register(registry, call, raw, extra...);
    } catch (...) {
      detail::Counts::Bump(counts_.allocation_failures);
      return fallback;
    }
  }

  // The first call with these arguments: sanitizes them and finds or creates
  // the series (another spelling of its tags may have made it).
  template <typename Metric, typename... Extra>
  Metric& Register(Registry<Metric>& registry, const Call& call, const std::string& raw,
                   Extra... extra) {
    detail::MetricWire wire;
    if (!options_.prefix.empty() && !call.is_component) {
      detail::AppendIdentifier(wire.name, options_.prefix, true);
      if (wire.name.back() != '.') wire.name += '.';
    }
    detail::AppendIdentifier(wire.name, call.name, true);
    wire.tags = detail::WireTags(options_.app, options_.tags, call.tags,
                                 {call.is_component ? "component" : "", call.component});
    wire.counts = &counts_;
    std::string series = std::string(call.type) + wire.name + wire.tags;
    std::string call_key = raw;

    std::lock_guard<std::mutex> lock(registry_mutex_);
    Metric* metric;
    if (auto it = registry.by_series.find(series); it != registry.by_series.end()) {
      metric = it->second;
    } else {
      registry.all.emplace_back(New<Metric>(std::move(wire), extra...));
      metric = registry.all.back().get();
      try {
        registry.by_series.emplace(std::move(series), metric);
      } catch (...) {
        registry.all.pop_back();
        throw;
      }
    }
    try {
      registry.by_call.emplace(std::move(call_key), metric);
    } catch (...) {  // the next call with these arguments takes the slow path again
    }
    return *metric;
  }

  template <typename Metric>
  std::unique_ptr<Metric> New(detail::MetricWire wire) {
    return std::unique_ptr<Metric>(new Metric(std::move(wire)));
  }
  template <typename Metric>
  std::unique_ptr<Metric> New(detail::MetricWire wire, HistogramType type) {
    return std::unique_ptr<Metric>(new Metric(std::move(wire), type, options_.max_observations));
  }

  void Run() noexcept {
    {
      std::lock_guard<std::mutex> lock(flush_mutex_);
      sender_.EnsureResolved(/*may_retry=*/true);
    }
    std::unique_lock<std::mutex> lock(wake_mutex_);
    while (!stop_) {
      if (wake_.wait_for(lock, options_.flush_interval, [this] { return stop_; })) break;
      lock.unlock();
      {
        std::lock_guard<std::mutex> flush_lock(flush_mutex_);
        FlushLocked(/*may_retry=*/true);
      }
      lock.lock();
    }
  }

  template <typename Metric>
  void Snapshot(Registry<Metric>& registry, std::vector<Metric*>& out) {
    out.clear();
    for (const auto& m : registry.all) out.push_back(m.get());
  }

  // Requires flush_mutex_. Metrics are never removed, so the pointers taken
  // under the registry lock stay valid while it is released.
  void FlushLocked(bool may_retry) noexcept {
    try {
      sender_.EnsureResolved(may_retry);
      {
        std::lock_guard<std::mutex> lock(registry_mutex_);
        Snapshot(counters_, flush_counters_);
        Snapshot(gauges_, flush_gauges_);
        Snapshot(histograms_, flush_histograms_);
      }
      if (!writer_) {
        writer_ =
            std::make_unique<detail::PacketWriter>(options_.max_packet_bytes, &sender_, &counts_);
      }
      for (Counter* c : flush_counters_) c->Flush(*writer_);
      for (Gauge* g : flush_gauges_) g->Flush(*writer_);
      for (Histogram* h : flush_histograms_) h->Flush(*writer_);
      writer_->Finish();
    } catch (...) {
      detail::Counts::Bump(counts_.allocation_failures);
    }
  }

  ClientOptions options_;
  detail::Counts counts_;

  std::mutex registry_mutex_;
  // Protected by registry_mutex_.
  Registry<Counter> counters_;
  Registry<Gauge> gauges_;
  Registry<Histogram> histograms_;

  std::mutex flush_mutex_;
  // Protected by flush_mutex_.
  detail::UdpSender sender_;
  std::unique_ptr<detail::PacketWriter> writer_;
  std::vector<Counter*> flush_counters_;
  std::vector<Gauge*> flush_gauges_;
  std::vector<Histogram*> flush_histograms_;

  // Returned when registration fails; never flushed.
  Counter fallback_counter_;
  Gauge fallback_gauge_;
  Histogram fallback_histogram_;

  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stop_ = false;  // protected by wake_mutex_
  std::thread flusher_;
};

inline ClientOptions ClientOptions::FromEnvironment() noexcept {
  ClientOptions options;
  try {
    if (const char* app = std::getenv("PERFWATCH_APP"); app != nullptr) options.app = app;
    const char* env = std::getenv("PERFWATCH_STATSD");
    if (env == nullptr || *env == '\0') return options;
    std::string_view target(env);
    std::string_view port;
    bool has_port = false;
    if (target.front() == '[') {  // [v6addr]:port
      const size_t close = target.find(']');
      if (close == std::string_view::npos) return options;
      has_port = target.size() > close + 1;
      if (has_port && target[close + 1] != ':') return options;
      if (has_port) port = target.substr(close + 2);
      target = target.substr(1, close - 1);
    } else if (const size_t colon = target.rfind(':');
               colon != std::string_view::npos && target.find(':') == colon) {
      has_port = true;
      port = target.substr(colon + 1);
      target = target.substr(0, colon);
    }
    unsigned value = 0;
    const auto parsed = std::from_chars(port.data(), port.data() + port.size(), value);
    if (has_port && (port.empty() || parsed.ec != std::errc() ||
                     parsed.ptr != port.data() + port.size() || value == 0 || value > 65535)) {
      return options;  // a malformed PERFWATCH_STATSD keeps the default destination
    }
    if (!target.empty()) options.host = std::string(target);
    if (has_port) options.port = static_cast<uint16_t>(value);
  } catch (...) {
  }
  return options;
}

}  // namespace perfwatch
