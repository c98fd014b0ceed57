# Cloche — quick start: `make run` (daemon in the foreground) and `make test` (whole suite). Both work on a fresh
# Debian machine as root: they install what is missing, check the JDK, build, and create the default rootfs (whose
# busybox is built from Debian's source package the first time, about 2-3 minutes, then cached in /var/cache/cloche).
SHELL := /bin/bash
JAVA_HOME ?= /usr/lib/jvm/temurin-25-jdk-amd64
export JAVA_HOME
export PATH := $(JAVA_HOME)/bin:$(PATH)
MVN := ./mvnw -B -q
DEPOT ?= /var/lib/cloche
ROOTFS := $(DEPOT)/rootfs
INIT := $(DEPOT)/bin/cloche-init
# Debian packages Cloche needs at run and test time; `deps` installs them all when one command is missing. Every
# program the Linux backend runs is declared in dev.cloche.linux.sys.HostProgram, and HostProgramTest fails unless
# its package is in PACKAGES and its command in COMMANDS. busybox-static is the host's tool for stream in/out (and
# gives the version of Debian's busybox source that the rootfs's busybox is built from); make, patch, bzip2 and
# xz-utils build that busybox (scripts/build-busybox.sh). Test-only: docker-registry (the real registry of the image
# tests), umoci and skopeo (which build and push their images), apache2-utils (htpasswd, for registry basic auth) and
# openssl (the test token server's key and certificate, for registry token auth, and the API's TLS test
# certificates), setpriv from util-linux (the socket permission tests' other user); docker.io (dockerd, its containerd)
# and podman with conmon and the CNI plugins are the engines the Docker backend's tests run against
# (scripts/test-engines.sh); chromium and chromium-driver (chromedriver) run the web console's end-to-end test
# (WebConsoleIT, through Selenium).
PACKAGES := runc crun busybox-static gcc libc6-dev make patch bzip2 xz-utils iproute2 procps nftables e2fsprogs \
  util-linux mount coreutils findutils wget unzip curl tar nats-server openssh-client sshpass tmux \
  docker-registry skopeo umoci apache2-utils openssl docker.io podman conmon containernetworking-plugins \
  chromium chromium-driver
COMMANDS := runc crun busybox gcc make patch bzip2 xz ip tc nft sysctl nsenter mkfs.ext4 mount umount losetup mkdir du cp \
  chown chgrp truncate find ps wget unzip curl tar nats-server ssh sshpass tmux setpriv \
  docker-registry skopeo umoci htpasswd openssl dockerd containerd podman conmon chromium chromedriver

.PHONY: all run test build deps jdk rootfs native clean bench bench-deps fuzz soak soak-run

all: build

deps:
	@missing=""; for c in $(COMMANDS); do command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || missing="$$missing libc.a"; \
	if [ -n "$$missing" ]; then \
	  echo "installing packages (missing:$$missing)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(PACKAGES); \
	fi

jdk:
	@[ -x "$(JAVA_HOME)/bin/java" ] || { echo "Cloche needs JDK 25 at $(JAVA_HOME) (Temurin 25); set JAVA_HOME" >&2; exit 1; }
	@"$(JAVA_HOME)/bin/java" -version 2>&1 | grep -q 'version "25' || { echo "JAVA_HOME=$(JAVA_HOME) is not JDK 25" >&2; exit 1; }

rootfs: deps
	@scripts/make-rootfs.sh $(ROOTFS)

native: deps
	@scripts/build-native.sh $(DEPOT)/bin

# `package` also trains bin/cloche's ahead-of-time cache on the new jars (cloche-cli/target/cloche.aot; see
# cloche-cli/pom.xml), so does `make test`'s `clean verify`; without it (-Dcloche.aot.skip) the CLI only starts slower.
build: deps jdk
	$(MVN) -DskipTests -DskipITs package

# The daemon in the foreground with the defaults: Garden API on /run/cloche/garden.sock (0660, root's group; plain TCP
# for Garden's Go client only when asked: ARGS="--listen 127.0.0.1:7777", docs/security.md); the
# console (SSH on 127.0.0.1:2222) on NATS_URL, or on a nats-server started here on 127.0.0.1:4222 (stopped on exit).
NATS_URL ?=
run: build rootfs native
	@if [ -n "$(NATS_URL)" ]; then exec bin/clocheD --depot $(DEPOT) --rootfs $(ROOTFS) --init-binary $(INIT) --nats-url $(NATS_URL) --proxy-listen 127.0.0.1:8080 --web-listen 127.0.0.1:8081 --debug-listen 127.0.0.1:17013 $(ARGS); \
	else exec scripts/with-nats.sh 127.0.0.1 4222 bin/clocheD --depot $(DEPOT) --rootfs $(ROOTFS) --init-binary $(INIT) --nats-url nats://127.0.0.1:4222 --proxy-listen 127.0.0.1:8080 --web-listen 127.0.0.1:8081 --debug-listen 127.0.0.1:17013 $(ARGS); fi

# Unit, wire, integration (root, real runc) and end-to-end tests. --fail-at-end: every module that does not depend on
# a failed one still runs its tests, so one red test does not hide the rest; the run still fails at the end.
# Not quiet: Surefire's per-suite lines are the record of what ran; the last line sums them up.
# The Docker backend's ITs run against dockerd and podman's service, started here on private sockets and data roots
# (scripts/test-engines.sh) and stopped afterwards, whatever the result.
ENGINES_RUN ?= /run/cloche-test-engines
test: deps jdk rootfs native
	CLOCHE_ENGINES_RUN=$(ENGINES_RUN) scripts/test-engines.sh start
	./mvnw -B -ntp --fail-at-end clean verify -Dcloche.rootfs=$(ROOTFS) -Dcloche.init=$(INIT) \
	  -Dcloche.dockerHost=unix://$(ENGINES_RUN)/docker.sock -Dcloche.podmanHost=unix://$(ENGINES_RUN)/podman.sock; \
	  rc=$$?; CLOCHE_ENGINES_RUN=$(ENGINES_RUN) scripts/test-engines.sh stop; scripts/test-summary.sh; exit $$rc

clean:
	$(MVN) clean

# Coverage-guided fuzzing (Jazzer) of the parsers and the server's request path, FUZZ_SECONDS per target (`make test`
# runs each for 5 s). A finding fails the run and leaves its input and a Java reproducer under
# cloche-fuzz/target/fuzz/<Target>/; once fixed, the input goes into cloche-fuzz/src/test/resources/fuzz/<Target>/.
FUZZ_SECONDS ?= 300
fuzz: deps jdk
	./mvnw -B -ntp -pl cloche-fuzz -am install -DskipITs -Dtest=FuzzTargetsTest -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dcloche.fuzz.seconds=$(FUZZ_SECONDS)

# Benchmarks (never part of `make test`): a private daemon on crun, then Cloche vs the raw runtime vs podman,
# interleaved, then JMH. Defaults finish in about 10 minutes on a quiet 2-core VM; every knob below can be set on the
# command line, e.g. `make bench DENSITY=50 ROUNDS=1 ITERATIONS=5 JMH=false` while developing. See docs/benchmarks.md.
BENCH_DIR ?= /tmp/cloche-bench
# fontconfig and a font: the JDK draws the PNG chart's text with them, even headless
BENCH_PACKAGES := podman crun conmon catatonit containernetworking-plugins fuse-overlayfs fontconfig fonts-dejavu-core
RUNTIME ?= crun
ROUNDS ?= 3
ITERATIONS ?= 20
STREAM_MIB ?= 1024
STREAM_ROUNDS ?= 3
DENSITY ?= 1000
DENSITY_PODMAN ?= 100
CLIENTS ?= 1,4,16
CONCURRENCY_CREATES ?= 48
PODMAN ?= true
JMH ?= true
SCENARIOS ?= lifecycle,exec,stream,density,concurrency,images,events
BENCH_LABEL ?=
# The bench JVM keeps the soft open-files limit it was given (-XX:-MaxFDLimit): the raw runtime it spawns is then
# the floor a shell would see; a JVM's default (soft = hard, 20000 here) costs crun 3-4 ms per call (docs/benchmarks.md).
# BENCH_JFR=/path/daemon.jfr records a JFR profile of the daemon for the whole run
BENCH_JFR ?=
# extra JVM options for the daemon, e.g. -Djava.io.tmpdir=/dev/shm
BENCH_DAEMON_OPTS ?=
# Destroyed containers leave "dying" memory cgroups behind as long as page cache is charged to them (1300 after a few
# runs here, against 5 in every other hierarchy), and they slowed every contender's exec from 12-13 to 16-19 ms.
# Dropping the page cache first frees them, so a run does not inherit the previous runs' debris.
BENCH_DROP_CACHES ?= true
# extra daemon arguments, e.g. --backend-setting runtimePath=/path/to/a/wrapper
BENCH_DAEMON_ARGS ?=
BENCH_OUT ?= docs/benchmarks
# The daemon's debug listener (/metrics, /debug/vars, /healthz; docs/observability.md), on for every row as in
# `make run`; OBSERVERS follow it in the lifecycle scenario's observers' note: the same lifecycle with and without
# them (metrics: a /metrics scrape every second). BENCH_DEBUG=none runs the daemon without it (and without metrics).
BENCH_DEBUG ?= 127.0.0.1:17113
OBSERVERS ?= metrics
# The raw runtime's containers have no network: by default Cloche's have none either, so rows compare like with
# like (networking adds about 50 ms to a create, docs/networking.md). BENCH_NETWORK=10.248.0.0/22 measures it on.
# The coldstart scenario (an HTTP server reached through the proxy) needs addresses: it turns networking on.
BENCH_NETWORK ?= $(if $(filter coldstart,$(subst $(comma), ,$(SCENARIOS))),10.248.0.0/22,none)
# the proxy row: Cloche's proxy vs nginx vs direct with wrk (scripts/bench-proxy.sh, docs/benchmarks/proxy.md)
PROXY ?= true
PROXY_SECONDS ?= 10
# the engine row: Cloche on dockerd (a second daemon, --backend docker) vs `docker run --rm` vs Cloche on Linux;
# ENGINE=true starts the test engines if they are down (and stops them after), scripts/bench-engine.sh
ENGINE ?= false
comma := ,
bench-deps:
	@command -v podman >/dev/null 2>&1 && command -v crun >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q . || { echo "installing $(BENCH_PACKAGES)"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BENCH_PACKAGES); }

bench: build rootfs native bench-deps
	@grep -o " $(BENCH_DIR)/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l; rm -rf $(BENCH_DIR) && mkdir -p $(BENCH_DIR)
	@if [ "$(BENCH_DROP_CACHES)" = true ]; then sync; echo 3 > /proc/sys/vm/drop_caches; fi
	@CLOCHE_JAVA_OPTS="$(BENCH_DAEMON_OPTS) $(if $(BENCH_JFR),-XX:StartFlightRecording=filename=$(BENCH_JFR)$(comma)settings=profile)" \
	  bin/clocheD --listen none --socket $(BENCH_DIR)/garden.sock --depot $(BENCH_DIR)/depot --rootfs $(ROOTFS) \
	  --init-binary $(INIT) --runtime $(RUNTIME) --backend-setting cgroupParent=cloche-bench \
	  --backend-setting runtimeRoot=$(BENCH_DIR)/runtime --backend-setting networkPool=$(BENCH_NETWORK) --debug-listen $(BENCH_DEBUG) $(BENCH_DAEMON_ARGS) \
	  > $(BENCH_DIR)/daemon.log 2>&1 & echo $$! > $(BENCH_DIR)/daemon.pid; \
	for i in $$(seq 300); do [ -S $(BENCH_DIR)/garden.sock ] && break; sleep 0.1; done; \
	if [ "$(ENGINE)" = true ]; then CLOCHE_ENGINES_RUN=$(ENGINES_RUN) scripts/bench-engine.sh start $(BENCH_DIR) $(ROOTFS) || { kill $$(cat $(BENCH_DIR)/daemon.pid); exit 1; }; fi; \
	$(JAVA_HOME)/bin/java -XX:-MaxFDLimit --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Djava.awt.headless=true \
	  -cp "cloche-bench/target/classes:cloche-bench/target/lib/*" \
	  -Dbench.socket=$(BENCH_DIR)/garden.sock -Dbench.dir=$(BENCH_DIR) -Dbench.daemonPid=$$(cat $(BENCH_DIR)/daemon.pid) \
	  -Dbench.runtime=$(RUNTIME) -Dbench.rootfs=$(ROOTFS) -Dbench.out=$(BENCH_OUT) -Dbench.rounds=$(ROUNDS) \
	  -Dbench.iterations=$(ITERATIONS) -Dbench.streamMiB=$(STREAM_MIB) -Dbench.streamRounds=$(STREAM_ROUNDS) \
	  -Dbench.density=$(DENSITY) -Dbench.densityPodman=$(DENSITY_PODMAN) -Dbench.clients=$(CLIENTS) \
	  -Dbench.concurrencyCreates=$(CONCURRENCY_CREATES) -Dbench.podman=$(PODMAN) -Dbench.jmh=$(JMH) \
	  -Dbench.scenarios=$(SCENARIOS)$(if $(filter true,$(ENGINE)),$(comma)engine) "-Dbench.label=$(BENCH_LABEL)" \
	  -Dbench.debug=$(BENCH_DEBUG) -Dbench.observers=$(OBSERVERS) \
	  $(if $(filter true,$(ENGINE)),-Dbench.engineSocket=$(BENCH_DIR)/garden-docker.sock -Dbench.dockerHost=unix://$(ENGINES_RUN)/docker.sock) \
	  dev.cloche.bench.BenchMain; \
	rc=$$?; kill $$(cat $(BENCH_DIR)/daemon.pid); \
	if [ "$(ENGINE)" = true ]; then CLOCHE_ENGINES_RUN=$(ENGINES_RUN) scripts/bench-engine.sh stop $(BENCH_DIR); fi; \
	wait; [ $$rc -ne 0 ] || rm -rf $(BENCH_DIR); \
	if [ "$(PROXY)" = true ]; then scripts/bench-proxy.sh $(PROXY_SECONDS) || rc=1; fi; exit $$rc

# Soak (never part of `make test`; docs/reliability.md, "make soak"): a private daemon with `make run`'s defaults
# (runc, networking on, unprivileged containers) on its own socket, depot, cgroup parent, network pool and port pool,
# then SOAK_PARTS in order: load (SOAK_CLIENTS Garden clients for SOAK_MINUTES, the daemon sampled every
# SOAK_SAMPLE_SECONDS), churn (SOAK_CYCLES create/run/destroy cycles), density (SOAK_DENSITY idle containers held at
# once; SOAK_DENSITY_MINUTES > 0 caps the creates' time), fuzz (`make fuzz` for FUZZ_SECONDS per target). Churn and
# density run SOAK_WORKERS calls at once. The report goes to SOAK_OUT (markdown and JSON); a missed goal fails the run.
# `make soak-run` is the same without the build, once built.
SOAK_DIR ?= /tmp/cloche-soak
SOAK_PARTS ?= load,churn,density,fuzz
SOAK_MINUTES ?= 10
SOAK_CLIENTS ?= 50
SOAK_CYCLES ?= 10000
SOAK_DENSITY ?= 10000
SOAK_DENSITY_MINUTES ?= 0
SOAK_WORKERS ?= 4
SOAK_SEED ?= 22
SOAK_SAMPLE_SECONDS ?= 10
SOAK_OUT ?= docs/soak
SOAK_LABEL ?=
SOAK_NETWORK ?= 10.246.0.0/16
SOAK_PORTS ?= 46000-47999
SOAK_DEBUG ?= 127.0.0.1:17213
SOAK_CP := cloche-soak/target/classes:cloche-soak/target/lib/*
SOAK_PROPS := -Dsoak.dir=$(SOAK_DIR) -Dsoak.runtime=runc -Dsoak.cgroupParent=cloche-soak -Dsoak.networkPrefix=sk
soak: build rootfs native
	@$(MAKE) --no-print-directory soak-run
soak-run:
	@rc=0; if [ -n "$$(echo ',$(SOAK_PARTS),' | grep -E ',(load|churn|density),')" ]; then \
	  $(JAVA_HOME)/bin/java -cp "$(SOAK_CP)" $(SOAK_PROPS) dev.cloche.soak.SoakSweep || exit 1; \
	  grep -o " $(SOAK_DIR)/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l; rm -rf $(SOAK_DIR) && mkdir -p $(SOAK_DIR); \
	  bin/clocheD --listen none --socket $(SOAK_DIR)/garden.sock --depot $(SOAK_DIR)/depot --rootfs $(ROOTFS) \
	    --init-binary $(INIT) --runtime runc --debug-listen $(SOAK_DEBUG) \
	    --backend-setting cgroupParent=cloche-soak --backend-setting runtimeRoot=$(SOAK_DIR)/runtime \
	    --backend-setting networkPool=$(SOAK_NETWORK) --backend-setting networkPrefix=sk --backend-setting portPool=$(SOAK_PORTS) \
	    > $(SOAK_DIR)/daemon.log 2>&1 & echo $$! > $(SOAK_DIR)/daemon.pid; \
	  for i in $$(seq 300); do [ -S $(SOAK_DIR)/garden.sock ] && break; sleep 0.1; done; \
	  $(JAVA_HOME)/bin/java -cp "$(SOAK_CP)" $(SOAK_PROPS) -Dsoak.daemonPid=$$(cat $(SOAK_DIR)/daemon.pid) \
	    -Dsoak.debug=$(SOAK_DEBUG) -Dsoak.javaHome=$(JAVA_HOME) -Dsoak.parts=$(SOAK_PARTS) -Dsoak.minutes=$(SOAK_MINUTES) \
	    -Dsoak.clients=$(SOAK_CLIENTS) -Dsoak.cycles=$(SOAK_CYCLES) -Dsoak.density=$(SOAK_DENSITY) \
	    -Dsoak.densityMinutes=$(SOAK_DENSITY_MINUTES) -Dsoak.workers=$(SOAK_WORKERS) -Dsoak.seed=$(SOAK_SEED) \
	    -Dsoak.sampleSeconds=$(SOAK_SAMPLE_SECONDS) -Dsoak.out=$(SOAK_OUT) "-Dsoak.label=$(SOAK_LABEL)" \
	    dev.cloche.soak.SoakMain || rc=1; \
	  kill $$(cat $(SOAK_DIR)/daemon.pid); wait; \
	fi; \
	if [ -n "$$(echo ',$(SOAK_PARTS),' | grep ',fuzz,')" ]; then $(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SECONDS) || rc=1; fi; \
	exit $$rc
