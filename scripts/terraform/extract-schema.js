#!/usr/bin/env node
// Rebuilds a `terraform providers schema -json`-shaped document for the AWS
// provider from the prebuilt CDKTF bindings in @cdktf/provider-aws, offline.
//
// Source of truth: each lib/<name>/index.js in @cdktf/provider-aws carries an
// inline source map whose `sourcesContent` is the generated TypeScript.  The
// generator writes, for every attribute of every resource / data source /
// nested block, a comment of the exact form
//     // <snake_name> - computed: <bool>, optional: <bool>, required: <bool>
// followed by a getter whose helper tells the type (getStringAttribute,
// getNumberAttribute, getBooleanAttribute, getListAttribute, Fn.tolist(...) for
// sets, new XList(this, "x", wrapsSet), new XOutputReference(...), ...), and a
// `synthesizeHclAttributes` / `xToHclTerraform` table that says, per argument,
// isBlock and the nesting ("list" | "set" | "struct").
//
// Usage: node extract-schema.js <path/to/@cdktf/provider-aws> <out.json> [type ...]
//   With type names after the output path, only those resource/data types are
//   written (data sources as "data.aws_x").
'use strict';
const fs = require('fs');
const path = require('path');

const pkgDir = process.argv[2];
const outFile = process.argv[3];
const only = new Set(process.argv.slice(4));
if (!pkgDir || !outFile) {
  console.error('usage: extract-schema.js <@cdktf/provider-aws dir> <out.json> [types...]');
  process.exit(2);
}
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const libDir = path.join(pkgDir, 'lib');

function tsSource(file) {
  const js = fs.readFileSync(file, 'utf8');
  const m = js.match(/sourceMappingURL=data:application\/json;base64,(.*)$/m);
  if (!m) return null;
  const sm = JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'));
  return sm.sourcesContent && sm.sourcesContent[0];
}

// Split generated TS into top-level chunks: classes, interfaces, functions.
function topLevel(ts) {
  const out = [];
  const re = /^export (class|interface|function) (\w+)([^\n]*)$/gm;
  let m, prev = null;
  while ((m = re.exec(ts))) {
    if (prev) prev.body = ts.slice(prev.start, m.index);
    prev = { kind: m[1], name: m[2], head: m[3], start: m.index };
    out.push(prev);
  }
  if (prev) prev.body = ts.slice(prev.start);
  return out;
}

// "name: { value: ..., isBlock: x, type: "y", storageClassType: "z" }" tables
function hclTable(body) {
  const t = {};
  const re = /\n\s+(\w+): \{\n\s+value: [^\n]*\n\s+isBlock: (true|false),\n\s+type: "(\w+)",\n\s+storageClassType: "(\w+)",/g;
  let m;
  while ((m = re.exec(body))) t[m[1]] = { isBlock: m[2] === 'true', type: m[3], storage: m[4] };
  return t;
}

const GETTER_TYPES = {
  getStringAttribute: 'string',
  getNumberAttribute: 'number',
  getBooleanAttribute: 'bool',
  getListAttribute: ['list', 'string'],
  getNumberListAttribute: ['list', 'number'],
  getStringMapAttribute: ['map', 'string'],
  getNumberMapAttribute: ['map', 'number'],
  getBooleanMapAttribute: ['map', 'bool'],
  getAnyMapAttribute: ['map', 'dynamic'],
};
const CDKTF_MAPS = {
  StringMap: ['map', 'string'], NumberMap: ['map', 'number'],
  BooleanMap: ['map', 'bool'], AnyMap: ['map', 'dynamic'],
  StringMapList: ['list', ['map', 'string']], NumberMapList: ['list', ['map', 'number']],
  BooleanMapList: ['list', ['map', 'bool']], AnyMapList: ['list', ['map', 'dynamic']],
  StringListMap: ['map', ['list', 'string']], NumberListMap: ['map', ['list', 'number']],
};

// Fields of a class: ordered list of {name, computed, optional, required, kind...}
function classFields(body, unknown) {
  const fields = [];
  const parts = body.split(/\n  \/\/ (\w+) - computed: (true|false), optional: (true|false), required: (true|false)\n/);
  for (let i = 1; i + 4 <= parts.length; i += 5) {
    const [name, c, o, r, rest] = parts.slice(i, i + 5);
    // skip JSDoc that some generators put between the field and its getter
    const head = rest.replace(/\/\*\*[\s\S]*?\*\//g, '').split('\n').filter((l) => l.trim()).slice(0, 4).join('\n');
    const f = { name, computed: c === 'true', optional: o === 'true', required: r === 'true' };
    if (/@deprecated Write-only/.test(rest.split(/\n  public (?:set|reset)/)[0])) f.writeOnly = true;
    let m;
    if ((m = head.match(/= new cdkt[fn]\.(\w+)\(this, "\w+"/)) && CDKTF_MAPS[m[1]]) {
      f.kind = 'prim'; f.type = CDKTF_MAPS[m[1]];
    } else if ((m = head.match(/= new (\w+)OutputReference\(this, "\w+"\)/))) {
      f.kind = 'object'; f.struct = m[1];
    } else if ((m = head.match(/= new (\w+)List\(this, "\w+", (true|false)\)/))) {
      f.kind = m[2] === 'true' ? 'set' : 'list'; f.struct = m[1];
    } else if ((m = head.match(/= new (\w+)Map\(this, "\w+"\)/))) {
      f.kind = 'map'; f.struct = m[1];
    } else if ((m = head.match(/cdkt[fn]\.Fn\.tolist\(this\.(get\w+Attribute)\(/)) && GETTER_TYPES[m[1]]) {
      const t = GETTER_TYPES[m[1]];
      f.kind = 'prim'; f.type = Array.isArray(t) && t[0] === 'list' ? ['set', t[1]] : t;
    } else if ((m = head.match(/return this\.(get\w+Attribute)\(/)) && GETTER_TYPES[m[1]]) {
      f.kind = 'prim'; f.type = GETTER_TYPES[m[1]];
    } else if (/interpolationForAttribute\(/.test(head)) {
      f.kind = 'prim'; f.type = 'dynamic'; // list(list(string)) and friends: kept permissive
    } else {
      f.kind = 'prim'; f.type = 'dynamic';
      unknown.push(name + ': ' + head.replace(/\s+/g, ' ').slice(0, 120));
    }
    fields.push(f);
  }
  return fields;
}

function build() {
  const structs = {};   // struct name -> fields (from XOutputReference classes)
  const hcl = {};       // struct name -> hcl table (from xToHclTerraform functions)
  const entities = [];  // {tfType, data, fields, hcl}
  let providerTs = null;
  const unknown = [];
  const dirs = fs.readdirSync(libDir).filter((d) => fs.existsSync(path.join(libDir, d, 'index.js')));
  for (const d of dirs) {
    const ts = tsSource(path.join(libDir, d, 'index.js'));
    if (!ts) continue;
    if (d === 'provider') { providerTs = ts; continue; }
    for (const c of topLevel(ts)) {
      if (c.kind === 'function') {
        const m = c.name.match(/^(\w+)ToHclTerraform$/);
        if (m) hcl[m[1][0].toUpperCase() + m[1].slice(1)] = hclTable(c.body);
      } else if (c.kind === 'class') {
        const ext = (c.head.match(/extends ([\w.]+)/) || [])[1];
        if (/^cdkt[fn]\.(TerraformResource|TerraformDataSource)$/.test(ext)) {
          const t = c.body.match(/static readonly tfResourceType = "(\w+)"/);
          if (!t) continue;
          entities.push({ tfType: t[1], data: ext.endsWith('.TerraformDataSource'), fields: classFields(c.body, unknown), hcl: hclTable(c.body) });
        } else if (/^cdkt[fn]\.ComplexObject$/.test(ext) && c.name.endsWith('OutputReference')) {
          structs[c.name.slice(0, -'OutputReference'.length)] = classFields(c.body, unknown);
        }
      }
    }
  }
  return { structs, hcl, entities, providerTs, unknown };
}

function objectType(structs, sname, seen = new Set()) {
  const fields = structs[sname];
  if (!fields || seen.has(sname)) return 'dynamic';
  seen.add(sname);
  const attrs = {};
  for (const f of fields) attrs[f.name] = fieldType(structs, f, seen);
  seen.delete(sname);
  return ['object', attrs];
}
function fieldType(structs, f, seen) {
  if (f.kind === 'prim') return f.type;
  const o = objectType(structs, f.struct, seen);
  if (f.kind === 'object') return o;
  return [f.kind, o]; // list | set | map
}

function blockSchema(ctx, fields, table, missing) {
  const block = { attributes: {}, block_types: {} };
  for (const f of fields) {
    const settable = f.optional || f.required;
    const h = table ? table[f.name] : undefined;
    if (f.kind !== 'prim' && settable && (!h || h.isBlock)) {
      if (!h) missing.push(f.name);
      const nesting = h ? (h.type === 'struct' ? 'single' : h.type) : (f.kind === 'object' ? 'list' : f.kind);
      const bt = { nesting_mode: nesting };
      // Terraform's rules: single => min == max in {0,1}; map => neither set.
      if (nesting === 'single') { if (f.required) bt.min_items = bt.max_items = 1; }
      else if (nesting === 'list' || nesting === 'set') {
        if (f.required) bt.min_items = 1;
        if (f.kind === 'object') bt.max_items = 1;
      }
      bt.block = blockSchema(ctx, ctx.structs[f.struct] || [], ctx.hcl[f.struct], missing);
      block.block_types[f.name] = bt;
    } else {
      const a = { type: fieldType(ctx.structs, f, new Set()) };
      if (f.required) a.required = true;
      if (f.optional) a.optional = true;
      if (f.computed) a.computed = true;
      if (f.writeOnly) a.write_only = true;
      block.attributes[f.name] = a;
    }
  }
  if (!Object.keys(block.block_types).length) delete block.block_types;
  if (!Object.keys(block.attributes).length) delete block.attributes;
  return block;
}

// Provider configuration: read from the AwsProviderConfig interface family.
function providerSchema(ts) {
  const ifaces = {};
  for (const c of topLevel(ts)) if (c.kind === 'interface') ifaces[c.name] = c.body;
  function fromIface(name) {
    const body = ifaces[name];
    const block = { attributes: {}, block_types: {} };
    if (!body) return block;
    const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\n\s+readonly (\w+)(\??): ([^;]+);/g;
    let m;
    while ((m = re.exec(body))) {
      const [, doc, camel, q, tsType] = m;
      const anchor = (doc.match(/#(\w+) \w+#\w+\}/) || [])[1];
      const name = anchor || camel.replace(/[A-Z]/g, (x) => '_' + x.toLowerCase());
      if (name === 'alias') continue; // meta-argument, handled by Terraform core
      const t = tsType.replace(/ \| cdkt[fn]\.IResolvable/, '').trim();
      let sm;
      if ((sm = t.match(/^(AwsProvider\w+)(\[\])?$/))) {
        const bt = { nesting_mode: 'list', block: fromIface(sm[1]) };
        if (!sm[2]) bt.max_items = 1;
        if (!q) bt.min_items = 1;
        block.block_types[name] = bt;
        continue;
      }
      const ty = ({ string: 'string', number: 'number', boolean: 'bool', 'string[]': ['list', 'string'], 'number[]': ['list', 'number'], '{ [key: string]: string }': ['map', 'string'] })[t] || 'dynamic';
      block.attributes[name] = q ? { type: ty, optional: true } : { type: ty, required: true };
    }
    return block;
  }
  return { version: 0, block: fromIface('AwsProviderConfig') };
}

// Terraform rejects a provider schema whose NestingSet blocks contain
// DynamicPseudoType anywhere inside. The few attributes typed "dynamic" above
// (cdktf gave up on very deep nesting, e.g. aws_wafv2_web_acl rule.statement)
// would trip that, so such set blocks are downgraded to list nesting.
function hasDynamic(t) {
  if (t === 'dynamic') return true;
  if (Array.isArray(t)) return t[0] === 'object' ? Object.values(t[1]).some(hasDynamic) : hasDynamic(t[1]);
  return false;
}
function blockHasDynamic(b) {
  return Object.values(b.attributes || {}).some((a) => hasDynamic(a.type)) ||
    Object.values(b.block_types || {}).some((bt) => blockHasDynamic(bt.block));
}
const downgraded = [];
function fixSets(b, where) {
  for (const [k, bt] of Object.entries(b.block_types || {})) {
    if (bt.nesting_mode === 'set' && blockHasDynamic(bt.block)) { bt.nesting_mode = 'list'; downgraded.push(`${where}.${k}`); }
    fixSets(bt.block, `${where}.${k}`);
  }
}

const t0 = Date.now();
const { structs, hcl, entities, providerTs, unknown } = build();
const ctx = { structs, hcl };
const resources = {}, dataSources = {};
const missing = [];
for (const e of entities) {
  const key = (e.data ? 'data.' : '') + e.tfType;
  if (only.size && !only.has(key)) continue;
  const schema = { version: 0, block: blockSchema(ctx, e.fields, e.hcl, missing) };
  fixSets(schema.block, key);
  (e.data ? dataSources : resources)[e.tfType] = schema;
}
const meta = pkg.cdktf || pkg.cdktn || {};
// The address without its host ("hashicorp/aws"): the stub and tfcheck only need the type.
const providerAddr = (meta.provider ? meta.provider.name : 'hashicorp/aws').replace(/^[^/]+\/(?=[^/]+\/[^/]+$)/, '');
const doc = {
  format_version: '1.0',
  generated_from: `${pkg.name}@${pkg.version} (provider ${providerAddr} ${meta.provider && meta.provider.version})`,
  provider_schemas: {
    [providerAddr]: {
      provider: providerSchema(providerTs),
      resource_schemas: resources,
      data_source_schemas: dataSources,
    },
  },
};
fs.writeFileSync(outFile, JSON.stringify(doc));
console.error(`extract-schema: ${Object.keys(resources).length} resources, ${Object.keys(dataSources).length} data sources, ` +
  `${unknown.length} attributes typed "dynamic" (unrecognised getter), ${missing.length} blocks without HCL table, ` +
  `${fs.statSync(outFile).size} bytes, ${Date.now() - t0} ms`);
if (downgraded.length) console.error(`extract-schema: set blocks downgraded to list (dynamic inside): ${downgraded.join(', ')}`);
if (process.env.VERBOSE) console.error(unknown.join('\n'));
