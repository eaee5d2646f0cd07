# The two ways in on a fresh machine (see README):
#   make start   install what is missing, build, create (or check) the database, then serve
#                the dashboard and the weekly schedule in the foreground (Ctrl-C stops it;
#                LISTEN and DATABASE_PATH from the environment or .env are honoured)
#   make check   install what is missing, build with ASan + UBSan, run every test
# `make` / `make build` only build: they never install anything or ask for
# sudo (`make deps` does, and start and check call it). Warnings are errors
# in `make check` and CI only (-Dwerror=true; meson's default is off).
BUILD ?= build
CHECK_BUILD ?= build-check
SANITIZE_ARGS = -Db_sanitize=address,undefined -Db_lundef=false \
                -Dc_args=-fno-sanitize-recover=all -Dbuildtype=debug -Dwerror=true

.PHONY: all deps test-deps build start check fuzz mutate clean

all: build

deps:
	@./scripts/bootstrap

test-deps:
	@./scripts/bootstrap --test

build:
	@command -v meson >/dev/null && command -v ninja >/dev/null || \
	    { echo "make: meson and ninja are missing: run \`make deps\` (installs them), or \`make start\`" >&2; exit 1; }
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) >/dev/null || \
	    { echo "make: meson setup failed (a library missing? \`make deps\` installs them)" >&2; exit 1; }
	@ninja -C $(BUILD)

start: deps
	@$(MAKE) --no-print-directory build
	@./scripts/start ./$(BUILD)/cryptic-bench

check: test-deps
	@./scripts/test-tools
	@[ -f $(CHECK_BUILD)/build.ninja ] || meson setup $(CHECK_BUILD) $(SANITIZE_ARGS) >/dev/null
	@meson configure $(CHECK_BUILD) -Dwerror=true >/dev/null
	@ninja -C $(CHECK_BUILD)
	@./scripts/run-tests $(CHECK_BUILD)

# libFuzzer harnesses under ASan + UBSan, FUZZ_SECONDS per harness.
FUZZ_SECONDS ?= 60
fuzz: test-deps
	@./scripts/fuzz $(FUZZ_SECONDS)

# Mutation testing of the files that decide verdicts, rankings, durability
# and access (docs/testing.md): MUTATE_SAMPLE mutants chosen with
# MUTATE_SEED, none started after MUTATE_BUDGET seconds; MUTATE_FILES
# narrows it to some files.
MUTATE_SEED ?= 21
MUTATE_SAMPLE ?= 120
MUTATE_BUDGET ?= 1500
MUTATE_FILES ?=
mutate: test-deps
	@./scripts/test-tools
	@nice ./scripts/mutate --seed $(MUTATE_SEED) --sample $(MUTATE_SAMPLE) --budget $(MUTATE_BUDGET) $(MUTATE_FILES)

clean:
	rm -rf $(BUILD) $(CHECK_BUILD) build-fuzz build-mutate
