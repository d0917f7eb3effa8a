#include "alert/template.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

namespace perfwatch {
namespace {

// A value inside a pipeline: Go's float64, int (number literals without a
// point) or string.
struct Value {
  enum class Type { kFloat, kInt, kString };
  Type type = Type::kFloat;
  double num = 0;
  std::string str;
};

Value Float(double v) { return {Value::Type::kFloat, v, {}}; }
Value String(std::string s) { return {Value::Type::kString, 0, std::move(s)}; }

struct Token {
  enum class Kind { kValue, kLabel, kString, kNumber, kFunction };
  Kind kind = Kind::kValue;
  std::string text;  // label name, unquoted string, number or function name
  size_t pos = 0;    // byte offset in the template, for messages
};

// One command of a pipeline: a function call or a single operand.
using Command = std::vector<Token>;

struct Piece {
  std::string text;               // literal text, or
  std::vector<Command> pipeline;  // an action when non-empty
};

// The functions, with how many arguments each takes (-1: at least one).
int Arity(std::string_view name) {
  if (name == "printf") return -1;
  if (name == "humanize" || name == "humanize1024" || name == "humanizePercentage" ||
      name == "humanizeDuration" || name == "toUpper" || name == "toLower" || name == "title") {
    return 1;
  }
  return 0;
}

std::string Where(std::string_view text, size_t pos) {
  size_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  std::string col = "column " + std::to_string(pos - line_start + 1);
  return line == 1 ? col : "line " + std::to_string(line) + ", " + col;
}

bool IsIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Reads one action's tokens, from just past "{{" to just past "}}".
class ActionLexer {
 public:
  ActionLexer(std::string_view text, size_t pos) : text_(text), pos_(pos) {}

  Status Error(size_t pos, const std::string& what) const {
    return Status::InvalidArgument(Where(text_, pos) + ": " + what);
  }

  // Tokens until "}}" with '|' splitting commands; sets *end past "}}".
  Result<std::vector<Command>> Lex(size_t open, bool* trim_after, size_t* end);

 private:
  Result<Token> Variable();
  Result<Token> Field();
  Result<Token> Quoted();
  Result<Token> Number();
  std::string Name() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  std::string_view text_;
  size_t pos_;
};

Result<Token> ActionLexer::Variable() {
  const size_t start = pos_++;
  const std::string name = Name();
  if (name == "value") return Token{Token::Kind::kValue, "", start};
  if (name != "labels")
    return Error(start, "unknown variable '$" + name + "' (want $value or $labels.NAME)");
  if (pos_ >= text_.size() || text_[pos_] != '.') {
    return Error(start, "$labels needs a label name: $labels.NAME");
  }
  ++pos_;
  return Token{Token::Kind::kLabel, Name(), start};
}

Result<Token> ActionLexer::Field() {
  const size_t start = pos_++;
  const std::string name = Name();
  if (name == "Value") return Token{Token::Kind::kValue, "", start};
  if (name != "Labels")
    return Error(start, "unknown field '." + name + "' (want .Value or .Labels.NAME)");
  if (pos_ >= text_.size() || text_[pos_] != '.') {
    return Error(start, ".Labels needs a label name: .Labels.NAME");
  }
  ++pos_;
  return Token{Token::Kind::kLabel, Name(), start};
}

Result<Token> ActionLexer::Quoted() {
  const size_t start = pos_;
  const char quote = text_[pos_++];
  std::string out;
  while (pos_ < text_.size() && text_[pos_] != quote) {
    char c = text_[pos_++];
    if (c == '\n' && quote == '"') return Error(start, "newline in string");
    if (c == '\\' && quote == '"') {
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case 'n':
          c = '\n';
          break;
        case 't':
          c = '\t';
          break;
        case '\\':
          c = '\\';
          break;
        case '"':
          c = '"';
          break;
        default:
          return Error(pos_ - 2, std::string("unknown escape '\\") + e + "' in string");
      }
    }
    out += c;
  }
  if (pos_ >= text_.size()) return Error(start, "unterminated string");
  ++pos_;
  return Token{Token::Kind::kString, std::move(out), start};
}

Result<Token> ActionLexer::Number() {
  const size_t start = pos_;
  if (text_[pos_] == '-' || text_[pos_] == '+') ++pos_;
  while (pos_ < text_.size() && (IsIdentChar(text_[pos_]) || text_[pos_] == '.' ||
                                 ((text_[pos_] == '-' || text_[pos_] == '+') &&
                                  (text_[pos_ - 1] == 'e' || text_[pos_ - 1] == 'E')))) {
    ++pos_;
  }
  std::string num(text_.substr(start, pos_ - start));
  char* end = nullptr;
  std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size()) return Error(start, "bad number '" + num + "'");
  return Token{Token::Kind::kNumber, std::move(num), start};
}

Result<std::vector<Command>> ActionLexer::Lex(size_t open, bool* trim_after, size_t* end) {
  std::vector<Command> pipeline(1);
  *trim_after = false;
  while (true) {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
    if (pos_ >= text_.size()) return Error(open, "unclosed '{{'");
    const char c = text_[pos_];
    if (text_.substr(pos_, 2) == "}}" || text_.substr(pos_, 3) == "-}}") {
      *trim_after = c == '-';
      *end = pos_ + (c == '-' ? 3 : 2);
      break;
    }
    Result<Token> token = Token{};
    if (c == '|') {
      if (pipeline.back().empty()) return Error(pos_, "'|' with nothing before it");
      pipeline.emplace_back();
      ++pos_;
      continue;
    } else if (c == '$') {
      token = Variable();
    } else if (c == '.') {
      token = Field();
    } else if (c == '"' || c == '`') {
      token = Quoted();
    } else if ((c >= '0' && c <= '9') || c == '-' || c == '+') {
      token = Number();
    } else if (IsIdentChar(c)) {
      const size_t start = pos_;
      std::string name = Name();
      if (Arity(name) == 0) return Error(start, "unknown function '" + name + "'");
      token = Token{Token::Kind::kFunction, std::move(name), start};
    } else {
      return Error(pos_, std::string("unexpected '") + c + "'");
    }
    if (!token.ok()) return token.status();
    pipeline.back().push_back(std::move(*token));
  }
  if (pipeline.back().empty()) {
    return Error(*end - 2, pipeline.size() == 1 ? "empty action" : "'|' with nothing after it");
  }
  return pipeline;
}

// Each command is one operand or a call with the right number of
// arguments; piped commands are calls, the piped value their last argument.
Status CheckPipeline(std::string_view text, const std::vector<Command>& pipeline) {
  for (size_t i = 0; i < pipeline.size(); ++i) {
    const Command& cmd = pipeline[i];
    const bool call = cmd[0].kind == Token::Kind::kFunction;
    if (!call) {
      if (i > 0)
        return Status::InvalidArgument(Where(text, cmd[0].pos) + ": can only pipe into a function");
      if (cmd.size() > 1) {
        return Status::InvalidArgument(Where(text, cmd[1].pos) +
                                       ": unexpected argument after a value");
      }
      continue;
    }
    for (size_t a = 1; a < cmd.size(); ++a) {
      if (cmd[a].kind == Token::Kind::kFunction) {
        return Status::InvalidArgument(Where(text, cmd[a].pos) + ": function '" + cmd[a].text +
                                       "' as an argument needs a pipe: x | " + cmd[a].text);
      }
    }
    const size_t args = cmd.size() - 1 + (i > 0 ? 1 : 0);
    const int arity = Arity(cmd[0].text);
    if ((arity > 0 && args != static_cast<size_t>(arity)) || (arity < 0 && args == 0)) {
      return Status::InvalidArgument(Where(text, cmd[0].pos) + ": " + cmd[0].text + " wants " +
                                     (arity < 0 ? "at least 1" : std::to_string(arity)) +
                                     " argument(s), has " + std::to_string(args));
    }
  }
  return Status::Ok();
}

void TrimRight(std::string& s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
}

size_t SkipSpace(std::string_view text, size_t pos) {
  while (pos < text.size() &&
         (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r')) {
    ++pos;
  }
  return pos;
}

Result<std::vector<Piece>> Parse(std::string_view text) {
  std::vector<Piece> pieces;
  std::string literal;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) {
      literal.append(text.substr(pos));
      break;
    }
    literal.append(text.substr(pos, open - pos));
    size_t body = open + 2;
    if (text.substr(body, 2) == "- ") TrimRight(literal), body += 2;
    const size_t comment = SkipSpace(text, body);
    if (text.substr(comment, 2) == "/*") {
      const size_t close = text.find("*/", comment);
      if (close == std::string_view::npos)
        return Status::InvalidArgument(Where(text, comment) + ": unclosed comment");
      size_t after = SkipSpace(text, close + 2);
      const bool trim = text.substr(after, 3) == "-}}";
      if (!trim && text.substr(after, 2) != "}}") {
        return Status::InvalidArgument(Where(text, after) + ": comment must be followed by '}}'");
      }
      pos = trim ? SkipSpace(text, after + 3) : after + 2;
      continue;
    }
    ActionLexer lexer(text, body);
    bool trim_after = false;
    size_t end = 0;
    Result<std::vector<Command>> pipeline = lexer.Lex(open, &trim_after, &end);
    if (!pipeline.ok()) return pipeline.status();
    if (Status s = CheckPipeline(text, *pipeline); !s.ok()) return s;
    pieces.push_back(Piece{std::move(literal), {}});
    literal.clear();
    pieces.push_back(Piece{"", std::move(*pipeline)});
    pos = trim_after ? SkipSpace(text, end) : end;
  }
  if (!literal.empty()) pieces.push_back(Piece{std::move(literal), {}});
  return pieces;
}

// Go's %.4g (C's, but with Go's NaN and infinities).
std::string Sig4(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

Result<double> ToFloat(const Value& v) {
  if (v.type != Value::Type::kString) return v.num;
  char* end = nullptr;
  const double d = std::strtod(v.str.c_str(), &end);
  if (v.str.empty() || end != v.str.c_str() + v.str.size()) {
    return Status::InvalidArgument("cannot convert \"" + v.str + "\" to a number");
  }
  return d;
}

std::string Humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Sig4(v);
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return Sig4(v) + prefix;
}

std::string Humanize1024(double v) {
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Sig4(v);
  std::string prefix;
  for (const char* p : {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"}) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Sig4(v) + prefix;
}

std::string HumanizeDuration(double v) {
  if (std::isnan(v) || std::isinf(v)) return Sig4(v);
  if (v == 0) return Sig4(v) + "s";
  if (std::fabs(v) >= 1) {
    const std::string sign = v < 0 ? "-" : "";
    v = std::fabs(v);
    const auto d = static_cast<int64_t>(v);
    const int64_t s = d % 60, m = d / 60 % 60, h = d / 3600 % 24, days = d / 86400;
    auto n = [](int64_t x) { return std::to_string(x); };
    if (days != 0) return sign + n(days) + "d " + n(h) + "h " + n(m) + "m " + n(s) + "s";
    if (h != 0) return sign + n(h) + "h " + n(m) + "m " + n(s) + "s";
    if (m != 0) return sign + n(m) + "m " + n(s) + "s";
    return sign + Sig4(v) + "s";
  }
  std::string prefix;
  for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Sig4(v) + prefix + "s";
}

std::string Title(std::string s) {
  bool start = true;
  for (char& c : s) {
    if (start && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    start = !IsIdentChar(c);  // Go's strings.Title: '_' is part of a word
  }
  return s;
}

std::string GoPrint(const Value& v) {
  if (v.type == Value::Type::kString) return v.str;
  if (v.type == Value::Type::kInt) return std::to_string(static_cast<int64_t>(v.num));
  return FormatGoFloat(v.num);
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string TypeName(const Value& v) {
  switch (v.type) {
    case Value::Type::kString:
      return "string";
    case Value::Type::kInt:
      return "int";
    default:
      return "float64";
  }
}

// One printf directive: %[flags][width][.precision]verb.
struct Spec {
  std::string flags;
  int width = -1;
  int precision = -1;
  char verb = 0;
};

std::string Pad(std::string s, const Spec& spec) {
  if (spec.width < 0 || s.size() >= static_cast<size_t>(spec.width)) return s;
  const std::string fill(spec.width - s.size(), ' ');
  return spec.flags.find('-') != std::string::npos ? s + fill : fill + s;
}

std::string CFormat(const Spec& spec, double v) {
  if (std::isnan(v) || std::isinf(v)) {
    return Pad(std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf"), spec);
  }
  std::string fmt = "%" + spec.flags;
  if (spec.width >= 0) fmt += std::to_string(spec.width);
  if (spec.precision >= 0) fmt += "." + std::to_string(spec.precision);
  fmt += spec.verb == 'x' ? 'a' : spec.verb == 'X' ? 'A' : spec.verb;
  char buf[512];
  std::snprintf(buf, sizeof(buf), fmt.c_str(), v);
  return buf;
}

std::string FormatOne(const Spec& spec, const Value& v) {
  const std::string bad =
      std::string("%!") + spec.verb + "(" + TypeName(v) + "=" + GoPrint(v) + ")";
  if (v.type == Value::Type::kString) {
    if (spec.verb == 's' || spec.verb == 'v') {
      std::string s = v.str;
      if (spec.precision >= 0 && s.size() > static_cast<size_t>(spec.precision))
        s.resize(spec.precision);
      return Pad(std::move(s), spec);
    }
    return spec.verb == 'q' ? Pad(GoQuote(v.str), spec) : bad;
  }
  if (spec.verb == 'v') return Pad(GoPrint(v), spec);
  if (v.type == Value::Type::kInt) {
    if (spec.verb == 'd') return Pad(std::to_string(static_cast<int64_t>(v.num)), spec);
    return bad;
  }
  if (std::string_view("eEfFgGxX").find(spec.verb) != std::string_view::npos)
    return CFormat(spec, v.num);
  return bad;
}

int ReadInt(std::string_view f, size_t& i) {
  int n = 0;
  while (i < f.size() && f[i] >= '0' && f[i] <= '9' && n < 10000) n = n * 10 + (f[i++] - '0');
  return n;
}

// Go's fmt.Sprintf over the subset of verbs that templates use, with Go's
// %!verb(MISSING) and %!(EXTRA ...) markers for argument mismatches.
std::string Printf(std::string_view f, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') {
      out += f[i];
      continue;
    }
    Spec spec;
    ++i;
    while (i < f.size() && std::string_view("+-# 0").find(f[i]) != std::string_view::npos)
      spec.flags += f[i++];
    if (i < f.size() && f[i] >= '0' && f[i] <= '9') spec.width = ReadInt(f, i);
    if (i < f.size() && f[i] == '.') spec.precision = ReadInt(f, ++i);
    if (i >= f.size()) {
      out += "%!(NOVERB)";
      break;
    }
    spec.verb = f[i];
    if (spec.verb == '%') {
      out += '%';
    } else if (next >= args.size()) {
      out += std::string("%!") + spec.verb + "(MISSING)";
    } else {
      out += FormatOne(spec, args[next++]);
    }
  }
  if (next < args.size()) {
    out += "%!(EXTRA ";
    for (size_t a = next; a < args.size(); ++a) {
      if (a > next) out += ", ";
      out += TypeName(args[a]) + "=" + GoPrint(args[a]);
    }
    out += ")";
  }
  return out;
}

Value Operand(const Token& t, const Labels& labels, double value) {
  switch (t.kind) {
    case Token::Kind::kValue:
      return Float(value);
    case Token::Kind::kLabel:
      return String(std::string(labels.Get(t.text)));
    case Token::Kind::kString:
      return String(t.text);
    default: {
      const double d = std::strtod(t.text.c_str(), nullptr);
      const bool integer = t.text.find_first_of(".eE") == std::string::npos;
      return {integer ? Value::Type::kInt : Value::Type::kFloat, d, {}};
    }
  }
}

Result<Value> Call(const std::string& fn, const std::vector<Value>& args) {
  if (fn == "printf") {
    if (args[0].type != Value::Type::kString) {
      return Status::InvalidArgument("printf: format must be a string, got " + GoPrint(args[0]));
    }
    return String(Printf(args[0].str, {args.begin() + 1, args.end()}));
  }
  if (fn == "toUpper" || fn == "toLower" || fn == "title") {
    if (args[0].type != Value::Type::kString) {
      return Status::InvalidArgument(fn + ": wants a string, got " + TypeName(args[0]));
    }
    std::string s = args[0].str;
    if (fn == "title") return String(Title(std::move(s)));
    for (char& c : s) c = static_cast<char>(fn == "toUpper" ? std::toupper(c) : std::tolower(c));
    return String(std::move(s));
  }
  Result<double> v = ToFloat(args[0]);
  if (!v.ok()) return Status::InvalidArgument(fn + ": " + v.status().message());
  if (fn == "humanize") return String(Humanize(*v));
  if (fn == "humanize1024") return String(Humanize1024(*v));
  if (fn == "humanizeDuration") return String(HumanizeDuration(*v));
  return String(Sig4(*v * 100) + "%");  // humanizePercentage
}

Result<std::string> Run(const std::vector<Command>& pipeline, const Labels& labels, double value) {
  std::optional<Value> piped;
  for (const Command& cmd : pipeline) {
    if (cmd[0].kind != Token::Kind::kFunction) {
      piped = Operand(cmd[0], labels, value);
      continue;
    }
    std::vector<Value> args;
    for (size_t a = 1; a < cmd.size(); ++a) args.push_back(Operand(cmd[a], labels, value));
    if (piped) args.push_back(std::move(*piped));
    Result<Value> out = Call(cmd[0].text, args);
    if (!out.ok()) return out.status();
    piped = std::move(*out);
  }
  return GoPrint(*piped);
}

}  // namespace

Status CheckTemplate(std::string_view text) { return Parse(text).status(); }

std::string ExpandTemplate(std::string_view text, const Labels& labels, double value) {
  Result<std::vector<Piece>> pieces = Parse(text);
  if (!pieces.ok()) return "<error expanding template: " + pieces.status().message() + ">";
  std::string out;
  for (const Piece& piece : *pieces) {
    if (piece.pipeline.empty()) {
      out += piece.text;
      continue;
    }
    Result<std::string> s = Run(piece.pipeline, labels, value);
    if (!s.ok()) return "<error expanding template: " + s.status().message() + ">";
    out += *s;
  }
  return out;
}

std::string FormatGoFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  const std::string_view s(buf, sci.ptr - buf);
  const int exp = std::atoi(std::string(s.substr(s.find('e') + 1)).c_str());
  // Go's %v is strconv's shortest 'g': exponent form when exp < -4 or
  // exp >= 6 (so 1234567 prints as 1.234567e+06, as Prometheus shows it).
  if (exp < -4 || exp >= 6) return std::string(s);
  auto fixed = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  return std::string(buf, fixed.ptr - buf);
}

}  // namespace perfwatch
