# Thin wrapper over CMake. `make demo` and `make test` install missing system packages first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE      ?= cmake
PREFIX     ?= /usr/local
DATA       ?=
CMAKE_ARGS ?=

.PHONY: all build deps deps-test demo test test-asan test-tsan bench install clean

all: build

deps:
	@sh cmake/install-deps.sh build

deps-test:
	@sh cmake/install-deps.sh test

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

# The main job (DESIGN.md section 14). DATA=FILE runs it on a local candle file.
demo: deps
	@$(MAKE) --no-print-directory build
	$(BUILD)/bin/cryptota demo $(if $(DATA),--data "$(DATA)")

# Every test: a -Werror build and every suite through CTest (C, API, packaging, fuzzers, report,
# Python, Node, hosts), then the C suites again under ASan+UBSan, then the threaded suites
# (optimizer, engine cache, .ctz decoding, strategy registry, the metric pass's helpers) under TSan.
test: deps-test
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCT_WERROR=ON $(CMAKE_ARGS)
	$(CMAKE) --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-tsan

test-asan:
	$(CMAKE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCT_WERROR=ON -DCT_SANITIZE=ON -DCT_BUILD_BENCH=OFF $(CMAKE_ARGS)
	$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE nosan

# OpenBLAS's own threads are not instrumented, so they are limited to one under TSan.
test-tsan:
	$(CMAKE) -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCT_WERROR=ON -DCT_TSAN=ON -DCT_BUILD_BENCH=OFF $(CMAKE_ARGS)
	$(CMAKE) --build $(TSAN_BUILD) -j $(JOBS) --target check_optimizer check_optimizer_wf check_overfit check_engine check_ctz \
	  check_strategy check_core check_metrics_kernel
	cd $(TSAN_BUILD) && OPENBLAS_NUM_THREADS=1 TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -R '^check_(optimizer|optimizer_wf|overfit|engine|ctz|strategy|core|metrics_kernel)$$'

bench: build
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target bench
	cd $(BUILD) && $(CMAKE) --build . --target run-bench

install: build
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD)

# The REST service (examples/python/service, docs/service.md) with the embedded defaults:
# SQLite and the .ctz cache under ~/.cache/cryptota, in-process workers. PORT= overrides 8001.
PORT ?= 8001
.PHONY: serve
serve: build
	@/usr/bin/python3 -c "import fastapi, uvicorn, sqlalchemy" 2>/dev/null || { \
	  echo "make serve needs Debian's python3-fastapi python3-uvicorn python3-sqlalchemy (sh cmake/install-deps.sh test)" >&2; exit 1; }
	CRYPTOTA_LIB="$(abspath $(BUILD))/lib/libcryptota.so" CRYPTOTA_CLI="$(abspath $(BUILD))/bin/cryptota" \
	  PYTHONPATH="$(CURDIR)/bindings/python:$(CURDIR)/examples/python/service$${PYTHONPATH:+:$$PYTHONPATH}" \
	  PORT=$(PORT) /usr/bin/python3 -m cryptota_service
