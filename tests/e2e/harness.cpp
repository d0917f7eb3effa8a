#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace perfwatch::e2e {
namespace {

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[65536];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string Dechunk(const std::string& body) {
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t len = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
    if (len == 0) break;
    out += body.substr(eol + 2, len);
    pos = eol + 2 + len + 2;
  }
  return out;
}

HttpResult ParseResponse(const std::string& raw) {
  HttpResult r;
  size_t end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) return r;
  r.status = std::atoi(raw.c_str() + 9);
  r.headers = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  std::string lower = r.headers;
  for (char& c : lower) c = static_cast<char>(std::tolower(c));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) r.body = Dechunk(r.body);
  return r;
}

// Reads one whole text message (reassembling fragments) from unmasked
// server frames; returns false on close or timeout.
bool ReadFrame(int fd, std::string& buffer, std::string& message) {
  message.clear();
  while (true) {
    if (buffer.size() >= 2) {
      size_t len = static_cast<uint8_t>(buffer[1]) & 0x7f;
      size_t header = 2;
      bool complete_header = true;
      if (len == 126) {
        complete_header = buffer.size() >= 4;
        if (complete_header)
          len = (static_cast<uint8_t>(buffer[2]) << 8) | static_cast<uint8_t>(buffer[3]);
        header = 4;
      } else if (len == 127) {
        complete_header = buffer.size() >= 10;
        if (complete_header) {
          len = 0;
          for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<uint8_t>(buffer[i]);
        }
        header = 10;
      }
      if (complete_header && buffer.size() >= header + len) {
        bool fin = buffer[0] & 0x80;
        int opcode = buffer[0] & 0x0f;
        std::string payload = buffer.substr(header, len);
        buffer.erase(0, header + len);
        if (opcode == 0x8) return false;
        if (opcode == 0x1 || opcode == 0x0) {
          message += payload;
          if (fin) return true;
        }
        continue;  // ping/pong/binary, or more fragments to come
      }
    }
    char chunk[65536];
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

std::string MaskedTextFrame(const std::string& text) {
  std::string f;
  f += static_cast<char>(0x81);
  if (text.size() < 126) {
    f += static_cast<char>(0x80 | text.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(text.size() >> 8);
    f += static_cast<char>(text.size() & 0xff);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(mask, 4);
  for (size_t i = 0; i < text.size(); ++i) f += static_cast<char>(text[i] ^ mask[i % 4]);
  return f;
}

}  // namespace

HttpResult HttpRaw(uint16_t port, const std::string& raw) {
  int fd = Connect(port);
  if (fd < 0) return {};
  SendAll(fd, raw);
  std::string response = ReadAll(fd);
  close(fd);
  return ParseResponse(response);
}

HttpResult HttpGet(uint16_t port, const std::string& target) {
  return HttpRaw(port,
                 "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
}

std::vector<std::string> WebSocketRead(uint16_t port, const std::string& send, int count,
                                       std::chrono::seconds timeout) {
  std::vector<std::string> out;
  int fd = Connect(port);
  if (fd < 0) return out;
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SendAll(fd,
          "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string buffer;
  char chunk[4096];
  while (buffer.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      close(fd);
      return out;
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
  if (buffer.compare(0, 12, "HTTP/1.1 101") != 0) {
    close(fd);
    return out;
  }
  buffer.erase(0, buffer.find("\r\n\r\n") + 4);
  if (!send.empty()) SendAll(fd, MaskedTextFrame(send));
  std::string message;
  while (static_cast<int>(out.size()) < count && ReadFrame(fd, buffer, message)) {
    out.push_back(message);
  }
  close(fd);
  return out;
}

PerfwatchProcess::PerfwatchProcess(std::vector<std::string> args) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return;
  // Tests run in parallel: each perfwatch takes a free StatsD port of its
  // own unless the test names one.
  if (std::find(args.begin(), args.end(), "--statsd-listen") == args.end()) {
    args.insert(args.begin(), {"--statsd-listen", "127.0.0.1:0"});
  }
  // A test that restarts perfwatch on the same address names its own port.
  if (std::find(args.begin(), args.end(), "--port") == args.end()) {
    args.insert(args.begin(), {"--port", "0"});
  }
  args.insert(args.begin(), {PERFWATCH_BINARY, "--log-format", "json"});
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipefd[1], STDERR_FILENO);
    close(pipefd[0]);
    close(pipefd[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  stderr_fd_ = pipefd[0];
  fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline && port_ == 0) {
    Drain(std::chrono::milliseconds(100));
    std::istringstream lines(log_);
    std::string line;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("event", "") == "monitoring_started") {
        std::string listen = j.value("listen", "");
        port_ = static_cast<uint16_t>(std::stoi(listen.substr(listen.rfind(':') + 1)));
        std::string statsd = j.value("statsd", "off");
        if (statsd != "off") {
          statsd_port_ = static_cast<uint16_t>(std::stoi(statsd.substr(statsd.rfind(':') + 1)));
        }
      }
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
  }
}

void PerfwatchProcess::Drain(std::chrono::milliseconds wait) {
  pollfd p{stderr_fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(wait.count())) <= 0) return;
  char buf[8192];
  ssize_t n;
  while ((n = read(stderr_fd_, buf, sizeof buf)) > 0) log_.append(buf, static_cast<size_t>(n));
}

const std::string& PerfwatchProcess::log() {
  Drain(std::chrono::milliseconds(0));
  return log_;
}

int PerfwatchProcess::Terminate(std::chrono::seconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      Drain(std::chrono::milliseconds(0));
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

PerfwatchProcess::~PerfwatchProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

std::string FreshDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

RunResult RunPerfwatch(std::vector<std::string> args) {
  // A run that serves (--port) must not contend for the default StatsD
  // port with tests running beside it.
  if (std::find(args.begin(), args.end(), "--port") != args.end() &&
      std::find(args.begin(), args.end(), "--statsd-listen") == args.end()) {
    args.insert(args.end(), {"--statsd-listen", "127.0.0.1:0"});
  }
  RunResult result;
  char out_path[] = "/tmp/perfwatch_e2e_outXXXXXX";
  char err_path[] = "/tmp/perfwatch_e2e_errXXXXXX";
  int out_fd = mkstemp(out_path), err_fd = mkstemp(err_path);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    std::vector<std::string> copy = args;
    copy.insert(copy.begin(), PERFWATCH_BINARY);
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const char* path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  result.out = slurp(out_path);
  result.err = slurp(err_path);
  close(out_fd);
  close(err_fd);
  unlink(out_path);
  unlink(err_path);
  return result;
}

std::pair<double, double> ReadProcStatCpu() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  double v[10] = {};
  in >> cpu;
  for (double& x : v) in >> x;
  double total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
  return {total - v[3] - v[4], total};
}

double ReadMemoryUsedPercent() {
  std::ifstream in("/proc/meminfo");
  std::string key, unit;
  double value, total = 0, available = 0;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemTotal:") total = value;
    if (key == "MemAvailable:") available = value;
  }
  return 100.0 * (total - available) / total;
}

}  // namespace perfwatch::e2e
