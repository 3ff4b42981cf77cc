#!/usr/bin/env node
// Writes the part of the AWS schema that a configuration can use: every
// resource / data source type named anywhere in <dir> (*.tf, *.tftest.hcl,
// recursively), plus the provider block.
//   node subset.js <schema.json[.gz]> <dir> <out.json>
// Terraform decodes the whole schema once per provider process (~0.5 s for
// all 2400 AWS types, ~4 processes per `terraform test` run block), so the stub
// serves this subset. A type that is not in the subset fails exactly as an
// unknown type does ("The provider hashicorp/aws does not support ...").
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const [schemaFile, dir, outFile] = process.argv.slice(2);
let raw = fs.readFileSync(schemaFile);
if (schemaFile.endsWith('.gz')) raw = zlib.gunzipSync(raw);
const doc = JSON.parse(raw.toString('utf8'));
const names = new Set();
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) { if (!e.name.startsWith('.')) walk(p); }
    else if (/\.(tf|tftest\.hcl)$/.test(e.name)) for (const m of fs.readFileSync(p, 'utf8').matchAll(/\baws_[a-z0-9_]+/g)) names.add(m[0]);
  }
})(dir);
for (const prov of Object.values(doc.provider_schemas)) {
  for (const kind of ['resource_schemas', 'data_source_schemas'])
    prov[kind] = Object.fromEntries(Object.entries(prov[kind] || {}).filter(([t]) => names.has(t)));
}
doc.generated_from = `${doc.generated_from || ''} (subset: ${names.size} names)`;
fs.writeFileSync(outFile, JSON.stringify(doc));
