# HTTP push and OTLP ingestion: parsers and decoders as pure functions.
pw_add_test(prom_text_parser_test
  SOURCES prom_text_parser_test.cpp
  LIBS pw_ingest pw_interchange pw_model)
find_package(ZLIB REQUIRED)  # the gzip test compresses its input
pw_add_test(push_test
  SOURCES push_test.cpp otlp_test.cpp gzip_test.cpp
  LIBS pw_ingest pw_interchange pw_model ZLIB::ZLIB)
