// `perfwatch runs [list|show ID|compare ID ID...|delete ID...]`: the runs
// `perfwatch run` recorded, read from <data_dir>/perfwatch.db directly
// (whether or not a perfwatch serves that directory) or, with --url, from
// a running perfwatch's /api/v1/runs. docs/RUNS.md is the guide.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/tool_commands.h"
#include "net/http_client.h"
#include "runs/run_db.h"
#include "runs/run_json.h"
#include "runs/run_text.h"

namespace perfwatch {
namespace {

constexpr std::string_view kHelp =
    R"(Usage: perfwatch runs [list] [--name NAME] [--limit N] [--json]
       perfwatch runs show ID [--json]
       perfwatch runs compare ID ID [ID...] [--json]
       perfwatch runs compare --name NAME [--last N] [--json]
       perfwatch runs delete ID [ID...]

The runs `perfwatch run` recorded, newest first.
  list      id, name, start, duration, exit, peak RSS, mean CPU %, metrics
  show      one run: totals, the resource timeline, every metric's summary
            (--json: the whole record, timeline and data points included)
  compare   runs side by side: wall, user, sys, CPU %, peak RSS, IO, exit and
            each metric's statistics, with the change against the first run;
            --name NAME --last N compares the newest N finished runs of NAME
            (default 2), oldest first
  delete    removes runs (data directory only)

Options:
  --data-dir DIR   where perfwatch.db is (default $PERFWATCH_STORAGE_DATA_DIR,
                   else ./data)
  --url URL        ask a running perfwatch instead (http://127.0.0.1:8080)
  --name NAME      only runs of this name
  --limit N        list at most N runs (default 20)
  --last N         compare: the newest N runs of --name
  --json           JSON instead of text
  -h, --help       this text
)";

struct RunsCommand {
  std::string action = "list";
  bool help = false;
  bool json = false;
  std::string name;
  size_t limit = 20;
  std::optional<size_t> last;
  std::optional<std::string> data_dir;
  std::optional<std::string> url;
  std::vector<int64_t> ids;
};

int Usage(const std::string& message) {
  std::cerr << "perfwatch runs: " << message << "\n(perfwatch runs --help shows the usage)\n";
  return 2;
}

int Fail(const std::string& message) {
  std::cerr << "perfwatch runs: " << message << "\n";
  return 1;
}

std::optional<int64_t> ParseWhole(std::string_view text) {
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return n;
}

Result<RunsCommand> Parse(int argc, const char* const* argv) {
  RunsCommand c;
  int i = 1;
  if (i < argc) {
    const std::string_view first = argv[i];
    if (first == "list" || first == "show" || first == "compare" || first == "delete") {
      c.action = first;
      ++i;
    }
  }
  auto value = [&](std::string_view flag, std::string_view arg) -> Result<std::string> {
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      return std::string(arg.substr(eq + 1));
    }
    if (i + 1 >= argc) return Status::InvalidArgument(std::string(flag) + " needs a value");
    return std::string(argv[++i]);
  };
  auto count = [&](std::string_view flag, std::string_view arg) -> Result<size_t> {
    Result<std::string> v = value(flag, arg);
    if (!v.ok()) return v.status();
    std::optional<int64_t> n = ParseWhole(*v);
    if (!n || *n < 1) {
      return Status::InvalidArgument(std::string(flag) + " must be a whole number >= 1, got \"" +
                                     *v + "\"");
    }
    return static_cast<size_t>(*n);
  };
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::string_view flag = arg.substr(0, arg.find('='));
    if (arg == "-h" || arg == "--help") {
      c.help = true;
    } else if (arg == "--json") {
      c.json = true;
    } else if (flag == "--name" || flag == "--data-dir" || flag == "--url") {
      Result<std::string> v = value(flag, arg);
      if (!v.ok()) return v.status();
      if (v->empty()) return Status::InvalidArgument(std::string(flag) + " must not be empty");
      if (flag == "--name") c.name = *v;
      if (flag == "--data-dir") c.data_dir = *v;
      if (flag == "--url") c.url = *v;
    } else if (flag == "--limit" || flag == "--last") {
      Result<size_t> n = count(flag, arg);
      if (!n.ok()) return n.status();
      (flag == "--limit" ? c.limit : c.last.emplace()) = *n;
    } else if (!arg.empty() && arg[0] == '-') {
      return Status::InvalidArgument("unknown option " + std::string(arg));
    } else {
      std::string_view text = arg;
      if (text.front() == '#') text.remove_prefix(1);
      std::optional<int64_t> id = ParseWhole(text);
      if (!id || *id < 1) {
        return Status::InvalidArgument("\"" + std::string(arg) +
                                       "\" is not a run id (the numbers perfwatch runs lists)");
      }
      c.ids.push_back(*id);
    }
  }
  if (c.help) return c;
  if (c.action == "list" && !c.ids.empty()) {
    return Status::InvalidArgument("list takes no run ids (did you mean show " +
                                   std::to_string(c.ids[0]) + "?)");
  }
  if (c.action == "show" && c.ids.size() != 1) {
    return Status::InvalidArgument("show takes one run id");
  }
  if (c.action == "delete" && c.ids.empty()) {
    return Status::InvalidArgument("delete takes one or more run ids");
  }
  if (c.action == "delete" && c.url) {
    return Status::InvalidArgument("delete works on a data directory, not with --url");
  }
  if (c.action == "compare") {
    if (!c.ids.empty() && !c.name.empty()) {
      return Status::InvalidArgument("compare takes run ids or --name NAME [--last N], not both");
    }
    if (c.ids.empty() && c.name.empty()) {
      return Status::InvalidArgument("compare needs two or more run ids, or --name NAME");
    }
    if (!c.ids.empty() && c.ids.size() < 2) {
      return Status::InvalidArgument("compare needs two or more run ids");
    }
  }
  if (c.last && c.action != "compare") {
    return Status::InvalidArgument("--last is for compare --name NAME");
  }
  if (c.url && c.data_dir) return Status::InvalidArgument("give --data-dir or --url, not both");
  return c;
}

// Where runs come from: the data directory's perfwatch.db or a server.
struct RunSource {
  std::function<Result<std::vector<RunRecord>>(const RunFilter&)> list;
  std::function<Result<RunRecord>(int64_t, const RunParts&)> get;
};

Result<std::string> Fetch(const std::string& base, const std::string& path) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  Result<HttpUrl> parsed = ParseHttpUrl(url + path);
  if (!parsed.ok()) return Status::InvalidArgument("--url: " + parsed.status().message());
  Result<HttpReply> reply = HttpGet(*parsed, {}, std::chrono::seconds(30));
  if (!reply.ok()) return reply.status();
  if (reply->status == 404) return Status::NotFound(reply->body);
  if (reply->status != 200) {
    return Status::Unavailable(parsed->ToString() + " answered " + std::to_string(reply->status) +
                               ": " + reply->body);
  }
  return std::move(reply->body);
}

std::string QueryEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

RunSource RemoteSource(const std::string& url) {
  RunSource s;
  s.list = [url](const RunFilter& f) -> Result<std::vector<RunRecord>> {
    std::string path = "/api/v1/runs?limit=" + std::to_string(f.limit == 0 ? 1000 : f.limit);
    if (!f.name.empty()) path += "&name=" + QueryEscape(f.name);
    Result<std::string> body = Fetch(url, path);
    if (!body.ok()) return body.status();
    return ParseRunListJson(*body);
  };
  s.get = [url](int64_t id, const RunParts& parts) -> Result<RunRecord> {
    std::string path = "/api/v1/runs/" + std::to_string(id) +
                       "?timeline=" + (parts.timeline ? "true" : "false") +
                       "&app_points=" + (parts.app_points ? "true" : "false");
    Result<std::string> body = Fetch(url, path);
    if (!body.ok()) {
      if (body.status().code() == Status::Code::kNotFound) {
        return Status::NotFound("no run with id " + std::to_string(id));
      }
      return body.status();
    }
    Result<RunRecord> run = ParseRunJson(*body);
    if (!run.ok()) {
      return Status::InvalidArgument("run " + std::to_string(id) + " from " + url + ": " +
                                     run.status().message() +
                                     " (a very large run is cut at 4 MiB: use --data-dir)");
    }
    return run;
  };
  return s;
}

// The database is opened per use and never created here: listing an empty
// data directory must not turn it into one.
RunSource LocalSource(const std::string& data_dir) {
  auto open = [data_dir]() -> Result<std::unique_ptr<RunDb>> {
    RunDbOptions options;
    options.path = RunDb::PathIn(data_dir);
    options.create = false;
    options.max_runs = 0;
    return RunDb::Open(options);
  };
  RunSource s;
  s.list = [open, data_dir](const RunFilter& f) -> Result<std::vector<RunRecord>> {
    Result<std::unique_ptr<RunDb>> db = open();
    if (!db.ok()) {
      if (db.status().code() == Status::Code::kUnavailable) return std::vector<RunRecord>{};
      return db.status();
    }
    return (*db)->List(f);
  };
  s.get = [open](int64_t id, const RunParts& parts) -> Result<RunRecord> {
    Result<std::unique_ptr<RunDb>> db = open();
    if (!db.ok()) {
      if (db.status().code() == Status::Code::kUnavailable) {
        return Status::NotFound("no run with id " + std::to_string(id) + " (" +
                                db.status().message() + ")");
      }
      return db.status();
    }
    return (*db)->Get(id, parts);
  };
  return s;
}

int List(const RunsCommand& c, const RunSource& source, const std::string& where) {
  RunFilter filter;
  filter.name = c.name;
  filter.limit = c.limit;
  Result<std::vector<RunRecord>> runs = source.list(filter);
  if (!runs.ok()) return Fail(runs.status().message());
  if (c.json) {
    std::cout << RunListJson(*runs) << "\n";
    return 0;
  }
  if (runs->empty()) {
    std::cerr << "no runs" << (c.name.empty() ? "" : " named " + c.name) << " recorded in " << where
              << " yet (perfwatch run -- CMD records one)\n";
    return 0;
  }
  std::cout << RunsTable(*runs);
  return 0;
}

int Show(const RunsCommand& c, const RunSource& source) {
  Result<RunRecord> run = source.get(c.ids[0], RunParts{});
  if (!run.ok()) return Fail(run.status().message());
  std::cout << (c.json ? RunJson(*run) + "\n" : RunReport(*run));
  return 0;
}

int Compare(const RunsCommand& c, const RunSource& source) {
  std::vector<int64_t> ids = c.ids;
  if (ids.empty()) {
    const size_t last = c.last.value_or(2);
    RunFilter filter;
    filter.name = c.name;
    filter.limit = 0;
    Result<std::vector<RunRecord>> runs = source.list(filter);
    if (!runs.ok()) return Fail(runs.status().message());
    for (const RunRecord& r : *runs) {
      if (r.status != RunStatus::kRunning && ids.size() < last) ids.push_back(r.id);
    }
    if (ids.size() < 2) {
      return Fail("compare needs two finished runs named " + c.name + "; found " +
                  std::to_string(ids.size()));
    }
    std::reverse(ids.begin(), ids.end());  // oldest first: changes read forward in time
  }
  std::vector<RunRecord> runs;
  for (int64_t id : ids) {
    Result<RunRecord> run = source.get(id, RunParts{false, false});
    if (!run.ok()) return Fail(run.status().message());
    runs.push_back(std::move(*run));
  }
  std::cout << (c.json ? CompareJson(runs) + "\n" : CompareText(runs));
  return 0;
}

int Delete(const RunsCommand& c, const std::string& data_dir) {
  RunDbOptions options;
  options.path = RunDb::PathIn(data_dir);
  options.create = false;
  options.max_runs = 0;
  Result<std::unique_ptr<RunDb>> db = RunDb::Open(options);
  if (!db.ok()) return Fail(db.status().message());
  int rc = 0;
  for (int64_t id : c.ids) {
    if (Status s = (*db)->Delete(id); !s.ok()) {
      rc = Fail(s.message());
    } else {
      std::cerr << "deleted run " << id << "\n";
    }
  }
  return rc;
}

}  // namespace

int RunRunsCommand(int argc, const char* const* argv, GetEnv getenv) {
  Result<RunsCommand> parsed = Parse(argc, argv);
  if (!parsed.ok()) return Usage(parsed.status().message());
  const RunsCommand& c = *parsed;
  if (c.help) {
    std::cout << kHelp;
    return 0;
  }
  std::string data_dir;
  if (c.data_dir) {
    data_dir = *c.data_dir;
  } else if (const char* env = getenv("PERFWATCH_STORAGE_DATA_DIR"); env && *env) {
    data_dir = env;
  } else {
    data_dir = "./data";
  }
  const RunSource source = c.url ? RemoteSource(*c.url) : LocalSource(data_dir);
  if (c.action == "show") return Show(c, source);
  if (c.action == "compare") return Compare(c, source);
  if (c.action == "delete") return Delete(c, data_dir);
  return List(c, source, c.url ? *c.url : data_dir);
}

}  // namespace perfwatch
