#pragma once
// Runs the perfwatch binary (or any program) for the runs tests with extra
// environment variables, capturing stdout and stderr, optionally sending it
// a signal while it runs. Not thread-safe; one per test.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace perfwatch::runs_test {

struct Outcome {
  int exit_code = -1;  // 128 + signal when killed
  std::string out, err;
};

// A fresh directory /tmp/perfwatch-runs-test/<name>-<pid>.
inline std::string TestDir(const std::string& name) {
  const std::string dir = "/tmp/perfwatch-runs-test/" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts argv with perfwatch's environment plus `env` ("NAME=value";
// "NAME=" removes NAME), waits for it, and returns what it printed.
// `while_running(pid)` is called once the child has started.
inline Outcome Run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                   const std::string& scratch = "/tmp/perfwatch-runs-test",
                   const std::function<void(pid_t)>& while_running = {}) {
  std::filesystem::create_directories(scratch);
  const std::string tag =
      scratch + "/out-" + std::to_string(::getpid()) + "-" +
      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  const std::string out_path = tag + ".stdout", err_path = tag + ".stderr";
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const std::string& x : env) replaced |= x.substr(0, x.find('=')) == name;
    if (!replaced) environment.push_back(entry);
  }
  for (const std::string& x : env) {
    if (x.back() != '=') environment.push_back(x);
  }
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int in = ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (std::string& e : environment) envp.push_back(e.data());
    envp.push_back(nullptr);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  if (while_running) while_running(pid);
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome o;
  o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  o.out = Slurp(out_path);
  o.err = Slurp(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return o;
}

// `perfwatch ARGS...`.
inline Outcome Perfwatch(std::vector<std::string> args, const std::vector<std::string>& env = {},
                         const std::function<void(pid_t)>& while_running = {}) {
  args.insert(args.begin(), PERFWATCH_BINARY);
  return Run(args, env, "/tmp/perfwatch-runs-test", while_running);
}

}  // namespace perfwatch::runs_test
