# The emulator's demo step: one event the service accepts and one it refuses,
# sent with curl to the emulator that scripts/with-emulator.sh started
# (UA_ENDPOINT, UA_TOKEN). The emulator's tests run in test-rust (cargo test).
# test-emulator-install: `cargo install --path emulator`, as users install the
# tool, into a temporary root; the installed binary must answer an event. It
# builds in its own target folder (cargo install resolves the emulator's
# features alone, so the workspace's release build does not match; sharing it
# would rebuild the emulator there at every turn): about 30 s of CPU once, then
# nothing while the sources do not change.
.PHONY: demo-emulator test-emulator-install
DEMO_TARGETS += demo-emulator
TEST_TARGETS += test-emulator-install
EMULATOR_INSTALL_TARGET := $(TARGET_DIR)/emulator-install

# $(call ua_post,TITLE,EXPECTED_STATUS,JSON_BODY): POSTs a custom event, prints
# the answer, and fails when the status is not the expected one.
define ua_post
	@echo "demo-emulator: $(1) (expect HTTP $(2))"
	@code=$$(curl -sS -o "$$tmp" -w '%{http_code}' --max-time 10 \
		-H "Authorization: Bearer $$UA_TOKEN" -H 'Content-Type: application/json' \
		-H 'Accept: application/json' -d '$(3)' "$$UA_ENDPOINT/v15/analytics/custom"); \
	echo "  HTTP $$code  $$(cat "$$tmp")"; \
	[ "$$code" = "$(2)" ] || { echo "demo-emulator: expected HTTP $(2), got $$code" >&2; exit 1; }
endef

demo-emulator: export tmp = $(TARGET_DIR)/demo-emulator.answer
demo-emulator:
	@command -v curl >/dev/null || { echo "demo-emulator: curl is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
	@[ -n "$${UA_ENDPOINT:-}" ] || { echo "demo-emulator: UA_ENDPOINT is not set; run 'make demo'" >&2; exit 1; }
	@mkdir -p $(TARGET_DIR)
	$(call ua_post,a complete custom event,200,{"eventType":"demo"$(comma)"eventValue":"hello"$(comma)"language":"en"})
	$(call ua_post,the same event without eventType,400,{"eventValue":"hello"$(comma)"language":"en"})
	@rm -f "$$tmp"

comma := ,

test-emulator-install: export root = $(TARGET_DIR)/emulator-install-root
test-emulator-install: build
	rm -rf "$$root"
	$(CARGO) install --locked --path emulator --root "$$root" --target-dir $(EMULATOR_INSTALL_TARGET)
	"$$root/bin/ua-emulator" --help >/dev/null
	UA_EMULATOR_BIN="$$root/bin/ua-emulator" scripts/with-emulator.sh \
		packaging/expect-events.sh 1 installed-emulator bash -c 'curl -sS --fail-with-body --max-time 10 \
		-H "Authorization: Bearer $$UA_TOKEN" -H "Content-Type: application/json" \
		-d "{\"eventType\":\"demo\",\"eventValue\":\"installed-emulator\",\"language\":\"en\"}" \
		"$$UA_ENDPOINT/v15/analytics/custom" && echo'
	rm -rf "$$root"
