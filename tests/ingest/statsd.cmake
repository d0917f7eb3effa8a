# StatsD / DogStatsD: the line parser alone (it needs only model/ and the
# UTF-8 check of interchange/), then the mapping into AppMetrics and the UDP
# server, with a real DogStatsD client (hot-shots from npm).
pw_add_test(statsd_parser_test
  SOURCES statsd_parser_test.cpp ${CMAKE_SOURCE_DIR}/src/ingest/statsd_parser.cpp
  LIBS pw_interchange pw_model)
pw_add_test(statsd_test
  SOURCES statsd_ingest_test.cpp statsd_server_test.cpp statsd_hot_shots_test.cpp
  LIBS pw_ingest pw_model)
target_compile_definitions(statsd_test PRIVATE
  PERFWATCH_TEST_CLIENTS="${CMAKE_SOURCE_DIR}/tests/clients")
