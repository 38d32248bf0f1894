# trustline build, test and demo. `make demo` and `make test` are the two
# commands a newcomer needs; everything else is a step of theirs.

SHELL := /bin/bash
BIN   := $(CURDIR)/bin
GO    ?= go

# Hyperledger Fabric v3.1.1. Fabric 3.x has no /v3 module path, so the release
# is only reachable as this pseudo-version of its release commit.
FABRIC_MODULE  := github.com/hyperledger/fabric
FABRIC_VERSION := 3.1.1
FABRIC_CMDS    := peer orderer configtxgen osnadmin cryptogen configtxlator
FABRIC_BINS    := $(addprefix $(BIN)/,$(FABRIC_CMDS))

GETH_VERSION := v1.17.10
GETH_STAMP   := $(BIN)/.geth-$(GETH_VERSION)

TRUSTLINE_BINS := $(BIN)/trustline $(BIN)/trustline-chaincode
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Integration tests start real networks; give them time on a 2-core machine.
TEST_TIMEOUT ?= 75m

.PHONY: all build fabric geth tools trustline chromium nftables test test-unit test-integration demo vet clean help

all: build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

build: tools $(TRUSTLINE_BINS) ## build trustline, its chaincode, Fabric and geth into bin/

tools: fabric geth ## build Fabric and geth into bin/

fabric: $(FABRIC_BINS) ## build Fabric's peer, orderer and tools (no-op when up to date)

$(FABRIC_BINS): $(BIN)/%: testnet/tools/go.mod testnet/tools/go.sum
	@mkdir -p $(BIN)
	@echo "building Fabric $(FABRIC_VERSION) $*"
	cd testnet/tools && CGO_ENABLED=0 $(GO) build -trimpath \
		-ldflags "-X $(FABRIC_MODULE)/common/metadata.Version=$(FABRIC_VERSION)" \
		-o $@ $(FABRIC_MODULE)/cmd/$*

geth: $(GETH_STAMP) ## build geth (no-op when up to date)

$(GETH_STAMP):
	@mkdir -p $(BIN)
	@echo "building geth $(GETH_VERSION)"
	GOBIN=$(BIN) CGO_ENABLED=0 $(GO) install -trimpath github.com/ethereum/go-ethereum/cmd/geth@$(GETH_VERSION)
	@rm -f $(BIN)/.geth-* && touch $@

trustline: $(TRUSTLINE_BINS) ## build only bin/trustline and bin/trustline-chaincode

# Always handed to go build: its own cache decides what is stale.
.PHONY: $(TRUSTLINE_BINS)
$(TRUSTLINE_BINS): $(BIN)/%:
	@mkdir -p $(BIN)
	$(GO) build -trimpath -ldflags "-X github.com/trustline/trustline/internal/cli.Version=$(VERSION)" -o $@ ./cmd/$*

# The consumer page is tested in headless Chromium (Debian's package, with
# a Chinese font so that the zh-CN page renders); those
# tests skip, saying so, when it is absent, and fail instead when
# TRUSTLINE_REQUIRE_TOOLS=1 (CI sets it).
chromium: ## install Debian's Chromium and a Chinese font for the browser tests, if missing (needs root or sudo)
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null && echo "installed $$(chromium --version) and WenQuanYi Micro Hei"; }

# The multi-host tests put each organisation in a network namespace and cut,
# delay and drop its traffic with nftables (Debian's package); they need root.
nftables: ## install Debian's nftables for the multi-host fault tests, if missing (needs root or sudo)
	@command -v nft >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nftables >/dev/null && echo "installed $$(nft --version)"; }

test: build test-unit test-integration ## run every test: unit, then integration on real networks

test-unit: ## unit tests only (no network)
	$(GO) test -short -count=1 ./...

test-integration: build ## integration tests against a real Fabric network and geth
	TRUSTLINE_BIN=$(BIN) $(GO) test -p 1 -count=1 -timeout $(TEST_TIMEOUT) -run 'Integration' ./...

vet: ## go vet and gofmt check
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

demo: build ## start the consortium, play a farm-to-consumer story, print a scannable QR code (Ctrl-C stops)
	$(BIN)/trustline demo $(DEMO_FLAGS)

clean: ## remove built binaries
	rm -rf $(BIN)

# The anchor contract. Its exact pragma is the one pin of the compiler
# version: the npm solc installed here is read from it.
SOLC_VERSION := $(shell sed -n 's/^pragma solidity \([0-9.]*\);/\1/p' contracts/Anchor.sol)

SOLC_DIR := contracts/.solc

# The pinned solc, for `make contracts` and the test that recompiles the
# contract (ethanchor/anchorcontract TestRecompile, which fails without it
# when TRUSTLINE_REQUIRE_TOOLS=1). A no-op when that version is installed;
# npm prefers its cache, so it works offline once fetched; node and npm come
# from Debian's packages when missing, as Chromium does.
.PHONY: solc contracts
solc: ## install the pinned solc (npm) into contracts/.solc, and node/npm if missing (no-op when present)
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm >/dev/null && echo "installed node $$(node --version), npm $$(npm --version)"; }
	@[ "$$(node -p 'require("./$(SOLC_DIR)/node_modules/solc/package.json").version' 2>/dev/null)" = "$(SOLC_VERSION)" ] || { \
		npm install --prefix $(SOLC_DIR) --prefer-offline --no-save --no-package-lock --no-audit --no-fund --loglevel=error solc@$(SOLC_VERSION) >/dev/null && \
		echo "installed solc $(SOLC_VERSION) into $(SOLC_DIR)"; }

contracts: solc ## recompile contracts/Anchor.sol with the pinned solc and regenerate its Go binding
	node contracts/compile.js
	$(GO) run github.com/ethereum/go-ethereum/cmd/abigen@$(GETH_VERSION) --v2 --pkg anchorcontract --type Anchor \
		--abi contracts/build/Anchor.abi --bin contracts/build/Anchor.bin --out ethanchor/anchorcontract/anchor.go

# Lighthouse and axe-core, pinned, for the consumer page's audit (node/web
# TestLighthouse and TestAxe, which fail without them when
# TRUSTLINE_REQUIRE_TOOLS=1). Lighthouse 12.2.3 is the newest that runs on
# Debian's Node 20; it drives Debian's Chromium (make chromium). A no-op
# when those versions are installed; npm prefers its cache, so it works
# offline once fetched.
LIGHTHOUSE_VERSION := 12.2.3
AXE_VERSION        := 4.10.2
LIGHTHOUSE_DIR     := node/web/.lighthouse

.PHONY: lighthouse lighthouse-tools
lighthouse: lighthouse-tools ## audit the demo jar's page with the pinned Lighthouse (mobile) and axe-core, printing the scores
	LIGHTHOUSE_STRICT=1 $(GO) test -count=1 -run 'TestLighthouse|TestAxe' -v ./node/web/ | grep -E '^(---|ok|FAIL|\s+\w+_test.go)'; exit $${PIPESTATUS[0]}

lighthouse-tools: chromium ## install the pinned Lighthouse and axe-core (npm) into node/web/.lighthouse (no-op when present)
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq nodejs npm >/dev/null && echo "installed node $$(node --version), npm $$(npm --version)"; }
	@[ "$$(node -p 'require("./$(LIGHTHOUSE_DIR)/node_modules/lighthouse/package.json").version' 2>/dev/null)" = "$(LIGHTHOUSE_VERSION)" ] && \
	[ "$$(node -p 'require("./$(LIGHTHOUSE_DIR)/node_modules/axe-core/package.json").version' 2>/dev/null)" = "$(AXE_VERSION)" ] || { \
		npm install --prefix $(LIGHTHOUSE_DIR) --prefer-offline --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
			lighthouse@$(LIGHTHOUSE_VERSION) axe-core@$(AXE_VERSION) >/dev/null && \
		echo "installed lighthouse $(LIGHTHOUSE_VERSION) and axe-core $(AXE_VERSION) into $(LIGHTHOUSE_DIR)"; }
