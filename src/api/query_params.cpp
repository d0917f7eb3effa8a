#include "api/query_params.h"

#include <charconv>
#include <cmath>

namespace perfwatch {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Status AddParam(std::string_view piece, QueryParams& out) {
  size_t eq = piece.find('=');
  std::string_view raw_name = piece.substr(0, eq);
  std::string_view raw_value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
  Result<std::string> name = UrlDecode(raw_name, /*plus_as_space=*/true);
  if (!name.ok()) {
    return Status::InvalidArgument("invalid query parameter name \"" + std::string(raw_name) +
                                   "\": " + name.status().message());
  }
  Result<std::string> value = UrlDecode(raw_value, /*plus_as_space=*/true);
  if (!value.ok()) {
    return Status::InvalidArgument("invalid parameter '" + *name +
                                   "': " + value.status().message());
  }
  out.Add(std::move(*name), std::move(*value));
  return Status::Ok();
}

}  // namespace

Result<std::string> UrlDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::InvalidArgument("bad percent-escape at offset " + std::to_string(i));
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

const std::string* QueryParams::Get(std::string_view name) const {
  for (const auto& [n, v] : params_) {
    if (n == name) return &v;
  }
  return nullptr;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : params_) {
    if (n == name) out.push_back(v);
  }
  return out;
}

Result<RequestTarget> ParseRequestTarget(std::string_view target) {
  target = target.substr(0, target.find('#'));
  size_t q = target.find('?');
  RequestTarget out;
  Result<std::string> path = UrlDecode(target.substr(0, q), /*plus_as_space=*/false);
  if (!path.ok()) return Status::InvalidArgument("invalid path: " + path.status().message());
  out.path = std::move(*path);
  if (q == std::string_view::npos) return out;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    if (!piece.empty()) {
      if (Status st = AddParam(piece, out.query); !st.ok()) return st;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

Result<int64_t> ParseInt64(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("expected an integer, got \"" + std::string(text) + "\"");
  }
  return v;
}

Result<double> ParseFiniteDouble(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return Status::InvalidArgument("expected a number, got \"" + std::string(text) + "\"");
  }
  return v;
}

}  // namespace perfwatch
