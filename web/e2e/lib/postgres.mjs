// PostgreSQL for the run on it (`--db=postgres`): every server gets a fresh
// schema on the server MEMORIA_TEST_POSTGRES names (default the local one,
// as for the Go tests), made and dropped with psql.
import { randomBytes } from 'node:crypto';
import { run } from './processes.mjs';

export const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable';

/** The server's URL (libpq syntax: psql connects with it, memoria too). */
export function postgresBase() {
  return process.env.MEMORIA_TEST_POSTGRES || DEFAULT_POSTGRES;
}

/** The URL with its password hidden, for messages. */
export function redact(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'xxxxx';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

function psql(base, sql) {
  return run('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', base, '-c', sql], {
    cwd: process.cwd(),
    env: { ...process.env, PGCONNECT_TIMEOUT: '3' },
  });
}

/** Resolves to '' when the server answers, else to why it does not. */
export async function probePostgres(base) {
  try {
    await psql(base, 'SELECT 1');
    return '';
  } catch (err) {
    if (err.code === 'ENOENT') return 'psql is not installed';
    // run's message is the command line (with the URL), then psql's output.
    const said = String(err.message).split('\n').slice(1).map((l) => l.trim()).find(Boolean);
    return said?.replace(/^psql: error: /, '') ?? 'psql failed';
  }
}

/**
 * Schemas on base: `fresh()` makes one and returns memoria's --db URL for
 * it; `dropAll()` drops every one made (call it once their servers stopped).
 */
export function schemas(base) {
  const made = [];
  return {
    async fresh() {
      const name = `e2e_${randomBytes(6).toString('hex')}`;
      await psql(base, `CREATE SCHEMA ${name}`);
      made.push(name);
      const u = new URL(base);
      u.searchParams.set('search_path', name);
      return u.toString();
    },
    async dropAll() {
      for (const name of made.splice(0)) {
        await psql(base, `DROP SCHEMA IF EXISTS ${name} CASCADE`).catch((err) =>
          console.error(`drop schema ${name}: ${err.message}`),
        );
      }
    },
  };
}
