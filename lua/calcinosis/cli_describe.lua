--- The `describe` command of `calcinosis`: the ruleset in effect with its
-- hash, or a methods section for a paper (see `calcinosis.methods`).
--
--     calcinosis describe --methods [--format md|latex] [--rules FILE]
--
-- Dependencies: calcinosis.cli, calcinosis.cli_cohort, calcinosis.methods.
-- @module calcinosis.cli_describe

local cli = require "calcinosis.cli"
local cli_cohort = require "calcinosis.cli_cohort"
local methods = require "calcinosis.methods"

local M = {}

local function err(...) io.stderr:write(...) end

--- Runs `calcinosis describe`.
-- @tparam {string,...} args the arguments after the command
-- @treturn integer the exit status
function M.main(args)
  local opts, rest = cli.parse_opts(args, cli.options.describe)
  if not opts then return cli.usage_error("describe", rest) end
  if opts.help then io.stdout:write(cli.usage.describe) return 0 end
  if #rest > 0 then return cli.usage_error("describe", ("unexpected argument '%s'"):format(rest[1])) end
  local format = opts.format or (opts.methods and "md" or "text")
  if opts.methods and format ~= "md" and format ~= "latex" then
    return cli.usage_error("describe", ("--format must be md or latex with --methods, got '%s'"):format(format))
  elseif not opts.methods and format ~= "text" then
    return cli.usage_error("describe", "--format md|latex goes with --methods")
  end
  if opts.standalone and format ~= "latex" then return cli.usage_error("describe", "--standalone goes with --format latex") end
  local ca = opts["ca-coefficient"]
  if ca and not require("calcinosis.labs").ca_variants[ca] then
    return cli.usage_error("describe", ("unknown --ca-coefficient '%s' (common, payne or si)"):format(ca))
  end
  local params, perr = cli_cohort.parse_params(opts.param)
  if not params then return cli.usage_error("describe", perr) end
  local rs, e = cli_cohort.load_ruleset(opts.rules, params, opts.trusted, "describe", opts["no-warnings"])
  if not rs then err("calcinosis describe: ", e, "\n") return 2 end
  local options = { ca_coefficient = ca, kdigo_rounding = opts["round-egfr"] or nil }
  local text
  local status = 0
  if opts.methods then
    local doc, derr = methods.document(rs, options)
    if not doc then err("calcinosis describe: ", derr, "\n") return 2 end
    text = format == "latex" and methods.latex(doc, { standalone = opts.standalone }) or methods.markdown(doc)
    if #doc.unresolved > 0 then
      err("calcinosis describe: not in the bibliography: ", table.concat(doc.unresolved, ", "), "\n")
      status = 1
    end
  else
    local hash = require("calcinosis.engine").hash(rs, options)
    text = ("ruleset %s %s, hash %s with these options (ca coefficient %s, KDIGO %s eGFR)\n"):format(
      rs.name, rs.version, hash, ca or "common", opts["round-egfr"] and "rounded" or "raw") .. rs:describe()
    if text:sub(-1) ~= "\n" then text = text .. "\n" end
  end
  local o = io.stdout
  if opts.output and opts.output ~= "-" then
    local f, oerr = io.open(opts.output, "wb")
    if not f then err("calcinosis describe: ", oerr, "\n") return 2 end
    o = f
  end
  o:write(text)
  if o ~= io.stdout then o:close() end
  return status
end

return M
