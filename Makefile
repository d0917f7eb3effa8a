# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is a convenience around CMake + Ninja.

BUILD_DIR ?= build
# `make bench` builds in its own directory with the benchmarks and load
# generators, which `make run` and `make test` do not need to compile.
BENCH_DIR ?= build-bench
JOBS      ?= $(shell nproc 2>/dev/null || echo 2)
LISTEN    ?= 127.0.0.1:8080
DATA_DIR  ?= ./data
ARGS      ?=

.PHONY: all deps build run test bench clean format

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPERFWATCH_BUILD_BENCH=OFF

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(BUILD_DIR)/perfwatch --listen $(LISTEN) --data-dir $(DATA_DIR) $(ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# Micro-benchmarks and the side-by-side comparisons with node_exporter and wrk;
# figures go to docs/PERFORMANCE.md.
bench: deps
	@scripts/install-deps --bench
	cmake -S . -B $(BENCH_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DPERFWATCH_BUILD_BENCH=ON
	cmake --build $(BENCH_DIR) -j $(JOBS)
	bench/run_all.sh $(BENCH_DIR)

format:
	clang-format -i $$(git ls-files '*.cpp' '*.h' '*.hpp')

clean:
	rm -rf $(BUILD_DIR)
