#pragma once
// ApiServer: the HTTP side of perfwatch on Boost.Beast — /api/v1 JSON
// routes, the /ws live stream and /metrics Prometheus text. Asio and Beast
// stay inside api/*.cpp; this header is all other subsystems see.
//
// Thread-safe: Publish may be called from the collection thread while the
// server's own threads serve requests. `registry` and `store` must outlive
// the server.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "model/registry.h"
#include "model/status.h"
#include "model/tick.h"
#include "store/durable_store.h"
#include "store/store.h"

namespace perfwatch {

class AlertEngine;  // alert/engine.h
class AppMetrics;   // ingest/app_metrics.h
class Tuning;       // tune/tuning.h

struct ApiOptions {
  // Loopback by default: anything else is the user's explicit choice.
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 picks a free port (tests)
  int threads = 2;
  // Request bodies over this are answered 413 without being read.
  size_t max_body_bytes = 1 << 20;
  // A connection idle (or sending too slowly) this long is closed.
  std::chrono::seconds idle_timeout{30};
  size_t max_connections = 512;
  size_t max_ws_clients = 64;
  // When non-empty, write/admin routes need "Authorization: Bearer <token>".
  std::string token;
  std::string version = "dev";
  // What is on disk, for GET /api/v1/storage; unset = the route answers 404
  // (a store without a data directory). Called from server threads.
  std::function<StorageStats()> storage_stats;
  // Alerting: /api/v1/alerts, /silences, /rules. Null: those routes answer
  // 503. Must outlive the server.
  AlertEngine* alerts = nullptr;
  // The latest status report as JSON (GET /api/v1/status); unset: 503.
  std::function<std::string()> status_json;
  // GET /api/v1/analysis (bottlenecks, trends) and /api/v1/report?hours=
  // &format=text|json; unset: 503. Called from server threads.
  std::function<Result<std::string>()> analysis_json;
  std::function<Result<std::string>(double hours, std::string_view format)> report;
  // Application metrics: POST /api/v1/push, POST /v1/metrics (OTLP/HTTP),
  // GET /api/v1/components. Null: those routes answer 503. Must outlive the
  // server.
  AppMetrics* app_metrics = nullptr;
  // Bodies of the ingest routes (push, OTLP) may be this large; every other
  // route keeps max_body_bytes.
  size_t max_ingest_body_bytes = 16 << 20;
  // Closed-loop tuning: POST/GET /api/v1/tunables, /api/v1/tuning/history,
  // /api/v1/tuning/rules. Null: those routes answer 503. Must outlive the
  // server.
  Tuning* tuning = nullptr;
  // Recorded runs: GET /api/v1/runs and /api/v1/runs/{id} read the RunDb in
  // this file (<data_dir>/perfwatch.db), a connection per request, since
  // `perfwatch run` processes write it. Empty: those routes answer 503.
  std::string runs_db_path;
};

class ApiServer {
 public:
  ApiServer(const SeriesRegistry& registry, const Store& store, ApiOptions options);
  ~ApiServer();  // stops and joins
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving on the server's own threads. Fails with a
  // message naming the address (in use, permission, bad host).
  Status Start();
  void Stop();

  // The port actually bound (useful when options.port was 0).
  uint16_t port() const;

  // Makes `tick` the latest one served by /api/v1/metrics and /metrics and
  // sends it to every WebSocket subscriber, with its status report (JSON,
  // "" for none) as "status".
  void Publish(std::shared_ptr<const Tick> tick, std::string status_json = "");

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace perfwatch
