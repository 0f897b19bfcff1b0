// `cti`: the command line. serve | migrate | user add | token create/list/revoke | import contacts | dial-policy | pbx up [--profile freepbx]/down/status | demo.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ConfigError, databaseTarget, loadBaseConfig } from '../config/config.js';
import { PHONE_MODES, ROLES } from '../contract/enums.js';
import { describeTarget, isPostgresUrl, MigrationBlockedError, openDb, type Db } from '../db/client.js';
import { CtiError } from '../lib/errors.js';
import { listTokens, parseExpiry, revokeToken } from '../users/tokens.js';
import { MAIN_PBX, readPbxesFile } from '../pbx/pbxes.js';
import { addUser, createToken, isRole } from '../users/users.js';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes('/dist/') ? '../../..' : '../..');
export const sandboxEnvFile = () => resolve(process.env['CTI_PBX_DIR'] ?? resolve(projectRoot, '.pbx'), 'sandbox.env');

/** The demo's settings (`--demo`, and what `cti demo` uses): its database and routing rules in data/. */
export const demoEnv = () => ({
  CTI_DB_FILE: resolve(projectRoot, 'data/demo.sqlite'),
  CTI_ROUTING_FILE: resolve(projectRoot, 'data/demo-routing.json'),
  CTI_DEMO: 'true',
});

/** .env in the working directory, then (with --sandbox or --demo) the sandbox's settings; real env wins. */
function loadEnv(opts: { sandbox?: boolean; demo?: boolean }): void {
  if (opts.demo) for (const [k, v] of Object.entries(demoEnv())) if (!process.env[k]) process.env[k] = v; // an empty one counts as unset
  const files = [resolve(process.cwd(), '.env')];
  if (opts.sandbox || (opts.demo && existsSync(sandboxEnvFile()))) {
    if (!existsSync(sandboxEnvFile())) fail(`the sandbox PBX is not up (${sandboxEnvFile()} missing): run \`cti pbx up\` first`);
    files.push(sandboxEnvFile());
  }
  for (const f of files) {
    if (!existsSync(f)) continue;
    const before = { ...process.env };
    process.loadEnvFile(f);
    for (const [k, v] of Object.entries(before)) process.env[k] = v; // explicit environment wins
  }
}

function fail(msg: string): never {
  console.error(`cti: ${msg}`);
  process.exit(2);
}

async function guarded(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CtiError || err instanceof MigrationBlockedError) fail(err.message);
    throw err;
  }
}

async function readPassword(): Promise<string> {
  if (process.env['CTI_PASSWORD']) return process.env['CTI_PASSWORD'];
  if (!process.stdin.isTTY) {
    let s = '';
    for await (const chunk of process.stdin) s += String(chunk);
    return s.split('\n')[0] ?? '';
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const pw = await rl.question('Password: ');
  rl.close();
  return pw;
}

const program = new Command('cti').description('CTI connector and call tracking for Asterisk');
program.option('--sandbox', 'use the settings of the sandbox PBX (.pbx/sandbox.env)');
program.option('--demo', "work on the demo's data (data/demo.sqlite) and, when it is up, its sandbox PBX");

/**
 * Every command that opens the database says which (stderr, so stdout stays the command's output): the
 * SQLite file, or CTI_DATABASE_URL without its password.
 */
function dbFile(): string {
  const target = databaseTarget(loadBaseConfig());
  console.error(`cti: database ${describeTarget(target)}`);
  return isPostgresUrl(target) ? target : resolve(target);
}

program.command('serve').description('run the service').action(async () => {
  loadEnv(program.opts());
  await guarded(() => { dbFile(); });
  const { runServer } = await import('../server.js');
  await runServer();
});

program.command('migrate').description('apply database migrations (SQLite file or CTI_DATABASE_URL)').action(() => guarded(async () => {
  loadEnv(program.opts());
  const target = dbFile();
  await (await openDb(target)).close();
  console.log(`migrations applied to ${describeTarget(target)}`);
}));

const user = program.command('user').description('manage users');
user.command('add <name>')
  .description('add a user')
  .addOption(new Option('--role <role>', 'manager, supervisor or admin').choices(ROLES).makeOptionMandatory())
  .option('--extension <ext>', "the manager's phone extension")
  .option('--pbx <id>', 'the PBX the extension is on (several PBXs: CTI_PBXS_FILE)', 'main')
  .option('--mobile <number>', "the user's mobile (calls forwarded there and answered there are theirs)")
  .option('--language <lang>', 'ru or en', 'ru')
  .option('--password [password]', 'set a password (prompted, or CTI_PASSWORD, when no value is given)')
  .addOption(new Option('--phone <mode>', 'where calls ring: desk (a SIP phone) or browser (the phone in the page)').choices(PHONE_MODES).default('desk'))
  .action((name: string, o: { role: string; pbx: string; extension?: string; mobile?: string; language: string; password?: string | boolean; phone: 'desk' | 'browser' }) => guarded(async () => {
    loadEnv(program.opts());
    if (!isRole(o.role)) fail(`--role: ${o.role} is not a role`);
    if (o.language !== 'ru' && o.language !== 'en') fail('--language: ru or en');
    if (o.pbx !== MAIN_PBX) { // one of the deployment's, as the API checks (a user on no PBX rings nowhere)
      const file = process.env['CTI_PBXS_FILE'];
      const known = [MAIN_PBX, ...(file ? readPbxesFile(file).map((p) => p.id) : [])];
      if (!known.includes(o.pbx)) fail(`--pbx: no PBX '${o.pbx}' here (${known.join(', ')}${file ? '' : '; more PBXs come from CTI_PBXS_FILE'})`);
    }
    const password = o.password === true ? await readPassword() : typeof o.password === 'string' ? o.password : null;
    if (password !== null && password.length < 8) fail('--password: at least 8 characters');
    const h = await openDb(dbFile());
    try {
      const u = await addUser(h.db, { name, role: o.role, pbxId: o.pbx, extension: o.extension ?? null, mobile: o.mobile ?? null, password, language: o.language, phoneMode: o.phone },
        process.env['CTI_DEFAULT_REGION'] || undefined);
      console.log(`user ${u.name} added (${u.role}${u.extension ? `, extension ${u.extension}${u.pbxId !== 'main' ? ` on PBX ${u.pbxId}` : ''}` : ''}${u.mobile ? `, mobile ${u.mobile}` : ''}${u.phoneMode === 'browser' ? ', browser phone' : ''})`);
    } finally {
      await h.close();
    }
  }));

/** Opens the database of the configuration, runs fn, closes it. */
async function withDb<T>(fn: (db: Db) => Promise<T> | T): Promise<T> {
  loadEnv(program.opts());
  const h = await openDb(dbFile());
  try {
    return await fn(h.db);
  } finally {
    await h.close();
  }
}

const token = program.command('token').description('manage API tokens (README, "API tokens and revocation")');
token.command('create <name>')
  .description('create an API token for a user (printed once; only its SHA-256 is stored)')
  .option('--expires <when>', 'when it stops working: 30d, 12h, or an ISO 8601 date or date-time (default: until revoked)')
  .option('--label <text>', 'what the token is for, shown by `cti token list`')
  .action((name: string, o: { expires?: string; label?: string }) => guarded(async () => {
    const expiresAt = o.expires === undefined ? null : parseExpiry(o.expires, Date.now(), '--expires');
    console.log(await withDb((db) => createToken(db, name, { expiresAt, label: o.label?.trim() || null })));
  }));
token.command('list')
  .description('list API tokens (never the secret): id, user, label, created, expires, last used (UTC)')
  .option('--user <name>', "only this user's tokens")
  .action((o: { user?: string }) => guarded(async () => {
    const rows = await withDb((db) => listTokens(db, o.user ? { userName: o.user } : {}));
    const minute = (iso: string | null) => (iso ? `${iso.slice(0, 16)}Z` : '-');
    const table = [['id', 'user', 'label', 'created', 'expires', 'last used'],
      ...rows.map((r) => [r.id, r.userName, r.label ?? '-', minute(r.createdAt), minute(r.expiresAt), minute(r.lastUsedAt)])];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table) console.log(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
  }));
token.command('revoke <id>')
  .description('revoke an API token (the id from `cti token list`): its next request gets 401')
  .action((id: string) => guarded(async () => {
    await withDb((db) => revokeToken(db, id));
    console.log(`token ${id} revoked`);
  }));

program.command('import').description('import data from files')
  .command('contacts <file>')
  .description('import clients and contacts from a CSV file (columns in the README); bad rows are listed, good rows go in')
  .option('--batch <rows>', 'rows per transaction', '5000')
  .action((file: string, o: { batch: string }) => guarded(async () => {
    loadEnv(program.opts());
    dbFile();
    const { runImport } = await import('./import.js');
    process.exitCode = await runImport(file, loadBaseConfig(), Number(o.batch));
  }));

program.command('dial-policy')
  .description('print the dial policy (CTI_DIAL_*) as Asterisk dialplan, for extensions_cti_policy.conf')
  .action(() => guarded(async () => {
    loadEnv(program.opts());
    const { dialPolicyOf } = await import('../calls/dial-policy.js');
    const { renderDialplanPolicy } = await import('../calls/dial-policy-dialplan.js');
    process.stdout.write(renderDialplanPolicy(dialPolicyOf(loadBaseConfig())));
  }));

const pbx = program.command('pbx').description('the sandbox Asterisk for the demo and the tests');
const PBX_PROFILES = ['default', 'freepbx'];
for (const verb of ['up', 'down', 'status'] as const) {
  const cmd = pbx.command(verb).description(`${verb === 'status' ? 'show' : 'bring ' + verb} the sandbox PBX`);
  if (verb === 'up') {
    cmd.option('--profile <name>', `the dialplan: default (ours, dialplan/*.conf) or freepbx (shaped like FreePBX 17's, sandbox/freepbx/)`);
  }
  cmd.action((opts: { profile?: string }) => {
    loadEnv({}); // CTI_PBX_PORT_OFFSET / CTI_PBX_DIR / CTI_PBX_PROFILE from .env reach sandbox/pbx.sh too
    if (opts.profile !== undefined && !PBX_PROFILES.includes(opts.profile)) fail(`--profile: one of ${PBX_PROFILES.join(', ')}`);
    const env = opts.profile === undefined ? process.env : { ...process.env, CTI_PBX_PROFILE: opts.profile };
    const r = spawnSync('bash', [resolve(projectRoot, 'sandbox/pbx.sh'), verb], { stdio: 'inherit', env });
    process.exit(r.status ?? 1);
  });
}

program.command('demo').description('sandbox PBX + service + demo calls flowing, so the log fills as you watch').action(async () => {
  loadEnv({ demo: true });
  dbFile();
  const { runDemo } = await import('./demo.js');
  await runDemo(projectRoot);
});

program.addHelpText('after', `
A second copy beside another (another clone, or the tests while a demo runs): give it its own HTTP port
and move every port of its sandbox PBX (AMI, ARI, SIP, RTP, the test phones) by an offset, e.g.
  CTI_HTTP_PORT=3100 CTI_PBX_PORT_OFFSET=100 cti demo
Both may also stand in .env (see .env.example); CTI_PBX_DIR moves the sandbox's folder (default .pbx/).`);

await program.parseAsync(process.argv);
