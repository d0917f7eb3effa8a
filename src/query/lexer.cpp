#include "query/lexer.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace perfwatch {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsIdentChar(char c) { return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void AppendUtf8(std::string& out, uint32_t cp) {
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

// Reads `n` hex digits at s[i..]; false when they are not all hex.
bool ReadHex(std::string_view s, size_t i, int n, uint32_t& out) {
  if (i + n > s.size()) return false;
  out = 0;
  for (int k = 0; k < n; ++k) {
    char c = s[i + k];
    int d = IsDigit(c)               ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : -1;
    if (d < 0) return false;
    out = out * 16 + d;
  }
  return true;
}

}  // namespace

std::string DescribeToken(const Token& t) {
  switch (t.kind) {
    case Token::Kind::kEnd:
      return "end of input";
    case Token::Kind::kIdentifier:
      return "identifier '" + t.text + "'";
    case Token::Kind::kNumber:
      return "number " + t.text;
    case Token::Kind::kString:
      return "string";
    case Token::Kind::kDuration:
      return "duration " + t.text;
    default:
      return "'" + t.text + "'";
  }
}

Result<int64_t> ParseQueryDuration(std::string_view text) {
  // Units from largest to smallest; each may appear once, in this order.
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 86400000},
                                    {"w", 7LL * 86400000},
                                    {"d", 86400000},
                                    {"h", 3600000},
                                    {"m", 60000},
                                    {"s", 1000},
                                    {"ms", 1}};
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t total = 0;
  size_t next_unit = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i == start) return Status::InvalidArgument("expected digits");
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + start, text.data() + i, n);
    if (ec != std::errc()) return Status::InvalidArgument("number too large");
    size_t ustart = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(ustart, i - ustart);
    if (unit.empty()) return Status::InvalidArgument("missing unit (ms, s, m, h, d, w or y)");
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) {
      return Status::InvalidArgument("unit '" + std::string(unit) +
                                     "' is unknown or out of order (ms, s, m, h, d, w, y)");
    }
    if (n > std::numeric_limits<int64_t>::max() / kUnits[u].ms - total) {
      return Status::InvalidArgument("duration too large");
    }
    total += n * kUnits[u].ms;
    next_unit = u + 1;
  }
  return total;
}

Status Lexer::Error(size_t pos, const std::string& what) const {
  return Status::InvalidArgument("column " + std::to_string(pos + 1) + ": " + what);
}

void Lexer::SkipSpace() {
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
    } else if (c == '#') {  // PromQL comments run to the end of the line
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
}

Result<Token> Lexer::Next() {
  SkipSpace();
  Token t;
  t.column = static_cast<int>(pos_) + 1;
  if (pos_ >= text_.size()) return t;
  char c = text_[pos_];
  if (IsDigit(c) || (c == '.' && pos_ + 1 < text_.size() && IsDigit(text_[pos_ + 1]))) {
    return Number(t.column);
  }
  if (IsIdentStart(c)) {
    size_t start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    t.text = std::string(text_.substr(start, pos_ - start));
    std::string lower = Lower(t.text);
    if (lower == "inf" || lower == "nan") {
      t.kind = Token::Kind::kNumber;
      t.number = lower == "inf" ? std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::quiet_NaN();
    } else {
      t.kind = Token::Kind::kIdentifier;
    }
    return t;
  }
  if (c == '"' || c == '\'' || c == '`') return String(t.column);
  return Operator(t.column);
}

Result<Token> Lexer::NextDuration() {
  SkipSpace();
  Token t;
  t.column = static_cast<int>(pos_) + 1;
  size_t start = pos_;
  while (pos_ < text_.size() && std::isalnum(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  t.text = std::string(text_.substr(start, pos_ - start));
  if (t.text.empty()) {
    pos_ = start;
    Result<Token> found = Next();
    std::string msg = "expected a duration such as 5m, found ";
    if (found.ok()) {
      msg += DescribeToken(*found);
    } else {
      msg.append(1, '\'').append(1, text_[start]).append(1, '\'');
    }
    return Error(start, msg);
  }
  Result<int64_t> ms = ParseQueryDuration(t.text);
  if (!ms.ok()) {
    return Error(start, "expected a duration such as 5m, found '" + t.text + "' (" +
                            ms.status().message() + ")");
  }
  t.kind = Token::Kind::kDuration;
  t.duration_ms = *ms;
  return t;
}

Result<Token> Lexer::Number(int column) {
  size_t start = pos_;
  Token t;
  t.kind = Token::Kind::kNumber;
  t.column = column;
  bool hex = text_.substr(pos_).starts_with("0x") || text_.substr(pos_).starts_with("0X");
  if (hex) {
    pos_ += 2;
    while (pos_ < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  } else {
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t save = pos_++;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (pos_ < text_.size() && IsDigit(text_[pos_])) {
        while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
      } else {
        pos_ = save;
      }
    }
  }
  if (pos_ < text_.size() && IsIdentChar(text_[pos_])) {
    size_t end = pos_;
    while (end < text_.size() && IsIdentChar(text_[end])) ++end;
    return Error(start, "expected a number, found '" +
                            std::string(text_.substr(start, end - start)) +
                            "' (durations belong inside [...] or after offset)");
  }
  t.text = std::string(text_.substr(start, pos_ - start));
  const char* first = t.text.data() + (hex ? 2 : 0);
  const char* last = t.text.data() + t.text.size();
  std::from_chars_result r;
  if (hex) {
    uint64_t v = 0;
    r = std::from_chars(first, last, v, 16);
    t.number = static_cast<double>(v);
  } else {
    r = std::from_chars(first, last, t.number);
  }
  if (first == last || r.ptr != last) return Error(start, "malformed number '" + t.text + "'");
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars refuses what strtod rounds; PromQL (Go's ParseFloat) gives +Inf or 0.
    t.number = std::strtod(t.text.c_str(), nullptr);
  }
  return t;
}

Result<Token> Lexer::String(int column) {
  char quote = text_[pos_];
  size_t start = pos_++;
  Token t;
  t.kind = Token::Kind::kString;
  t.column = column;
  while (pos_ < text_.size() && text_[pos_] != quote) {
    char c = text_[pos_];
    if (c == '\n' && quote != '`') break;
    if (c != '\\' || quote == '`') {
      t.text += c;
      ++pos_;
      continue;
    }
    if (pos_ + 1 >= text_.size()) break;
    char e = text_[pos_ + 1];
    size_t esc = pos_;
    pos_ += 2;
    switch (e) {
      case 'a':
        t.text += '\a';
        break;
      case 'b':
        t.text += '\b';
        break;
      case 'f':
        t.text += '\f';
        break;
      case 'n':
        t.text += '\n';
        break;
      case 'r':
        t.text += '\r';
        break;
      case 't':
        t.text += '\t';
        break;
      case 'v':
        t.text += '\v';
        break;
      case '\\':
      case '"':
      case '\'':
        t.text += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        int n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t cp = 0;
        if (!ReadHex(text_, pos_, n, cp) || cp > 0x10FFFF) {
          return Error(esc, "malformed escape sequence in string");
        }
        pos_ += n;
        if (e == 'x') {
          t.text += static_cast<char>(cp);
        } else {
          AppendUtf8(t.text, cp);
        }
        break;
      }
      default:
        return Error(esc, std::string("unknown escape sequence '\\") + e +
                              "' in string (write '\\\\' for a backslash)");
    }
  }
  if (pos_ >= text_.size() || text_[pos_] != quote) {
    return Error(start, "unterminated string, expected closing " + std::string(1, quote));
  }
  ++pos_;
  return t;
}

Result<Token> Lexer::Operator(int column) {
  struct Op {
    std::string_view text;
    Token::Kind kind;
  };
  // Two-character operators first so "==" is not read as "=" "=".
  static constexpr Op kOps[] = {
      {"==", Token::Kind::kEq},         {"!=", Token::Kind::kNe},
      {"=~", Token::Kind::kRegexMatch}, {"!~", Token::Kind::kRegexNoMatch},
      {">=", Token::Kind::kGe},         {"<=", Token::Kind::kLe},
      {"(", Token::Kind::kLeftParen},   {")", Token::Kind::kRightParen},
      {"{", Token::Kind::kLeftBrace},   {"}", Token::Kind::kRightBrace},
      {"[", Token::Kind::kLeftBracket}, {"]", Token::Kind::kRightBracket},
      {",", Token::Kind::kComma},       {":", Token::Kind::kColon},
      {"@", Token::Kind::kAt},          {"=", Token::Kind::kAssign},
      {">", Token::Kind::kGt},          {"<", Token::Kind::kLt},
      {"+", Token::Kind::kAdd},         {"-", Token::Kind::kSub},
      {"*", Token::Kind::kMul},         {"/", Token::Kind::kDiv},
      {"%", Token::Kind::kMod},         {"^", Token::Kind::kPow},
  };
  std::string_view rest = text_.substr(pos_);
  for (const Op& op : kOps) {
    if (rest.starts_with(op.text)) {
      Token t;
      t.kind = op.kind;
      t.column = column;
      t.text = std::string(op.text);
      pos_ += op.text.size();
      return t;
    }
  }
  return Error(pos_, "unexpected character '" + std::string(1, text_[pos_]) + "'");
}

}  // namespace perfwatch
