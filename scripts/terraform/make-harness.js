#!/usr/bin/env node
// Writes a throw-away root module that calls <module-dir> the way a user
// would: one provider block per required configuration alias, every input
// variable passed through from an (unknown-valued) root variable.
//
// Needed because `terraform validate` run directly inside a module that
// declares configuration_aliases fails with "Provider configuration not
// present" (Terraform core behaviour, not related to the stub provider).
//   node make-harness.js <module-dir> <out-dir>
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktn/hcl2json');

(async () => {
  const [modDir, outDir] = process.argv.slice(2).map((p) => path.resolve(p));
  const vars = new Set();
  const aliases = new Map(); // local provider name -> Set(alias)
  const sources = new Map(); // local provider name -> source address
  for (const f of fs.readdirSync(modDir).filter((x) => x.endsWith('.tf'))) {
    const j = await parse(f, fs.readFileSync(path.join(modDir, f), 'utf8'));
    Object.keys(j.variable || {}).forEach((v) => vars.add(v));
    for (const tb of j.terraform || []) for (const rp of tb.required_providers || [])
      for (const [local, spec] of Object.entries(rp)) {
        if (!aliases.has(local)) aliases.set(local, new Set());
        if (spec && spec.source) sources.set(local, spec.source);
        for (const a of (spec && spec.configuration_aliases) || []) {
          const m = String(a).match(/^\$\{\w+\.(\w+)\}$/);
          if (m) aliases.get(local).add(m[1]);
        }
      }
  }
  const out = [];
  const providerMap = [];
  out.push(`terraform {\n  required_providers {\n${[...aliases.keys()].map((l) => `    ${l} = { source = ${JSON.stringify(sources.get(l) || `hashicorp/${l}`)} }`).join('\n')}\n  }\n}`);
  for (const [local, set] of aliases) {
    out.push(`provider "${local}" {}`);
    providerMap.push(`    ${local} = ${local}`);
    for (const a of set) {
      out.push(`provider "${local}" {\n  alias = "${a}"\n}`);
      providerMap.push(`    ${local}.${a} = ${local}.${a}`);
    }
  }
  for (const v of vars) out.push(`variable "${v}" {}`);
  out.push(`module "under_test" {\n  source = ${JSON.stringify(modDir)}\n  providers = {\n${providerMap.join('\n')}\n  }\n${[...vars].map((v) => `  ${v} = var.${v}`).join('\n')}\n}`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'main.tf'), out.join('\n\n') + '\n');
})().catch((e) => { console.error(e.message); process.exit(2); });
