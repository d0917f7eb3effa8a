// tuned_service: a small HTTP service whose knobs perfwatch turns (issue 7).
// It reports its metrics with client.hpp and declares its knobs with
// tuning.hpp; nothing else of perfwatch.
//
//   GET /item/{key}  an LRU cache in front of a slow backend (--backend-ms),
//                    plus "heavy work" (--heavy-ms: recommendations, audit)
//                    done in the request, or queued to one background thread
//                    when async.enabled
//   GET /stats       the cache, the pool, the knobs and every change received
//   GET /health      200
//
// Requests wait in an accept queue for a worker pool of pool.size threads;
// the response time sent to perfwatch runs from the moment a request could
// be read to its answer, so a pool too small shows as latency.
//
// Command line (examples/README.md): tuned_service [--port 9090] [--app shop]
// [--perfwatch-url URL] [--statsd HOST:PORT] [--cache-size 1000]
// [--cache-ttl 30] [--pool-size 4] [--async false] [--backend-ms 20]
// [--heavy-ms 30] [--payload-kb 16] [--reject NAME]... [--heartbeat-ms 10000]

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <perfwatch/client.hpp>
#include <perfwatch/tuning.hpp>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------
// Command line

struct ServiceOptions {
  int port = 9090;
  std::string app = "shop";
  std::string perfwatch_url;  // "" = $PERFWATCH_URL or http://127.0.0.1:8080
  std::string statsd;         // "" = $PERFWATCH_STATSD or 127.0.0.1:8125
  int64_t cache_size = 1000;
  int64_t cache_ttl = 30;
  int64_t pool_size = 4;
  bool async = false;
  int64_t backend_ms = 20;
  int64_t heavy_ms = 30;
  int64_t payload_kb = 16;
  std::set<std::string> reject;
  int64_t heartbeat_ms = 10'000;
};

constexpr const char* kUsage =
    "usage: tuned_service [--port N (default 9090; 0 = kernel-chosen)] [--app shop]\n"
    "                     [--perfwatch-url URL] [--statsd HOST:PORT] [--cache-size 1000]\n"
    "                     [--cache-ttl 30] [--pool-size 4] [--async false] [--backend-ms 20]\n"
    "                     [--heavy-ms 30] [--payload-kb 16] [--reject NAME]...\n"
    "                     [--heartbeat-ms 10000] [--help]\n"
    "\n"
    "A small HTTP service on 127.0.0.1 (GET /item/{key}, /stats, /health) whose knobs\n"
    "perfwatch tunes: cache.size, cache.ttl_seconds, async.enabled, pool.size; hooks\n"
    "memory_cleanup, cache_warmup, move_heavy_to_background, emergency_cleanup.\n"
    "--reject NAME makes every change of that knob (or call of that hook) fail.\n"
    "Prints 'listening on 127.0.0.1:PORT' once it accepts connections.\n";

bool ParseInt(std::string_view text, int64_t min, int64_t max, int64_t& out) {
  int64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() || v < min ||
      v > max) {
    return false;
  }
  out = v;
  return true;
}

bool ParseBool(std::string_view text, bool& out) {
  if (text == "true" || text == "1" || text == "on" || text == "yes") return out = true, true;
  if (text == "false" || text == "0" || text == "off" || text == "no") return out = false, true;
  return false;
}

// Returns the exit code to stop with, or nullopt to run.
std::optional<int> ParseCommandLine(int argc, char** argv, ServiceOptions& o) {
  struct IntFlag {
    int64_t* field;
    int64_t min, max;
  };
  int64_t port = o.port;
  const std::map<std::string_view, IntFlag> ints = {
      {"--port", {&port, 0, 65535}},
      {"--cache-size", {&o.cache_size, 10, 100000}},
      {"--cache-ttl", {&o.cache_ttl, 1, 3600}},
      {"--pool-size", {&o.pool_size, 1, 64}},
      {"--backend-ms", {&o.backend_ms, 0, 60'000}},
      {"--heavy-ms", {&o.heavy_ms, 0, 60'000}},
      {"--payload-kb", {&o.payload_kb, 0, 1024 * 1024}},
      {"--heartbeat-ms", {&o.heartbeat_ms, 50, 3'600'000}},
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    std::string_view value;
    if (const size_t eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::cerr << "tuned_service: " << arg << " needs a value\n" << kUsage;
      return 2;
    }
    bool ok = true;
    if (auto it = ints.find(arg); it != ints.end()) {
      ok = ParseInt(value, it->second.min, it->second.max, *it->second.field);
      if (!ok) {
        std::cerr << "tuned_service: " << arg << ": expected a whole number from " << it->second.min
                  << " to " << it->second.max << ", got \"" << value << "\"\n";
        return 2;
      }
    } else if (arg == "--app") {
      o.app = std::string(value);
      ok = perfwatch::tuner_detail::ValidName(o.app, 64);
    } else if (arg == "--perfwatch-url") {
      o.perfwatch_url = std::string(value);
    } else if (arg == "--statsd") {
      o.statsd = std::string(value);
      ok = value.rfind(':') != std::string_view::npos;
    } else if (arg == "--async") {
      ok = ParseBool(value, o.async);
    } else if (arg == "--reject") {
      o.reject.insert(std::string(value));
    } else {
      std::cerr << "tuned_service: unknown option " << arg << "\n" << kUsage;
      return 2;
    }
    if (!ok) {
      std::cerr << "tuned_service: " << arg << ": invalid value \"" << value << "\"\n";
      return 2;
    }
  }
  o.port = static_cast<int>(port);
  return std::nullopt;
}

void Log(const std::string& line) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::cerr << "tuned_service: " << line << std::endl;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

// ---------------------------------------------------------------------------
// The cache: LRU of `capacity` entries, each expiring `ttl` after it was
// loaded and holding payload bytes, so its size shows in the RSS.
// Thread-safe.

class ItemCache {
 public:
  struct Snapshot {
    size_t capacity = 0;
    size_t entries = 0;
    int64_t ttl_seconds = 0;
    uint64_t hits = 0;
    uint64_t misses = 0;
  };

  ItemCache(size_t capacity, int64_t ttl_seconds, size_t payload_bytes)
      : capacity_(capacity), ttl_(ttl_seconds), payload_bytes_(payload_bytes) {}

  // A hit refreshes the entry's recency; an expired entry is dropped.
  bool Get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    if (popularity_.size() < kMaxTrackedKeys || popularity_.count(key) != 0) ++popularity_[key];
    auto it = index_.find(key);
    if (it != index_.end() && Expired(*it->second, Clock::now())) {
      lru_.erase(it->second);
      index_.erase(it);
      it = index_.end();
    }
    if (it == index_.end()) {
      ++misses_;
      return false;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    ++hits_;
    return true;
  }

  void Put(const std::string& key) {
    std::string payload(payload_bytes_, 'p');  // written, so the pages are resident
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      it->second->loaded = Clock::now();
      lru_.splice(lru_.begin(), lru_, it->second);
      return;
    }
    lru_.push_front(Entry{key, Clock::now(), std::move(payload)});
    index_[key] = lru_.begin();
    EvictLocked();
  }

  void SetCapacity(size_t capacity) {
    std::lock_guard<std::mutex> lock(mu_);
    capacity_ = capacity;
    EvictLocked();
  }
  // Applies to the entries already held too: expiry is loaded + ttl now.
  void SetTtl(int64_t seconds) {
    std::lock_guard<std::mutex> lock(mu_);
    ttl_ = std::chrono::seconds(seconds);
  }

  // memory_cleanup: expired entries dropped, the rest cut to the capacity.
  size_t DropExpiredAndShrink() {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t before = lru_.size();
    const auto now = Clock::now();
    for (auto it = lru_.begin(); it != lru_.end();) {
      if (Expired(*it, now)) {
        index_.erase(it->key);
        it = lru_.erase(it);
      } else {
        ++it;
      }
    }
    EvictLocked();
    return before - lru_.size();
  }

  size_t Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    const size_t n = lru_.size();
    lru_.clear();
    index_.clear();
    return n;
  }

  // The most requested keys the cache does not hold, at most `n`.
  std::vector<std::string> HottestMissing(size_t n) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<uint64_t, std::string>> hot;
    for (const auto& [key, count] : popularity_) {
      if (index_.count(key) == 0) hot.emplace_back(count, key);
    }
    n = std::min({n, hot.size(), capacity_});
    std::partial_sort(hot.begin(), hot.begin() + static_cast<std::ptrdiff_t>(n), hot.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back(hot[i].second);
    return out;
  }

  Snapshot Stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return {capacity_, lru_.size(), static_cast<int64_t>(ttl_.count()), hits_, misses_};
  }

 private:
  static constexpr size_t kMaxTrackedKeys = 100'000;
  struct Entry {
    std::string key;
    Clock::time_point loaded;
    std::string payload;
  };

  bool Expired(const Entry& e, Clock::time_point now) const { return now - e.loaded >= ttl_; }
  void EvictLocked() {
    while (lru_.size() > capacity_) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }

  mutable std::mutex mu_;
  // Protected by mu_; lru_ front = most recently used.
  size_t capacity_;
  std::chrono::seconds ttl_;
  const size_t payload_bytes_;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::unordered_map<std::string, uint64_t> popularity_;  // requests per key
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
};

// ---------------------------------------------------------------------------
// Heavy work done off the request path: one thread that takes what is
// queued in batches of up to kBatch, one heavy-work time per batch (what
// makes background work cheaper than doing it per request: audit records
// written together, recommendations computed for several users at once).
// The queue is bounded; a burst beyond it is dropped and counted. Thread-safe.

class BackgroundWorker {
 public:
  BackgroundWorker() : thread_([this] { Run(); }) {}
  ~BackgroundWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  void Submit(std::chrono::milliseconds work) {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueue) {
      ++dropped_;
      return;
    }
    queue_.push_back(work);
    cv_.notify_one();
  }

  struct Counts {
    size_t queued;
    uint64_t done;
    uint64_t dropped;
  };
  Counts Stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return {queue_.size(), done_, dropped_};
  }

 private:
  static constexpr size_t kMaxQueue = 10'000;
  static constexpr size_t kBatch = 64;

  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      const size_t n = std::min(kBatch, queue_.size());
      const auto longest = *std::max_element(queue_.begin(), queue_.begin() + n);
      queue_.erase(queue_.begin(), queue_.begin() + n);
      lock.unlock();
      std::this_thread::sleep_for(longest);
      lock.lock();
      done_ += n;
    }
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::chrono::milliseconds> queue_;  // protected by mu_
  uint64_t done_ = 0;                            // protected by mu_
  uint64_t dropped_ = 0;                         // protected by mu_
  bool stop_ = false;                            // protected by mu_
  std::thread thread_;
};

// ---------------------------------------------------------------------------
// HTTP plumbing: a poller thread owns the listening socket and the idle
// keep-alive connections; a readable connection goes to the worker pool's
// queue, and back to the poller after its answer.

struct Connection {
  int fd = -1;
  std::string in;                 // bytes read and not yet used
  Clock::time_point ready_since;  // when its request became readable
  ~Connection() {
    if (fd >= 0) ::close(fd);
  }
};
using ConnectionPtr = std::unique_ptr<Connection>;

// pool.size threads taking connections from one queue; resizable while
// running (a shrinking pool's extra threads leave after their request).
// Thread-safe.
class WorkerPool {
 public:
  static constexpr size_t kMaxThreads = 64;
  using Handler = std::function<void(ConnectionPtr)>;

  WorkerPool(size_t size, Handler handler) : handler_(std::move(handler)) { Resize(size); }
  ~WorkerPool() { Stop(); }

  void Submit(ConnectionPtr conn) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    queue_.push_back(std::move(conn));
    cv_.notify_one();
  }

  void Resize(size_t size) {
    size = std::clamp<size_t>(size, 1, kMaxThreads);
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    target_ = size;
    for (size_t slot = 0; slot < size; ++slot) {
      if (alive_[slot]) continue;
      // A thread that left this slot released the lock for good before we
      // took it, so joining it here is immediate.
      if (threads_[slot].joinable()) threads_[slot].join();
      alive_[slot] = true;
      threads_[slot] = std::thread([this, slot] { Work(slot); });
    }
    cv_.notify_all();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return target_;
  }
  size_t queued() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    std::lock_guard<std::mutex> lock(mu_);
    queue_.clear();
  }

 private:
  void Work(size_t slot) {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || slot >= target_ || !queue_.empty(); });
      if (stop_ || slot >= target_) {
        alive_[slot] = false;
        return;
      }
      ConnectionPtr conn = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      handler_(std::move(conn));
      lock.lock();
    }
  }

  const Handler handler_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // Protected by mu_.
  std::deque<ConnectionPtr> queue_;
  size_t target_ = 0;
  bool stop_ = false;
  std::array<bool, kMaxThreads> alive_{};
  std::array<std::thread, kMaxThreads> threads_;
};

// Accepts connections and watches idle ones. Thread-safe.
class Poller {
 public:
  using Ready = std::function<void(ConnectionPtr)>;

  ~Poller() { Stop(); }

  // Binds 127.0.0.1:port; false with `error` when it cannot.
  bool Listen(int port, std::string& error) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(listen_fd_, 512) != 0) {
      error = "binding 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
      return false;
    }
    socklen_t len = sizeof(addr);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
      error = std::string("pipe: ") + std::strerror(errno);
      return false;
    }
    return true;
  }

  void Start(Ready ready) {
    ready_ = std::move(ready);
    thread_ = std::thread([this] { Run(); });
  }

  // A connection whose answer went out, to watch for its next request.
  void Return(ConnectionPtr conn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return;
      returned_.push_back(std::move(conn));
    }
    Wake();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
    }
    Wake();
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
    listen_fd_ = wake_[0] = wake_[1] = -1;
  }

  uint16_t port() const { return port_; }

 private:
  void Wake() {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_[1], &byte, 1);
  }

  void Run() {
    std::vector<ConnectionPtr> idle;
    std::vector<pollfd> fds;
    while (true) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopped_) return;
        for (auto& c : returned_) idle.push_back(std::move(c));
        returned_.clear();
      }
      fds.assign({{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}});
      for (const auto& c : idle) fds.push_back({c->fd, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[1].revents != 0) {
        char buf[64];
        while (::read(wake_[0], buf, sizeof(buf)) > 0) {
        }
      }
      const auto now = Clock::now();
      std::vector<ConnectionPtr> still_idle;
      for (size_t i = 0; i < idle.size(); ++i) {
        if (fds[i + 2].revents == 0) {
          still_idle.push_back(std::move(idle[i]));
        } else {
          idle[i]->ready_since = now;
          ready_(std::move(idle[i]));  // a closed peer is noticed by the read
        }
      }
      idle = std::move(still_idle);
      if (fds[0].revents != 0) Accept(idle);
    }
  }

  void Accept(std::vector<ConnectionPtr>& idle) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto conn = std::make_unique<Connection>();
    conn->fd = fd;
    idle.push_back(std::move(conn));
  }

  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  uint16_t port_ = 0;
  Ready ready_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<ConnectionPtr> returned_;  // protected by mu_
  bool stopped_ = false;                 // protected by mu_
};

struct HttpRequest {
  std::string method;
  std::string path;
  bool keep_alive = true;
};

// Reads one request from `conn` (waiting at most 10 s); false when the peer
// closed or sent something that is not HTTP/1.x.
bool ReadRequest(Connection& conn, HttpRequest& req) {
  constexpr size_t kMaxHead = 16 * 1024;
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  size_t head_end;
  while ((head_end = conn.in.find("\r\n\r\n")) == std::string::npos) {
    if (conn.in.size() > kMaxHead) return false;
    pollfd p{conn.fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[8192];
    const ssize_t n = ::recv(conn.fd, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    conn.in.append(buf, static_cast<size_t>(n));
  }
  const std::string head = conn.in.substr(0, head_end);
  conn.in.erase(0, head_end + 4);
  const size_t sp1 = head.find(' ');
  const size_t sp2 = head.find(' ', sp1 + 1);
  const size_t eol = head.find("\r\n");
  if (sp1 == std::string::npos || sp2 == std::string::npos || sp2 > eol) return false;
  req.method = head.substr(0, sp1);
  req.path = head.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string version = head.substr(sp2 + 1, eol - sp2 - 1);
  req.keep_alive = version == "HTTP/1.1";
  std::string lower = head;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("\r\nconnection: close") != std::string::npos) req.keep_alive = false;
  if (lower.find("\r\nconnection: keep-alive") != std::string::npos) req.keep_alive = true;
  // A body (none expected on these GET routes) is skipped.
  if (const size_t cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
    const size_t length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    if (length > 1024 * 1024) return false;
    while (conn.in.size() < length) {
      char buf[8192];
      const ssize_t n = ::recv(conn.fd, buf, sizeof(buf), 0);
      if (n <= 0) return false;
      conn.in.append(buf, static_cast<size_t>(n));
    }
    conn.in.erase(0, length);
  }
  return true;
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// ---------------------------------------------------------------------------
// The service: its knobs, the changes perfwatch made to them, its routes.

struct ChangeRecord {
  std::string name;
  std::string value;
  std::string previous;
  std::string rule;
  std::string reason;
  bool accepted = false;
};

class Service {
 public:
  explicit Service(const ServiceOptions& o)
      : options_(o),
        pw_(MetricsOptions(o)),
        cache_(static_cast<size_t>(o.cache_size), o.cache_ttl,
               static_cast<size_t>(o.payload_kb) * 1024),
        async_(o.async),
        pool_(static_cast<size_t>(o.pool_size),
              [this](ConnectionPtr conn) { Handle(std::move(conn)); }),
        tuner_(TunerOptionsFor(o)),
        hits_(pw_.GetCounter("cache.hits")),
        misses_(pw_.GetCounter("cache.misses")),
        cache_size_(pw_.GetGauge("cache.size")),
        cache_capacity_(pw_.GetGauge("cache.capacity")),
        pool_size_(pw_.GetGauge("pool.size")),
        async_enabled_(pw_.GetGauge("async.enabled")) {}

  // Declares the knobs and starts listening; false with `error`.
  bool Start(std::string& error) {
    if (!poller_.Listen(options_.port, error)) return false;
    DeclareKnobs();
    if (!tuner_.Start(&error)) return false;
    poller_.Start([this](ConnectionPtr conn) { pool_.Submit(std::move(conn)); });
    UpdateGauges();
    return true;
  }

  void Stop() {
    tuner_.Stop();  // no callback runs after this
    poller_.Stop();
    pool_.Stop();
  }

  uint16_t port() const { return poller_.port(); }
  const perfwatch::Tuner& tuner() const { return tuner_; }

  void UpdateGauges() {
    const ItemCache::Snapshot s = cache_.Stats();
    cache_size_.Set(static_cast<double>(s.entries));
    cache_capacity_.Set(static_cast<double>(s.capacity));
    pool_size_.Set(static_cast<double>(pool_.size()));
    async_enabled_.Set(async_.load() ? 1 : 0);
  }

 private:
  static perfwatch::ClientOptions MetricsOptions(const ServiceOptions& o) {
    perfwatch::ClientOptions c = perfwatch::ClientOptions::FromEnvironment();
    if (!o.statsd.empty()) {
      const size_t colon = o.statsd.rfind(':');
      c.host = o.statsd.substr(0, colon);
      c.port = static_cast<uint16_t>(std::strtoul(o.statsd.c_str() + colon + 1, nullptr, 10));
    }
    c.app = o.app;
    c.prefix = o.app;  // "shop.request", "shop.cache.hits": docs/METRICS.md's conventions
    return c;
  }

  static perfwatch::TunerOptions TunerOptionsFor(const ServiceOptions& o) {
    perfwatch::TunerOptions t = perfwatch::TunerOptions::FromEnvironment();
    t.app = o.app;
    if (!o.perfwatch_url.empty()) t.url = o.perfwatch_url;
    t.heartbeat = std::chrono::milliseconds(o.heartbeat_ms);
    return t;
  }

  void DeclareKnobs() {
    tuner_.Number("cache.size", static_cast<double>(options_.cache_size), 10, 100000, 1, "items",
                  Knob([this](const perfwatch::Change& c) {
                    cache_.SetCapacity(static_cast<size_t>(c.value));
                  }));
    tuner_.Number(
        "cache.ttl_seconds", static_cast<double>(options_.cache_ttl), 1, 3600, 1, "seconds",
        Knob([this](const perfwatch::Change& c) { cache_.SetTtl(static_cast<int64_t>(c.value)); }));
    tuner_.Bool("async.enabled", options_.async,
                Knob([this](const perfwatch::Change& c) { async_ = c.enabled(); }));
    tuner_.Number(
        "pool.size", static_cast<double>(options_.pool_size), 1, 64, 1, "threads",
        Knob([this](const perfwatch::Change& c) { pool_.Resize(static_cast<size_t>(c.value)); }));
    tuner_.Describe("cache.size", "LRU cache capacity (entries of --payload-kb each)");
    tuner_.Describe("cache.ttl_seconds", "how long a cached item stays fresh");
    tuner_.Describe("async.enabled", "heavy work queued to a background thread");
    tuner_.Describe("pool.size", "request worker threads");

    tuner_.Hook("memory_cleanup", HookFn([this] {
                  const size_t n = cache_.DropExpiredAndShrink();
                  TrimHeap();
                  return "dropped " + std::to_string(n) + " entries";
                }));
    tuner_.Hook("cache_warmup", HookFn([this] { return Warm(); }));
    tuner_.Hook("move_heavy_to_background", HookFn([this] {
                  async_ = true;
                  tuner_.Set("async.enabled", 1);  // perfwatch sees it at once
                  return std::string("async.enabled = true");
                }));
    tuner_.Hook("emergency_cleanup", HookFn([this] {
                  const size_t n = cache_.Clear();
                  TrimHeap();
                  return "cleared " + std::to_string(n) + " entries";
                }));
  }

  // A knob callback that honours --reject, applies the change, logs and
  // records it.
  perfwatch::ChangeCallback Knob(std::function<void(const perfwatch::Change&)> apply) {
    return [this, apply = std::move(apply)](const perfwatch::Change& c) {
      const bool bool_knob = c.name == "async.enabled";
      auto text = [bool_knob](double v) {
        return bool_knob ? (v != 0 ? "true" : "false") : Num(v);
      };
      const bool rejected = options_.reject.count(c.name) != 0;
      if (!rejected) apply(c);
      Record({c.name, text(c.value), text(c.previous), c.rule, c.reason, !rejected});
      Log("change " + c.name + " " + text(c.previous) + " -> " + text(c.value) + " by " +
          (c.rule.empty() ? "?" : c.rule) + (rejected ? ": rejected (--reject)" : ": applied") +
          (c.reason.empty() ? "" : " (" + c.reason + ")"));
      UpdateGauges();
      return rejected ? perfwatch::TuneResult::Reject("rejected by --reject")
                      : perfwatch::TuneResult::Accept();
    };
  }

  perfwatch::HookCallback HookFn(std::function<std::string()> run) {
    return [this, run = std::move(run)](const perfwatch::HookCall& h) {
      const bool rejected = options_.reject.count(h.hook) != 0;
      const std::string what = rejected ? "rejected (--reject)" : run();
      {
        std::lock_guard<std::mutex> lock(mu_);
        HookRecord& r = hooks_[h.hook];
        r.rule = h.rule;
        ++r.count;
      }
      Log("hook " + h.hook + " by " + (h.rule.empty() ? "?" : h.rule) + ": " + what);
      UpdateGauges();
      return rejected ? perfwatch::TuneResult::Reject("rejected by --reject")
                      : perfwatch::TuneResult::Accept();
    };
  }

  // cache_warmup: the hottest keys not cached, loaded in one batch from the
  // backend (one backend delay for the batch).
  std::string Warm() {
    const std::vector<std::string> keys = cache_.HottestMissing(200);
    if (!keys.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(options_.backend_ms));
    for (const std::string& key : keys) cache_.Put(key);
    return "loaded " + std::to_string(keys.size()) + " hot keys";
  }

  static void TrimHeap() {
#ifdef __GLIBC__
    ::malloc_trim(0);  // give freed payload back, so the RSS shows the cleanup
#endif
  }

  void Record(ChangeRecord r) {
    std::lock_guard<std::mutex> lock(mu_);
    changes_.push_back(std::move(r));
    if (changes_.size() > 100) changes_.pop_front();
  }

  // A worker thread: one request of `conn`, then the connection goes back
  // to the poller (or again to the queue when the next request is already
  // buffered).
  void Handle(ConnectionPtr conn) {
    HttpRequest req;
    if (!ReadRequest(*conn, req)) return;
    int status = 200;
    std::string body;
    Route(req, status, body);
    const std::string_view reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Error";
    const std::string head =
        "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        (req.keep_alive ? "\r\n\r\n" : "\r\nConnection: close\r\n\r\n");
    const bool written = WriteAll(conn->fd, head + body);
    if (req.path.rfind("/item/", 0) == 0) {
      const std::chrono::duration<double, std::milli> ms = Clock::now() - conn->ready_since;
      pw_.Timing("request", ms.count(), {{"status", std::to_string(status)}});
    }
    if (!written || !req.keep_alive) return;
    conn->ready_since = Clock::now();
    if (conn->in.find("\r\n\r\n") != std::string::npos) {
      pool_.Submit(std::move(conn));
    } else {
      poller_.Return(std::move(conn));
    }
  }

  void Route(const HttpRequest& req, int& status, std::string& body) {
    const std::string path = req.path.substr(0, req.path.find('?'));
    if (req.method != "GET") {
      status = 405;
      body = R"({"error":"only GET"})";
    } else if (path.rfind("/item/", 0) == 0 && path.size() > 6 && path.size() <= 6 + 128) {
      body = Item(path.substr(6));
    } else if (path == "/stats") {
      body = StatsJson();
    } else if (path == "/health") {
      body = R"({"status":"ok"})";
    } else {
      status = 404;
      body = R"({"error":"not found"})";
    }
  }

  std::string Item(const std::string& key) {
    const bool hit = cache_.Get(key);
    (hit ? hits_ : misses_).Add(1);
    if (!hit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.backend_ms));
      cache_.Put(key);
    }
    const std::chrono::milliseconds heavy(options_.heavy_ms);
    if (async_.load()) {
      background_.Submit(heavy);
    } else {
      std::this_thread::sleep_for(heavy);
    }
    std::string out = "{\"key\":";
    AppendJsonString(out, key);
    return out + ",\"hit\":" + (hit ? "true" : "false") +
           ",\"bytes\":" + std::to_string(options_.payload_kb * 1024) + "}";
  }

  std::string StatsJson() {
    const ItemCache::Snapshot c = cache_.Stats();
    const BackgroundWorker::Counts bg = background_.Stats();
    const perfwatch::TunerStats t = tuner_.Stats();
    const bool async = async_.load();
    std::string out = "{\"app\":";
    AppendJsonString(out, options_.app);
    out += ",\"cache\":{\"capacity\":" + std::to_string(c.capacity) +
           ",\"entries\":" + std::to_string(c.entries) +
           ",\"ttl_seconds\":" + std::to_string(c.ttl_seconds) +
           ",\"hits\":" + std::to_string(c.hits) + ",\"misses\":" + std::to_string(c.misses) +
           "},\"pool\":{\"size\":" + std::to_string(pool_.size()) +
           ",\"queued\":" + std::to_string(pool_.queued()) +
           "},\"async\":" + (async ? "true" : "false") +
           ",\"background\":{\"queued\":" + std::to_string(bg.queued) +
           ",\"done\":" + std::to_string(bg.done) + ",\"dropped\":" + std::to_string(bg.dropped) +
           "},\"tunables\":{\"cache.size\":" + std::to_string(c.capacity) +
           ",\"cache.ttl_seconds\":" + std::to_string(c.ttl_seconds) +
           ",\"async.enabled\":" + (async ? "true" : "false") +
           ",\"pool.size\":" + std::to_string(pool_.size()) + "},\"changes\":[";
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < changes_.size(); ++i) {
      const ChangeRecord& r = changes_[i];
      out += i > 0 ? ",{\"name\":" : "{\"name\":";
      AppendJsonString(out, r.name);
      out += ",\"value\":" + r.value + ",\"previous\":" + r.previous + ",\"rule\":";
      AppendJsonString(out, r.rule);
      out += ",\"reason\":";
      AppendJsonString(out, r.reason);
      out += std::string(",\"accepted\":") + (r.accepted ? "true" : "false") + "}";
    }
    out += "],\"hooks\":[";
    bool first = true;
    for (const auto& [hook, r] : hooks_) {
      out += first ? "{\"hook\":" : ",{\"hook\":";
      first = false;
      AppendJsonString(out, hook);
      out += ",\"rule\":";
      AppendJsonString(out, r.rule);
      out += ",\"count\":" + std::to_string(r.count) + "}";
    }
    out += "],\"tuner\":{\"webhook\":";
    AppendJsonString(out, tuner_.webhook());
    out += ",\"registrations_ok\":" + std::to_string(t.registrations_ok) +
           ",\"registrations_failed\":" + std::to_string(t.registrations_failed) +
           ",\"changes_accepted\":" + std::to_string(t.changes_accepted) +
           ",\"changes_rejected\":" + std::to_string(t.changes_rejected) +
           ",\"hooks_called\":" + std::to_string(t.hooks_called) + "}}";
    return out;
  }

  struct HookRecord {
    std::string rule;  // the latest caller's
    uint64_t count = 0;
  };

  const ServiceOptions options_;
  perfwatch::Client pw_;
  ItemCache cache_;
  std::atomic<bool> async_;
  BackgroundWorker background_;
  Poller poller_;
  WorkerPool pool_;
  perfwatch::Tuner tuner_;
  perfwatch::Counter& hits_;
  perfwatch::Counter& misses_;
  perfwatch::Gauge& cache_size_;
  perfwatch::Gauge& cache_capacity_;
  perfwatch::Gauge& pool_size_;
  perfwatch::Gauge& async_enabled_;
  std::mutex mu_;
  std::deque<ChangeRecord> changes_;         // protected by mu_, the latest 100
  std::map<std::string, HookRecord> hooks_;  // protected by mu_
};

}  // namespace

int main(int argc, char** argv) {
  ServiceOptions options;
  if (const std::optional<int> exit_code = ParseCommandLine(argc, argv, options)) {
    return *exit_code;
  }
  // Every thread inherits the mask; main alone takes the signals
  // (sigtimedwait). A shell starts background jobs with SIGINT ignored, and
  // an ignored signal is discarded even while blocked: default first.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto service = std::make_unique<Service>(options);
  std::string error;
  if (!service->Start(error)) {
    std::cerr << "tuned_service: " << error << "\n";
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << service->port() << std::endl;
  Log("app " + options.app + ", knobs registered with " + service->tuner().options().url +
      " every " + std::to_string(options.heartbeat_ms) + " ms, webhook " +
      service->tuner().webhook());

  // Registration state changes are logged: "" (not yet), "ok" or the error.
  std::string last_state;
  const timespec tick{1, 0};
  while (::sigtimedwait(&signals, nullptr, &tick) < 0) {
    service->UpdateGauges();
    std::string state = service->tuner().LastError();
    if (state.empty() && service->tuner().Stats().registrations_ok > 0) state = "ok";
    if (state != last_state && !state.empty()) {
      Log(state == "ok" ? "registered with perfwatch" : "registration failed: " + state);
    }
    last_state = state;
  }
  Log("stopping");
  service->Stop();
  service.reset();
  return 0;
}
