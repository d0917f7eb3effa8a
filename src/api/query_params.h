#pragma once
// Request-target parsing: percent-decoding and the query string. Pure
// functions over text; safe from any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/status.h"

namespace perfwatch {

// Decodes %XX escapes; with `plus_as_space` (query strings, per HTML form
// encoding) '+' becomes ' '. Fails on a truncated or non-hex escape, naming
// its offset.
Result<std::string> UrlDecode(std::string_view text, bool plus_as_space);

// Decoded query parameters in request order. A name may repeat.
class QueryParams {
 public:
  void Add(std::string name, std::string value) {
    params_.emplace_back(std::move(name), std::move(value));
  }
  // The first value of `name`, or nullptr when absent.
  const std::string* Get(std::string_view name) const;
  // Every value of `name`, in request order.
  std::vector<std::string_view> GetAll(std::string_view name) const;
  size_t size() const { return params_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

struct RequestTarget {
  std::string path;  // percent-decoded, '+' kept literal
  QueryParams query;
};

// Splits "/path?a=1&b=x%20y#frag" into a decoded path and parameters. Errors
// name the parameter whose encoding is bad.
Result<RequestTarget> ParseRequestTarget(std::string_view target);

// Strict numbers for query parameters: the whole text must parse.
Result<int64_t> ParseInt64(std::string_view text);
Result<double> ParseFiniteDouble(std::string_view text);

}  // namespace perfwatch
