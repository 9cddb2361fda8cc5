// Suites that read the shared recordings (../shared/fixtures) fail when they are absent, as
// requireServiceEnv does for servers: a skipped suite reads as a passing one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

/**
 * For node:test's `skip` option: false when `path` exists. When it does not, registers a
 * failing test naming the path (so the run fails) and returns the reason the suites that
 * read it cannot run.
 */
export function requireFixtures(path: string): false | string {
  if (existsSync(path)) return false;
  test(`recordings at ${path} are present`, () => {
    assert.fail(`${path} is absent: the shared fixtures must be checked out next to the repository (../shared/fixtures)`);
  });
  return `${path} is absent (see the failing test "recordings at ${path} are present")`;
}
