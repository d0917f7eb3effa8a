#include "alert/rules_check.h"

#include <string_view>

#include "alert/rule_file.h"
#include "alert/template.h"
#include "model/status.h"

namespace perfwatch {
namespace {

// Template errors carry no file position of their own; the rule's source
// ("FILE:LINE") is where they are reported.
std::vector<std::string> CheckAnnotations(const std::vector<RuleSpec>& rules) {
  std::vector<std::string> errors;
  for (const RuleSpec& r : rules) {
    auto check = [&](std::string_view kind, const std::string& name, const std::string& text) {
      Status st = CheckTemplate(text);
      if (st.ok()) return;
      errors.push_back(r.source + ": rule \"" + r.name + "\": " + std::string(kind) + " \"" + name +
                       "\": " + st.message());
    };
    for (const auto& [name, text] : r.annotations) check("annotation", name, text);
    for (const auto& [name, text] : r.labels) check("label", name, text);
  }
  return errors;
}

// Checks one file; returns its rule count, or the errors.
Result<size_t> CheckFile(const std::string& path, std::vector<std::string>& errors) {
  Result<std::string> text = ReadRuleFile(path);
  if (!text.ok()) return text.status();
  Result<std::vector<RuleSpec>> rules = ParseRulesYaml(*text, path);
  if (!rules.ok()) return rules.status();
  errors = CheckAnnotations(*rules);
  if (!errors.empty()) return Status::InvalidArgument("template errors");
  return rules->size();
}

}  // namespace

int RunRulesCheck(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  int rc = 0;
  for (const std::string& path : files) {
    out << "Checking " << path << "\n";
    std::vector<std::string> template_errors;
    Result<size_t> n = CheckFile(path, template_errors);
    if (n.ok()) {
      out << "  SUCCESS: " << *n << " rules found\n\n";
      continue;
    }
    rc = 1;
    err << "  FAILED:\n";
    if (template_errors.empty()) {
      err << n.status().message() << "\n";
    } else {
      for (const std::string& e : template_errors) err << e << "\n";
    }
    out << "\n";
  }
  return rc;
}

}  // namespace perfwatch
