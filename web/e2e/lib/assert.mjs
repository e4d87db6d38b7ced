// Tiny assertions with messages that say what the user would have seen.
export class AssertionError extends Error {}

export function ok(value, message) {
  if (!value) throw new AssertionError(message);
}

export function equal(actual, expected, message) {
  if (actual !== expected) {
    throw new AssertionError(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

export function match(actual, re, message) {
  if (!re.test(String(actual))) throw new AssertionError(`${message}: ${JSON.stringify(actual)} does not match ${re}`);
}
