-- wrk script for bench/gateway_load.sh: each request takes the next path of a
-- list (one path?query a line; for the gateway, presigned URLs without
-- scheme and host), with one method and an optional body from a file.
--
--   wrk -s requests.lua URL -- METHOD PATHS_FILE [BODY_FILE]
--
-- The requests are formatted once in init(), so request() costs wrk no more
-- than returning a string. Each thread starts at its own place in the list.

local threads = 0

function setup(thread)
   thread:set("tid", threads)
   threads = threads + 1
end

function init(args)
   local method, paths_file, body_file = args[1], args[2], args[3]
   if not method or not paths_file then
      error("usage: wrk -s requests.lua URL -- METHOD PATHS_FILE [BODY_FILE]")
   end
   local body = nil
   if body_file then
      local f = assert(io.open(body_file, "rb"))
      body = f:read("*a")
      f:close()
   end
   reqs = {}
   for line in io.lines(paths_file) do
      if #line > 0 then
         reqs[#reqs + 1] = wrk.format(method, line, nil, body)
      end
   end
   if #reqs == 0 then error("no paths in " .. paths_file) end
   idx = ((tid or 0) * 101) % #reqs
end

function request()
   idx = idx % #reqs + 1
   return reqs[idx]
end
