-- wrk requests for bench/load: 64 (or --conns) clients, each a user's
-- device, pushing and pulling in turn, some documents shared by all the
-- clients of one user (pushed by several at once) and some private to one
-- client. Arguments, after wrk's URL:
--   PHASE     "warm" or "load": written into every push, so that a record
--             tells which run pushed it
--   USERS     a file of "name key" lines, the registered users
--   CONNS     wrk's connections, THREADS its threads: client w (0 ..
--             CONNS-1) is served by thread w / (CONNS / THREADS)
--   SHARED    documents per user that all its clients push
--   PRIVATE   documents per client that only it pushes
--
-- Client w is user w % #USERS. Its requests alternate PUT and GET; its
-- p-th push (p = 1, 2, ...) goes to
--   document  shared s<k % SHARED> if p is odd, else private
--             w<w>-<k % PRIVATE>, k = floor((p - 1) / 2)
--   progress  "<PHASE>.w<w>.p<p>"
--   percentage ((w * 37 + p * 101) % 10000) / 10000
--   device    "<PHASE>-w<w>", device_id "ID-<PHASE>-<w>-<p>"
-- so every field of a record follows from its progress alone, and a
-- record mixing two pushes shows. Its GETs ask for the document its next
-- push goes to. wrk tells a script neither which connection a request
-- goes out on nor which request an answer is for, so a client is not a
-- connection: the clients of a thread take turns over its requests, CONNS
-- requests in flight at any time.
--
-- Every answer is checked here: a status outside 2xx counts as non-2xx;
-- a push must answer {"document":...,"timestamp":N}; a pull must answer
-- {} or a whole record of one push (above) to the document asked (kss
-- answers "document" as asked, and the push named by "progress" must
-- have gone to it). done() prints
-- "load:" lines for bench/load: the counts, wrk's errors and latency, and
-- each client's last push number.

local threads, nthreads = {}, 0
function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
	threads[#threads + 1] = thread
end

local phase, shared, private
local clients, turn = {}, 0
-- Counters, read by done() through thread:get (numbers and strings only).
responses, non2xx, put_ok, got_record, got_empty, bad = 0, 0, 0, 0, 0, 0
statuses, bad_sample, pushes = "", "", ""
local status_count = {}

local function doc_of(w, p)
	local k = math.floor((p - 1) / 2)
	if p % 2 == 1 then
		return "s" .. (k % shared)
	end
	return string.format("w%d-%d", w, k % private)
end

local function pct_of(w, p)
	return ((w * 37 + p * 101) % 10000) / 10000
end

function init(args)
	phase = args[1]
	local users = {}
	for line in assert(io.open(args[2]), "no user list"):lines() do
		local name, key = line:match("^(%S+) (%S+)$")
		if name then
			users[#users + 1] = { name = name, key = key }
		end
	end
	local per = math.floor(tonumber(args[3]) / tonumber(args[4]))
	shared, private = tonumber(args[5]), tonumber(args[6])
	assert(#users > 0 and per > 0 and shared > 0 and private > 0, "bad arguments")
	for i = 0, per - 1 do
		local w = tid * per + i
		local u = users[w % #users + 1]
		-- wrk.format takes a request's headers instead of wrk's
		-- (the -H options), not besides them.
		local get, put = {}, {}
		for k, v in pairs(wrk.headers) do
			get[k], put[k] = v, v
		end
		get["x-auth-user"], get["x-auth-key"] = u.name, u.key
		put["x-auth-user"], put["x-auth-key"] = u.name, u.key
		put["Content-Type"] = "application/json"
		clients[#clients + 1] = { w = w, n = 0, p = 0, get = get, put = put }
	end
end

-- "w p" for each client, one a line: the last push each made.
local function list_pushes()
	local t = {}
	for _, c in ipairs(clients) do
		t[#t + 1] = c.w .. " " .. c.p
	end
	return table.concat(t, "\n")
end

function request()
	turn = turn % #clients + 1
	local c = clients[turn]
	c.n = c.n + 1
	if c.n % 2 == 1 then
		c.p = c.p + 1
		pushes = list_pushes()
		local w, p = c.w, c.p
		local body = string.format('{"document":"%s","progress":"%s.w%d.p%d",' ..
		    '"percentage":%.4f,"device":"%s-w%d","device_id":"ID-%s-%d-%d"}',
		    doc_of(w, p), phase, w, p, pct_of(w, p), phase, w, phase, w, p)
		return wrk.format("PUT", "/syncs/progress", c.put, body)
	end
	return wrk.format("GET", "/syncs/progress/" .. doc_of(c.w, c.p + 1), c.get)
end

-- whole(body): a pulled record is exactly what one push sent.
local function whole(body)
	local ph, w, p = body:match('"progress":"(%a+)%.w(%d+)%.p(%d+)"')
	if not ph then
		return false
	end
	w, p = tonumber(w), tonumber(p)
	local n = 0
	for _ in body:gmatch('"[%a_]+":') do
		n = n + 1
	end
	return n == 6 and (ph == "warm" or ph == "load") and
	    body:match('"document":"([^"]*)"') == doc_of(w, p) and
	    tonumber(body:match('"percentage":([^,}]*)')) == pct_of(w, p) and
	    body:match('"device":"([^"]*)"') == ph .. "-w" .. w and
	    body:match('"device_id":"([^"]*)"') == "ID-" .. ph .. "-" .. w .. "-" .. p and
	    body:match('"timestamp":%d+[,}]') ~= nil
end

function response(status, headers, body)
	responses = responses + 1
	if status < 200 or status > 299 then
		non2xx = non2xx + 1
		status_count[status] = (status_count[status] or 0) + 1
		local t = {}
		for s, k in pairs(status_count) do
			t[#t + 1] = s .. "x" .. k
		end
		statuses = table.concat(t, " ")
		if bad_sample == "" then
			bad_sample = status .. " " .. body:sub(1, 200)
		end
	elseif body:match('^{"document":"[^"]+","timestamp":%d+}$') then
		put_ok = put_ok + 1
	elseif body == "{}" then
		got_empty = got_empty + 1
	elseif whole(body) then
		got_record = got_record + 1
	else
		bad = bad + 1
		if bad_sample == "" then
			bad_sample = status .. " " .. body:sub(1, 200)
		end
	end
end

function done(summary, latency, requests)
	local sum = { responses = 0, non2xx = 0, put_ok = 0, got_record = 0,
	    got_empty = 0, bad = 0 }
	local sts, count, sample = {}, {}, ""
	print("load: threads " .. #threads)
	for _, t in ipairs(threads) do
		for k in pairs(sum) do
			sum[k] = sum[k] + (t:get(k) or 0)
		end
		for st, k in (t:get("statuses") or ""):gmatch("(%d+)x(%d+)") do
			count[st] = (count[st] or 0) + tonumber(k)
		end
		if sample == "" then
			sample = t:get("bad_sample") or ""
		end
		for line in (t:get("pushes") or ""):gmatch("[^\n]+") do
			print("load: pushes " .. line)
		end
	end
	for k, v in pairs(sum) do
		print("load: " .. k .. " " .. v)
	end
	local e = summary.errors
	print("load: requests " .. summary.requests)
	print("load: duration_us " .. summary.duration)
	print("load: errors " .. e.connect .. " " .. e.read .. " " .. e.write ..
	    " " .. e.timeout .. " " .. e.status)
	print("load: latency_us " .. latency:percentile(50) .. " " ..
	    latency:percentile(99) .. " " .. latency.max .. " " .. latency.mean)
	for st, k in pairs(count) do
		sts[#sts + 1] = k .. " x " .. st
	end
	print("load: statuses " .. table.concat(sts, ", "))
	print("load: sample " .. sample:gsub("\n", " "))
end
