# Two commands for a newcomer (README "Quick start"): `make run` and `make test`.
PRESET ?= release
BUILD  := build/$(PRESET)
CONFIG ?= examples/quickstart.yaml
JOBS   ?= $(shell nproc)

.PHONY: deps build run serve test test-asan bench format clean

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake --preset $(PRESET)

build: deps $(BUILD)/build.ninja
	cmake --build --preset $(PRESET) -j $(JOBS)

run: build
	$(BUILD)/src/app/switchboard demo --config $(CONFIG)

serve: build
	$(BUILD)/src/app/switchboard serve --config $(CONFIG)

test: build
	ctest --preset $(PRESET) -j $(JOBS)

test-asan:
	$(MAKE) test PRESET=asan

bench: build
	bash bench/run_all.sh $(BUILD)

format:
	find src bench cmake -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
