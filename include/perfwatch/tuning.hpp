#pragma once
// perfwatch tuner: an application's knobs ("tunables") declared to
// perfwatch, and perfwatch's changes to them received as callbacks.
// Header-only, C++17 or later, standard library and POSIX sockets; the
// companion of client.hpp (metrics) and used beside it.
//
//   #include <perfwatch/tuning.hpp>
//
//   perfwatch::Tuner tuner;  // PERFWATCH_APP, PERFWATCH_URL, PERFWATCH_TOKEN
//   tuner.Number("cache.size", 1000, 10, 100000, 1, "items",
//                [&](const perfwatch::Change& c) {
//                  cache.Resize(static_cast<size_t>(c.value));
//                  return perfwatch::TuneResult::Accept();
//                });
//   tuner.Bool("async.enabled", false, [&](const perfwatch::Change& c) {
//     if (c.enabled() && !have_worker) return perfwatch::TuneResult::Reject("no worker");
//     async = c.enabled();
//     return perfwatch::TuneResult::Accept();
//   });
//   tuner.Hook("cache_warmup", [&](const perfwatch::HookCall&) {
//     cache.Warm();
//     return perfwatch::TuneResult::Accept();
//   });
//   tuner.Start();  // false (and why) when the listener cannot be bound
//
// How it talks to perfwatch (docs/API.md, POST /api/v1/tunables):
//   - Start() binds a small HTTP/1.1 listener (TunerOptions::listen, on
//     loopback by default) that takes POST /tune, the webhook perfwatch
//     delivers every change to: {"app","name","value","previous","rule",
//     "reason"} for a knob, {"app","hook","rule","reason"} for a hook. It
//     answers 200 {"ok":true} when the callback accepted, 409
//     {"error":"<reason>"} when it rejected (perfwatch records the reason
//     and does not retry), 404 for an unknown app, knob or hook, 400 for a
//     body that is not a flat JSON object of strings, numbers and booleans,
//     411 without Content-Length, 413 beyond 64 KiB, 408 when the request
//     does not arrive within TunerOptions::timeout (405/404 for another
//     method or path). One request per connection (Connection: close). A
//     knob's value changes only when its callback accepted; a value outside
//     the knob's limits is answered 409 without calling it.
//   - A registration thread POSTs every knob, with the webhook
//     "http://<advertise>:<port>/tune" and the hooks, to
//     <url>/api/v1/tunables at Start, every heartbeat, and after a failed
//     attempt again after a backoff (1 s doubling up to the heartbeat). The
//     heartbeat is what makes the channel survive perfwatch restarts and
//     keeps perfwatch's view of the values current; Set() and a knob
//     declared after Start() are registered at once.
//   Hooks travel with the knobs' registrations: an application that
//   declares hooks must declare at least one knob.
//   Anyone who can reach the listener can change the knobs, as anyone who
//   can reach perfwatch's StatsD port can send it metrics: keep `listen` on
//   loopback (the default) or a trusted network.
//
// Guarantees: nothing throws (a callback's exception is caught and answered
// as a rejection); Value(), Set() and the declarations take one mutex for a
// map look-up and never wait for I/O. Callbacks run one at a time on the
// listener thread, without the tuner's lock held, so they may call Value()
// and Set(); a slow callback delays the next delivery (perfwatch waits up to
// its delivery timeout, 10 s by default), so hand long work to a thread of
// your own.
//
// Thread-safety: every method may be called from any thread, callbacks
// included, except that the destructor and Stop() must not be called from a
// callback. Lifetime: callbacks are kept until the Tuner is destroyed and
// must stay callable until then (or until Stop() returns); Stop() and the
// destructor stop both threads promptly (an HTTP exchange in progress is
// abandoned; a host-name look-up of TunerOptions::url, and a callback that
// is running, are waited for).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
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
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>
#if !(defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L)
#include <locale>
#include <sstream>
#endif

namespace perfwatch {

struct TunerOptions {
  // The application's name, [A-Za-z0-9_.-]{1,64}: the `app` of every knob
  // and the `app` tag its metrics carry (client.hpp's ClientOptions::app).
  std::string app;
  // perfwatch's HTTP address; knobs are registered at <url>/api/v1/tunables.
  // http:// only; a path ("http://host/perfwatch") is kept as a prefix.
  std::string url = "http://127.0.0.1:8080";
  // Sent as "Authorization: Bearer <token>" when not empty (perfwatch's
  // server.token).
  std::string token;
  // Where the listener binds, "host:port" or "[v6addr]:port"; port 0 lets
  // the kernel choose (Tuner::port() tells which).
  std::string listen = "127.0.0.1:0";
  // The host perfwatch reaches the listener at, in the webhook URL. "" =
  // the listen host (127.0.0.1 for 0.0.0.0, ::1 for ::).
  std::string advertise;
  // How often the knobs are registered again (perfwatch's liveness signal).
  std::chrono::milliseconds heartbeat{10'000};
  // How long one registration exchange, and the arrival of one delivered
  // request, may take.
  std::chrono::milliseconds timeout{5'000};

  // Defaults overridden by PERFWATCH_APP, PERFWATCH_URL, PERFWATCH_TOKEN,
  // PERFWATCH_TUNER_LISTEN and PERFWATCH_TUNER_ADVERTISE when they are set.
  static TunerOptions FromEnvironment() noexcept;
};

// A callback's answer. Reject's reason is what perfwatch records in its
// audit ("pool.size above cores").
struct TuneResult {
  bool accepted = true;
  std::string reason;

  static TuneResult Accept() noexcept { return TuneResult{}; }
  static TuneResult Reject(std::string reason) noexcept {
    TuneResult r;
    r.accepted = false;
    r.reason = std::move(reason);
    return r;
  }
};

// One change perfwatch asks for. A bool knob's values are 0 and 1.
struct Change {
  std::string name;     // "cache.size"
  double value = 0;     // the new value, within the knob's min/max or allowed values
  double previous = 0;  // the knob's value in this process before the change
  std::string rule;     // the perfwatch rule that decided it ("" when not sent)
  std::string reason;   // why: the trigger and its value, or "rollback: ..."
  bool enabled() const noexcept { return value != 0; }
};

// One call of a named clean-up hook.
struct HookCall {
  std::string hook;  // "cache_warmup"
  std::string rule;
  std::string reason;
};

using ChangeCallback = std::function<TuneResult(const Change&)>;
using HookCallback = std::function<TuneResult(const HookCall&)>;

// What a Tuner did so far; every field only grows.
struct TunerStats {
  uint64_t registrations_ok = 0;
  uint64_t registrations_failed = 0;  // transport errors and non-2xx answers
  uint64_t changes_accepted = 0;
  uint64_t changes_rejected = 0;  // by a callback, or a value out of the knob's range
  uint64_t hooks_called = 0;      // hook callbacks run, accepted or not
  uint64_t hooks_rejected = 0;
  // Requests answered with another 4xx: malformed, unknown knob, hook or
  // app, missing Content-Length, too large, too slow.
  uint64_t bad_requests = 0;
};

namespace tuner_detail {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxBody = 64 * 1024;
constexpr size_t kMaxHead = 16 * 1024;
constexpr size_t kMaxAnswer = 1024 * 1024;
constexpr size_t kMaxKeys = 64;

#ifdef SOCK_CLOEXEC
constexpr int kCloseOnExec = SOCK_CLOEXEC;
#else
constexpr int kCloseOnExec = 0;
#endif
#ifdef MSG_NOSIGNAL
constexpr int kNoSignal = MSG_NOSIGNAL;
#else
constexpr int kNoSignal = 0;
#endif

inline bool IsAlnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// perfwatch's rule for app, knob and hook names: [A-Za-z0-9_.-]{1,max}.
inline bool ValidName(std::string_view s, size_t max) noexcept {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

inline bool EqualsNoCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Shortest text that reads back as `v`; JSON has no NaN or infinity and
// callers never pass them.
inline std::string FormatNumber(double v) {
  char buf[32];
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), v).ptr);
#else
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
#endif
}

// Reads a JSON number's text (already checked against the grammar),
// independent of the C locale. False when it does not fit a double.
inline bool ParseDouble(std::string_view text, double& out) noexcept {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L
  const auto r = std::from_chars(text.data(), text.data() + text.size(), out);
  return r.ec == std::errc() && r.ptr == text.data() + text.size() && std::isfinite(out);
#else
  try {
    std::istringstream in{std::string(text)};
    in.imbue(std::locale::classic());
    in >> out;
    return !in.fail() && in.peek() == std::char_traits<char>::eof() && std::isfinite(out);
  } catch (...) {
    return false;
  }
#endif
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

// A JSON string; invalid UTF-8 becomes U+FFFD, so perfwatch's parser never
// refuses what a description or a rejection reason holds.
inline void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  while (!s.empty()) {
    const size_t n = Utf8SequenceLength(s);
    const auto c = static_cast<unsigned char>(s[0]);
    if (n == 0) {
      out += "\\ufffd";
      s.remove_prefix(1);
      continue;
    }
    if (n > 1) {
      out.append(s.data(), n);
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    s.remove_prefix(n);
  }
  out += '"';
}

inline void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A value of a flat JSON object: a string, a number or a boolean.
struct JsonScalar {
  enum class Type { kString, kNumber, kBool };
  Type type = Type::kString;
  std::string text;   // kString
  double number = 0;  // kNumber; kBool: 0 or 1
};
using FlatObject = std::vector<std::pair<std::string, JsonScalar>>;

// A strict RFC 8259 parser for exactly one object whose values are strings,
// numbers or booleans: no null, no nesting, no duplicate keys, at most
// kMaxKeys keys, valid UTF-8, nothing after the object but whitespace.
class FlatJsonParser {
 public:
  explicit FlatJsonParser(std::string_view text) noexcept : s_(text) {}

  // False with error() naming what was wrong and the byte offset.
  bool Parse(FlatObject& out) {
    out.clear();
    SkipSpace();
    if (!Eat('{')) return Fail("expected a JSON object");
    SkipSpace();
    if (Eat('}')) return End();
    while (true) {
      if (Peek() != '"') return Fail("expected a string key");
      std::string key;
      if (!String(key)) return false;
      for (const auto& kv : out) {
        if (kv.first == key) return Fail("duplicate key \"" + key + "\"");
      }
      if (out.size() == kMaxKeys) return Fail("more than 64 keys");
      SkipSpace();
      if (!Eat(':')) return Fail("expected ':'");
      SkipSpace();
      JsonScalar value;
      if (!Value(key, value)) return false;
      out.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Eat('}')) return End();
      if (!Eat(',')) return Fail("expected ',' or '}'");
      SkipSpace();
    }
  }

  const std::string& error() const noexcept { return error_; }

 private:
  char Peek() const noexcept { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Eat(char c) noexcept {
    if (pos_ >= s_.size() || s_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() noexcept {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Fail(const std::string& what) {
    error_ = what + " at byte " + std::to_string(pos_);
    return false;
  }
  bool End() {
    SkipSpace();
    return pos_ == s_.size() || Fail("unexpected text after the object");
  }

  bool Value(const std::string& key, JsonScalar& out) {
    const char c = Peek();
    if (c == '"') return String(out.text);
    if (c == 't' || c == 'f') {
      const std::string_view word = c == 't' ? "true" : "false";
      if (s_.substr(pos_, word.size()) != word) return Fail("invalid literal");
      pos_ += word.size();
      out.type = JsonScalar::Type::kBool;
      out.number = c == 't' ? 1 : 0;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      out.type = JsonScalar::Type::kNumber;
      return Number(out.number);
    }
    if (c == 'n') return Fail("\"" + key + "\": null is not accepted");
    if (c == '{' || c == '[') {
      return Fail("\"" + key + "\": nested objects and arrays are not accepted");
    }
    return Fail("\"" + key + "\": expected a string, a number or a boolean");
  }

  bool Digits() noexcept {
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }

  bool Number(double& out) {
    const size_t start = pos_;
    Eat('-');
    if (Eat('0')) {
      if (Peek() >= '0' && Peek() <= '9') return Fail("leading zero in a number");
    } else if (!Digits()) {
      return Fail("invalid number");
    }
    if (Eat('.') && !Digits()) return Fail("invalid number");
    if (Eat('e') || Eat('E')) {
      if (!Eat('+')) Eat('-');
      if (!Digits()) return Fail("invalid number");
    }
    if (!ParseDouble(s_.substr(start, pos_ - start), out)) return Fail("number out of range");
    return true;
  }

  bool Hex4(uint32_t& out) {
    if (s_.size() - pos_ < 4) return Fail("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Fail("invalid \\u escape");
      }
    }
    return true;
  }

  bool Escape(std::string& out) {
    const char c = Peek();
    ++pos_;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        out += c;
        return true;
      case 'b':
        out += '\b';
        return true;
      case 'f':
        out += '\f';
        return true;
      case 'n':
        out += '\n';
        return true;
      case 'r':
        out += '\r';
        return true;
      case 't':
        out += '\t';
        return true;
      case 'u':
        break;
      default:
        --pos_;
        return Fail("invalid escape");
    }
    uint32_t cp;
    if (!Hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("lone low surrogate");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      uint32_t low;
      if (!Eat('\\') || !Eat('u') || !Hex4(low)) return Fail("lone high surrogate");
      if (low < 0xDC00 || low > 0xDFFF) return Fail("lone high surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(out, cp);
    return true;
  }

  bool String(std::string& out) {
    ++pos_;  // the opening quote
    while (pos_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        ++pos_;
        if (!Escape(out)) return false;
      } else if (c < 0x20) {
        return Fail("control character in a string");
      } else {
        const size_t n = Utf8SequenceLength(s_.substr(pos_));
        if (n == 0) return Fail("invalid UTF-8");
        out.append(s_.data() + pos_, n);
        pos_ += n;
      }
    }
    return Fail("unterminated string");
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

inline const JsonScalar* Find(const FlatObject& object, std::string_view key) noexcept {
  for (const auto& kv : object) {
    if (kv.first == key) return &kv.second;
  }
  return nullptr;
}

// "host:port" or "[v6addr]:port"; false when it is neither.
inline bool SplitHostPort(std::string_view text, std::string& host, std::string& port) {
  std::string_view h, p;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto r = std::from_chars(p.data(), p.data() + p.size(), value);
  if (h.empty() || p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() ||
      value > 65535) {
    return false;
  }
  host = std::string(h);
  port = std::string(p);
  return true;
}

// "host" or "[v6]" as a URL spells it.
inline std::string UrlHost(const std::string& host) {
  return host.find(':') == std::string::npos ? host : "[" + host + "]";
}

struct HttpUrl {
  std::string host;
  std::string port = "80";
  std::string authority;  // the Host header
  std::string base_path;  // "" or "/prefix", without a trailing '/'
};

// http://host[:port][/prefix]; false with `error` for anything else.
inline bool ParseHttpUrl(std::string_view url, HttpUrl& out, std::string& error) {
  constexpr std::string_view kScheme = "http://";
  if (url.size() < kScheme.size() || !EqualsNoCase(url.substr(0, kScheme.size()), kScheme)) {
    error = "perfwatch URL \"" + std::string(url) + "\": expected http://host[:port]";
    return false;
  }
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (!path.empty() && path.front() != '/') {
    error = "perfwatch URL \"" + std::string(url) + "\": no query or fragment expected";
    return false;
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const bool bracketed = !authority.empty() && authority.front() == '[';
  const size_t close = bracketed ? authority.find(']') : 0;
  const bool has_port = bracketed ? close != std::string_view::npos && close + 1 < authority.size()
                                  : authority.find(':') != std::string_view::npos;
  std::string host, port;
  bool ok;
  if (has_port) {
    ok = SplitHostPort(authority, host, port) && port != "0";
  } else {
    host = std::string(bracketed && close != std::string_view::npos ? authority.substr(1, close - 1)
                                                                    : authority);
    port = "80";
    ok = !host.empty() && (!bracketed || close != std::string_view::npos) &&
         authority.find('@') == std::string_view::npos;
  }
  if (!ok || host.find('@') != std::string::npos) {
    error = "perfwatch URL \"" + std::string(url) + "\": bad host or port";
    return false;
  }
  out.host = host;
  out.port = port;
  out.authority = std::string(authority);
  out.base_path = std::string(path);
  return true;
}

inline void SetNonBlocking(int fd) noexcept {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

// Closes a file descriptor when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) noexcept : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const noexcept { return fd_; }
  void Reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  int Release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

enum class Io { kReady, kEof, kTimeout, kStopped, kError };

// Waits for `events` on fd until `deadline`; kStopped as soon as `wake_fd`
// is readable (the tuner writes it once, when it stops).
inline Io Wait(int fd, short events, int wake_fd, Clock::time_point deadline) noexcept {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return Io::kTimeout;
    pollfd p[2] = {{fd, events, 0}, {wake_fd, POLLIN, 0}};
    const int n = ::poll(p, wake_fd >= 0 ? 2 : 1,
                         static_cast<int>(std::min<int64_t>(left.count() + 1, 60'000)));
    if (n < 0 && errno != EINTR) return Io::kError;
    if (n <= 0) continue;
    if (wake_fd >= 0 && p[1].revents != 0) return Io::kStopped;
    if (p[0].revents != 0) return Io::kReady;
  }
}

// Appends what arrives (at most `max` bytes) to `out`.
inline Io ReadSome(int fd, std::string& out, size_t max, int wake_fd, Clock::time_point deadline) {
  char buf[16 * 1024];
  while (true) {
    const ssize_t n = ::recv(fd, buf, std::min(sizeof(buf), max), 0);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      return Io::kReady;
    }
    if (n == 0) return Io::kEof;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Io::kError;
    const Io io = Wait(fd, POLLIN, wake_fd, deadline);
    if (io != Io::kReady) return io;
  }
}

inline Io SendAll(int fd, std::string_view data, int wake_fd, Clock::time_point deadline) noexcept {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), kNoSignal);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Io::kError;
    const Io io = Wait(fd, POLLOUT, wake_fd, deadline);
    if (io != Io::kReady) return io;
  }
  return Io::kReady;
}

inline std::string_view Trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The head of an HTTP message split into its start line and headers.
struct HttpHead {
  std::string_view start_line;
  std::vector<std::pair<std::string_view, std::string_view>> headers;

  // False when a header line has no ':'.
  bool Parse(std::string_view head) {
    size_t eol = head.find("\r\n");
    start_line = head.substr(0, eol);
    head = eol == std::string_view::npos ? "" : head.substr(eol + 2);
    while (!head.empty()) {
      eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      head = eol == std::string_view::npos ? "" : head.substr(eol + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0) return false;
      headers.emplace_back(line.substr(0, colon), Trim(line.substr(colon + 1)));
    }
    return true;
  }

  // Every value of header `name`.
  std::vector<std::string_view> All(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& h : headers) {
      if (EqualsNoCase(h.first, name)) out.push_back(h.second);
    }
    return out;
  }
};

// Content-Length's value; nullopt when absent, false in `ok` when malformed
// or given twice with different values.
inline std::optional<size_t> ContentLength(const HttpHead& head, bool& ok) {
  ok = true;
  std::optional<size_t> length;
  for (std::string_view v : head.All("Content-Length")) {
    size_t n = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || v.size() > 18 || r.ec != std::errc() || r.ptr != v.data() + v.size() ||
        (length && *length != n)) {
      ok = false;
      return std::nullopt;
    }
    length = n;
  }
  return length;
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// Connects to one of `url`'s addresses within `deadline`.
inline int Connect(const HttpUrl& url, int wake_fd, Clock::time_point deadline,
                   std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    error = "resolving " + url.host + ": " + ::gai_strerror(rc);
    return -1;
  }
  error = "connecting to " + url.authority + ": no address";
  int result = -1;
  for (addrinfo* a = found; a != nullptr && result < 0; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, SOCK_STREAM | kCloseOnExec, 0));
    if (fd.get() < 0) continue;
    SetNonBlocking(fd.get());
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        error = "connecting to " + url.authority + ": " + std::strerror(errno);
        continue;
      }
      const Io io = Wait(fd.get(), POLLOUT, wake_fd, deadline);
      int so_error = 0;
      socklen_t len = sizeof(so_error);
      if (io == Io::kReady) ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (io != Io::kReady || so_error != 0) {
        error = "connecting to " + url.authority + ": " +
                (io == Io::kTimeout   ? "timed out"
                 : io == Io::kStopped ? "stopped"
                                      : std::strerror(so_error != 0 ? so_error : errno));
        continue;
      }
    }
    result = fd.Release();
  }
  ::freeaddrinfo(found);
  return result;
}

// POSTs `body` as JSON to url.base_path + path with `extra_headers` (each
// line ending in "\r\n"); true with the answer's status and body, false with
// `error` when no answer arrived within `timeout`.
inline bool HttpPost(const HttpUrl& url, std::string_view path, const std::string& extra_headers,
                     const std::string& body, std::chrono::milliseconds timeout, int wake_fd,
                     HttpAnswer& answer, std::string& error) {
  const Clock::time_point deadline = Clock::now() + timeout;
  UniqueFd fd(Connect(url, wake_fd, deadline, error));
  if (fd.get() < 0) return false;
  std::string request =
      "POST " + url.base_path + std::string(path) + " HTTP/1.1\r\nHost: " + url.authority +
      "\r\nUser-Agent: perfwatch-tuner\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
  if (SendAll(fd.get(), request, wake_fd, deadline) != Io::kReady) {
    error = "sending to " + url.authority + ": failed or timed out";
    return false;
  }
  std::string in;
  size_t head_end = std::string::npos;
  std::optional<size_t> length;
  while (true) {
    if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
      HttpHead head;
      bool ok = head.Parse(std::string_view(in).substr(0, head_end));
      length = ContentLength(head, ok);
      if (!ok) break;
    }
    if (head_end != std::string::npos && length && in.size() >= head_end + 4 + *length) break;
    if (in.size() >= kMaxAnswer) break;
    const Io io = ReadSome(fd.get(), in, kMaxAnswer - in.size(), wake_fd, deadline);
    if (io == Io::kEof) break;
    if (io != Io::kReady) {
      error = "reading from " + url.authority + ": " +
              (io == Io::kTimeout   ? "timed out"
               : io == Io::kStopped ? "stopped"
                                    : "failed");
      return false;
    }
  }
  int status = 0;
  const bool is_http = in.compare(0, 7, "HTTP/1.") == 0 && in.size() >= 12 && in[8] == ' ';
  if (is_http) std::from_chars(in.data() + 9, in.data() + 12, status);
  if (!is_http || head_end == std::string::npos || status < 100 || status > 599) {
    error = "reading from " + url.authority + ": not an HTTP answer";
    return false;
  }
  answer.status = status;
  answer.body = in.substr(head_end + 4, length ? *length : std::string::npos);
  return true;
}

// One request read by the listener: the status to answer when it is
// already clear (0 = dispatch it), or nothing at all (`drop`).
struct Request {
  int status = 0;
  std::string error;
  bool drop = false;
  std::string body;
};

inline std::string_view ReasonPhrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

}  // namespace tuner_detail

// Declares knobs, registers them with perfwatch and receives its changes.
// Thread-safe (see the file comment); not copyable.
class Tuner {
 public:
  explicit Tuner(TunerOptions options = TunerOptions::FromEnvironment()) noexcept
      : options_(std::move(options)) {
    if (options_.heartbeat.count() <= 0) options_.heartbeat = std::chrono::seconds(10);
    if (options_.timeout.count() <= 0) options_.timeout = std::chrono::seconds(5);
  }
  ~Tuner() { Stop(); }
  Tuner(const Tuner&) = delete;
  Tuner& operator=(const Tuner&) = delete;

  // perfwatch takes at most this many knobs per application.
  static constexpr size_t kMaxKnobs = 64;

  // Declares a number knob: min <= value <= max, step >= 0 (0 = any value;
  // perfwatch rounds a knob whose value, min, max and step are whole
  // numbers), all finite. False for an invalid or repeated name, invalid
  // numbers, or beyond kMaxKnobs. `callback` empty = every change is
  // accepted.
  bool Number(std::string_view name, double value, double min, double max, double step,
              std::string_view unit, ChangeCallback callback = {}) noexcept {
    if (!(min <= value && value <= max && step >= 0) || !std::isfinite(min) ||
        !std::isfinite(max) || !std::isfinite(step)) {
      return false;
    }
    return Declare(name, value, [&](Knob& k) {
      k.min = min;
      k.max = max;
      k.step = step;
      k.unit = std::string(unit);
      k.callback = std::move(callback);
    });
  }
  // A bool knob: changes carry 0 or 1 (Change::enabled()).
  bool Bool(std::string_view name, bool value, ChangeCallback callback = {}) noexcept {
    return Declare(name, value ? 1 : 0, [&](Knob& k) {
      k.is_bool = true;
      k.callback = std::move(callback);
    });
  }
  // A knob that takes only the `allowed` values (finite; sorted here);
  // `value` must be one of them.
  bool Choice(std::string_view name, double value, std::vector<double> allowed,
              std::string_view unit, ChangeCallback callback = {}) noexcept {
    if (allowed.empty() || std::find(allowed.begin(), allowed.end(), value) == allowed.end() ||
        !std::all_of(allowed.begin(), allowed.end(), [](double v) { return std::isfinite(v); })) {
      return false;
    }
    return Declare(name, value, [&](Knob& k) {
      std::sort(allowed.begin(), allowed.end());
      allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
      k.allowed = std::move(allowed);
      k.unit = std::string(unit);
      k.callback = std::move(callback);
    });
  }
  // A named clean-up hook ("memory_cleanup", "cache_warmup",
  // "move_heavy_to_background", "emergency_cleanup"). At most 16.
  bool Hook(std::string_view name, HookCallback callback) noexcept {
    try {
      if (!tuner_detail::ValidName(name, 64)) return false;
      auto hook = std::make_unique<HookEntry>();
      hook->callback = std::move(callback);
      std::lock_guard<std::mutex> lock(mutex_);
      if (hooks_.size() >= 16 || hooks_.count(name) != 0) return false;
      hooks_.emplace(std::string(name), std::move(hook));
      MarkDirtyLocked();
      return true;
    } catch (...) {
      return false;
    }
  }
  // The text perfwatch shows for a declared knob.
  bool Describe(std::string_view name, std::string_view description) noexcept {
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = knobs_.find(name);
      if (it == knobs_.end()) return false;
      it->second->description = std::string(description);
      MarkDirtyLocked();
      return true;
    } catch (...) {
      return false;
    }
  }

  // Binds the listener and starts the listener and registration threads.
  // False (with `*error` saying why, when given) for a missing or invalid
  // app name, a malformed url or listen address, a listener that cannot be
  // bound, a second call, or no thread.
  bool Start(std::string* error = nullptr) noexcept {
    std::string why;
    try {
      if (StartListener(why)) {
        listener_ = std::thread([this] { ListenLoop(); });
        registrar_ = std::thread([this] { RegisterLoop(); });
        return true;
      }
    } catch (...) {
      why = "could not start the tuner's threads";
    }
    Stop();
    if (error != nullptr) *error = why;
    return false;
  }

  // Stops both threads and closes the listener; idempotent. Not from a
  // callback.
  void Stop() noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (wake_pipe_[1] >= 0) {
      const char byte = 1;
      [[maybe_unused]] const ssize_t n = ::write(wake_pipe_[1], &byte, 1);
    }
    if (listener_.joinable()) listener_.join();
    if (registrar_.joinable()) registrar_.join();
    listen_fd_.Reset();
    for (int& fd : wake_pipe_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  }

  // The knob's value now (a bool's: 0 or 1); NaN for an undeclared name.
  double Value(std::string_view name) const noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = knobs_.find(name);
    return it == knobs_.end() ? std::nan("") : it->second->value;
  }
  bool Enabled(std::string_view name) const noexcept {
    const double v = Value(name);
    return v == v && v != 0;
  }

  // The application changed the knob itself: recorded and registered at
  // once. False for an undeclared name or a value the knob cannot take (a
  // bool's: 0 or 1).
  bool Set(std::string_view name, double value) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = knobs_.find(name);
    if (it == knobs_.end() || !it->second->Accepts(value).empty()) return false;
    it->second->value = value;
    MarkDirtyLocked();
    return true;
  }

  // The listener's port (0 before Start) and the webhook URL registered.
  uint16_t port() const noexcept { return port_.load(); }
  std::string webhook() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return webhook_;
  }
  const TunerOptions& options() const noexcept { return options_; }

  TunerStats Stats() const noexcept {
    auto get = [](const std::atomic<uint64_t>& n) { return n.load(std::memory_order_relaxed); };
    TunerStats s;
    s.registrations_ok = get(counts_.registrations_ok);
    s.registrations_failed = get(counts_.registrations_failed);
    s.changes_accepted = get(counts_.changes_accepted);
    s.changes_rejected = get(counts_.changes_rejected);
    s.hooks_called = get(counts_.hooks_called);
    s.hooks_rejected = get(counts_.hooks_rejected);
    s.bad_requests = get(counts_.bad_requests);
    return s;
  }
  // Why the latest registration failed; "" once one succeeded again.
  std::string LastError() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_error_;
  }

 private:
  struct Knob {
    bool is_bool = false;
    std::optional<double> min;
    std::optional<double> max;
    double step = 0;
    std::vector<double> allowed;
    std::string unit;
    std::string description;  // protected by mutex_
    // Written before the knob is published, then only read (without the
    // lock, by the listener thread).
    ChangeCallback callback;
    double value = 0;  // protected by mutex_

    // "" when the knob can take `v`, else why not.
    std::string Accepts(double v) const {
      using tuner_detail::FormatNumber;
      if (!std::isfinite(v)) return "value is not finite";
      if (is_bool) return v == 0 || v == 1 ? "" : "value " + FormatNumber(v) + " is not 0 or 1";
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
        return "value " + FormatNumber(v) + " is not one of the allowed values";
      }
      if (min && v < *min)
        return "value " + FormatNumber(v) + " is below min " + FormatNumber(*min);
      if (max && v > *max)
        return "value " + FormatNumber(v) + " is above max " + FormatNumber(*max);
      return "";
    }
  };
  struct HookEntry {
    HookCallback callback;  // written before the hook is published
  };
  struct Counts {
    std::atomic<uint64_t> registrations_ok{0};
    std::atomic<uint64_t> registrations_failed{0};
    std::atomic<uint64_t> changes_accepted{0};
    std::atomic<uint64_t> changes_rejected{0};
    std::atomic<uint64_t> hooks_called{0};
    std::atomic<uint64_t> hooks_rejected{0};
    std::atomic<uint64_t> bad_requests{0};
  };
  struct Answer {
    int status = 200;
    std::string error;  // the {"error":...} of a status other than 200
  };

  static void Bump(std::atomic<uint64_t>& n) noexcept { n.fetch_add(1, std::memory_order_relaxed); }

  template <typename Fill>
  bool Declare(std::string_view name, double value, Fill&& fill) noexcept {
    try {
      if (!tuner_detail::ValidName(name, 128) || !std::isfinite(value)) return false;
      auto knob = std::make_unique<Knob>();
      knob->value = value;
      fill(*knob);
      std::lock_guard<std::mutex> lock(mutex_);
      if (knobs_.count(name) != 0 || knobs_.size() >= kMaxKnobs) return false;
      knobs_.emplace(std::string(name), std::move(knob));
      MarkDirtyLocked();
      return true;
    } catch (...) {
      return false;
    }
  }

  // Requires mutex_. Wakes the registration thread.
  void MarkDirtyLocked() noexcept {
    dirty_ = true;
    wake_.notify_all();
  }

  bool StartListener(std::string& why) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (started_) {
        why = "already started";
        return false;
      }
      started_ = true;
      stop_ = false;
    }
    if (!tuner_detail::ValidName(options_.app, 64)) {
      why = "app name \"" + options_.app +
            "\" is not [A-Za-z0-9_.-]{1,64} (TunerOptions::app or PERFWATCH_APP)";
      return false;
    }
    if (!tuner_detail::ParseHttpUrl(options_.url, perfwatch_, why)) return false;
    std::string host, port;
    if (!tuner_detail::SplitHostPort(options_.listen, host, port)) {
      why = "listen address \"" + options_.listen + "\": expected host:port";
      return false;
    }
    if (::pipe(wake_pipe_) != 0) {
      why = std::string("pipe: ") + std::strerror(errno);
      return false;
    }
    for (int fd : wake_pipe_) tuner_detail::SetNonBlocking(fd);
    if (!Bind(host, port, why)) return false;
    std::string advertise = options_.advertise;
    if (advertise.empty()) {
      advertise = host == "0.0.0.0" ? "127.0.0.1" : host == "::" ? "::1" : host;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    webhook_ =
        "http://" + tuner_detail::UrlHost(advertise) + ":" + std::to_string(port_.load()) + "/tune";
    return true;
  }

  bool Bind(const std::string& host, const std::string& port, std::string& why) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0 || found == nullptr) {
      why = "listen address " + options_.listen + ": " + ::gai_strerror(rc);
      return false;
    }
    why = "listen address " + options_.listen + ": no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      tuner_detail::UniqueFd fd(
          ::socket(a->ai_family, SOCK_STREAM | tuner_detail::kCloseOnExec, 0));
      if (fd.get() < 0) continue;
      const int one = 1;
      ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (::bind(fd.get(), a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd.get(), 64) != 0) {
        why = "binding " + options_.listen + ": " + std::strerror(errno);
        continue;
      }
      sockaddr_storage bound{};
      socklen_t len = sizeof(bound);
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &len);
      port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
      tuner_detail::SetNonBlocking(fd.get());
      listen_fd_.Reset(fd.Release());
      break;
    }
    ::freeaddrinfo(found);
    return listen_fd_.get() >= 0;
  }

  // The listener thread: one connection at a time, one request per
  // connection (Connection: close), each bounded by options_.timeout.
  void ListenLoop() noexcept {
    while (true) {
      pollfd p[2] = {{listen_fd_.get(), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
      const int n = ::poll(p, 2, -1);
      if (n < 0 && errno != EINTR) return;
      if (n <= 0) continue;
      if (p[1].revents != 0) return;
      tuner_detail::UniqueFd conn(::accept(listen_fd_.get(), nullptr, nullptr));
      if (conn.get() < 0) {
        // Out of descriptors: wait a little instead of spinning on poll.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          tuner_detail::Wait(wake_pipe_[0], POLLIN, -1,
                             tuner_detail::Clock::now() + std::chrono::milliseconds(100));
        }
        continue;
      }
      tuner_detail::SetNonBlocking(conn.get());
      try {
        Serve(conn.get());
      } catch (...) {  // allocation failure: the connection is dropped
      }
    }
  }

  void Serve(int fd) {
    const auto deadline = tuner_detail::Clock::now() + options_.timeout;
    tuner_detail::Request request = ReadRequest(fd, deadline);
    if (request.drop) return;
    Answer answer;
    if (request.status != 0) {
      answer.status = request.status;
      answer.error = std::move(request.error);
    } else {
      answer = Dispatch(request.body);
    }
    if (answer.status >= 400 && answer.status != 409) Bump(counts_.bad_requests);
    std::string body;
    if (answer.status == 200) {
      body = "{\"ok\":true}";
    } else {
      body = "{\"error\":";
      tuner_detail::AppendJsonString(body, answer.error);
      body += '}';
    }
    std::string out =
        "HTTP/1.1 " + std::to_string(answer.status) + " " +
        std::string(tuner_detail::ReasonPhrase(answer.status)) +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n" + (answer.status == 405 ? "Allow: POST\r\n" : "") + "\r\n" +
        body;
    const int wake = wake_pipe_[0];
    const auto write_deadline =
        std::max(deadline, tuner_detail::Clock::now() + std::chrono::seconds(1));
    if (tuner_detail::SendAll(fd, out, wake, write_deadline) != tuner_detail::Io::kReady) return;
    // Reads what the peer still sends (a body not read after an early
    // answer) so closing does not reset the connection before it reads ours.
    ::shutdown(fd, SHUT_WR);
    std::string sink;
    const auto drain_deadline = tuner_detail::Clock::now() + std::chrono::milliseconds(500);
    while (sink.size() < 4 * tuner_detail::kMaxBody) {
      sink.clear();
      if (tuner_detail::ReadSome(fd, sink, 16 * 1024, wake, drain_deadline) !=
          tuner_detail::Io::kReady) {
        break;
      }
    }
  }

  tuner_detail::Request ReadRequest(int fd, tuner_detail::Clock::time_point deadline) {
    using tuner_detail::Io;
    tuner_detail::Request r;
    std::string in;
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      if (in.size() > tuner_detail::kMaxHead) return Refuse(r, 431, "request head too large");
      const Io io = tuner_detail::ReadSome(fd, in, tuner_detail::kMaxHead + 4 - in.size() + 1,
                                           wake_pipe_[0], deadline);
      if (io == Io::kTimeout) return Refuse(r, 408, "request not received in time");
      if (io != Io::kReady) {
        r.drop = true;
        return r;
      }
    }
    tuner_detail::HttpHead head;
    if (!head.Parse(std::string_view(in).substr(0, head_end))) {
      return Refuse(r, 400, "malformed request head");
    }
    const std::string_view line = head.start_line;
    const size_t sp1 = line.find(' ');
    const size_t sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1 || line.substr(sp2 + 1, 7) != "HTTP/1.") {
      return Refuse(r, 400, "malformed request line");
    }
    const std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    if (target != "/tune") return Refuse(r, 404, "no such route; perfwatch POSTs to /tune");
    if (method != "POST") return Refuse(r, 405, "only POST");
    if (!head.All("Transfer-Encoding").empty()) {
      return Refuse(r, 411, "Content-Length required (no Transfer-Encoding)");
    }
    bool ok;
    const std::optional<size_t> length = tuner_detail::ContentLength(head, ok);
    if (!ok) return Refuse(r, 400, "malformed Content-Length");
    if (!length) return Refuse(r, 411, "Content-Length required");
    if (*length > tuner_detail::kMaxBody) return Refuse(r, 413, "body larger than 64 KiB");
    for (std::string_view expect : head.All("Expect")) {
      if (tuner_detail::EqualsNoCase(expect, "100-continue") && in.size() == head_end + 4) {
        tuner_detail::SendAll(fd, "HTTP/1.1 100 Continue\r\n\r\n", wake_pipe_[0], deadline);
      }
    }
    r.body = in.substr(head_end + 4);
    while (r.body.size() < *length) {
      const Io io =
          tuner_detail::ReadSome(fd, r.body, *length - r.body.size(), wake_pipe_[0], deadline);
      if (io == Io::kTimeout) return Refuse(r, 408, "request body not received in time");
      if (io != Io::kReady) {
        r.drop = true;
        return r;
      }
    }
    r.body.resize(*length);  // bytes of a pipelined next request are ignored
    return r;
  }

  static tuner_detail::Request Refuse(tuner_detail::Request& r, int status, std::string error) {
    r.status = status;
    r.error = std::move(error);
    return std::move(r);
  }

  Answer Dispatch(const std::string& text) {
    using tuner_detail::JsonScalar;
    tuner_detail::FlatObject body;
    tuner_detail::FlatJsonParser parser(text);
    if (!parser.Parse(body)) return {400, "invalid JSON body: " + parser.error()};
    for (const char* key : {"app", "name", "hook", "rule", "reason"}) {
      const JsonScalar* v = tuner_detail::Find(body, key);
      if (v != nullptr && v->type != JsonScalar::Type::kString) {
        return {400, std::string("\"") + key + "\" must be a string"};
      }
    }
    const JsonScalar* app = tuner_detail::Find(body, "app");
    if (app != nullptr && app->text != options_.app) {
      return {404, "unknown app \"" + app->text + "\"; this is \"" + options_.app + "\""};
    }
    const JsonScalar* name = tuner_detail::Find(body, "name");
    const JsonScalar* hook = tuner_detail::Find(body, "hook");
    if ((name == nullptr) == (hook == nullptr)) {
      return {400, "expected exactly one of \"name\" and \"hook\""};
    }
    const JsonScalar* rule = tuner_detail::Find(body, "rule");
    const JsonScalar* reason = tuner_detail::Find(body, "reason");
    const std::string no_text;
    const std::string& rule_text = rule != nullptr ? rule->text : no_text;
    const std::string& reason_text = reason != nullptr ? reason->text : no_text;
    if (hook != nullptr) return CallHook(hook->text, rule_text, reason_text);
    const JsonScalar* value = tuner_detail::Find(body, "value");
    const JsonScalar* previous = tuner_detail::Find(body, "previous");
    if (value == nullptr) return {400, "missing \"value\""};
    if (value->type == JsonScalar::Type::kString ||
        (previous != nullptr && previous->type == JsonScalar::Type::kString)) {
      return {400, "\"value\" and \"previous\" must be numbers or booleans"};
    }
    return ApplyChange(name->text, *value, rule_text, reason_text);
  }

  Answer CallHook(const std::string& name, const std::string& rule, const std::string& reason) {
    const HookEntry* hook;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = hooks_.find(name);
      if (it == hooks_.end()) return {404, "unknown hook \"" + name + "\""};
      hook = it->second.get();
    }
    Bump(counts_.hooks_called);
    TuneResult result = Run(hook->callback, HookCall{name, rule, reason});
    if (result.accepted) return {};
    Bump(counts_.hooks_rejected);
    return {409, result.reason};
  }

  Answer ApplyChange(const std::string& name, const tuner_detail::JsonScalar& value,
                     const std::string& rule, const std::string& reason) {
    using tuner_detail::JsonScalar;
    Knob* knob;
    Change change{name, value.number, 0, rule, reason};
    std::string refused;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = knobs_.find(name);
      if (it == knobs_.end()) return {404, "unknown tunable \"" + name + "\""};
      knob = it->second.get();
      if (value.type == JsonScalar::Type::kBool && !knob->is_bool) {
        return {400, "\"value\" of " + name + " must be a number"};
      }
      change.previous = knob->value;
      refused = knob->Accepts(value.number);
    }
    TuneResult result =
        refused.empty() ? Run(knob->callback, change) : TuneResult::Reject(std::move(refused));
    if (!result.accepted) {
      Bump(counts_.changes_rejected);
      return {409, result.reason.empty() ? "rejected" : result.reason};
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      knob->value = change.value;
      // A registration on its way carries the old value and would undo
      // this in perfwatch's view: the next one follows at once.
      if (registering_) MarkDirtyLocked();
    }
    Bump(counts_.changes_accepted);
    return {};
  }

  // Runs a callback; an empty one accepts, an exception rejects.
  template <typename Callback, typename Arg>
  static TuneResult Run(const Callback& callback, const Arg& arg) noexcept {
    if (!callback) return TuneResult::Accept();
    try {
      return callback(arg);
    } catch (const std::exception& e) {
      return TuneResult::Reject(std::string("callback threw: ") + e.what());
    } catch (...) {
      return TuneResult::Reject("callback threw");
    }
  }

  // The registration thread: at once, then every heartbeat; after a
  // failure again after the backoff; at once when a knob changed.
  void RegisterLoop() noexcept {
    const std::chrono::milliseconds first_backoff =
        std::min<std::chrono::milliseconds>(std::chrono::seconds(1), options_.heartbeat);
    std::chrono::milliseconds backoff = first_backoff;
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      dirty_ = false;
      bool ok = true;
      try {
        if (!knobs_.empty()) {
          std::string body = RegistrationBodyLocked();
          registering_ = true;
          lock.unlock();
          ok = Register(body);
          lock.lock();
        }
      } catch (...) {
        if (!lock.owns_lock()) lock.lock();
        ok = false;
      }
      registering_ = false;
      const std::chrono::milliseconds wait = ok ? options_.heartbeat : backoff;
      backoff = ok ? first_backoff : std::min(backoff * 2, options_.heartbeat);
      wake_.wait_for(lock, wait, [this] { return stop_ || dirty_; });
    }
  }

  // Requires mutex_. The JSON array POST /api/v1/tunables takes.
  std::string RegistrationBodyLocked() const {
    using tuner_detail::AppendJsonString;
    using tuner_detail::FormatNumber;
    std::string hooks;
    for (const auto& h : hooks_) {
      hooks += hooks.empty() ? "[" : ",";
      AppendJsonString(hooks, h.first);
    }
    if (!hooks.empty()) hooks += ']';
    std::string out = "[";
    for (const auto& [name, knob] : knobs_) {
      if (out.size() > 1) out += ',';
      out += "{\"app\":";
      AppendJsonString(out, options_.app);
      out += ",\"name\":";
      AppendJsonString(out, name);
      out += ",\"value\":";
      out += knob->is_bool ? (knob->value != 0 ? "true" : "false") : FormatNumber(knob->value);
      if (knob->min) out += ",\"min\":" + FormatNumber(*knob->min);
      if (knob->max) out += ",\"max\":" + FormatNumber(*knob->max);
      if (knob->step > 0) out += ",\"step\":" + FormatNumber(knob->step);
      if (!knob->allowed.empty()) {
        out += ",\"allowed\":[";
        for (size_t i = 0; i < knob->allowed.size(); ++i) {
          if (i > 0) out += ',';
          out += FormatNumber(knob->allowed[i]);
        }
        out += ']';
      }
      if (!knob->unit.empty()) {
        out += ",\"unit\":";
        AppendJsonString(out, knob->unit);
      }
      if (!knob->description.empty()) {
        out += ",\"description\":";
        AppendJsonString(out, knob->description);
      }
      out += ",\"webhook\":";
      AppendJsonString(out, webhook_);
      if (!hooks.empty()) out += ",\"hooks\":" + hooks;
      out += '}';
    }
    return out + ']';
  }

  bool Register(const std::string& body) {
    std::string auth;
    if (!options_.token.empty()) auth = "Authorization: Bearer " + options_.token + "\r\n";
    tuner_detail::HttpAnswer answer;
    std::string error;
    bool ok = tuner_detail::HttpPost(perfwatch_, "/api/v1/tunables", auth, body, options_.timeout,
                                     wake_pipe_[0], answer, error);
    if (ok && (answer.status < 200 || answer.status > 299)) {
      ok = false;
      error = "POST " + options_.url + "/api/v1/tunables: " + std::to_string(answer.status) + " " +
              answer.body.substr(0, 200);
    }
    Bump(ok ? counts_.registrations_ok : counts_.registrations_failed);
    std::lock_guard<std::mutex> lock(mutex_);
    last_error_ = ok ? "" : error;
    return ok;
  }

  TunerOptions options_;
  tuner_detail::HttpUrl perfwatch_;  // set by Start before the threads run
  Counts counts_;
  std::atomic<uint16_t> port_{0};
  tuner_detail::UniqueFd listen_fd_;
  // [0] is polled by both threads, [1] written once by Stop: a level that
  // stays readable, so every wait ends promptly.
  int wake_pipe_[2] = {-1, -1};
  std::thread listener_;
  std::thread registrar_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  // Protected by mutex_. Knobs and hooks are never removed, so a pointer
  // taken under the lock stays valid without it.
  std::map<std::string, std::unique_ptr<Knob>, std::less<>> knobs_;
  std::map<std::string, std::unique_ptr<HookEntry>, std::less<>> hooks_;
  std::string webhook_;
  std::string last_error_;
  bool dirty_ = false;
  bool registering_ = false;  // a registration is being sent
  bool stop_ = false;
  bool started_ = false;
};

inline TunerOptions TunerOptions::FromEnvironment() noexcept {
  TunerOptions options;
  try {
    auto set = [](const char* name, std::string& field) {
      const char* v = std::getenv(name);
      if (v != nullptr && *v != '\0') field = v;
    };
    set("PERFWATCH_APP", options.app);
    set("PERFWATCH_URL", options.url);
    set("PERFWATCH_TOKEN", options.token);
    set("PERFWATCH_TUNER_LISTEN", options.listen);
    set("PERFWATCH_TUNER_ADVERTISE", options.advertise);
  } catch (...) {
  }
  return options;
}

}  // namespace perfwatch
