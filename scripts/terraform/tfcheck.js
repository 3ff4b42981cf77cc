#!/usr/bin/env node
// tfcheck: offline static checks for a Terraform module that uses hashicorp/aws.
//
//   node tfcheck.js <module-dir>... [--schema aws-schema.json[.gz]] [--json]
//
// Parses every *.tf in <module-dir> with @cdktn/hcl2json (HashiCorp's HCL
// parser compiled to WASM) and checks it against an AWS provider schema in the
// `terraform providers schema -json` shape (see extract-schema.js).
// Exit status: 0 = no errors, 1 = errors found, 2 = usage / internal error.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const hcl = require('@cdktn/hcl2json');

// ---------------------------------------------------------------- arguments
const argv = process.argv.slice(2);
const dirs = [];
let schemaFile = path.join(__dirname, 'aws-schema.json.gz'), asJson = false;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--schema') schemaFile = argv[++i];
  else if (argv[i] === '--json') asJson = true;
  else dirs.push(argv[i]);
}
if (!dirs.length) { console.error('usage: tfcheck.js <module-dir>... [--schema file] [--json]'); process.exit(2); }

function loadSchema(file) {
  let buf = fs.readFileSync(file);
  if (file.endsWith('.gz')) buf = zlib.gunzipSync(buf);
  const doc = JSON.parse(buf.toString('utf8'));
  const key = Object.keys(doc.provider_schemas).find((k) => /(^|\/)hashicorp\/aws$/.test(k));
  return { ...doc.provider_schemas[key], generatedFrom: doc.generated_from || '' };
}

// ---------------------------------------------------------------- diagnostics
const diags = [];
function report(severity, file, line, summary, detail) {
  diags.push({ severity, file, line, summary, detail });
}
const err = (...a) => report('error', ...a);
const warn = (...a) => report('warning', ...a);

// ---------------------------------------------------------------- helpers
function lev(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}
function suggest(name, candidates) {
  let best = null, bestD = 3;
  for (const c of candidates) { const dd = lev(name, c); if (dd < bestD) { best = c; bestD = dd; } }
  return best ? ` Did you mean "${best}"?` : '';
}
const isExpr = (v) => typeof v === 'string' && /^\$\{[\s\S]*\}$/.test(v) && !/\}[\s\S]*\$\{/.test(v.slice(2, -1).replace(/\{[^{}]*\}/g, ''));
const hasInterp = (v) => typeof v === 'string' && v.includes('${');
const isBlockList = (v) => Array.isArray(v) && v.every((x) => x && typeof x === 'object' && !Array.isArray(x));
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Source positions: hcl2json's JSON carries none, so find them in the text.
class SourceFile {
  constructor(name, text) { this.name = name; this.text = text; this.lines = text.split('\n'); }
  lineOf(re, from = 0) {
    for (let i = from; i < this.lines.length; i++) if (re.test(this.lines[i])) return i + 1;
    return from ? this.lineOf(re, 0) : 0;
  }
  blockLine(kind, ...labels) {
    return this.lineOf(new RegExp(`^\\s*${kind}\\s+${labels.map((l) => `"${escapeRe(l)}"`).join('\\s+')}`));
  }
  argLine(name, from) { return this.lineOf(new RegExp(`^\\s*"?${escapeRe(name)}"?\\s*(=|\\{)`), Math.max(0, from - 1)); }
  textLine(s, from = 0) { return this.lineOf(new RegExp(escapeRe(s)), Math.max(0, from - 1)); }
}

// ---------------------------------------------------------------- literal type check
function typeName(t) {
  if (typeof t === 'string') return t;
  if (t[0] === 'object') return 'object';
  return `${t[0]}(${typeName(t[1])})`;
}
function checkValue(v, t, where, ctx) {
  if (v === null || t === 'dynamic' || isExpr(v)) return;
  const bad = (why) => err(ctx.file.name, ctx.line, 'Incorrect attribute value type', `${where}: ${why} (expected ${typeName(t)})`);
  if (typeof t === 'string') {
    if (Array.isArray(v) || typeof v === 'object') return bad(`${Array.isArray(v) ? 'a list/tuple' : 'an object'} was given`);
    if (hasInterp(v)) return; // template: a string whose value is unknown here
    if (t === 'number' && (typeof v === 'boolean' || (typeof v === 'string' && (v.trim() === '' || isNaN(Number(v)))))) return bad(`"${v}" is not a number`);
    if (t === 'bool' && (typeof v === 'number' || (typeof v === 'string' && v !== 'true' && v !== 'false'))) return bad(`"${v}" is not a bool`);
    return;
  }
  const [kind, inner] = t;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(v)) return bad('a list is required');
    v.forEach((x, i) => checkValue(x, inner, `${where}[${i}]`, ctx));
  } else if (kind === 'map') {
    if (Array.isArray(v) || typeof v !== 'object') return bad('a map is required');
    for (const [k, x] of Object.entries(v)) checkValue(x, inner, `${where}["${k}"]`, ctx);
  } else if (kind === 'object') {
    if (Array.isArray(v) || typeof v !== 'object') return bad('an object is required');
  }
}

// ---------------------------------------------------------------- block body check
const RESOURCE_META = new Set(['count', 'for_each', 'provider', 'depends_on', 'lifecycle', 'provisioner', 'connection']);
const DATA_META = new Set(['count', 'for_each', 'provider', 'depends_on', 'lifecycle']);
const LIFECYCLE = new Set(['create_before_destroy', 'prevent_destroy', 'ignore_changes', 'replace_triggered_by', 'precondition', 'postcondition']);

function checkBody(body, block, where, ctx, meta) {
  const attrs = block.attributes || {};
  const blocks = block.block_types || {};
  const dynamicNames = new Set();
  const line0 = ctx.line;
  for (const [k, v] of Object.entries(body)) {
    const here = { ...ctx, line: ctx.file.argLine(k, line0) || line0 };
    if (meta && meta.has(k)) {
      if (k === 'lifecycle' && isBlockList(v))
        for (const lc of v) for (const lk of Object.keys(lc))
          if (!LIFECYCLE.has(lk)) err(ctx.file.name, here.line, 'Unsupported argument', `${where}: "${lk}" is not valid in a lifecycle block.${suggest(lk, LIFECYCLE)}`);
      continue;
    }
    if (k === 'dynamic' && isBlockList([v].flat())) {
      for (const [dn, dbodies] of Object.entries([v].flat()[0] || {})) {
        dynamicNames.add(dn);
        if (!blocks[dn]) {
          err(ctx.file.name, ctx.file.textLine(`dynamic "${dn}"`, line0) || here.line, 'Unsupported block type',
            `${where}: blocks of type "${dn}" are not expected here.${suggest(dn, Object.keys(blocks))}`);
          continue;
        }
        for (const db of [dbodies].flat()) {
          if (!('for_each' in db)) err(ctx.file.name, here.line, 'Missing required argument', `${where}: dynamic "${dn}" needs for_each`);
          for (const dk of Object.keys(db)) if (!['for_each', 'iterator', 'labels', 'content'].includes(dk))
            err(ctx.file.name, here.line, 'Unsupported argument', `${where}: "${dk}" is not valid in a dynamic block`);
          for (const c of [db.content || []].flat()) checkBody(c, blocks[dn].block, `${where}.${dn}`, { ...ctx, line: here.line, inDynamic: true }, null);
        }
      }
      continue;
    }
    if (attrs[k]) {
      const a = attrs[k];
      if (a.computed && !a.optional && !a.required) {
        err(ctx.file.name, here.line, 'Value for unconfigurable attribute', `${where}: "${k}" is read-only (computed by the provider) and cannot be set.`);
        continue;
      }
      if (v === null && a.required) err(ctx.file.name, here.line, 'Required argument is null', `${where}: "${k}" must not be null.`);
      checkValue(v, a.type, `${where}.${k}`, here);
      continue;
    }
    if (blocks[k]) {
      const bt = blocks[k];
      if (!isBlockList(v)) {
        err(ctx.file.name, here.line, 'Unsupported argument',
          `${where}: an argument named "${k}" is not expected here. Did you mean to define a block of type "${k}"?`);
        continue;
      }
      if (bt.max_items && v.length > bt.max_items)
        err(ctx.file.name, here.line, 'Too many blocks', `${where}: no more than ${bt.max_items} "${k}" block(s) are allowed, got ${v.length}.`);
      if (bt.nesting_mode === 'single' && v.length > 1)
        err(ctx.file.name, here.line, 'Duplicate block', `${where}: only one "${k}" block is allowed.`);
      v.forEach((b) => checkBody(b, bt.block, `${where}.${k}`, here, null));
      continue;
    }
    const all = [...Object.keys(attrs), ...Object.keys(blocks), ...(meta ? meta : [])];
    err(ctx.file.name, here.line, 'Unsupported argument', `${where}: an argument or block named "${k}" is not expected here.${suggest(k, all)}`);
  }
  for (const [k, a] of Object.entries(attrs))
    if (a.required && !(k in body))
      err(ctx.file.name, line0, 'Missing required argument', `${where}: the argument "${k}" is required, but no definition was found.`);
  for (const [k, bt] of Object.entries(blocks))
    if (bt.min_items && !(k in body) && !dynamicNames.has(k))
      err(ctx.file.name, line0, 'Missing required block', `${where}: at least ${bt.min_items} "${k}" block(s) are required.`);
}

// ---------------------------------------------------------------- references
function collectStrings(v, out, skipKeys) {
  if (typeof v === 'string') { if (v.includes('${')) out.push(v); return out; }
  if (Array.isArray(v)) v.forEach((x) => collectStrings(x, out, skipKeys));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (!skipKeys.has(k)) collectStrings(x, out, skipKeys);
  return out;
}

function attrNamesOf(schema) {
  const b = schema.block;
  return new Set([...Object.keys(b.attributes || {}), ...Object.keys(b.block_types || {})]);
}

async function main(dir, schema) {
  const t0 = Date.now();
  diags.length = 0;
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort();
  if (!files.length) { console.error(`tfcheck: no .tf files in ${dir}`); process.exit(2); }

  // 1. parse
  const parsed = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const src = new SourceFile(path.join(dir, f), text);
    try {
      parsed.push({ src, json: await hcl.parse(src.name, text) });
    } catch (e) {
      // "parse config: [file:L,C-L,C: Summary; Detail file:L,C-...]"
      const msg = String(e.message).replace(/^parse config: \[/, '').replace(/\]$/, '');
      const parts = msg.split(new RegExp(`(?=${escapeRe(src.name)}:\\d+,\\d+)`));
      for (const p of parts) {
        const m = p.match(/^(.*?):(\d+),(\d+)(?:-[\d,]+)?: ([^;]*);?\s*([\s\S]*)$/);
        if (m) err(m[1], Number(m[2]), `Syntax error: ${m[4].trim()}`, `column ${m[3]}: ${m[5].trim()}`);
        else err(src.name, 0, 'Syntax error', p.trim());
      }
    }
  }

  // 2. index declarations
  const decl = { variable: new Map(), local: new Map(), output: new Map(), module: new Map(), resource: new Map(), data: new Map(), provider: [] };
  const required = { aliases: new Set(), awsDeclared: false, version: null };
  const TOP = new Set(['terraform', 'provider', 'variable', 'locals', 'output', 'module', 'resource', 'data', 'moved', 'import', 'check', 'removed', 'ephemeral']);
  const dup = (kind, key, src, line) => err(src.name, line, `Duplicate ${kind} definition`, `${kind} "${key}" is declared more than once.`);
  for (const { src, json } of parsed) {
    for (const k of Object.keys(json)) if (!TOP.has(k)) err(src.name, src.lineOf(new RegExp(`^\\s*${escapeRe(k)}\\b`)), 'Unsupported block type', `Blocks of type "${k}" are not expected here.${suggest(k, TOP)}`);
    for (const [n, bodies] of Object.entries(json.variable || {})) {
      const line = src.blockLine('variable', n);
      if (decl.variable.has(n) || bodies.length > 1) dup('variable', n, src, line);
      decl.variable.set(n, { src, line, body: bodies[0] });
    }
    for (const [n, bodies] of Object.entries(json.output || {})) {
      const line = src.blockLine('output', n);
      if (decl.output.has(n) || bodies.length > 1) dup('output', n, src, line);
      decl.output.set(n, { src, line, body: bodies[0] });
    }
    for (const [n, bodies] of Object.entries(json.module || {})) decl.module.set(n, { src, line: src.blockLine('module', n), body: bodies[0] });
    for (const lb of json.locals || []) for (const [n, v] of Object.entries(lb)) {
      const line = src.lineOf(new RegExp(`^\\s*${escapeRe(n)}\\s*=`));
      if (decl.local.has(n)) dup('local value', n, src, line);
      decl.local.set(n, { src, line, value: v });
    }
    for (const kind of ['resource', 'data'])
      for (const [type, byName] of Object.entries(json[kind] || {}))
        for (const [n, bodies] of Object.entries(byName)) {
          const key = `${type}.${n}`;
          const line = src.blockLine(kind, type, n);
          if (decl[kind].has(key) || bodies.length > 1) dup(kind, key, src, line);
          decl[kind].set(key, { type, name: n, src, line, body: bodies[0] });
        }
    for (const [pname, bodies] of Object.entries(json.provider || {}))
      for (const b of bodies) decl.provider.push({ name: pname, alias: b.alias, body: b, src, line: src.blockLine('provider', pname) });
    for (const tb of json.terraform || [])
      for (const rp of tb.required_providers || [])
        for (const [local, spec] of Object.entries(rp)) {
          const line = src.lineOf(new RegExp(`^\\s*${escapeRe(local)}\\s*=`));
          if (typeof spec !== 'object') continue;
          if (local === 'aws') {
            required.awsDeclared = true; required.version = spec.version;
            if (spec.source && !/^([a-z0-9.-]+\/)?hashicorp\/aws$/i.test(spec.source))
              err(src.name, line, 'Unexpected provider source', `required_providers.aws.source is "${spec.source}", expected "hashicorp/aws".`);
          }
          for (const a of spec.configuration_aliases || []) {
            const m = String(a).match(/^\$\{(\w+)\.(\w+)\}$/);
            if (!m || m[1] !== local) err(src.name, line, 'Invalid configuration_aliases', `"${a}" must be of the form ${local}.<alias>.`);
            else if (local === 'aws') required.aliases.add(m[2]);
          }
        }
  }
  if (!required.awsDeclared && decl.resource.size)
    warn(parsed[0] ? parsed[0].src.name : dir, 0, 'Missing required_providers', 'terraform { required_providers { aws = { source = "hashicorp/aws" ... } } } is not declared.');
  const schemaVersion = (schema.generatedFrom.match(/ (\d+\.\d+\.\d+)\)$/) || [])[1];
  if (required.version && schemaVersion) {
    const m = String(required.version).match(/(\d+)\.\d+/);
    if (m && !String(required.version).includes(schemaVersion.split('.')[0] + '.'))
      warn(dir, 0, 'Provider version mismatch', `required_providers.aws.version is "${required.version}" but the schema used here is aws ${schemaVersion}.`);
  }
  const providerAliases = new Set([...required.aliases, ...decl.provider.filter((p) => p.name === 'aws' && p.alias).map((p) => p.alias)]);

  // 3. provider blocks
  for (const p of decl.provider) {
    if (p.name !== 'aws') continue;
    const body = { ...p.body }; delete body.alias; delete body.version;
    checkBody(body, schema.provider.block, `provider "aws"`, { file: p.src, line: p.line }, null);
  }

  // 4. resources and data sources
  for (const kind of ['resource', 'data']) {
    const table = kind === 'resource' ? schema.resource_schemas : schema.data_source_schemas;
    for (const [key, r] of decl[kind]) {
      const where = `${kind === 'data' ? 'data.' : ''}${key}`;
      if ('count' in r.body && 'for_each' in r.body) err(r.src.name, r.line, 'Invalid combination of "count" and "for_each"', `${where}: count and for_each cannot both be set.`);
      const prov = r.body.provider;
      if (prov !== undefined) {
        const m = String(prov).match(/^\$\{(\w+)(?:\.(\w+))?\}$/);
        const line = r.src.argLine('provider', r.line);
        if (!m) err(r.src.name, line, 'Invalid provider reference', `${where}: provider must be <name> or <name>.<alias>, got "${prov}".`);
        else if (m[1] !== r.type.split('_')[0]) warn(r.src.name, line, 'Provider/type mismatch', `${where}: provider "${m[1]}" does not match the resource type prefix.`);
        else if (m[2] && !providerAliases.has(m[2]))
          err(r.src.name, line, 'Provider configuration not present', `${where}: provider aws.${m[2]} is neither in required_providers.aws.configuration_aliases nor a provider "aws" block with alias = "${m[2]}".`);
      }
      if (r.type === 'terraform_data') continue; // built-in provider
      if (!r.type.startsWith('aws_')) { warn(r.src.name, r.line, 'Unchecked provider', `${where}: only hashicorp/aws types are checked.`); continue; }
      const s = table[r.type];
      if (!s) {
        err(r.src.name, r.line, `Invalid ${kind === 'data' ? 'data source' : 'resource type'}`,
          `The provider hashicorp/aws does not support ${kind === 'data' ? 'data source' : 'resource type'} "${r.type}".${suggest(r.type, Object.keys(table))}`);
        continue;
      }
      checkBody(r.body, s.block, where, { file: r.src, line: r.line }, kind === 'resource' ? RESOURCE_META : DATA_META);
      // Policy of the module: every resource that takes tags gets them (tags_all is provider-made).
      if (kind === 'resource' && s.block.attributes && s.block.attributes.tags && !('tags' in r.body))
        err(r.src.name, r.line, 'Untagged resource', `${where} takes tags but sets none: every taggable resource carries the tags.`);
    }
  }

  // 5. variables / outputs shape
  const VAR_ARGS = new Set(['default', 'type', 'description', 'validation', 'sensitive', 'nullable', 'ephemeral']);
  const OUT_ARGS = new Set(['value', 'description', 'sensitive', 'depends_on', 'precondition', 'ephemeral']);
  for (const [n, v] of decl.variable) for (const k of Object.keys(v.body || {})) if (!VAR_ARGS.has(k))
    err(v.src.name, v.src.argLine(k, v.line), 'Unsupported argument', `variable "${n}": "${k}" is not expected here.${suggest(k, VAR_ARGS)}`);
  for (const [n, o] of decl.output) {
    for (const k of Object.keys(o.body || {})) if (!OUT_ARGS.has(k))
      err(o.src.name, o.src.argLine(k, o.line), 'Unsupported argument', `output "${n}": "${k}" is not expected here.${suggest(k, OUT_ARGS)}`);
    if (!('value' in (o.body || {}))) err(o.src.name, o.line, 'Missing required argument', `output "${n}": the argument "value" is required.`);
  }

  // 6. references in every expression
  const scopes = [];
  for (const [, r] of decl.resource) scopes.push({ src: r.src, line: r.line, where: `${r.type}.${r.name}`, value: r.body, count: 'count' in r.body, each: 'for_each' in r.body });
  for (const [, r] of decl.data) scopes.push({ src: r.src, line: r.line, where: `data.${r.type}.${r.name}`, value: r.body, count: 'count' in r.body, each: 'for_each' in r.body });
  for (const [n, o] of decl.output) scopes.push({ src: o.src, line: o.line, where: `output.${n}`, value: o.body });
  for (const [n, l] of decl.local) scopes.push({ src: l.src, line: l.line, where: `local.${n}`, value: l.value });
  for (const [n, m] of decl.module) scopes.push({ src: m.src, line: m.line, where: `module.${n}`, value: m.body, count: 'count' in m.body, each: 'for_each' in m.body });
  for (const p of decl.provider) scopes.push({ src: p.src, line: p.line, where: `provider.${p.name}`, value: p.body });
  for (const [n, v] of decl.variable) scopes.push({ src: v.src, line: v.line, where: `variable.${n}`, value: { validation: v.body && v.body.validation }, self: n });
  const skip = new Set(['ignore_changes', 'provider', 'type', 'providers']);
  const known = new Set(['path', 'terraform', 'self', 'count', 'each', 'var', 'local', 'module', 'data']);
  for (const sc of scopes) {
    const exprs = collectStrings(sc.value, [], skip);
    const iterators = new Set();
    for (const e of exprs) {
      let refs;
      try { refs = await hcl.getReferencesInExpression(sc.src.name, e); } catch (e2) { continue; }
      for (const ref of refs) {
        const parts = ref.value.split('.');
        const line = sc.src.textLine(parts.slice(0, 2).join('.'), sc.line) || sc.line;
        const head = parts[0];
        if (head === 'var') {
          if (!decl.variable.has(parts[1])) err(sc.src.name, line, 'Reference to undeclared input variable', `${sc.where}: an input variable with the name "${parts[1]}" has not been declared.${suggest(parts[1] || '', decl.variable.keys())}`);
        } else if (head === 'local') {
          if (!decl.local.has(parts[1])) err(sc.src.name, line, 'Reference to undeclared local value', `${sc.where}: a local value with the name "${parts[1]}" has not been declared.${suggest(parts[1] || '', decl.local.keys())}`);
        } else if (head === 'module') {
          if (!decl.module.has(parts[1])) err(sc.src.name, line, 'Reference to undeclared module', `${sc.where}: no module call named "${parts[1]}" is declared.`);
        } else if (head === 'count') {
          if (!sc.count) err(sc.src.name, line, 'Reference to "count" in non-counted context', `${sc.where}: count.index is only available when count is set.`);
        } else if (head === 'each') {
          if (!sc.each && !iterators.has('each')) err(sc.src.name, line, 'Reference to "each" in context without for_each', `${sc.where}: each.* is only available when for_each is set.`);
        } else if (head === 'data' || /^[a-z0-9]+_\w+$/.test(head)) {
          const isData = head === 'data';
          const type = isData ? parts[1] : parts[0];
          const name = isData ? parts[2] : parts[1];
          const attrParts = (isData ? parts.slice(3) : parts.slice(2)).filter((p) => !/^(\d+|".*")$/.test(p));
          const table = isData ? decl.data : decl.resource;
          const r = table.get(`${type}.${name}`);
          if (!r) {
            if (!isData && !type.startsWith('aws_')) continue; // probably a dynamic-block iterator or another provider
            err(sc.src.name, line, 'Reference to undeclared resource', `${sc.where}: a ${isData ? 'data' : 'managed'} resource "${type}" "${name}" has not been declared.`);
            continue;
          }
          const s = (isData ? schema.data_source_schemas : schema.resource_schemas)[type];
          if (s && attrParts[0] && !attrNamesOf(s).has(attrParts[0]))
            err(sc.src.name, line, 'Unsupported attribute', `${sc.where}: ${isData ? 'data.' : ''}${type}.${name} has no attribute "${attrParts[0]}".${suggest(attrParts[0], attrNamesOf(s))}`);
        } else if (head === 'aws' && sc.where.startsWith('provider')) {
          // provider references inside provider blocks are unusual but harmless
        } else if (!known.has(head) && !/^[A-Za-z_]\w*$/.test(head)) {
          warn(sc.src.name, line, 'Unrecognised reference', `${sc.where}: ${ref.value}`);
        }
      }
    }
  }

  // ---------------------------------------------------------------- output
  diags.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  const errors = diags.filter((d) => d.severity === 'error');
  const elapsed = Date.now() - t0;
  if (asJson) {
    console.log(JSON.stringify({ valid: errors.length === 0, error_count: errors.length, warning_count: diags.length - errors.length, diagnostics: diags, files: files.length, elapsed_ms: elapsed, schema: schema.generatedFrom }, null, 2));
  } else {
    for (const d of diags) console.log(`${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary}\n  on ${path.relative(process.cwd(), d.file) || d.file}${d.line ? ` line ${d.line}` : ''}\n  ${d.detail}\n`);
    console.log(errors.length ? `tfcheck: ${errors.length} error(s), ${diags.length - errors.length} warning(s) in ${files.length} file(s) [${elapsed} ms; schema ${schema.generatedFrom}]`
      : `Success! The configuration is valid${diags.length ? `, with ${diags.length} warning(s)` : ''}. [${files.length} file(s), ${elapsed} ms; schema ${schema.generatedFrom}]`);
  }
  if (errors.length) process.exitCode = 1;
}

(async () => {
  const schema = loadSchema(schemaFile);
  for (const dir of dirs) await main(dir, schema);
})().catch((e) => { console.error(e.stack || e); process.exit(2); });
