#!/usr/bin/env node
// End-to-end tests: builds the UI and the real memoria binary, starts them
// (and the fake Telegram Bot API) on free loopback ports with fresh data
// dirs, and drives Debian's Chromium through the scenarios.
//
//   npm run e2e                      all scenarios
//   npm run e2e -- non-admin         only the named ones
//   npm run e2e -- --db=postgres     the same on PostgreSQL: each server gets
//                                    --db with a fresh schema on
//                                    MEMORIA_TEST_POSTGRES (default the local
//                                    server); all scenarios but screenshots
//                                    unless named. Skips with one line when
//                                    the server (or psql) is missing, fails
//                                    instead with MEMORIA_TEST_REQUIRE_POSTGRES=1
//   E2E_SKIP_BUILD=1 npm run e2e     reuse web/dist and the binaries
//   node e2e/run.mjs --docs screenshots   (npm run screenshots) write the
//                                    screenshots to docs/screenshots/ instead
//                                    of e2e/artifacts/screenshots/
//
// Exits non-zero if any scenario fails; failed scenarios leave screenshots
// and server logs in web/e2e/artifacts/failed-<scenario>/. Every process it started is stopped.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser, newActor } from './lib/browser.mjs';
import { startFakeTelegram } from './lib/faketelegram.mjs';
import { startMemoria } from './lib/memoria.mjs';
import { postgresBase, probePostgres, redact, schemas } from './lib/postgres.mjs';
import { killAllNow, run, stopAll } from './lib/processes.mjs';
import composeEditDelete from './scenarios/compose-edit-delete.mjs';
import liveTimeline from './scenarios/live-timeline.mjs';
import connectTelegram from './scenarios/connect-telegram.mjs';
import nonAdmin from './scenarios/non-admin.mjs';
import screenshots from './scenarios/screenshots.mjs';
import search from './scenarios/search.mjs';
import telegramStory from './scenarios/telegram-story.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, '..');
const repoDir = path.resolve(webDir, '..');
const artifactsDir = path.join(here, 'artifacts');

/** @type {{name: string, description: string, run: (t: any) => Promise<void>}[]} */
const all = [telegramStory, composeEditDelete, nonAdmin, liveTimeline, search, connectTelegram, screenshots];

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const screenshotsDir = flags.includes('--docs')
  ? path.join(repoDir, 'docs', 'screenshots')
  : path.join(artifactsDir, 'screenshots');
const dbFlag = flags.find((f) => f.startsWith('--db='))?.slice('--db='.length) ?? 'sqlite';
if (dbFlag !== 'sqlite' && dbFlag !== 'postgres') {
  console.error(`--db=${dbFlag}: want sqlite (the default) or postgres`);
  process.exit(2);
}
const onPostgres = dbFlag === 'postgres';
// The screenshots are of the UI, the same whatever the database.
const byDefault = onPostgres ? all.filter((s) => s.name !== 'screenshots') : all;
const selected = wanted.length ? all.filter((s) => wanted.includes(s.name)) : byDefault;
if (selected.length === 0) {
  console.error(`no scenario named ${wanted.join(', ')}; have: ${all.map((s) => s.name).join(', ')}`);
  process.exit(2);
}

let pg;
if (onPostgres) {
  const base = postgresBase();
  const why = await probePostgres(base);
  if (why) {
    const msg = `PostgreSQL not reachable at ${redact(base)}: ${why}`;
    if (process.env.MEMORIA_TEST_REQUIRE_POSTGRES === '1') {
      console.error(msg);
      process.exit(1);
    }
    console.log(`${msg} — skipping the browser tests on PostgreSQL`);
    process.exit(0);
  }
  pg = schemas(base);
  console.log(`• on PostgreSQL at ${redact(base)}, a fresh schema per server`);
}

const workDir = mkdtempSync(path.join(os.tmpdir(), 'memoria-e2e-'));
let browser;
let interrupted = '';

async function cleanup() {
  await browser?.close().catch(() => {});
  await stopAll();
  await pg?.dropAll();
  if (!process.env.E2E_KEEP_TMP) rmSync(workDir, { recursive: true, force: true });
}
process.on('exit', killAllNow);
// On Ctrl+C: stop the browser and the servers now (the running scenario then
// fails fast), start nothing new, and let the main flow clean up and exit.
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = sig;
    console.error(`\n${sig}: stopping…`);
    void browser?.close().catch(() => {});
    void stopAll();
  });
}

function checkInterrupted() {
  if (interrupted) throw new Error(`interrupted by ${interrupted}`);
}

function ms(start) {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

async function timed(label, fn) {
  const t0 = performance.now();
  process.stdout.write(`• ${label} … `);
  try {
    const r = await fn();
    console.log(`done (${ms(t0)})`);
    return r;
  } catch (err) {
    console.log(`FAILED (${ms(t0)})`);
    throw err;
  }
}

async function build() {
  const bin = path.join(workDir, 'bin');
  mkdirSync(bin, { recursive: true });
  const skip = process.env.E2E_SKIP_BUILD === '1';
  if (!skip) await timed('building the UI (npm run build)', () => run('npm', ['run', 'build'], { cwd: webDir }));
  const memoria = path.join(bin, 'memoria');
  await timed('building memoria (go build .)', () => run('go', ['build', '-o', memoria, '.'], { cwd: repoDir }));
  let faketelegram = '';
  const fakePkg = './bot/telegramtest/cmd/faketelegram';
  if (existsSync(path.join(repoDir, fakePkg))) {
    faketelegram = path.join(bin, 'faketelegram');
    await timed('building the fake Telegram Bot API', () =>
      run('go', ['build', '-o', faketelegram, fakePkg], { cwd: repoDir }),
    );
  } else {
    console.log(`• ${fakePkg} does not exist yet: scenarios that need Telegram will fail at that step`);
  }
  return { memoria, faketelegram };
}

/** Runs one scenario with its own servers; returns a result row. */
async function runScenario(scenario, bins) {
  const actors = [];
  const servers = [];
  const steps = [];
  let currentStep = '(setup)';
  const t = {
    workDir,
    repoDir,
    screenshotsDir,
    async memoria() {
      checkInterrupted();
      const db = pg ? await pg.fresh() : undefined;
      const s = await startMemoria({ binary: bins.memoria, workDir, name: scenario.name, db });
      servers.push(s);
      return s;
    },
    async fakeTelegram() {
      checkInterrupted();
      if (!bins.faketelegram) throw new Error('the fake Telegram Bot API (bot/telegramtest/cmd/faketelegram) is not in the tree yet');
      const f = await startFakeTelegram({ binary: bins.faketelegram, workDir, name: scenario.name });
      servers.push(f);
      return f;
    },
    async actor(name, opts) {
      const a = await newActor(browser, name, opts);
      actors.push(a);
      return a;
    },
    async step(label, fn) {
      currentStep = label;
      const t0 = performance.now();
      try {
        const r = await fn();
        steps.push({ label, seconds: (performance.now() - t0) / 1000, ok: true });
        console.log(`    ✓ ${label} (${ms(t0)})`);
        return r;
      } catch (err) {
        steps.push({ label, seconds: (performance.now() - t0) / 1000, ok: false });
        console.log(`    ✗ ${label} (${ms(t0)})`);
        throw err;
      }
    },
  };

  console.log(`\n▶ ${scenario.name}${onPostgres ? ' (PostgreSQL)' : ''}: ${scenario.description}`);
  const failDir = path.join(artifactsDir, `failed-${scenario.name}${onPostgres ? '-postgres' : ''}`);
  rmSync(failDir, { recursive: true, force: true });
  const t0 = performance.now();
  let error;
  try {
    await scenario.run(t);
    const problems = actors.flatMap((a) => a.problems);
    if (problems.length) throw new Error(`the page reported errors:\n  ${problems.join('\n  ')}`);
  } catch (err) {
    error = err;
  }
  const seconds = (performance.now() - t0) / 1000;

  if (error) {
    const dir = failDir;
    mkdirSync(dir, { recursive: true });
    for (const a of actors) {
      await a.page.screenshot({ path: path.join(dir, `${a.name}.png`), fullPage: true }).catch(() => {});
    }
    for (const s of servers) {
      if (s.proc?.logFile && existsSync(s.proc.logFile)) cpSync(s.proc.logFile, path.join(dir, path.basename(s.proc.logFile)));
    }
    writeFileSync(
      path.join(dir, 'error.txt'),
      `step: ${currentStep}\n\n${error.stack ?? error}\n\npage problems:\n${actors.flatMap((a) => a.problems).join('\n')}\n`,
    );
    console.log(`  ✗ FAILED at step "${currentStep}" after ${seconds.toFixed(1)} s:\n    ${String(error.message).split('\n').join('\n    ')}`);
    console.log(`    artifacts: ${path.relative(webDir, dir)}/`);
  } else {
    console.log(`  ✓ passed in ${seconds.toFixed(1)} s`);
  }

  for (const a of actors) await a.context.close().catch(() => {});
  for (const s of servers.reverse()) await s.stop().catch(() => {});
  await pg?.dropAll();
  return { name: scenario.name, ok: !error, seconds, failedStep: error ? currentStep : '', steps };
}

let failed = 0;
try {
  const tAll = performance.now();
  const bins = await build();
  checkInterrupted();
  browser = await timed('launching Chromium', () => launchBrowser());
  checkInterrupted();
  const results = [];
  for (const s of selected) {
    if (interrupted) break;
    results.push(await runScenario(s, bins));
  }
  failed = results.filter((r) => !r.ok).length;
  console.log('\nSummary');
  for (const r of results) {
    console.log(`  ${r.ok ? 'PASS' : 'FAIL'}  ${r.name.padEnd(22)} ${r.seconds.toFixed(1).padStart(6)} s${r.ok ? '' : `  (at: ${r.failedStep})`}`);
  }
  console.log(`  ${results.length - failed} passed, ${failed} failed, total ${ms(tAll)}`);
} catch (err) {
  console.error(`\ne2e setup failed: ${err.stack ?? err}`);
  failed = 1;
} finally {
  await cleanup();
}
process.exit(interrupted ? 130 : failed ? 1 : 0);
