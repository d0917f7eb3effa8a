// tuned_load: load for tuned_service. Each of --concurrency threads keeps
// one HTTP/1.1 keep-alive connection and requests GET /item/k<rank>, the
// rank drawn from a Zipf distribution over --keys keys (--zipf 0 =
// uniform), as fast as answers come or, with --rate, at that many requests
// per second in total. Every second it prints progress to stderr; at the end
// one JSON line to stdout:
//   {"requests","errors","duration_s","rps","mean_ms","p95_ms","p99_ms"}
//
// tuned_load --url http://127.0.0.1:PORT [--concurrency 16] [--duration 30s]
//            [--keys 500] [--rate 0] [--zipf 1.0] [--quiet]

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct LoadOptions {
  std::string host;
  std::string port;
  std::string base_path;  // "" or "/prefix"
  int concurrency = 16;
  double duration_s = 30;
  int keys = 500;
  double rate = 0;  // requests per second in total; 0 = as fast as answered
  double zipf = 1.0;
  bool quiet = false;
};

constexpr const char* kUsage =
    "usage: tuned_load --url http://127.0.0.1:PORT [--concurrency 16] [--duration 30s]\n"
    "                  [--keys 500] [--rate 0 (unlimited, else requests/s total)]\n"
    "                  [--zipf 1.0 (key skew; 0 = uniform)] [--quiet]\n";

std::atomic<bool> g_interrupted{false};

// "30s", "500ms", "2m", "1h" or plain seconds.
bool ParseDuration(std::string_view text, double& seconds) {
  double scale = 1;
  if (text.size() > 2 && text.substr(text.size() - 2) == "ms") {
    scale = 0.001;
    text.remove_suffix(2);
  } else if (!text.empty() && (text.back() == 's' || text.back() == 'm' || text.back() == 'h')) {
    scale = text.back() == 's' ? 1 : text.back() == 'm' ? 60 : 3600;
    text.remove_suffix(1);
  }
  char* end = nullptr;
  const std::string s(text);
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !(v > 0)) return false;
  seconds = v * scale;
  return true;
}

bool ParseUrl(std::string_view url, LoadOptions& o) {
  if (url.substr(0, 7) != "http://") return false;
  url.remove_prefix(7);
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : url.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t colon = authority.rfind(':');
  o.host = std::string(authority.substr(0, colon));
  o.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (!o.host.empty() && o.host.front() == '[' && o.host.back() == ']') {
    o.host = o.host.substr(1, o.host.size() - 2);
  }
  o.base_path = std::string(path);
  return !o.host.empty() && !o.port.empty();
}

std::optional<int> ParseCommandLine(int argc, char** argv, LoadOptions& o) {
  bool have_url = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--quiet") {
      o.quiet = true;
      continue;
    }
    std::string_view value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::cerr << "tuned_load: " << arg << " needs a value\n" << kUsage;
      return 2;
    }
    const std::string v(value);
    char* end = nullptr;
    bool ok = true;
    if (arg == "--url") {
      ok = have_url = ParseUrl(value, o);
    } else if (arg == "--concurrency") {
      o.concurrency = static_cast<int>(std::strtol(v.c_str(), &end, 10));
      ok = *end == '\0' && o.concurrency >= 1 && o.concurrency <= 1024;
    } else if (arg == "--duration") {
      ok = ParseDuration(value, o.duration_s);
    } else if (arg == "--keys") {
      o.keys = static_cast<int>(std::strtol(v.c_str(), &end, 10));
      ok = *end == '\0' && o.keys >= 1 && o.keys <= 10'000'000;
    } else if (arg == "--rate") {
      o.rate = std::strtod(v.c_str(), &end);
      ok = *end == '\0' && o.rate >= 0 && std::isfinite(o.rate);
    } else if (arg == "--zipf") {
      o.zipf = std::strtod(v.c_str(), &end);
      ok = *end == '\0' && o.zipf >= 0 && o.zipf <= 10;
    } else {
      std::cerr << "tuned_load: unknown option " << arg << "\n" << kUsage;
      return 2;
    }
    if (!ok || v.empty()) {
      std::cerr << "tuned_load: " << arg << ": invalid value \"" << v << "\"\n";
      return 2;
    }
  }
  if (!have_url) {
    std::cerr << "tuned_load: --url is required\n" << kUsage;
    return 2;
  }
  return std::nullopt;
}

// Latencies in log-spaced buckets 2% wide from 10 µs to about 10 minutes:
// percentiles within 2%, constant memory however long the run.
class LatencyHistogram {
 public:
  void Add(double ms) {
    ++count_;
    sum_ += ms;
    ++buckets_[Index(ms)];
  }
  void Merge(const LatencyHistogram& o) {
    count_ += o.count_;
    sum_ += o.sum_;
    for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += o.buckets_[i];
  }
  uint64_t count() const { return count_; }
  double mean() const { return count_ == 0 ? 0 : sum_ / static_cast<double>(count_); }
  // The upper bound of the bucket holding the q-th quantile.
  double Quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += buckets_[i];
      if (seen >= std::max<uint64_t>(rank, 1)) return kMinMs * std::pow(kGrowth, i + 1);
    }
    return kMinMs * std::pow(kGrowth, kBuckets);
  }

 private:
  static constexpr double kMinMs = 0.01;
  static constexpr double kGrowth = 1.02;
  static constexpr size_t kBuckets = 900;

  static size_t Index(double ms) {
    if (!(ms > kMinMs)) return 0;
    const double i = std::log(ms / kMinMs) / std::log(kGrowth);
    return std::min(static_cast<size_t>(i), kBuckets - 1);
  }

  uint64_t count_ = 0;
  double sum_ = 0;
  std::array<uint64_t, kBuckets> buckets_{};
};

// What every worker adds to; the progress line takes the interval's part.
class Recorder {
 public:
  void Add(double ms, bool error) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error) {
      ++errors_;
      ++interval_errors_;
    } else {
      total_.Add(ms);
      interval_.Add(ms);
    }
  }
  // This interval's figures, and a fresh interval.
  void TakeInterval(LatencyHistogram& out, uint64_t& errors) {
    std::lock_guard<std::mutex> lock(mu_);
    out = interval_;
    errors = interval_errors_;
    interval_ = LatencyHistogram();
    interval_errors_ = 0;
  }
  void Totals(LatencyHistogram& out, uint64_t& errors) const {
    std::lock_guard<std::mutex> lock(mu_);
    out = total_;
    errors = errors_;
  }

 private:
  mutable std::mutex mu_;
  LatencyHistogram total_;     // protected by mu_
  LatencyHistogram interval_;  // protected by mu_
  uint64_t errors_ = 0;        // protected by mu_
  uint64_t interval_errors_ = 0;
};

// Ranks 0..n-1 with P(rank) proportional to 1/(rank+1)^s.
class ZipfKeys {
 public:
  ZipfKeys(int n, double s) : cdf_(static_cast<size_t>(n)) {
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      sum += s == 0 ? 1 : 1 / std::pow(i + 1, s);
      cdf_[static_cast<size_t>(i)] = sum;
    }
    for (double& c : cdf_) c /= sum;
  }
  int Draw(std::mt19937_64& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    return static_cast<int>(std::min<size_t>(it - cdf_.begin(), cdf_.size() - 1));
  }

 private:
  std::vector<double> cdf_;
};

// One keep-alive connection; reconnects after any failure.
class Connection {
 public:
  explicit Connection(const LoadOptions& o) : o_(o) {}
  ~Connection() { Close(); }

  // GET path; true with the status when an answer came.
  bool Get(const std::string& path, int& status) {
    if (fd_ < 0 && !Open()) return false;
    const std::string request = "GET " + o_.base_path + path + " HTTP/1.1\r\nHost: " + o_.host +
                                "\r\nUser-Agent: tuned_load\r\n\r\n";
    if (!Send(request) || !ReadAnswer(status)) {
      Close();
      return false;
    }
    return true;
  }

 private:
  bool Open() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(o_.host.c_str(), o_.port.c_str(), &hints, &found) != 0) return false;
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd_ >= 0 && ::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) Close();
    }
    ::freeaddrinfo(found);
    if (fd_ < 0) return false;
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval timeout{30, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    in_.clear();
    return true;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  bool Fill() {
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }

  bool ReadAnswer(int& status) {
    size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (in_.size() > 64 * 1024 || !Fill()) return false;
    }
    if (in_.compare(0, 9, "HTTP/1.1 ") != 0 && in_.compare(0, 9, "HTTP/1.0 ") != 0) return false;
    status = std::atoi(in_.c_str() + 9);
    std::string head = in_.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const size_t cl = head.find("\r\ncontent-length:");
    if (cl == std::string::npos) return false;  // tuned_service always sends it
    const size_t length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
    while (in_.size() < head_end + 4 + length) {
      if (!Fill()) return false;
    }
    in_.erase(0, head_end + 4 + length);
    if (head.find("\r\nconnection: close") != std::string::npos) Close();
    return true;
  }

  const LoadOptions& o_;
  int fd_ = -1;
  std::string in_;
};

void Worker(const LoadOptions& o, int index, const ZipfKeys& keys, Clock::time_point end,
            Recorder& recorder) {
  std::mt19937_64 rng(0x9E3779B97F4A7C15ull + static_cast<uint64_t>(index));
  Connection conn(o);
  // With --rate, each worker sends every concurrency/rate seconds, the
  // workers evenly staggered.
  const auto period = o.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(o.concurrency / o.rate))
                                 : Clock::duration::zero();
  Clock::time_point next = Clock::now() + period * index / o.concurrency;
  while (!g_interrupted.load() && Clock::now() < end) {
    if (o.rate > 0) {
      std::this_thread::sleep_until(std::min(next, end));
      if (Clock::now() >= end) break;
      next += period;
    }
    const std::string path = "/item/k" + std::to_string(keys.Draw(rng));
    const auto start = Clock::now();
    int status = 0;
    const bool answered = conn.Get(path, status);
    const std::chrono::duration<double, std::milli> ms = Clock::now() - start;
    recorder.Add(ms.count(), !answered || status != 200);
    if (!answered)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // no spin when down
  }
}

void OnSignal(int) { g_interrupted = true; }

}  // namespace

int main(int argc, char** argv) {
  LoadOptions o;
  if (const std::optional<int> exit_code = ParseCommandLine(argc, argv, o)) return *exit_code;
  ::signal(SIGPIPE, SIG_IGN);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  const ZipfKeys keys(o.keys, o.zipf);
  Recorder recorder;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o.duration_s));
  std::vector<std::thread> workers;
  for (int i = 0; i < o.concurrency; ++i) {
    workers.emplace_back(Worker, std::cref(o), i, std::cref(keys), end, std::ref(recorder));
  }

  auto tick = start;
  while (!g_interrupted.load() && Clock::now() < end) {
    tick += std::chrono::seconds(1);
    std::this_thread::sleep_until(std::min(tick, end));
    if (g_interrupted.load()) break;
    LatencyHistogram interval;
    uint64_t errors = 0;
    recorder.TakeInterval(interval, errors);
    if (o.quiet) continue;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::fprintf(stderr, "[%5.0fs] %7llu req/s  mean %8.2f ms  p95 %8.2f ms  errors %llu\n",
                 elapsed, static_cast<unsigned long long>(interval.count()), interval.mean(),
                 interval.Quantile(0.95), static_cast<unsigned long long>(errors));
  }
  for (auto& w : workers) w.join();

  LatencyHistogram total;
  uint64_t errors = 0;
  recorder.Totals(total, errors);
  const double duration = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"requests\":%llu,\"errors\":%llu,\"duration_s\":%.3f,\"rps\":%.1f,\"mean_ms\":%.3f,"
      "\"p95_ms\":%.3f,\"p99_ms\":%.3f}\n",
      static_cast<unsigned long long>(total.count() + errors),
      static_cast<unsigned long long>(errors), duration,
      static_cast<double>(total.count() + errors) / std::max(duration, 1e-9), total.mean(),
      total.Quantile(0.95), total.Quantile(0.99));
  std::fflush(stdout);
  return 0;
}
