# The scraper against real targets: Debian's prometheus binary, a closed
# port, and an in-test HTTP server on a plain socket.
pw_add_test(scraper_test SOURCES scraper_test.cpp LIBS pw_ingest pw_net pw_model Threads::Threads)
