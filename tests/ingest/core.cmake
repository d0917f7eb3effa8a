# The ingest core: DDSketch and AppMetrics (helper "core").
pw_add_test(ddsketch_test SOURCES ddsketch_test.cpp LIBS pw_ingest pw_model)
pw_add_test(app_metrics_test
  SOURCES app_metrics_test.cpp derived_metrics_test.cpp
  LIBS pw_ingest pw_model)
