#!/usr/bin/env node
// Writes the Inputs / Outputs tables of <dir>/README.md (between
// <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->) from variables.tf and outputs.tf,
// in the layout terraform-docs uses.
//   node scripts/terraform/docs.js [--check] <dir>
// --check: exit 1 when the README is stale instead of rewriting it.
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktn/hcl2json');

const BEGIN = '<!-- BEGIN_TF_DOCS -->';
const END = '<!-- END_TF_DOCS -->';
const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n\s*/g, ' ');
const text = (s) => cell(s).replace(/</g, '&lt;').replace(/>/g, '&gt;');
const code = (s) => '`' + cell(s) + '`';
const unexpr = (s) => String(s).replace(/^\$\{([\s\S]*)\}$/, '$1').replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')');

async function blocks(dir, file, kind) {
  const f = path.join(dir, file);
  if (!fs.existsSync(f)) return [];
  const j = await parse(file, fs.readFileSync(f, 'utf8'));
  return Object.entries(j[kind] || {}).map(([name, v]) => [name, v[0]]).sort(([a], [b]) => a.localeCompare(b));
}

async function render(dir) {
  const vars = await blocks(dir, 'variables.tf', 'variable');
  const outs = await blocks(dir, 'outputs.tf', 'output');
  const lines = ['## Inputs', '', '| Name | Description | Type | Default | Required |', '|------|-------------|------|---------|:--------:|'];
  for (const [name, v] of vars) {
    const required = !('default' in v);
    const def = required ? 'n/a' : code(typeof v.default === 'string' ? JSON.stringify(v.default) : JSON.stringify(v.default));
    lines.push(`| ${name} | ${text(v.description || '')} | ${code(unexpr(v.type || 'any'))} | ${def} | ${required ? 'yes' : 'no'} |`);
  }
  lines.push('', '## Outputs', '', '| Name | Description |', '|------|-------------|');
  for (const [name, o] of outs) lines.push(`| ${name} | ${text(o.description || '')} |`);
  return lines.join('\n');
}

(async () => {
  const args = process.argv.slice(2);
  const check = args[0] === '--check';
  const dir = path.resolve(args[check ? 1 : 0] || 'terraform');
  const readme = path.join(dir, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const a = text.indexOf(BEGIN), b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readme}: no ${BEGIN} ... ${END} block`);
  const next = `${text.slice(0, a + BEGIN.length)}\n${await render(dir)}\n${text.slice(b)}`;
  if (next === text) return;
  if (check) {
    console.error(`${readme} is stale: run  node scripts/terraform/docs.js terraform`);
    process.exit(1);
  }
  fs.writeFileSync(readme, next);
  console.log(`updated ${readme}`);
})().catch((e) => { console.error(e.message); process.exit(2); });
