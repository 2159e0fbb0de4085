-- wrk requests for bench/run's progress workloads, over 64 documents in
-- turn (as a reader with a library would, and so a store cannot answer
-- from one hot file). The mode is the script's first argument:
--   put    PUT /syncs/progress
--   get    GET /syncs/progress/<document>
--   mixed  1 PUT : 4 GET
-- The auth headers come from wrk's -H options (in wrk.headers).

local docs = {}
for i = 0, 63 do
	docs[#docs + 1] = string.format("be%030d", i)
end

-- Each thread starts on other documents, so two threads do not push the
-- same document in lockstep.
local threads = 0
function setup(thread)
	thread:set("first", threads * 17)
	threads = threads + 1
end

local mode, n = "get", 0
function init(args)
	mode = args[1] or "get"
	n = first or 0
	wrk.headers["Content-Type"] = "application/json"
end

local function put(doc)
	local body = string.format('{"document":"%s","progress":' ..
	    '"/body/DocFragment[12]/body/p[3]/text().%d",' ..
	    '"percentage":0.3188,"device":"bench","device_id":"B1"}', doc, n)
	return wrk.format("PUT", "/syncs/progress", nil, body)
end

local function get(doc)
	return wrk.format("GET", "/syncs/progress/" .. doc, nil, nil)
end

function request()
	n = n + 1
	local doc = docs[n % #docs + 1]
	if mode == "put" or (mode == "mixed" and n % 5 == 0) then
		return put(doc)
	end
	return get(doc)
end
