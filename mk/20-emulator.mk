# The emulator's demo step: one event the service accepts and one it refuses,
# sent with curl to the emulator that scripts/with-emulator.sh started
# (UA_ENDPOINT, UA_TOKEN). The emulator's tests run in test-rust (cargo test).
.PHONY: demo-emulator
DEMO_TARGETS += demo-emulator

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
