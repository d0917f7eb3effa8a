// Request-target parsing (api/query_params.h) on arbitrary text. A target
// that parses must agree with a plain reading of RFC 3986 (path, then
// '&'-separated name=value pairs, fragment dropped), and must come back
// unchanged after percent-encoding its decoded parts and parsing again. The
// strict number parsers must read their own printing back.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/query_params.h"

namespace {

using perfwatch::RequestTarget;
using Params = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes every byte but unreserved ones (and '/' in paths).
std::string Encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                       u == '-' || u == '.' || u == '_' || u == '~' || (keep_slash && u == '/');
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::string Decode(std::string_view text, bool plus_as_space) {
  auto decoded = perfwatch::UrlDecode(text, plus_as_space);
  if (!decoded.ok()) __builtin_trap();  // only called once the whole target parsed
  return *decoded;
}

// The reference reading of a target that ParseRequestTarget accepted.
Params ExpectedParams(std::string_view target) {
  target = target.substr(0, target.find('#'));
  const size_t q = target.find('?');
  Params out;
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (true) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    if (!piece.empty()) {
      const size_t eq = piece.find('=');
      out.emplace_back(Decode(piece.substr(0, eq), true),
                       eq == std::string_view::npos ? "" : Decode(piece.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

void CheckMatches(const RequestTarget& target, const Params& params) {
  if (target.query.size() != params.size()) __builtin_trap();
  for (const auto& [name, value] : params) {
    std::vector<std::string_view> values;
    for (const auto& [n, v] : params) {
      if (n == name) values.push_back(v);
    }
    if (target.query.GetAll(name) != values) __builtin_trap();
    const std::string* first = target.query.Get(name);
    if (first == nullptr || *first != values.front()) __builtin_trap();
  }
}

void CheckNumbers(std::string_view text) {
  if (auto n = perfwatch::ParseInt64(text); n.ok()) {
    auto again = perfwatch::ParseInt64(std::to_string(*n));
    if (!again.ok() || *again != *n) __builtin_trap();
  }
  if (auto d = perfwatch::ParseFiniteDouble(text); d.ok()) {
    if (!std::isfinite(*d)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (bool plus : {false, true}) {
    auto decoded = perfwatch::UrlDecode(text, plus);
    if (decoded.ok() && decoded->size() > text.size()) __builtin_trap();
    // Encoding then decoding any bytes gives them back.
    auto back = perfwatch::UrlDecode(Encode(text, false), plus);
    if (!back.ok() || *back != text) __builtin_trap();
  }
  CheckNumbers(text);

  auto target = perfwatch::ParseRequestTarget(text);
  if (!target.ok()) {
    if (target.status().message().empty()) __builtin_trap();
    return 0;
  }
  const Params params = ExpectedParams(text);
  const std::string_view before_fragment = text.substr(0, text.find('#'));
  if (target->path != Decode(before_fragment.substr(0, before_fragment.find('?')), false)) {
    __builtin_trap();
  }
  CheckMatches(*target, params);

  std::string encoded = Encode(target->path, true);
  char separator = '?';
  for (const auto& [name, value] : params) {
    encoded += separator;
    encoded += Encode(name, false) + "=" + Encode(value, false);
    separator = '&';
    CheckNumbers(value);
  }
  auto again = perfwatch::ParseRequestTarget(encoded);
  if (!again.ok() || again->path != target->path) __builtin_trap();
  CheckMatches(*again, params);
  return 0;
}
