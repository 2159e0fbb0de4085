-- wrk requests for bench/big: GET /syncs/progress/<document> as a few
-- users, each request a random user and one of that user's documents.
-- The script's first argument is a list of "user document" lines
-- (bench/gen -l); the key comes from wrk's -H x-auth-key (wrk.headers).
-- Each thread draws from a seed of its own that is the same in every
-- run, so the big and the small store are sent the same requests.

local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("seed", threads)
end

local users, docs = {}, {}
function init(args)
	local f = assert(io.open(args[1]), "no document list")
	for line in f:lines() do
		local user, doc = line:match("^(%S+) (%S+)$")
		if user ~= nil then
			if docs[user] == nil then
				users[#users + 1] = user
				docs[user] = {}
			end
			local d = docs[user]
			d[#d + 1] = doc
		end
	end
	f:close()
	assert(#users > 0, "an empty document list")
	math.randomseed(seed or 1)
end

function request()
	local user = users[math.random(#users)]
	local d = docs[user]
	wrk.headers["x-auth-user"] = user
	return wrk.format("GET", "/syncs/progress/" .. d[math.random(#d)])
end
