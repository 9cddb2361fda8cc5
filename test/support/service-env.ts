// Integration tests run against real servers. A missing server address is a failure with the
// fix in its message, never a skip: a skipped suite reads as a passing one.
import assert from 'node:assert/strict';
import { test } from 'node:test';

/** The variable's value; when it is unset, registers a failing test and returns undefined. */
export function requireServiceEnv(name: string): string | undefined {
  const value = process.env[name];
  if (value) return value;
  test(`${name} is set`, () => {
    assert.fail(`${name} is not set: run \`bash infra/dev/services.sh && . ./.services.env\` first (or \`npm run test:all\`)`);
  });
  return undefined;
}
