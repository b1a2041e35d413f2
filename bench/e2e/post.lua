-- wrk script of bench/compare: POST /v1/messages with a Bearer token (CB_TOKEN, from the
-- environment, never written to a file) to CB_USERS recipients r0..r<N-1> round-robin.
local token = os.getenv("CB_TOKEN") or "-"
local users = tonumber(os.getenv("CB_USERS") or "100")
local n = 0
local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

request = function()
	n = n + 1
	local body = string.format('{"to":"r%d","text":"c %d","notify":false}', n % users, n)
	return wrk.format("POST", "/v1/messages", headers, body)
end
