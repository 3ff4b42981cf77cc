import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '../../../scripts/check-junit.mjs');
type ESLintResult = { filePath: string; messages: { ruleId: string | null; severity: number; message: string; line: number; column: number; fatal?: boolean }[] };
const eslintJunit = jest.requireActual<(results: ESLintResult[]) => string>('eslint-formatter-junit');

// The shape jest-junit writes (reports/tests.xml): totals on <testsuites>, one <testsuite> per file.
const JEST_REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="4" failures="1" errors="0" time="1.2">
  <testsuite name="unit" errors="0" failures="1" skipped="1" timestamp="2026-01-01T00:00:00" time="1.0" tests="3">
    <testcase classname="a passes" name="a passes" time="0.1" file="tests/unit/a.test.ts"></testcase>
    <testcase classname="b fails" name="b fails" time="0.1" file="tests/unit/a.test.ts"><failure>expected 1, got 2</failure></testcase>
    <testcase classname="c is skipped" name="c is skipped" time="0" file="tests/unit/a.test.ts"><skipped/></testcase>
  </testsuite>
  <testsuite name="integration" errors="0" failures="0" skipped="0" timestamp="2026-01-01T00:00:00" time="0.2" tests="1">
    <testcase classname="d passes" name="d passes" time="0.2" file="tests/integration/d.test.ts"></testcase>
  </testsuite>
</testsuites>
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'check-junit-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(...contents: string[]) {
  const files = contents.map((content, i) => {
    const file = join(dir, `report-${i}.xml`);
    writeFileSync(file, content);
    return file;
  });
  const result = spawnSync(process.execPath, [SCRIPT, ...files], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, files };
}

describe('check-junit.mjs', () => {
  it('accepts a jest-junit report and prints its counts', () => {
    const { status, stdout, stderr, files } = check(JEST_REPORT);

    expect(stderr).toBe('');
    expect(stdout).toBe(`${files[0]}: 4 tests, 1 failures\n`);
    expect(status).toBe(0);
  });

  it('accepts what eslint --format junit writes, with and without problems', () => {
    // Prepare: the real formatter's output for a clean file, a file with two problems and a parse error
    const xml = eslintJunit([
      { filePath: '/repo/src/clean.ts', messages: [] },
      {
        filePath: '/repo/src/dirty.ts',
        messages: [
          { ruleId: 'no-unused-vars', severity: 2, message: "'x' is <unused> & \"bad\"", line: 1, column: 7 },
          { ruleId: 'eqeqeq', severity: 1, message: 'Expected ===', line: 2, column: 3 },
        ],
      },
      { filePath: '/repo/src/broken.ts', messages: [{ ruleId: null, severity: 2, message: 'Parsing error', line: 1, column: 1, fatal: true }] },
    ]);

    // Act
    const { status, stdout, files } = check(xml);

    // Assess: 1 + 2 + 1 test cases, of which the 3 problems are failures (one of them an <error>)
    expect(stdout).toBe(`${files[0]}: 4 tests, 3 failures\n`);
    expect(status).toBe(0);
  });

  it('accepts a lone <testsuite> root', () => {
    const { status, stdout, files } = check('<testsuite name="s" tests="1" failures="0"><testcase name="t"/></testsuite>');

    expect(stdout).toBe(`${files[0]}: 1 tests, 0 failures\n`);
    expect(status).toBe(0);
  });

  it.each([
    ['a truncated file', JEST_REPORT.slice(0, 400), /not well-formed XML/],
    ['an empty file', '', /not well-formed XML: Start tag expected/],
    ['another root element', '<checkstyle><file name="a"/></checkstyle>', /the root element is neither <testsuites> nor <testsuite>/],
    ['no test suite', '<testsuites></testsuites>', /no <testsuite> element/],
    ['a suite without a tests count', '<testsuites><testsuite name="s"><testcase name="t"/></testsuite></testsuites>', /testsuite 1 \(s\): no tests attribute/],
    ['a count that is not a number', '<testsuite name="s" tests="one"><testcase name="t"/></testsuite>', /tests="one" is not a count/],
  ])('rejects %s', (_name, xml, message) => {
    const { status, stdout, stderr, files } = check(xml);

    expect(stderr).toMatch(new RegExp(`^check-junit: ${files[0]}: `));
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
    expect(status).toBe(1);
  });

  it.each([
    ['more tests declared than test cases', JEST_REPORT.replace('tests="3"', 'tests="4"'), /testsuite 1 \(unit\): tests="4" but 3 found/],
    ['fewer failures declared than failed cases', JEST_REPORT.replace('failures="1" skipped', 'failures="0" skipped'), /testsuite 1 \(unit\): failures \+ errors = 0 but 1 failed test cases found/],
    ['an error count without an <error> case', JEST_REPORT.replace('errors="0" failures="0"', 'errors="1" failures="0"'), /testsuite 2 \(integration\): failures \+ errors = 1 but 0/],
    ['skipped cases miscounted', JEST_REPORT.replace('skipped="1"', 'skipped="0"'), /skipped="0" but 1 found/],
    ['totals that disagree with the suites', JEST_REPORT.replace('tests="4" failures="1"', 'tests="5" failures="1"'), /testsuites: tests="5" but 4 found/],
    ['total failures that disagree with the suites', JEST_REPORT.replace('tests="4" failures="1"', 'tests="4" failures="2"'), /testsuites: failures \+ errors = 2 but 1/],
  ])('rejects a report with %s', (_name, xml, message) => {
    const { status, stderr } = check(xml);

    expect(stderr).toMatch(message);
    expect(status).toBe(1);
  });

  it('checks every file, prints each good one and fails if one is bad', () => {
    const { status, stdout, stderr, files } = check(JEST_REPORT, '<testsuites', JEST_REPORT);

    expect(stdout).toBe(`${files[0]}: 4 tests, 1 failures\n${files[2]}: 4 tests, 1 failures\n`);
    expect(stderr).toMatch(`check-junit: ${files[1]}: not well-formed XML`);
    expect(status).toBe(1);
  });

  it('fails on a missing file', () => {
    const missing = join(dir, 'missing.xml');
    const result = spawnSync(process.execPath, [SCRIPT, missing], { encoding: 'utf8' });

    expect(result.stderr).toMatch(`check-junit: ${missing}: ENOENT`);
    expect(result.status).toBe(1);
  });

  it('prints its usage and fails without a file', () => {
    const result = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });

    expect(result.stderr).toBe('usage: check-junit.mjs FILE...\n');
    expect(result.status).toBe(2);
  });
});
