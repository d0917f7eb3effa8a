#include "tune/rule_spec.h"

#include <cstdio>

namespace perfwatch {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// An argument that would read as two, or as none, is quoted.
std::string Arg(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n\"") == std::string::npos) return arg;
  std::string out = "\"";
  for (char c : arg) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

const char* ActionKindName(TuningAction::Kind kind) {
  switch (kind) {
    case TuningAction::Kind::kScale:
      return "scale";
    case TuningAction::Kind::kSet:
      return "set";
    case TuningAction::Kind::kToggle:
      return "toggle";
    case TuningAction::Kind::kExec:
      return "exec";
    case TuningAction::Kind::kWebhook:
      return "webhook";
    case TuningAction::Kind::kHook:
      return "hook";
  }
  return "unknown";
}

bool ChangesTunable(TuningAction::Kind kind) {
  return kind == TuningAction::Kind::kScale || kind == TuningAction::Kind::kSet ||
         kind == TuningAction::Kind::kToggle;
}

std::string TuningAction::Describe() const {
  switch (kind) {
    case Kind::kScale:
      return "scale " + Num(factor) + " " + tunable;
    case Kind::kSet:
      return "set " + (value_is_bool ? std::string(value != 0 ? "true" : "false") : Num(value)) +
             " " + tunable;
    case Kind::kToggle:
      return "toggle " + tunable;
    case Kind::kExec: {
      std::string out = "exec";
      for (const std::string& a : argv) {
        out += ' ';
        out += Arg(a);
      }
      return out;
    }
    case Kind::kWebhook:
      return "webhook " + url;
    case Kind::kHook:
      return "hook " + (app.empty() ? hook : app + "/" + hook);
  }
  return "unknown";
}

}  // namespace perfwatch
