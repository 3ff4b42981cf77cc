// check-junit.mjs FILE...: fail unless every FILE is well-formed JUnit XML whose counts agree with its
// <testcase> elements, so a truncated or empty report cannot pass for a green one. Prints, per file,
// "<file>: N tests, N failures" (failures counts <failure> and <error> test cases). Works for the
// reports of jest-junit (failures + errors attributes) and eslint-formatter-junit (errors only).
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
});

function count(element, name, where) {
  const value = element[`@${name}`];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${where}: ${name}="${value}" is not a count`);
  return Number(value);
}

function expectCount(element, name, where, actual) {
  const declared = count(element, name, where);
  if (declared !== undefined && declared !== actual) {
    throw new Error(`${where}: ${name}="${declared}" but ${actual} found`);
  }
}

/** Checks one report's text; returns { tests, failures } or throws saying what is wrong. */
export function checkJunit(xml) {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = parser.parse(xml);
  const root = doc.testsuites ?? (doc.testsuite ? { testsuite: doc.testsuite } : undefined);
  if (root === undefined) throw new Error('the root element is neither <testsuites> nor <testsuite>');
  const suites = typeof root === 'object' ? root.testsuite ?? [] : [];
  if (suites.length === 0) throw new Error('no <testsuite> element');
  const total = { tests: 0, failures: 0 };
  suites.forEach((suite, i) => {
    const where = `testsuite ${i + 1} (${suite['@name'] ?? 'no name'})`;
    const cases = suite.testcase ?? [];
    const failed = cases.filter((c) => c.failure || c.error).length;
    if (count(suite, 'tests', where) === undefined) throw new Error(`${where}: no tests attribute`);
    expectCount(suite, 'tests', where, cases.length);
    expectCount(suite, 'skipped', where, cases.filter((c) => c.skipped).length);
    const declaredFailed = (count(suite, 'failures', where) ?? 0) + (count(suite, 'errors', where) ?? 0);
    if (declaredFailed !== failed) throw new Error(`${where}: failures + errors = ${declaredFailed} but ${failed} failed test cases found`);
    total.tests += cases.length;
    total.failures += failed;
  });
  if (doc.testsuites) {
    expectCount(root, 'tests', 'testsuites', total.tests);
    const declared = (count(root, 'failures', 'testsuites') ?? 0) + (count(root, 'errors', 'testsuites') ?? 0);
    const hasCounts = root['@failures'] !== undefined || root['@errors'] !== undefined;
    if (hasCounts && declared !== total.failures) {
      throw new Error(`testsuites: failures + errors = ${declared} but ${total.failures} failed test cases found`);
    }
  }
  return total;
}

function main(files) {
  if (files.length === 0) {
    console.error('usage: check-junit.mjs FILE...');
    return 2;
  }
  let status = 0;
  for (const file of files) {
    try {
      const { tests, failures } = checkJunit(readFileSync(file, 'utf8'));
      console.log(`${file}: ${tests} tests, ${failures} failures`);
    } catch (err) {
      console.error(`check-junit: ${file}: ${err.message}`);
      status = 1;
    }
  }
  return status;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
